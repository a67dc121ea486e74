"""Calibrate the default gate on real tables: scores of good and broken synthetic sets, and the decision.

For each data set (80/20 train/holdout split): a properly trained CTGAN, a CTGAN trained for one
epoch, the training rows with every column shuffled independently, the good set with one category
repeated, copies of training rows, and near-copies (training rows with small noise on numbers).
The good set must pass; every other set must fail.

    python benchmarks/calibrate_gate.py [--seeds N] [--out benchmarks/results/gate_calibration]

``--seeds N`` trains every model with seeds 0..N-1 (same split) and adds each set's pass rate: on tables of a
few hundred rows one seed's verdict is one draw.
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import pandas as pd

from _data import SHARED, adult

KEYS = (
    "fidelity.column_shapes", "fidelity.column_shapes_worst", "fidelity.column_pair_trends",
    "fidelity.column_pair_trends_all_pairs", "fidelity.detection_auc", "fidelity.collapsed_columns",
    "privacy.exact_match_rate", "privacy.dcr_closer_to_train_excess", "privacy.nndr_ratio",
    "privacy.membership_inference_auc_upper",
)


def datasets() -> dict[str, tuple[pd.DataFrame, int]]:
    from synthgan import load_table

    cols = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak", "slope", "ca", "thal", "num"]
    heart = pd.read_csv(SHARED / "heart_disease" / "processed.cleveland.data", header=None, names=cols, na_values="?")
    return {
        "heart_disease": (heart, 300),
        "hepatitis": (load_table(SHARED / "hepatitis" / "hepatitis.data"), 300),
        "chronic_kidney_disease": (load_table(SHARED / "chronic_kidney_disease" / "kidney_disease.csv"), 300),
        "adult_10k": (adult(complete_rows_only=False).sample(10_000, random_state=0).reset_index(drop=True), 100),
    }


def broken_sets(train: pd.DataFrame, good: pd.DataFrame, model, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    from synthgan.schema import CATEGORICAL

    n = len(good)
    shuffled = pd.DataFrame({c: train[c].sample(n, replace=True, random_state=i).to_numpy() for i, c in enumerate(train.columns)})
    one_level = good.copy()
    categorical = [s.name for s in model.schema_.columns if s.kind == CATEGORICAL and train[s.name].nunique() >= 2]
    if categorical:  # the most balanced column: where repeating one level does the most harm
        column = max(categorical, key=lambda c: _entropy(train[c]))
        one_level[column] = train[column].mode().iloc[0]
    copies = train.sample(n, replace=n > len(train), random_state=1).reset_index(drop=True)
    near = copies.copy()
    for spec in model.schema_.columns:
        if spec.kind in ("continuous", "integer") and near[spec.name].notna().any():
            col = near[spec.name].astype("float64")
            noisy = col + rng.normal(0, 0.02 * np.nanstd(col), n)
            noisy = noisy.clip(col.min(), col.max())
            near[spec.name] = noisy.round() if spec.kind == "integer" else noisy
            near[spec.name] = near[spec.name].astype(train[spec.name].dtype, errors="ignore")
    return {"shuffled_columns": shuffled, "one_category_repeated": one_level, "copies": copies, "near_copies": near}


def _entropy(series: pd.Series) -> float:
    p = series.value_counts(normalize=True, dropna=False).to_numpy()
    return float(-(p * np.log(p)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/gate_calibration")
    parser.add_argument("--seeds", type=int, default=1, help="train each model with seeds 0..N-1 (same split)")
    parser.add_argument("--redecide", action="store_true", help="re-apply the current default policy to saved reports")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from synthgan import evaluate
    from synthgan.gate import Policy, decide

    policy = Policy.default()
    if args.redecide:
        with open(args.out + ".reports.json") as fh:
            saved = json.load(fh)
        write_tables(args.out, [summarise(s["data"], s["set"], s.get("seed", 0), s["report"], decide(s["report"], policy)) for s in saved])
        return
    rows, saved = [], []
    for name, (frame, epochs) in datasets().items():
        order = np.random.default_rng(0).permutation(len(frame))
        cut = int(len(frame) * 0.8)
        train, holdout = frame.iloc[order[:cut]].reset_index(drop=True), frame.iloc[order[cut:]].reset_index(drop=True)
        for seed in range(args.seeds):
            for label, synthetic in candidate_sets(train, epochs, seed).items():
                report = evaluate(train, synthetic, holdout=holdout).to_dict()
                rows.append(summarise(name, label, seed, report, decide(report, policy)))
                saved.append({"data": name, "set": label, "seed": seed, "report": json.loads(json.dumps(report, default=str))})
                print(json.dumps(rows[-1], default=str), flush=True)
    with open(args.out + ".reports.json", "w") as fh:
        json.dump(saved, fh, default=str)
    write_tables(args.out, rows)


def candidate_sets(train: pd.DataFrame, epochs: int, seed: int) -> dict[str, pd.DataFrame]:
    """The sets one seed judges: a CTGAN trained for ``epochs`` and for a quarter of them, one trained for one
    epoch, and the broken sets made from the training rows and the good set."""
    from synthgan import CTGAN

    def trained(n_epochs: int) -> tuple[CTGAN, pd.DataFrame]:
        model = CTGAN(epochs=n_epochs, random_state=seed, verbose=False).fit(train)
        return model, model.sample(len(train), random_state=1)

    model, good = trained(epochs)
    sets = {"good": good, f"good_{max(1, epochs // 4)}_epochs": trained(max(1, epochs // 4))[1], "one_epoch": trained(1)[1]}
    sets.update(broken_sets(train, good, model, np.random.default_rng(seed)))
    return sets


def summarise(name: str, label: str, seed: int, report: dict, decision) -> dict:
    def get(key):
        node = report
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None

    row = {"data": name, "set": label, "seed": seed, "passed": decision.passed, "failed": [c.metric for c in decision.failed]}
    row.update({k: get(k) for k in KEYS})
    row.update({"reference." + k: get("reference." + k) for k in KEYS})
    return row


def write_tables(out: str, rows: list[dict]) -> None:
    with open(out + ".json", "w") as fh:
        json.dump(rows, fh, indent=2, default=str)
    with open(out + ".md", "w") as fh:
        fh.write("| data | set | seed | passed | " + " | ".join(map(_short, KEYS)) + " | failed checks |\n")
        fh.write("|" + "---|" * (len(KEYS) + 5) + "\n")
        for r in rows:
            vals = " | ".join(f"{r[k]:.3f}" if isinstance(r[k], float) else "n/a" for k in KEYS)
            fh.write(f"| {r['data']} | {r['set']} | {r['seed']} | {r['passed']} | {vals} | {', '.join(map(_short, r['failed']))} |\n")
        fh.write("\nPassed, over the training seeds:\n\n| data | set | passed | refused by |\n|---|---|---|---|\n")
        groups: dict[tuple[str, str], list[dict]] = {}
        for r in rows:
            groups.setdefault((r["data"], r["set"]), []).append(r)
        for (data, label), runs in groups.items():
            refusals = sorted({_short(x) for r in runs for x in r["failed"]})
            fh.write(f"| {data} | {label} | {sum(r['passed'] for r in runs)} of {len(runs)} | {', '.join(refusals)} |\n")
        fh.write("\nReference (real holdout in place of the synthetic set), per data set:\n\n")
        for r in rows:
            if r["set"] == "good" and r["seed"] == 0:
                fh.write(f"- {r['data']}: " + ", ".join(f"{_short(k)} {r['reference.' + k]:.3f}" for k in KEYS if isinstance(r["reference." + k], float)) + "\n")


def _short(metric: str) -> str:
    """A report key without its section ("privacy.nndr_ratio" -> "nndr_ratio")."""
    return metric.split(".", 1)[1]


if __name__ == "__main__":
    main()
