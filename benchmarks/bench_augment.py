"""Class balancing on real, imbalanced data: diabetes-130 hospitals, early readmission
(``readmitted == "<30"``, ~11% positives). A gradient-boosting classifier is trained on the real
training split only, on real + SMOTE-NC rows (imbalanced-learn), and on real + synthgan rows
(``SyntheticOversampler`` with CTGAN), and scored on the same held-out real split. ``--splits K``
repeats it on K random splits (seeds 0..K-1) and reports means, standard errors and the paired
synthgan - SMOTE-NC differences.

    python benchmarks/bench_augment.py --rows 30000       # one conditional CTGAN, 300 epochs, ~25 min -> results/augment_diabetes.*
    python benchmarks/bench_augment.py --rows 30000 --per-class --epochs 3000 --realism-filter 3 --splits 5 --out augment_diabetes_per_class  # ~40 min
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
from sklearn.model_selection import train_test_split

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


def classifier() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)


def score(
    name: str,
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    categories: dict,
) -> dict:
    clf = classifier().fit(encoded(X_train, categories), y_train)
    proba = clf.predict_proba(encoded(X_test, categories))[:, 1]
    pred = (proba >= 0.5).astype(int)
    out = {
        "rows": len(X_train),
        "positives": int(y_train.sum()),
        "balanced_accuracy": balanced_accuracy_score(y_test, pred),
        "f1": f1_score(y_test, pred),
        "roc_auc": roc_auc_score(y_test, proba),
    }
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
SYSTEMS = ("real_only", "smote_nc", "synthgan")


def run_split(seed: int, args: argparse.Namespace) -> dict:
    """The three training sets of one split, scored on its held-out real rows."""
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
    """Mean and standard error per system and metric, and of the paired synthgan - SMOTE-NC differences."""

    def stats(values: list[float]) -> dict:
        v = np.asarray(values, dtype=float)
        return {"mean": float(v.mean()), "se": float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None}

    out = {name: {m: stats([r[name][m] for r in splits]) for m in METRICS} for name in SYSTEMS}
    out["synthgan_minus_smote_nc"] = {
        m: stats([r["synthgan"][m] - r["smote_nc"][m] for r in splits]) for m in METRICS
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
        "smote_nc": "real + SMOTE-NC",
        "synthgan": f"real + synthgan ({model})",
    }
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
            for k in SYSTEMS
        ]
    if len(splits) > 1:
        lines += [
            "",
            "Mean (standard error) over the splits; the last row pairs each split's synthgan and SMOTE-NC scores:",
            "",
            "| training data | balanced accuracy | F1 (positive) | ROC AUC |",
            "|---|---|---|---|",
        ]
        for key, label in [*labels.items(), ("synthgan_minus_smote_nc", "synthgan - SMOTE-NC")]:
            sign = "+" if key == "synthgan_minus_smote_nc" else ""
            cells = [f"{summary[key][m]['mean']:{sign}.4f} ({summary[key][m]['se']:.4f})" for m in METRICS]
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
