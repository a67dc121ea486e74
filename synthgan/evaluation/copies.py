"""Exact copies: a hash per row, the share of synthetic rows equal to a training row, and the count of
synthetic rows that copy a training record which is unique in the training data and absent from the
holdout (such a row singles out one person).

Counts, not rates: ``CopyGuard`` keeps the hashes of those unique records (in memory only, never
written) and counts matches chunk by chunk, so every exported row can be checked. Chance coincidences
(tables of few, low-cardinality columns) are judged by what real rows do: the larger of the holdout's
rate of matching a unique training record and the pooled rate at which a real row (training or
held out) equals another real row, scaled to the training rows' share (more evidence than the holdout
alone). The allowance for N synthetic rows is the 99% binomial quantile at that rate
(``streams.CHANCE_CONFIDENCE``): 0 whenever no real row coincides with another.

Example:
    >>> import pandas as pd
    >>> from synthgan.evaluation.columns import Columns
    >>> cols = Columns(("x",), ("c",), {})
    >>> train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "c", "d"]})
    >>> guard = CopyGuard(train, pd.DataFrame({"x": [9.0], "c": ["z"]}), cols)
    >>> guard.update(pd.DataFrame({"x": [1.0, 2.0, 7.0, 1.0], "c": ["a", "b", "q", "a"]}))
    3
    >>> guard.figures()["unique_copies"], guard.allowed(4)
    (3, 0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom, poisson

from .columns import Columns, as_labels
from .streams import CHANCE_CONFIDENCE


def row_keys(frame: pd.DataFrame, cols: Columns) -> np.ndarray:
    """A 64-bit hash per row over the scored columns, equal for rows equal in value (dtypes aside)."""
    canon = {c: np.round(cols.numbers(frame, c), 9) for c in cols.numeric}
    canon.update({c: as_labels(frame[c]).fillna("\x00<NA>").to_numpy() for c in cols.categorical})
    return pd.util.hash_pandas_object(pd.DataFrame(canon, index=range(len(frame))), index=False).to_numpy()


def exact_match_rate(candidates: pd.DataFrame, train: pd.DataFrame, cols: Columns) -> float:
    """Share of ``candidates`` rows identical to some training row."""
    return float(np.isin(row_keys(candidates, cols), row_keys(train, cols)).mean())


class CopyGuard:
    """Counts rows that copy a training record unique in training and absent from the holdout."""

    def __init__(self, train: pd.DataFrame, holdout: pd.DataFrame | None, cols: Columns) -> None:
        self.cols = cols
        trained = row_keys(train, cols)
        keys, counts = np.unique(trained, return_counts=True)
        unique = keys[counts == 1]
        self.unique_training_rows = int(unique.size)
        self.chance_rate: float | None = None
        self.holdout_rate: float | None = None
        if holdout is not None and len(holdout):
            held = row_keys(holdout, cols)
            self.holdout_rate = float(np.isin(held, unique).mean())
            every = np.concatenate([trained, held])
            _, inverse, counts = np.unique(every, return_inverse=True, return_counts=True)
            pooled = float((counts[inverse] > 1).mean()) * len(trained) / max(len(every) - 1, 1)
            self.chance_rate = max(self.holdout_rate, pooled)
            unique = unique[~np.isin(unique, held)]
        self._keys = unique
        self.count = 0
        self.rows = 0

    def update(self, frame: pd.DataFrame) -> int:
        """Count the copies in one chunk of synthetic rows (and add them to the running total)."""
        found = int(np.isin(row_keys(frame, self.cols), self._keys).sum()) if len(frame) else 0
        self.count += found
        self.rows += len(frame)
        return found

    def allowed(self, rows: int) -> int | None:
        """Copies that ``rows`` fresh real rows would show by chance (99% quantile, ``CHANCE_CONFIDENCE``);
        None without a holdout."""
        if self.chance_rate is None:
            return None
        return int(binom.ppf(CHANCE_CONFIDENCE, rows, self.chance_rate)) if self.chance_rate > 0 else 0

    def figures(self) -> dict:
        """Report entries for the rows counted so far."""
        allowed = self.allowed(self.rows)
        reason = {"not_evaluated": "needs a real holdout to tell copies from chance coincidences"}
        return {
            "unique_copies": self.count,
            "unique_copies_checked_rows": self.rows,
            "unique_training_records": self.unique_training_rows,
            "unique_copies_holdout_rate": reason if self.holdout_rate is None else self.holdout_rate,
            "unique_copies_chance_rate": reason if self.chance_rate is None else self.chance_rate,
            "unique_copies_allowed": reason if allowed is None else allowed,
            "unique_copies_excess": reason if allowed is None else self.count - allowed,
        }


def value_pileup(train: pd.Series, synthetic: pd.Series, step: float, window: int = 5) -> int:
    """Largest excess, over numeric values seen once in training, of a value's count in ``synthetic`` above
    what 3 times the mean count of the grid values within ``window`` steps of it allows (Poisson, 99.99%).

    0 for a generator that emits one patient's value no more often than the values around it; large where
    output piles up on it (as clipping to a column's exact extremes did: one patient's value in 3% of rows).
    """
    counts = pd.to_numeric(train, errors="coerce").dropna().value_counts()
    emitted = pd.to_numeric(synthetic, errors="coerce").dropna().round(6).value_counts()
    worst = 0
    for value in counts.index[counts == 1]:
        around = [round(float(value) + k * step, 6) for k in range(-window, window + 1) if k]
        expected = 3 * float(np.mean([emitted.get(v, 0) for v in around]))
        worst = max(
            worst, int(emitted.get(round(float(value), 6), 0) - poisson.ppf(0.9999, max(expected, 1.0)))
        )
    return worst
