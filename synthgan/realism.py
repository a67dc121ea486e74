"""Rank generated rows by how recognisably synthetic they are, for keeping the most realistic ones.

A gradient-boosting classifier is cross-fitted (3 folds) to tell real rows from a pool of generated
ones; each pool row's out-of-fold probability of being generated orders the pool. Keeping the head
of that order drops rows that carry a generator's tell-tale artefacts (impossible combinations,
collapsed codes) while the rows kept stay generated: none is a real record. It is the selection
step of ``SyntheticOversampler(realism_filter=...)``.

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> real = pd.DataFrame({"x": rng.normal(0, 1, 300), "c": rng.choice(["a", "b"], 300)})
    >>> pool = pd.DataFrame({"x": np.r_[rng.normal(0, 1, 300), rng.normal(8, 1, 300)], "c": ["a"] * 600})
    >>> order = realism_order(real, pool)
    >>> bool((order[:300] < 300).mean() > 0.9)        # the rows like the real ones come first
    True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import cross_val_predict

from .evaluation.columns import as_labels, as_numbers

#: HistGradientBoosting's native categorical support takes at most this many levels per column.
MAX_CATEGORICAL_LEVELS = 255


def realism_order(real: pd.DataFrame, pool: pd.DataFrame) -> np.ndarray:
    """Positions of ``pool``'s rows from the least to the most recognisably synthetic (stable)."""
    return np.argsort(other_scores(real, pool)[len(real) :], kind="stable")


def other_scores(real: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    """Out-of-fold probability (3 folds) that a row belongs to ``other`` rather than ``real``, for the
    rows of ``real`` then those of ``other``; its ROC AUC is their separability (0.5: alike)."""
    features, categorical = _encode(pd.concat([real, other[real.columns]], ignore_index=True))
    label = np.r_[np.zeros(len(real)), np.ones(len(other))]
    classifier = HistGradientBoostingClassifier(categorical_features=categorical or None, random_state=0)
    return cross_val_predict(classifier, features, label, cv=3, method="predict_proba")[:, 1]


def _encode(frame: pd.DataFrame) -> tuple[np.ndarray, list[int]]:
    """Numbers (and datetimes) as floats; other columns as level codes, categorical when they have at
    most MAX_CATEGORICAL_LEVELS levels, else ordinal. Missing stays NaN."""
    columns, categorical = [], []
    for j, name in enumerate(frame.columns):
        series = frame[name]
        numeric = pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series)
        if numeric and not pd.api.types.is_bool_dtype(series):
            columns.append(as_numbers(series))
            continue
        codes, levels = pd.factorize(as_labels(series), sort=True)
        columns.append(np.where(codes >= 0, codes, np.nan).astype(np.float64))
        if len(levels) <= MAX_CATEGORICAL_LEVELS:
            categorical.append(j)
    return np.column_stack(columns), categorical
