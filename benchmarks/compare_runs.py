"""Paired differences between two runs of one system in ``quality.py``'s format: the same tables, seeds and
splits, a code change between them (e.g. ``results/quality_before_tails.json``, synthgan's rows before numeric
tails, against ``results/quality.json``).

    python benchmarks/compare_runs.py results/quality_before_tails.json results/quality.json \
        --system synthgan --out results/tails

writes ``OUT.md``: per table, the mean of each score in both runs and the paired difference (after - before)
with a 95% t interval over the seeds both runs hold.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import stats

METRICS = ("quality", "shapes", "trends", "tstr", "global_utility", "detection", "conditional_tv", "dcr_gain")


def paired(before: list[dict], after: list[dict], system: str) -> dict:
    """table -> metric -> (mean before, mean after, mean difference, half-width of its 95% interval, seeds)."""
    old = {(r["table"], r["seed"]): r for r in before if r["system"] == system}
    out: dict = {}
    for r in after:
        if r["system"] == system and (r["table"], r["seed"]) in old:
            out.setdefault(r["table"], []).append((old[(r["table"], r["seed"])], r))
    result = {}
    for table, pairs in out.items():
        result[table] = {}
        for m in METRICS:
            a = np.array([p[0][m] for p in pairs], dtype=float)
            b = np.array([p[1][m] for p in pairs], dtype=float)
            d = b - a
            half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.nan
            result[table][m] = (a.mean(), b.mean(), d.mean(), half, len(d))
    return result


def markdown(result: dict, before: str, after: str, system: str) -> str:
    lines = [
        f"# {system}: {after} against {before} (`python benchmarks/compare_runs.py`)",
        "",
        "Same tables, seeds and splits; paired difference after - before with a 95% t interval.",
    ]
    for table, scores in result.items():
        seeds = next(iter(scores.values()))[4]
        lines += ["", f"## {table} ({seeds} seeds)", "", "| score | before | after | after - before |"]
        lines.append("|---|---|---|---|")
        for m, (a, b, d, half, _) in scores.items():
            lines.append(f"| {m} | {a:.3f} | {b:.3f} | {d:+.3f} [{d - half:+.3f}, {d + half:+.3f}] |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--system", default="synthgan")
    parser.add_argument("--out", required=True, help="writes OUT.md")
    args = parser.parse_args()
    result = paired(
        json.loads(Path(args.before).read_text()), json.loads(Path(args.after).read_text()), args.system
    )
    text = markdown(result, Path(args.before).name, Path(args.after).name, args.system)
    Path(args.out + ".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
