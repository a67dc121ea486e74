"""Where synthgan's default loses pair trends on diabetes-130: the steps the time budget leaves, or the bins.

On diabetes-130 (48 columns) the time budget leaves about 2,450 steps where Adult trains its 10,000 (the cap
on default steps), and SDMetrics bins a numeric column on each table's own range (``trend_bins.py``):
synthgan's numeric columns stop short of one patient's extreme by design (``synthgan/transform/bounds.py``).
This script scores, on quality.py's split of one seed, synthgan's default, synthgan with 10,000 steps
(``CTGAN(steps=10_000)``: steps asked for skip the time budget, so this variant also keeps the every-column
term the default leaves out here - two changes at once), SDV's GaussianCopula and shuffled real columns:
SDMetrics' pair trends, the same pairs on the real table's bins, the mean score by kind of pair, TSTR (macro
F1 of ``readmitted``) and the numeric columns whose synthetic range is not the real one. ``--variants`` also
takes synthgan's default with one setting changed (``SETTINGS``): learning rates of 4e-4, a critic of
(128, 128) or batches of 250 rows - whose cheaper steps the time budget turns into more of them - or 5,000
steps, twice the budget's, with the every-column term or without it (as the default trains here), or the
term kept within the time budget (1,420 steps: what 150 s buy with it, where the default trains 2,417-2,478
without it), or the term on 100 rows of each batch (``objectives={"columns": {"rows": 100}}``) within the
budget and at 5,000 steps.

    cd benchmarks
    python diabetes_gap.py --seeds 1
    python diabetes_gap.py --seeds 3 --out results/diabetes_gap_settings --variants synthgan \
        synthgan_lr_4e-4 synthgan_critic_128 synthgan_1420_steps synthgan_5000_steps_no_columns_term \
        synthgan_batch_250 synthgan_5000_steps synthgan_columns_100_rows synthgan_5000_steps_columns_100_rows

write ``results/diabetes_gap.{json,md}`` and ``results/diabetes_gap_settings.{json,md}``. The settings file
holds the rows of runs of those variants with ``--seeds``, ``--first-seed`` and ``--out`` split up to share
the machine (``synthgan_5000_steps`` at seeds 0-1, then 2; the two ``columns_100_rows`` settings on another
day; the default's seed 0 from ``diabetes_gap.json``).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from quality import _predict_score, quality_report, split, synthesize, tables
from trend_bins import numeric_columns, trends_both_ways

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = ("synthgan", "synthgan_10000_steps", "gaussian_copula", "shuffled")
#: synthgan's default with one setting changed (``--variants``): what the time budget could buy on a wide
#: table.
SETTINGS = {
    "synthgan_10000_steps": dict(steps=10_000),
    "synthgan_lr_4e-4": dict(generator_lr=4e-4, discriminator_lr=4e-4),
    "synthgan_critic_128": dict(discriminator_dim=(128, 128)),
    "synthgan_1420_steps": dict(steps=1420),
    "synthgan_5000_steps": dict(steps=5000),
    "synthgan_5000_steps_no_columns_term": dict(steps=5000, objectives={"columns": 0}),
    "synthgan_batch_250": dict(batch_size=250),
    "synthgan_columns_100_rows": dict(objectives={"columns": {"rows": 100}}),
    "synthgan_5000_steps_columns_100_rows": dict(steps=5000, objectives={"columns": {"rows": 100}}),
}
KINDS = ("categorical pairs", "mixed pairs", "numeric pairs")


def setting(variant: str) -> str:
    """A setting's keyword arguments as written in a call: ``steps=5000, objectives={'columns': 0}``."""
    return ", ".join(f"{k}={v!r}" for k, v in SETTINGS[variant].items())


def generate(variant: str, train: pd.DataFrame, schema, seed: int) -> tuple[pd.DataFrame, float, int | None]:
    """(rows, fit seconds, steps) of ``variant`` on ``train``."""
    if variant not in SETTINGS:
        rows, seconds = synthesize(variant, "diabetes", train, schema, seed)
        return rows, seconds, rows.attrs.get("steps")
    from synthgan import CTGAN

    start = time.perf_counter()
    model = CTGAN(**SETTINGS[variant], random_state=seed, verbose=False).fit(train, schema=schema)
    rows = model.sample(len(train), random_state=seed)[list(train.columns)]
    return rows, time.perf_counter() - start, model.budget_.total_steps


def by_kind(report, schema) -> dict:
    """Mean SDMetrics pair score by kind of pair (both numeric, one numeric, both categorical), over the
    pairs the report counts."""
    numeric = set(numeric_columns(schema))
    details = report.get_details("Column Pair Trends")
    details = details[details["Meets Threshold?"].astype("boolean").fillna(False)]
    kinds = [
        KINDS[(row["Column 1"] in numeric) + (row["Column 2"] in numeric)] for _, row in details.iterrows()
    ]
    scores = pd.Series(details["Score"].to_numpy(float), index=kinds)
    return {kind: float(scores[kind].mean()) for kind in sorted(set(kinds))}


def markdown(results: list[dict]) -> str:
    """The results as a markdown table, one row per seed and variant."""
    lines = [
        "# Pair trends on diabetes-130: steps and bins (`python benchmarks/diabetes_gap.py`)",
        "",
        "quality.py's split and seed; SDMetrics 0.32. `real bins`: the same pairs with numeric columns",
        "binned on the real table's edges (trend_bins.py). TSTR: macro F1 of `readmitted` on the real test",
        "rows.",
        *[
            f"`{name}` is `CTGAN({setting(name)})`."
            for name in SETTINGS
            if any(r["variant"] == name for r in results)
        ],
        *(
            ["Steps asked for skip the time budget, so `steps=` alone also keeps the every-column term."]
            if any("steps" in SETTINGS.get(r["variant"], {}) for r in results)
            else []
        ),
        "",
        "| seed | variant | steps | fit s | trends | trends (real bins) | categorical pairs | mixed pairs "
        "| numeric pairs | TSTR | numeric columns off the real range |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['seed']} | {r['variant']} | {r['steps'] or '-'} | {r['fit_s']:.0f} | {r['trends']:.3f} | "
            f"{r['trends_real_bins']:.3f} | "
            + " | ".join(f"{r.get(kind, float('nan')):.3f}" for kind in KINDS)
            + f" | {r['tstr']:.3f} | {len(r['range_differs'])} of {r['numeric']} |"
        )
    defaults = {r["seed"] for r in results if r["variant"] == "synthgan"}
    settings = {r["seed"] for r in results if r["variant"] in SETTINGS}
    if settings and settings <= defaults:
        lines += ["", "Means over seeds; in brackets the mean paired difference to the default:", ""]
        lines.append(settings_table(results))
    return "\n".join(lines) + "\n"


def settings_table(results: list[dict]) -> str:
    """Each setting's mean over its seeds, with the mean paired difference to the default over the same seeds
    in brackets (the table in docs/benchmarks.md; ``markdown`` appends it when the results hold a setting)."""
    base = {r["seed"]: r for r in results if r["variant"] == "synthgan"}
    metrics = {
        "trends": "trends",
        "trends_real_bins": "real bins",
        "categorical pairs": "categorical pairs",
        "mixed pairs": "mixed pairs",
        "tstr": "TSTR",
    }
    lines = [
        "| setting | seeds | steps | fit s | " + " | ".join(metrics.values()) + " |",
        "|---|---|---|---|" + "---|" * len(metrics),
    ]
    for variant in ["synthgan", *SETTINGS]:
        runs = [r for r in results if r["variant"] == variant]
        if not runs:
            continue
        cells = []
        for key in metrics:
            mean = float(np.mean([r[key] for r in runs]))
            paired = float(np.mean([r[key] - base[r["seed"]][key] for r in runs]))
            cells.append(f"{mean:.3f}" if variant == "synthgan" else f"{mean:.3f} ({paired:+.3f})")
        label = "default (`CTGAN()`)" if variant == "synthgan" else f"`{setting(variant)}`"
        low, high = min(r["steps"] for r in runs), max(r["steps"] for r in runs)
        steps = f"{low:,}" if low == high else f"{low:,}-{high:,}"
        seeds = ", ".join(str(r["seed"]) for r in runs)
        fit = np.mean([r["fit_s"] for r in runs])
        lines.append(f"| {label} | {seeds} | {steps} | {fit:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=[*VARIANTS, *SETTINGS])
    parser.add_argument("--out", default=str(RESULTS / "diabetes_gap"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from synthgan.schema import Schema

    load, target, _ = tables()["diabetes"]
    frame, results = load(), []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        train, test = split(frame, target, seed)
        schema = Schema.infer(train)
        for variant in args.variants:
            rows, seconds, steps = generate(variant, train, schema, seed)
            report = quality_report(train, rows, schema)
            row = {
                "seed": seed,
                "variant": variant,
                "steps": steps,
                "fit_s": seconds,
                **trends_both_ways(train, rows, schema, report),
                **by_kind(report, schema),
                "tstr": _predict_score(rows, test, target, schema),
                "ranges": {c: [float(rows[c].min()), float(rows[c].max())] for c in numeric_columns(schema)},
                "real_ranges": {
                    c: [float(train[c].min()), float(train[c].max())] for c in numeric_columns(schema)
                },
            }
            results.append(row)
            print(json.dumps({k: v for k, v in row.items() if "ranges" not in k}), flush=True)
            Path(args.out + ".json").write_text(json.dumps(results, indent=1, default=float))
    Path(args.out + ".md").write_text(markdown(results))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
