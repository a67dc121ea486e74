"""Class balancing on real, imbalanced data: diabetes-130 hospitals, early readmission
(``readmitted == "<30"``, ~11% positives). A gradient-boosting classifier is trained on the real
training split only - as it is, with class weights, and with its decision threshold tuned (for balanced
accuracy, for F1) by 5-fold cross-validation on the training rows, the usual answers to imbalance that add
no rows - on real + SMOTE-NC rows (imbalanced-learn), and on real + synthgan rows
(``SyntheticOversampler`` with CTGAN), and scored on the same held-out real split. ``--splits K``
repeats it on K random splits (seeds 0..K-1) and reports means, standard errors and the paired
differences synthgan - each other system.

    python benchmarks/bench_augment.py --rows 30000       # one conditional CTGAN, 300 epochs, ~25 min -> results/augment_diabetes.*
    python benchmarks/bench_augment.py --rows 30000 --per-class --epochs 3000 --realism-filter 3 --splits 5 --out augment_diabetes_per_class  # ~45 min
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _data import diabetes
from imblearn.over_sampling import SMOTENC
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split

from synthgan import CTGAN, SyntheticOversampler
from synthgan.realism import other_scores

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


def classifier(class_weight: str | None = None) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        categorical_features="from_dtype", class_weight=class_weight, random_state=0
    )


def score(
    name: str,
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    categories: dict,
    class_weight: str | None = None,
    tuned_for: str | None = None,
) -> dict:
    """Fit on the training rows, score on the test rows. ``class_weight="balanced"`` weights the classes
    inversely to their counts; ``tuned_for`` (a scikit-learn scorer name) moves the decision threshold
    from 0.5 to the one that maximises that score in 5-fold cross-validation on the training rows."""
    clf = classifier(class_weight)
    if tuned_for:
        clf = TunedThresholdClassifierCV(clf, scoring=tuned_for, cv=5, random_state=0)
    clf.fit(encoded(X_train, categories), y_train)
    X = encoded(X_test, categories)
    proba = clf.predict_proba(X)[:, 1]
    pred = clf.predict(X) if tuned_for else (proba >= 0.5).astype(int)
    out = {
        "rows": len(X_train),
        "positives": int(y_train.sum()),
        "balanced_accuracy": balanced_accuracy_score(y_test, pred),
        "f1": f1_score(y_test, pred),
        "roc_auc": roc_auc_score(y_test, proba),
    }
    if tuned_for:
        out["threshold"] = float(clf.best_threshold_)
    print(name, out, flush=True)
    return out


def separability(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """3-fold ROC AUC of a classifier telling rows of ``a`` from rows of ``b`` (0.5: indistinguishable)."""
    return float(roc_auc_score(np.r_[np.zeros(len(a)), np.ones(len(b))], other_scores(a, b)))


def diagnose(sampler: SyntheticOversampler, X_train: pd.DataFrame, y_train: np.ndarray) -> dict:
    """How far the generated classes are from the real ones: separability of real vs synthetic rows per class,
    and of the two classes within each source (a model that exaggerates its classes separates them too well).
    Per-class models exist for the positives only, so only their row is measured then."""
    n = int(min((y_train == 1).sum(), (y_train == 0).sum(), 3000))
    real = {k: X_train[y_train == k].sample(n, random_state=0) for k in (0, 1)}
    if sampler.per_class:
        syn = {1: sampler.models_[1].sample(n, random_state=1)[X_train.columns]}
    else:
        model = sampler.models_[1]
        target = next(c for c in model.feature_names_in_ if c not in X_train.columns)
        syn = {
            k: model.sample(n, conditions={target: k}, random_state=k).drop(columns=target)[X_train.columns]
            for k in (0, 1)
        }
    out = {"rows_per_set": n, "real_vs_synthetic_positive": separability(real[1], syn[1])}
    if not sampler.per_class:
        out |= {
            "real_vs_synthetic_negative": separability(real[0], syn[0]),
            "positive_vs_negative_real": separability(real[0], real[1]),
            "positive_vs_negative_synthetic": separability(syn[0], syn[1]),
        }
    print("separability (3-fold ROC AUC)", out, flush=True)
    return out


def split_data(rows: int | None, seed: int = 0):
    """(X_train, X_test, y_train, y_test, categories, positive share): the stratified split of ``seed``
    (0: the one every single-split run here uses)."""
    df = diabetes()
    y = (df["readmitted"] == "<30").astype(int).to_numpy()
    X = df.drop(columns=DROP)
    if rows:
        X, _, y, _ = train_test_split(X, y, train_size=rows, stratify=y, random_state=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    X_train, X_test = X_train.reset_index(drop=True), X_test.reset_index(drop=True)
    categories = {c: sorted(X[c].dropna().unique()) for c in X.columns if X[c].dtype == object}
    return X_train, X_test, y_train, y_test, categories, float(y.mean())


def smote_nc(X_train: pd.DataFrame, y_train: np.ndarray, categories: dict, sampling_strategy="auto"):
    """imbalanced-learn's SMOTE-NC; it needs complete rows, so categorical gaps travel as a level (numbers here have none)."""
    text = list(categories)
    filled = X_train.copy()
    filled[text] = filled[text].fillna("missing")
    smote = SMOTENC(
        categorical_features=[X_train.columns.get_loc(c) for c in text],
        sampling_strategy=sampling_strategy,
        random_state=0,
    )
    X_smote, y_smote = smote.fit_resample(filled, y_train)
    X_smote[text] = X_smote[text].replace("missing", np.nan)
    return X_smote, y_smote


METRICS = ("balanced_accuracy", "f1", "roc_auc")
SYSTEMS = (
    "real_only",
    "real_class_weights",
    "real_threshold_ba",
    "real_threshold_f1",
    "smote_nc",
    "synthgan",
)
#: The real-only answers to imbalance a user would try first (no new rows), beside the oversamplers.
BASELINES = {
    "real_class_weights": ("real only, class weights", {"class_weight": "balanced"}),
    "real_threshold_ba": (
        "real only, threshold tuned for balanced accuracy",
        {"tuned_for": "balanced_accuracy"},
    ),
    "real_threshold_f1": ("real only, threshold tuned for F1", {"tuned_for": "f1"}),
}


def run_split(seed: int, args: argparse.Namespace) -> dict:
    """Every system of one split (the real-only baselines, SMOTE-NC, synthgan), scored on its held-out real rows."""
    X_train, X_test, y_train, y_test, categories, share = split_data(args.rows, seed)
    result = {
        "seed": seed,
        "data": {
            "train": len(X_train),
            "test": len(X_test),
            "positive_share": share,
            "columns": X_train.shape[1],
        },
    }
    result["real_only"] = score("real only", X_train, y_train, X_test, y_test, categories)
    for key, (label, options) in BASELINES.items():
        result[key] = score(label, X_train, y_train, X_test, y_test, categories, **options)
    start = time.perf_counter()
    X_smote, y_smote = smote_nc(X_train, y_train, categories)
    result["smote_nc"] = {
        **score("real + SMOTE-NC", X_smote, y_smote, X_test, y_test, categories),
        "seconds": time.perf_counter() - start,
    }
    start = time.perf_counter()
    sampler = SyntheticOversampler(
        model=CTGAN(epochs=args.epochs, verbose=args.splits == 1),
        class_focus=args.class_focus,
        per_class=args.per_class,
        realism_filter=args.realism_filter,
        random_state=seed,
    )
    X_syn, y_syn = sampler.fit_resample(X_train, pd.Series(y_train, name="early_readmission"))
    result["synthgan"] = {
        **score("real + synthgan", X_syn, y_syn.to_numpy(), X_test, y_test, categories),
        "seconds": time.perf_counter() - start,
        "separability": diagnose(sampler, X_train, y_train),
    }
    if args.save_model and seed == 0:
        sampler.models_[1].save(args.save_model)
    return result


def summarise(splits: list[dict]) -> dict:
    """Mean and standard error per system and metric, and of the paired differences synthgan - each other
    system (splits that lack a system, from runs before it existed, are left out of its figures)."""

    def stats(values: list[float]) -> dict:
        v = np.asarray(values, dtype=float)
        return {"mean": float(v.mean()), "se": float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None}

    out = {}
    for name in SYSTEMS:
        measured = [r for r in splits if name in r]
        if not measured:
            continue
        out[name] = {m: stats([r[name][m] for r in measured]) for m in METRICS}
        if name != "synthgan":
            out[f"synthgan_minus_{name}"] = {
                m: stats([r["synthgan"][m] - r[name][m] for r in measured]) for m in METRICS
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--rows", type=int, default=None, help="use a stratified subset of this many rows")
    parser.add_argument("--class-focus", type=float, default=None, help="SyntheticOversampler's class_focus")
    parser.add_argument(
        "--per-class",
        action="store_true",
        help="SyntheticOversampler(per_class=True): a model of the positives alone",
    )
    parser.add_argument(
        "--realism-filter",
        type=float,
        default=None,
        help="SyntheticOversampler's realism_filter (pool size factor)",
    )
    parser.add_argument(
        "--splits", type=int, default=1, help="repeat on this many random splits (seeds 0..K-1)"
    )
    parser.add_argument("--out", default="augment_diabetes", help="results/<OUT>.{json,md}")
    parser.add_argument(
        "--save-model",
        default=None,
        help="also save split 0's positive-class model here (bench_augment_variants.py)",
    )
    args = parser.parse_args()
    splits = [run_split(seed, args) for seed in range(args.splits)]
    setup = {
        "epochs": args.epochs,
        "rows": args.rows,
        "class_focus": args.class_focus,
        "per_class": args.per_class,
        "realism_filter": args.realism_filter,
        "splits": args.splits,
    }
    results = {"setup": setup, "summary": summarise(splits), "splits": splits}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(results))
    print(markdown(results))


def markdown(results: dict) -> str:
    setup, summary, splits = results["setup"], results["summary"], results["splits"]
    data = splits[0]["data"]
    model = (
        f"{'a CTGAN per class to grow' if setup['per_class'] else 'one conditional CTGAN'}, {setup['epochs']} epochs"
        + "".join(f", {k}={setup[k]}" for k in ("class_focus", "realism_filter") if setup.get(k) is not None)
    )
    labels = {
        "real_only": "real only",
        **{key: label for key, (label, _) in BASELINES.items()},
        "smote_nc": "real + SMOTE-NC",
        "synthgan": f"real + synthgan ({model})",
    }
    labels = {key: label for key, label in labels.items() if key in summary}
    lines = [
        f"# Class balancing on diabetes-130 (early readmission, {data['positive_share']:.1%} positives; "
        f"{data['train']} train / {data['test']} held-out real test rows; {len(splits)} split(s))",
        "",
        "| split | training data | rows | balanced accuracy | F1 (positive) | ROC AUC | seconds to resample |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in splits:
        lines += [
            f"| {r['seed']} | {labels[k]} | {r[k]['rows']} | {r[k]['balanced_accuracy']:.4f} | {r[k]['f1']:.4f} | {r[k]['roc_auc']:.4f} | "
            f"{r[k].get('seconds', 0):.0f} |"
            for k in labels
            if k in r
        ]
    if len(splits) > 1:
        lines += [
            "",
            "Mean (standard error) over the splits:",
            "",
            "| training data | balanced accuracy | F1 (positive) | ROC AUC |",
            "|---|---|---|---|",
        ]
        for key, label in labels.items():
            cells = [f"{summary[key][m]['mean']:.4f} ({summary[key][m]['se']:.4f})" for m in METRICS]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines += [
            "",
            "synthgan minus each other system, paired by split: mean (standard error)",
            "",
            "| synthgan - | balanced accuracy | F1 (positive) | ROC AUC |",
            "|---|---|---|---|",
        ]
        for key, label in labels.items():
            if key != "synthgan":
                paired = summary[f"synthgan_minus_{key}"]
                cells = [f"{paired[m]['mean']:+.4f} ({paired[m]['se']:.4f})" for m in METRICS]
                lines.append(f"| {label} | " + " | ".join(cells) + " |")
    sep = splits[0]["synthgan"]["separability"]
    line = (
        f"Separability, split {splits[0]['seed']} (3-fold ROC AUC of a classifier telling two row sets apart, {sep['rows_per_set']} rows each; "
        f"0.5 = alike): real vs synthetic positives {sep['real_vs_synthetic_positive']:.3f}"
    )
    if "real_vs_synthetic_negative" in sep:
        line += (
            f", negatives {sep['real_vs_synthetic_negative']:.3f}; positives vs negatives: real {sep['positive_vs_negative_real']:.3f}, "
            f"synthetic {sep['positive_vs_negative_synthetic']:.3f}"
        )
    return "\n".join([*lines, "", line + "."]) + "\n"


if __name__ == "__main__":
    main()
