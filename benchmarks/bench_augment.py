"""Class balancing on real, imbalanced data: diabetes-130 hospitals, early readmission
(``readmitted == "<30"``, ~11% positives). A gradient-boosting classifier is trained on the real
training split only, on real + SMOTE-NC rows (imbalanced-learn), and on real + synthgan rows
(``SyntheticOversampler`` with CTGAN), and scored on the same held-out real split.

    python benchmarks/bench_augment.py --epochs 30        # results/augment_diabetes.{json,md}
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTENC
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

from _data import diabetes
from synthgan import CTGAN, SyntheticOversampler

RESULTS = Path(__file__).resolve().parent / "results"
DROP = ["encounter_id", "patient_nbr", "readmitted"]  # identifiers and the raw target


def features_for_model(X: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas categories (HistGradientBoosting reads them natively)."""
    return X.apply(lambda c: c.astype("category") if c.dtype == object else c)


def score(name: str, X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame, y_test: np.ndarray, categories: dict) -> dict:
    X_train, X_test = X_train.copy(), X_test.copy()
    for column, levels in categories.items():  # one category coding for train and test
        X_train[column] = pd.Categorical(X_train[column], categories=levels)
        X_test[column] = pd.Categorical(X_test[column], categories=levels)
        if len(levels) > 250:  # beyond HistGradientBoosting's categorical limit: ordinal codes as numbers
            X_train[column] = X_train[column].cat.codes.astype(float)
            X_test[column] = X_test[column].cat.codes.astype(float)
    clf = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0).fit(X_train, y_train)
    proba = clf.predict_proba(X_test)[:, 1]
    pred = (proba >= 0.5).astype(int)
    out = {"rows": len(X_train), "positives": int(y_train.sum()), "balanced_accuracy": balanced_accuracy_score(y_test, pred),
           "f1": f1_score(y_test, pred), "roc_auc": roc_auc_score(y_test, proba)}
    print(name, out, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--rows", type=int, default=None, help="use a stratified subset of this many rows")
    parser.add_argument("--class-focus", type=float, default=None, help="SyntheticOversampler's class_focus")
    parser.add_argument("--out", default="augment_diabetes", help="results/<OUT>.{json,md}")
    args = parser.parse_args()
    df = diabetes()
    y = (df["readmitted"] == "<30").astype(int).to_numpy()
    X = df.drop(columns=DROP)
    if args.rows:
        X, _, y, _ = train_test_split(X, y, train_size=args.rows, stratify=y, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    X_train, X_test = X_train.reset_index(drop=True), X_test.reset_index(drop=True)
    text = [c for c in X.columns if X[c].dtype == object]
    categories = {c: sorted(X[c].dropna().unique()) for c in text}
    results = {"data": {"train": len(X_train), "test": len(X_test), "positive_share": float(y.mean()), "columns": X.shape[1]}}
    results["real_only"] = score("real only", X_train, y_train, X_test, y_test, categories)

    start = time.perf_counter()
    filled = X_train.copy()
    filled[text] = filled[text].fillna("missing")  # SMOTE-NC needs complete rows; numbers here have no gaps
    smote = SMOTENC(categorical_features=[X.columns.get_loc(c) for c in text], random_state=0)
    X_smote, y_smote = smote.fit_resample(filled, y_train)
    X_smote[text] = X_smote[text].replace("missing", np.nan)
    results["smote_nc"] = {**score("real + SMOTE-NC", X_smote, y_smote, X_test, y_test, categories), "seconds": time.perf_counter() - start}

    start = time.perf_counter()
    sampler = SyntheticOversampler(model=CTGAN(epochs=args.epochs, verbose=True), class_focus=args.class_focus, random_state=0)
    X_syn, y_syn = sampler.fit_resample(X_train, pd.Series(y_train, name="early_readmission"))
    results["synthgan"] = {**score("real + synthgan", X_syn, y_syn.to_numpy(), X_test, y_test, categories),
                           "seconds": time.perf_counter() - start, "epochs": args.epochs, "class_focus": args.class_focus}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# Class balancing on diabetes-130 (early readmission, {y.mean():.1%} positives; "
             f"{len(X_train)} train / {len(X_test)} held-out real test rows)", "",
             "| training data | rows | balanced accuracy | F1 (positive) | ROC AUC | seconds to resample |", "|---|---|---|---|---|---|"]
    for key, label in [("real_only", "real only"), ("smote_nc", "real + SMOTE-NC"), ("synthgan", f"real + synthgan (CTGAN, {args.epochs} epochs, class_focus={args.class_focus})")]:
        r = results[key]
        lines.append(f"| {label} | {r['rows']} | {r['balanced_accuracy']:.4f} | {r['f1']:.4f} | {r['roc_auc']:.4f} | {r.get('seconds', 0):.0f} |")
    (RESULTS / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
