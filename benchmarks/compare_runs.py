"""Paired differences between two runs of one system in ``quality.py``'s format: the same tables, seeds and
splits, a code change between them (e.g. ``results/quality_quarter_batch.json``, synthgan's small-table rows
when the default batch was a quarter of the table, against ``results/quality.json``; ``results/tails.md`` is
``quality_before_tails.json`` against ``quality_quarter_batch.json``).

    python benchmarks/compare_runs.py results/quality_quarter_batch.json results/quality.json \
        --system synthgan --out results/batch_whole_table

writes ``OUT.md``: per table, the mean of each score in both runs and the paired difference (after - before)
with a 95% t interval over the seeds both runs hold.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from compare_settings import _interval
from quality import METRICS


def markdown(before: list[dict], after: list[dict], system: str, names: tuple[str, str]) -> str:
    """Per table: each score's mean before and after, and the paired difference with its 95% interval."""
    old = {(r["table"], r["seed"]): r for r in before if r["system"] == system}
    pairs: dict = {}
    for r in after:
        if r["system"] == system and (r["table"], r["seed"]) in old:
            pairs.setdefault(r["table"], []).append((old[(r["table"], r["seed"])], r))
    lines = [
        f"# {system}: {names[1]} against {names[0]} (`python benchmarks/compare_runs.py`)",
        "",
        "Same tables, seeds and splits; paired difference after - before with a 95% t interval.",
    ]
    for table, both in pairs.items():
        lines += ["", f"## {table} ({len(both)} seeds)", "", "| score | before | after | after - before |"]
        lines.append("|---|---|---|---|")
        for m in METRICS:
            a, b = (np.array([p[i][m] for p in both], dtype=float) for i in (0, 1))
            lines.append(f"| {m} | {a.mean():.3f} | {b.mean():.3f} | {_interval(b - a)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--system", default="synthgan")
    parser.add_argument("--out", required=True, help="writes OUT.md")
    args = parser.parse_args()
    before, after = (json.loads(Path(p).read_text()) for p in (args.before, args.after))
    text = markdown(before, after, args.system, (Path(args.before).name, Path(args.after).name))
    Path(args.out + ".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
