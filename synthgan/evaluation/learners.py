"""Metrics that train a model: detection (can a classifier tell real from synthetic?) and ML efficacy
(does a model trained on synthetic rows predict real held-out rows as well as one trained on real?).

Both use scikit-learn's HistGradientBoosting on the row embedding of ``distance.py``. Like for like:
detection compares equal numbers of rows from each side and averages the per-fold AUCs; ML efficacy
trains on as many synthetic rows as real ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, f1_score, r2_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from .columns import Columns, as_labels, as_numbers
from .copies import row_keys
from .distance import RowEmbedding
from .privacy import subsample
from .streams import seed_of

DETECTION_FOLDS = 3


def detection_auc(
    real: pd.DataFrame, other: pd.DataFrame, cols: Columns, rng: np.random.Generator, n: int
) -> float:
    """Mean over folds of the ROC AUC of a classifier separating ``n`` real rows from ``n`` rows of
    ``other`` (0.5 = indistinguishable). Each fold's AUC is computed on its own held-out predictions."""
    emb = RowEmbedding(real, cols)
    a, b = subsample(real, n, rng), subsample(other, n, rng)
    x = np.concatenate([emb.transform(a), emb.transform(b)])
    y = np.r_[np.zeros(len(a)), np.ones(len(b))]
    # identical rows share a fold: otherwise a copied row's twin, labelled the other way, is learned
    groups = np.unique(np.concatenate([row_keys(a, cols), row_keys(b, cols)]), return_inverse=True)[1]
    folds = StratifiedGroupKFold(DETECTION_FOLDS, shuffle=True, random_state=seed_of(rng))
    aucs = []
    for fit_rows, test_rows in folds.split(x, y, groups):
        if len(np.unique(y[test_rows])) < 2:
            continue
        clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed_of(rng)).fit(
            x[fit_rows], y[fit_rows]
        )
        aucs.append(roc_auc_score(y[test_rows], clf.predict_proba(x[test_rows])[:, 1]))
    if not aucs:
        raise ValueError("no fold holds rows of both tables")
    return float(np.mean(aucs))


def ml_efficacy(
    train: pd.DataFrame,
    candidates: pd.DataFrame,
    holdout: pd.DataFrame,
    target: str,
    cols: Columns,
    rng: np.random.Generator,
    cap: int,
) -> dict:
    """Score on the real holdout of a model trained on ``candidates`` vs one trained on the real rows.

    Categorical target: macro F1 (and accuracy); numeric target: R^2. ``ratio`` = candidates / real.
    Both models train on the same number of rows (at most ``cap``).
    """
    features = Columns(
        tuple(c for c in cols.numeric if c != target), tuple(c for c in cols.categorical if c != target), {}
    )
    emb = RowEmbedding(train, features)
    classify = target in cols.categorical
    test_x = emb.transform(holdout)
    test_y = as_labels(holdout[target]).fillna("<NA>").to_numpy() if classify else as_numbers(holdout[target])

    size = min(len(train), len(candidates), cap)

    def fit_score(frame: pd.DataFrame) -> dict:
        frame = subsample(frame, size, rng)
        x = emb.transform(frame)
        if classify:
            y = as_labels(frame[target]).fillna("<NA>").to_numpy()
            if len(set(y)) < 2:
                return {"f1_macro": 0.0, "accuracy": float(np.mean(y[0] == test_y))}
            pred = (
                HistGradientBoostingClassifier(max_iter=100, random_state=seed_of(rng))
                .fit(x, y)
                .predict(test_x)
            )
            return {
                "f1_macro": float(f1_score(test_y, pred, average="macro")),
                "accuracy": float(accuracy_score(test_y, pred)),
            }
        y = as_numbers(frame[target])
        keep, test_keep = ~np.isnan(y), ~np.isnan(test_y)
        pred = (
            HistGradientBoostingRegressor(max_iter=100, random_state=seed_of(rng))
            .fit(x[keep], y[keep])
            .predict(test_x[test_keep])
        )
        return {"r2": float(r2_score(test_y[test_keep], pred))}

    on_real, on_candidates = fit_score(train), fit_score(candidates)
    key = "f1_macro" if classify else "r2"
    ratio = on_candidates[key] / on_real[key] if on_real[key] > 0 else float("nan")
    return {
        "ratio": float(ratio),
        "metric": key,
        "rows": size,
        "train_on_real": on_real,
        "train_on_synthetic": on_candidates,
    }
