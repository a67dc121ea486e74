"""synthgan.CTGAN against the reference ctgan.CTGAN on the real Adult table, in one run, same architecture
and batch size: preprocessing seconds, seconds per epoch, sampling rows/s, SDMetrics quality,
train-on-synthetic / test-on-real accuracy, and whether a condition holds (sex=Female -> Husband).

    python benchmarks/bench_ctgan.py --epochs 30 [--json benchmarks/results/ctgan_adult.json]

Run on an idle machine: the two systems run back to back, alternating order over --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import pandas as pd
from _data import adult, discrete_columns


def tstr_accuracy(train: pd.DataFrame, test: pd.DataFrame, target: str = "income") -> float:
    """Train a gradient-boosting classifier on ``train``, report accuracy on the real ``test`` rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    features = [c for c in train.columns if c != target]
    both = pd.concat([train[features], test[features]])
    for c in features:
        if both[c].dtype == object:
            both[c] = both[c].astype("category")
    clf = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    clf.fit(both.iloc[: len(train)], train[target].astype(str))
    return float((clf.predict(both.iloc[len(train) :]) == test[target].astype(str)).mean())


def quality(real: pd.DataFrame, synthetic: pd.DataFrame, discrete: list[str]) -> float:
    from sdmetrics.reports.single_table import QualityReport

    metadata = {
        "columns": {c: {"sdtype": "categorical" if c in discrete else "numerical"} for c in real.columns}
    }
    report = QualityReport()
    report.generate(real, synthetic[real.columns], metadata, verbose=False)
    return float(report.get_score())


def run_synthgan(train, discrete, epochs, n_sample, seed):
    from synthgan import CTGAN

    t0 = time.perf_counter()
    model = CTGAN.classic(epochs=epochs, random_state=seed, verbose=False).fit(train, discrete)
    fit_s = time.perf_counter() - t0
    per_epoch = float(model.loss_values_["seconds"].diff().median()) if epochs > 1 else fit_s
    pre = fit_s - float(model.loss_values_["seconds"].iloc[-1])
    t0 = time.perf_counter()
    synthetic = model.sample(n_sample)
    sample_s = time.perf_counter() - t0
    cond = model.sample(5000, conditions={"sex": "Female"})
    return dict(fit_s=fit_s, preprocess_s=pre, epoch_s=per_epoch, sample_s=sample_s), synthetic, cond


def run_reference(train, discrete, epochs, n_sample, seed):
    from ctgan import CTGAN
    from ctgan.data_transformer import DataTransformer

    t0 = time.perf_counter()
    DataTransformer().fit(train, discrete)  # what the reference does before its first step (fit only)
    pre = time.perf_counter() - t0
    model = CTGAN(epochs=epochs, verbose=False)
    model.set_random_state(seed)
    t0 = time.perf_counter()
    model.fit(train, discrete)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    synthetic = model.sample(n_sample)
    sample_s = time.perf_counter() - t0
    cond = model.sample(5000, condition_column="sex", condition_value="Female")
    return dict(fit_s=fit_s, preprocess_s=pre, epoch_s=None, sample_s=sample_s), synthetic, cond


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    data = adult().sample(frac=1.0, random_state=0).reset_index(drop=True)
    holdout, train = data.iloc[:6000], data.iloc[6000:].reset_index(drop=True)
    discrete = discrete_columns(train)
    results: dict = {
        "data": f"adult complete rows: train {len(train)}, holdout {len(holdout)}",
        "epochs": args.epochs,
        "runs": [],
    }
    systems = [("synthgan", run_synthgan), ("ctgan", run_reference)]
    for _, fn in systems:  # warm-up: lazy imports and thread pools are not what we measure
        fn(train.iloc[:1000], discrete, 1, 1000, seed=0)
    for i in range(args.repeat):
        for name, fn in systems if i % 2 == 0 else systems[::-1]:
            times, synthetic, cond = fn(train, discrete, args.epochs, args.sample, seed=i)
            female = cond[cond["sex"] == "Female"]
            row = dict(system=name, **times)
            row["sample_rows_per_s"] = args.sample / times["sample_s"]
            row["quality"] = quality(train, synthetic.iloc[: len(train)], discrete)
            row["tstr_accuracy"] = tstr_accuracy(synthetic.iloc[: len(train)], holdout)
            row["condition_share_female"] = float((cond["sex"] == "Female").mean())
            row["p_husband_given_female"] = (
                float((female["relationship"] == "Husband").mean()) if len(female) else None
            )
            results["runs"].append(row)
            print(json.dumps(row), flush=True)
    results["real"] = {
        "tstr_accuracy_train_on_real": tstr_accuracy(train, holdout),
        "p_husband_given_female": float(
            (train[train["sex"] == "Female"]["relationship"] == "Husband").mean()
        ),
    }
    print(json.dumps(results["real"]))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
