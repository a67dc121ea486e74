"""Pair trends with the real table's bins: how much of SDMetrics' score is the synthetic table's own range.

SDMetrics 0.32's QualityReport scores a (numeric, categorical) pair by ContingencySimilarity after binning
the numeric column into 10 equal-width bins between *that table's* minimum and maximum: the real rows on the
real range, the synthetic rows on the synthetic range. A synthetic column whose minimum or maximum is not
the real one (synthgan's robust bounds and tails stop short of a single patient's extreme; the peers'
ranges differ too) is binned differently, so the bins of its pairs are shifted against the real bins.
This script scores the same rows both ways: SDMetrics' report
as quality.py does, and the same pairs (those the report counts) with the numeric column binned on the
real table's edges for both tables (SDMetrics' own ``ContingencySimilarity`` with
``continuous_column_names``, which bins that way), on quality.py's tables, split and systems.

    python benchmarks/trend_bins.py --tables heart hepatitis kidney --seeds 3

writes ``results/trend_bins.json`` and ``results/trend_bins.md``.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from bench_constraints import _mean_se
from quality import quality_report, report_scores, sdmetrics_metadata, split, synthesize, tables

RESULTS = Path(__file__).resolve().parent / "results"
SYSTEMS = ("synthgan", "gaussian_copula", "tvae")


def trends_both_ways(train: pd.DataFrame, synthetic: pd.DataFrame, schema, report=None) -> dict:
    """SDMetrics' pair trends (of ``report`` when given: ``quality_report`` of the same rows) and the same
    pairs on the real table's bins."""
    from sdmetrics.column_pairs import ContingencySimilarity

    numeric = numeric_columns(schema)
    report = quality_report(train, synthetic, schema) if report is None else report
    details = report.get_details("Column Pair Trends")
    counted = details[details["Meets Threshold?"].astype("boolean").fillna(False)]
    rebinned, mixed = [], 0
    for _, row in counted.iterrows():
        pair = [row["Column 1"], row["Column 2"]]
        continuous = [c for c in pair if c in numeric]
        if row["Metric"] == "ContingencySimilarity" and continuous:
            mixed += 1
            rebinned.append(
                ContingencySimilarity.compute(
                    train[pair], synthetic[pair], continuous_column_names=continuous
                )
            )
        else:
            rebinned.append(row["Score"])
    return {
        "trends": report_scores(report)["trends"],
        "trends_real_bins": float(np.mean(rebinned)) if rebinned else float("nan"),
        "pairs": len(counted),
        "mixed_pairs": mixed,
        "range_differs": range_differs(train, synthetic, numeric),
        "numeric": len(numeric),
    }


def numeric_columns(schema) -> list[str]:
    """The columns SDMetrics takes as numerical (and so bins in a pair with a categorical column)."""
    return [c for c, m in sdmetrics_metadata(schema)["columns"].items() if m["sdtype"] == "numerical"]


def range_differs(train: pd.DataFrame, synthetic: pd.DataFrame, columns) -> list[str]:
    """The ``columns`` whose synthetic minimum or maximum is not the real one (SDMetrics bins them apart)."""
    return [
        c for c in columns if (synthetic[c].min(), synthetic[c].max()) != (train[c].min(), train[c].max())
    ]


def markdown(results: list[dict]) -> str:
    lines = [
        "# Pair trends with the real table's bins (`python benchmarks/trend_bins.py`)",
        "",
        "SDMetrics 0.32 Column Pair Trends as quality.py scores it (each table binned on its own range), and the",
        "same pairs with numeric columns binned on the real table's edges. Mean +- standard error over seeds;",
        "`range differs`: numeric columns whose synthetic minimum or maximum is not the real one (mean count).",
        "",
        "| table | system | trends (SDMetrics) | trends (real bins) | difference | mixed pairs / pairs (first seed) | range differs |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(r["table"] for r in results):
        for system in SYSTEMS:
            rows = [r for r in results if r["table"] == name and r["system"] == system]
            if not rows:
                continue
            lines.append(
                f"| {name} | {system} | {_mean_se([r['trends'] for r in rows])} | "
                f"{_mean_se([r['trends_real_bins'] for r in rows])} | "
                f"{_mean_se([r['trends_real_bins'] - r['trends'] for r in rows])} | "
                f"{rows[0]['mixed_pairs']} / {rows[0]['pairs']} | "
                f"{np.mean([len(r['range_differs']) for r in rows]):.1f} of {rows[0]['numeric']} |"
            )
    lines += ["", "synthgan minus GaussianCopula, paired by seed:", ""]
    for name in dict.fromkeys(r["table"] for r in results):
        got = {(r["system"], r["seed"]): r for r in results if r["table"] == name}
        seeds = sorted({s for (system, s) in got if system == "synthgan" and ("gaussian_copula", s) in got})
        if seeds:
            cells = [
                f"{key} {_mean_se([got['synthgan', s][key] - got['gaussian_copula', s][key] for s in seeds])}"
                for key in ("trends", "trends_real_bins")
            ]
            lines.append(f"- {name} ({len(seeds)} seeds): " + ", ".join(cells))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=["heart", "hepatitis", "kidney"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--out", default=str(RESULTS / "trend_bins"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from synthgan.schema import Schema

    results = []
    for name in args.tables:
        load, target, _ = tables()[name]
        frame = load()
        for seed in range(args.seeds):
            train, _ = split(frame, target, seed)
            schema = Schema.infer(train)
            for system in args.systems:
                rows, _ = synthesize(system, name, train, schema, seed)
                row = {"table": name, "seed": seed, "system": system, **trends_both_ways(train, rows, schema)}
                results.append(row)
                print(json.dumps(row), flush=True)
                Path(args.out + ".json").write_text(json.dumps(results, indent=1))
    Path(args.out + ".md").write_text(markdown(results))


if __name__ == "__main__":
    main()
