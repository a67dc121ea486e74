"""How much one synthetic draw moves SDMetrics' scores: one model, several draws (a diagnostic).

SDMetrics 0.32's Column Pair Trends discretises a numeric column into 10 equal-width bins spanning that
table's own minimum and maximum - the real table's for the real rows, the synthetic table's for the
synthetic rows. A draw that misses a numeric column's real extreme (or passes it) shifts every bin of that
column's pairs, and their contingency scores drop although the rows are alike. This script fits
``CTGAN(random_state=seed)`` on a table (bench_constraints' 10,000-row sample, quality.py's split), scores
``--draws`` draws of as many rows as training rows, and lists per draw the quality, shapes and trends, the
numeric columns whose synthetic range differs from the real one, and the pairs whose score moves most.

    python benchmarks/draw_spread.py --table adult --seed 0 --draws 8

writes ``results/draw_spread_<table>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from bench_constraints import table_sample
from quality import quality_report, report_scores, split
from trend_bins import numeric_columns, range_differs

RESULTS = Path(__file__).resolve().parent / "results"


def score(train: pd.DataFrame, synthetic: pd.DataFrame, schema) -> tuple[dict, pd.Series]:
    """Quality, shapes and trends, and the score of every pair the trends average."""
    report = quality_report(train, synthetic, schema)
    pairs = report.get_details("Column Pair Trends").dropna(subset=["Score"])
    return report_scores(report), pairs.set_index(["Column 1", "Column 2"])["Score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="adult", choices=["adult", "diabetes"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=8)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from synthgan import CTGAN
    from synthgan.schema import Schema

    frame, target = table_sample(args.table, 10_000)
    train, _ = split(frame, target, args.seed)
    schema = Schema.infer(train)
    numeric = numeric_columns(schema)
    model = CTGAN(random_state=args.seed, verbose=False).fit(train, schema=schema)
    draws, pair_scores = [], {}
    for k in range(args.draws):
        rows = model.sample(len(train), random_state=k)
        scores, pairs = score(train, rows, schema)
        draws.append({"draw": k, **scores, "range_differs": range_differs(train, rows, numeric)})
        pair_scores[k] = pairs
        print(json.dumps(draws[-1]), flush=True)
    table = pd.DataFrame(pair_scores)
    spread = (table.max(axis=1) - table.min(axis=1)).sort_values(ascending=False)
    out = {
        "table": args.table,
        "seed": args.seed,
        "rows": len(train),
        "draws": draws,
        "pairs_scored": len(table),
        "widest_pairs": {f"{a} / {b}": table.loc[(a, b)].round(4).tolist() for a, b in spread.index[:5]},
        "real_ranges": {c: [float(train[c].min()), float(train[c].max())] for c in numeric},
    }
    stem = RESULTS / f"draw_spread_{args.table}"
    stem.with_suffix(".json").write_text(json.dumps(out, indent=1))
    q = np.array([d["quality"] for d in draws])
    lines = [
        f"# One model, {args.draws} draws: {args.table} (`python benchmarks/draw_spread.py --table "
        f"{args.table} --seed {args.seed} --draws {args.draws}`)",
        "",
        f"CTGAN(random_state={args.seed}) at its defaults on {len(train)} training rows; each draw as many rows. "
        f"Quality over draws: mean {q.mean():.3f}, min {q.min():.3f}, max {q.max():.3f}. Column Pair Trends "
        f"scores {len(table)} pairs (SDMetrics 0.32 averages only pairs whose real correlation exceeds 0.5 "
        "or real association 0.3).",
        "",
        "| draw | quality | shapes | trends | numeric columns whose synthetic min / max differ from the real |",
        "|---|---|---|---|---|",
    ]
    for d in draws:
        lines.append(
            f"| {d['draw']} | {d['quality']:.3f} | {d['shapes']:.3f} | {d['trends']:.3f} | "
            + (", ".join(d["range_differs"]) or "none")
            + " |"
        )
    lines += ["", "The pairs whose score moves most between draws (score per draw):", ""]
    lines += [
        f"- {pair}: {', '.join(f'{v:.3f}' for v in values)}" for pair, values in out["widest_pairs"].items()
    ]
    lines += [
        "",
        "Real ranges: " + ", ".join(f"{c} {lo:g}-{hi:g}" for c, (lo, hi) in out["real_ranges"].items()),
    ]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
