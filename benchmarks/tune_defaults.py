"""How synthgan's default training was chosen: variants of the loss terms and weight averaging, side by
side on real tables, several seeds, the same split per seed (75% training / 25% test).

Each variant starts from the paper's terms (Wasserstein, gradient penalty, condition) and the default
budget, and adds weight averaging (``ema``), feature matching (``information``), the every-column term
(``columns``, at weight 1 or 0.2) or validation-based selection. Scores on as many synthetic rows as
training rows: column shapes and pair trends (all pairs, and pairs with a real trend) against the training
rows; train-on-synthetic ROC AUC on the test rows; and the privacy guard's closest-record z (the share of
synthetic rows nearest a training rather than a test row, against chance; > 1.645: significantly nearer).

    python benchmarks/tune_defaults.py --seeds 3 --tables heart hepatitis kidney adult10k
writes ``results/tune_defaults.{json,md}`` (``--append`` adds to the JSON; ``--report-only`` rewrites the md).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _data import SHARED, adult

RESULTS = Path(__file__).resolve().parent / "results"
CLASSIC_TERMS = {"columns": 0}
VARIANTS = {
    "base": {"ema": None},
    "ema": {},
    "ema_info": {"objectives": {"information": 1.0}},
    "ema_cols": {"objectives": {"columns": 1.0}},
    "ema_cols_info": {"objectives": {"columns": 1.0, "information": 1.0}},
    "ema_val": {"validation": 0.1},
    "ema_cols02": {"objectives": {"columns": 0.2}},
    "ema_cols02_info": {"objectives": {"columns": 0.2, "information": 1.0}},
}


def tables() -> dict:
    from synthgan import load_table
    from synthgan.data import load_heart_disease

    heart = load_heart_disease()
    heart["num"] = (heart["num"] > 0).astype(int)
    kidney = load_table(SHARED / "chronic_kidney_disease" / "kidney_disease.csv").drop(columns=["id"])
    return {
        "heart": (heart, "num"),
        "hepatitis": (load_table(SHARED / "hepatitis" / "hepatitis.data"), "DIE_LIVE"),
        "kidney": (kidney, "classification"),
        "adult10k": (
            adult(complete_rows_only=False).sample(10_000, random_state=0).reset_index(drop=True),
            "income",
        ),
    }


def params(variant: str) -> dict:
    """The variant's estimator parameters: the paper's terms plus what the variant adds; EMA 0.999 unless off."""
    extra = VARIANTS[variant]
    return {"ema": 0.999, **extra, "objectives": {**CLASSIC_TERMS, **extra.get("objectives", {})}}


def tstr(synthetic: pd.DataFrame, test: pd.DataFrame, target: str, schema) -> float:
    """ROC AUC on the test rows of HistGradientBoosting trained on ``synthetic`` (numbers as they are,
    categories as codes of the test rows' sorted levels); the positive class is the last sorted level."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    from synthgan.evaluation.columns import Columns, as_labels, as_numbers

    cols = Columns.from_schema(schema)

    def encode(frame):
        parts = [as_numbers(frame[c]) for c in cols.numeric if c != target]
        for c in cols.categorical:
            if c != target:
                levels = {v: i for i, v in enumerate(sorted(as_labels(test[c]).dropna().unique()))}
                parts.append(as_labels(frame[c]).map(levels).astype(float).to_numpy())
        return np.column_stack(parts)

    labels = as_labels(test[target])
    positive = sorted(labels.dropna().unique())[-1]
    y = (as_labels(synthetic[target]) == positive).astype(int)
    if y.nunique() < 2:
        return 0.5
    model = HistGradientBoostingClassifier(random_state=0).fit(encode(synthetic), y)
    return float(roc_auc_score((labels == positive).astype(int), model.predict_proba(encode(test))[:, 1]))


def run(seeds: int, names: list[str], variants: list[str]) -> list[dict]:
    from synthgan import CTGAN
    from synthgan.evaluation import fidelity as F
    from synthgan.evaluation.columns import Columns
    from synthgan.schema import Schema
    from synthgan.training.validation import ValidationScorer

    rows = []
    for name in names:
        frame, target = tables()[name]
        for seed in range(seeds):
            order = np.random.default_rng(seed).permutation(len(frame))
            cut = int(0.75 * len(frame))
            train, test = (
                frame.iloc[order[:cut]].reset_index(drop=True),
                frame.iloc[order[cut:]].reset_index(drop=True),
            )
            schema = Schema.infer(train)
            cols = Columns.from_schema(schema)
            for variant in variants:
                start = time.perf_counter()
                model = CTGAN(random_state=seed, verbose=False, **params(variant)).fit(train, schema=schema)
                seconds = time.perf_counter() - start
                synthetic = model.sample(len(train), random_state=seed)
                pairs = F.pair_trends(F.pair_scores(train, synthetic, cols))
                guard = ValidationScorer(train, test, cols)(synthetic)
                rows.append(
                    {
                        "table": name,
                        "seed": seed,
                        "variant": variant,
                        "fit_s": seconds,
                        "steps": model.trainer_.step_count,
                        "shapes": float(np.nanmean(list(F.column_shapes(train, synthetic, cols).values()))),
                        "trends_all": pairs["all_pairs_mean"],
                        "trends": pairs["trend_mean"],
                        "tstr": tstr(synthetic, test, target, schema),
                        "closer_z": guard["closer_z"],
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    return rows


def markdown(rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)
    keys = ["shapes", "trends_all", "trends", "tstr", "closer_z", "fit_s"]
    lines = [
        "# Choosing the defaults (`python benchmarks/tune_defaults.py`)",
        "",
        "Mean (standard error) over seeds; fit seconds on one thread.",
        "",
    ]
    for name, part in frame.groupby("table", sort=False):
        lines += [
            f"## {name}",
            "",
            "| variant | seeds | " + " | ".join(keys) + " |",
            "|" + "---|" * (len(keys) + 2),
        ]
        for variant, runs in part.groupby("variant", sort=False):
            cells = []
            for k in keys:
                values = runs[k].astype(float)
                se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
                cells.append(f"{values.mean():.3f} ({se:.3f})" if k != "fit_s" else f"{values.mean():.0f}")
            lines.append(f"| {variant} | {len(runs)} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tables", nargs="+", default=list(tables()))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    path = RESULTS / "tune_defaults.json"
    rows = json.loads(path.read_text()) if (args.append or args.report_only) and path.exists() else []
    if not args.report_only:
        rows += run(args.seeds, args.tables, args.variants)
        path.write_text(json.dumps(rows, indent=1))
    (RESULTS / "tune_defaults.md").write_text(markdown(rows))


if __name__ == "__main__":
    main()
