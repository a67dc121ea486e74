"""Metrics that train a model: detection (can a classifier tell real from synthetic?) and ML efficacy
(does a model trained on synthetic rows predict real held-out rows as well as one trained on real?).

Both use scikit-learn's HistGradientBoosting on the row embedding of ``distance.py``, on seeded
subsamples of at most ``cap`` rows per table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, f1_score, r2_score
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

from .columns import Columns, as_labels, as_numbers
from .distance import RowEmbedding
from .privacy import row_keys, subsample

DETECTION_FOLDS = 3


def detection_auc(real: pd.DataFrame, other: pd.DataFrame, cols: Columns, rng: np.random.Generator, cap: int) -> float:
    """Cross-validated ROC AUC of a classifier separating real rows from ``other`` (0.5 = indistinguishable)."""
    from sklearn.metrics import roc_auc_score

    n = min(len(real), len(other), cap)
    emb = RowEmbedding(real, cols)
    a, b = subsample(real, n, rng), subsample(other, n, rng)
    x = np.concatenate([emb.transform(a), emb.transform(b)])
    y = np.r_[np.zeros(n), np.ones(n)]
    # identical rows share a fold: otherwise a copied row's twin, labelled the other way, is learned
    groups = np.unique(np.concatenate([row_keys(a, cols), row_keys(b, cols)]), return_inverse=True)[1]
    folds = StratifiedGroupKFold(DETECTION_FOLDS, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
    clf = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    proba = cross_val_predict(clf, x, y, groups=groups, cv=folds, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba))


def ml_efficacy(
    train: pd.DataFrame, candidates: pd.DataFrame, holdout: pd.DataFrame, target: str, cols: Columns, rng: np.random.Generator, cap: int
) -> dict:
    """Score on the real holdout of a model trained on ``candidates`` vs one trained on the real rows.

    Categorical target: macro F1 (and accuracy); numeric target: R^2. ``ratio`` = candidates / real.
    """
    features = Columns(
        tuple(c for c in cols.numeric if c != target), tuple(c for c in cols.categorical if c != target), {}
    )
    emb = RowEmbedding(train, features)
    classify = target in cols.categorical
    test_x = emb.transform(holdout)
    test_y = as_labels(holdout[target]).fillna("<NA>").to_numpy() if classify else as_numbers(holdout[target])

    def fit_score(frame: pd.DataFrame) -> dict:
        frame = subsample(frame, cap, rng)
        x = emb.transform(frame)
        if classify:
            y = as_labels(frame[target]).fillna("<NA>").to_numpy()
            if len(set(y)) < 2:
                return {"f1_macro": 0.0, "accuracy": float(np.mean(y[0] == test_y))}
            pred = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(x, y).predict(test_x)
            return {"f1_macro": float(f1_score(test_y, pred, average="macro")), "accuracy": float(accuracy_score(test_y, pred))}
        y = as_numbers(frame[target])
        keep, test_keep = ~np.isnan(y), ~np.isnan(test_y)
        pred = HistGradientBoostingRegressor(max_iter=100, random_state=0).fit(x[keep], y[keep]).predict(test_x[test_keep])
        return {"r2": float(r2_score(test_y[test_keep], pred))}

    on_real, on_candidates = fit_score(train), fit_score(candidates)
    key = "f1_macro" if classify else "r2"
    ratio = on_candidates[key] / on_real[key] if on_real[key] > 0 else float("nan")
    return {"ratio": float(ratio), "metric": key, "train_on_real": on_real, "train_on_synthetic": on_candidates}
