"""Class balancing on real, imbalanced data: diabetes-130 hospitals, early readmission
(``readmitted == "<30"``, ~11% positives). A gradient-boosting classifier is trained on the real
training split only, on real + SMOTE-NC rows (imbalanced-learn), and on real + synthgan rows
(``SyntheticOversampler`` with CTGAN), and scored on the same held-out real split.

    python benchmarks/bench_augment.py --rows 30000       # CTGAN's 300 epochs, ~25 min here -> results/augment_diabetes.{json,md}
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
from sklearn.model_selection import cross_val_predict, train_test_split

from _data import diabetes
from synthgan import CTGAN, SyntheticOversampler

RESULTS = Path(__file__).resolve().parent / "results"
DROP = ["encounter_id", "patient_nbr", "readmitted"]  # identifiers and the raw target


def encoded(frame: pd.DataFrame, categories: dict) -> pd.DataFrame:
    """One category coding for every frame; columns past HistGradientBoosting's 250-level limit as ordinal codes."""
    out = frame.copy()
    for column, levels in categories.items():
        out[column] = pd.Categorical(out[column], categories=levels)
        if len(levels) > 250:
            out[column] = out[column].cat.codes.astype(float)
    return out


def classifier() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)


def score(name: str, X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame, y_test: np.ndarray, categories: dict) -> dict:
    clf = classifier().fit(encoded(X_train, categories), y_train)
    proba = clf.predict_proba(encoded(X_test, categories))[:, 1]
    pred = (proba >= 0.5).astype(int)
    out = {"rows": len(X_train), "positives": int(y_train.sum()), "balanced_accuracy": balanced_accuracy_score(y_test, pred),
           "f1": f1_score(y_test, pred), "roc_auc": roc_auc_score(y_test, proba)}
    print(name, out, flush=True)
    return out


def separability(a: pd.DataFrame, b: pd.DataFrame, categories: dict) -> float:
    """3-fold ROC AUC of a classifier telling rows of ``a`` from rows of ``b`` (0.5: indistinguishable)."""
    X = encoded(pd.concat([a, b], ignore_index=True), categories)
    label = np.r_[np.zeros(len(a)), np.ones(len(b))]
    return float(roc_auc_score(label, cross_val_predict(classifier(), X, label, cv=3, method="predict_proba")[:, 1]))


def diagnose(model, X_train: pd.DataFrame, y_train: np.ndarray, categories: dict) -> dict:
    """How far the generated classes are from the real ones: separability of real vs synthetic rows per class,
    and of the two classes within each source (a model that exaggerates its classes separates them too well)."""
    target = next(c for c in model.feature_names_in_ if c not in X_train.columns)
    n = int(min((y_train == 1).sum(), (y_train == 0).sum(), 3000))
    real = {k: X_train[y_train == k].sample(n, random_state=0) for k in (0, 1)}
    syn = {k: model.sample(n, conditions={target: k}, random_state=k).drop(columns=target)[X_train.columns] for k in (0, 1)}
    out = {"rows_per_set": n, "real_vs_synthetic_positive": separability(real[1], syn[1], categories),
           "real_vs_synthetic_negative": separability(real[0], syn[0], categories),
           "positive_vs_negative_real": separability(real[0], real[1], categories),
           "positive_vs_negative_synthetic": separability(syn[0], syn[1], categories)}
    print("separability (3-fold ROC AUC)", out, flush=True)
    return out


def split_data(rows: int | None):
    """(X_train, X_test, y_train, y_test, categories, positive share): the split every run here uses."""
    df = diabetes()
    y = (df["readmitted"] == "<30").astype(int).to_numpy()
    X = df.drop(columns=DROP)
    if rows:
        X, _, y, _ = train_test_split(X, y, train_size=rows, stratify=y, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    X_train, X_test = X_train.reset_index(drop=True), X_test.reset_index(drop=True)
    categories = {c: sorted(X[c].dropna().unique()) for c in X.columns if X[c].dtype == object}
    return X_train, X_test, y_train, y_test, categories, float(y.mean())


def smote_nc(X_train: pd.DataFrame, y_train: np.ndarray, categories: dict, sampling_strategy="auto"):
    """imbalanced-learn's SMOTE-NC; it needs complete rows, so categorical gaps travel as a level (numbers here have none)."""
    text = list(categories)
    filled = X_train.copy()
    filled[text] = filled[text].fillna("missing")
    smote = SMOTENC(categorical_features=[X_train.columns.get_loc(c) for c in text], sampling_strategy=sampling_strategy, random_state=0)
    X_smote, y_smote = smote.fit_resample(filled, y_train)
    X_smote[text] = X_smote[text].replace("missing", np.nan)
    return X_smote, y_smote


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--rows", type=int, default=None, help="use a stratified subset of this many rows")
    parser.add_argument("--class-focus", type=float, default=None, help="SyntheticOversampler's class_focus")
    parser.add_argument("--out", default="augment_diabetes", help="results/<OUT>.{json,md}")
    parser.add_argument("--save-model", default=None, help="also save the fitted oversampler's model here (bench_augment_variants.py)")
    args = parser.parse_args()
    X_train, X_test, y_train, y_test, categories, share = split_data(args.rows)
    results = {"data": {"train": len(X_train), "test": len(X_test), "positive_share": share, "columns": X_train.shape[1]}}
    results["real_only"] = score("real only", X_train, y_train, X_test, y_test, categories)

    start = time.perf_counter()
    X_smote, y_smote = smote_nc(X_train, y_train, categories)
    results["smote_nc"] = {**score("real + SMOTE-NC", X_smote, y_smote, X_test, y_test, categories), "seconds": time.perf_counter() - start}

    start = time.perf_counter()
    sampler = SyntheticOversampler(model=CTGAN(epochs=args.epochs, verbose=True), class_focus=args.class_focus, random_state=0)
    X_syn, y_syn = sampler.fit_resample(X_train, pd.Series(y_train, name="early_readmission"))
    results["synthgan"] = {**score("real + synthgan", X_syn, y_syn.to_numpy(), X_test, y_test, categories),
                           "seconds": time.perf_counter() - start, "epochs": args.epochs, "class_focus": args.class_focus,
                           "separability": diagnose(sampler.model_, X_train, y_train, categories)}
    if args.save_model:
        sampler.model_.save(args.save_model)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# Class balancing on diabetes-130 (early readmission, {share:.1%} positives; "
             f"{len(X_train)} train / {len(X_test)} held-out real test rows)", "",
             "| training data | rows | balanced accuracy | F1 (positive) | ROC AUC | seconds to resample |", "|---|---|---|---|---|---|"]
    for key, label in [("real_only", "real only"), ("smote_nc", "real + SMOTE-NC"), ("synthgan", f"real + synthgan (CTGAN, {args.epochs} epochs, class_focus={args.class_focus})")]:
        r = results[key]
        lines.append(f"| {label} | {r['rows']} | {r['balanced_accuracy']:.4f} | {r['f1']:.4f} | {r['roc_auc']:.4f} | {r.get('seconds', 0):.0f} |")
    sep = results["synthgan"]["separability"]
    lines += ["", f"Separability (3-fold ROC AUC of a classifier telling two row sets apart, {sep['rows_per_set']} rows each; 0.5 = alike): "
              f"real vs synthetic positives {sep['real_vs_synthetic_positive']:.3f}, negatives {sep['real_vs_synthetic_negative']:.3f}; "
              f"positives vs negatives: real {sep['positive_vs_negative_real']:.3f}, synthetic {sep['positive_vs_negative_synthetic']:.3f}."]
    (RESULTS / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
