"""One categorical column as compact integer codes (one-hot is built per batch, never for the whole table).

Levels are the distinct values seen in training, sorted; a missing value is its own last level.
Keeping int32 codes instead of a dense one-hot is what lets a 100,000-row table with ~800-level
ICD-9 columns fit in memory.

Example:
    >>> import pandas as pd
    >>> enc = CategoryEncoder.fit(pd.Series(["b", "a", None, "b"]))
    >>> enc.levels, enc.has_nan, enc.transform(pd.Series(["b", "a", None, "b"])).tolist()
    (['a', 'b'], True, [1, 0, 2, 1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import SchemaError


@dataclass(frozen=True)
class CategoryEncoder:
    """Fitted levels of one column; ``width`` counts the missing level when there were gaps."""

    levels: list
    has_nan: bool

    @property
    def width(self) -> int:
        return len(self.levels) + int(self.has_nan)

    @classmethod
    def fit(cls, series: pd.Series) -> "CategoryEncoder":
        values = pd.unique(series.dropna().to_numpy(dtype=object))
        return cls(levels=[json_scalar(v) for v in sort_levels(values)], has_nan=bool(series.isna().any()))

    def transform(self, series: pd.Series) -> np.ndarray:
        """Integer codes (int32, n); raises SchemaError if the data holds a level not seen in training."""
        values = series.to_numpy(dtype=object)
        missing = pd.isna(values)
        keys = pd.Index(self.levels, dtype=object)
        codes = keys.get_indexer(values[~missing]) if self.levels else np.full(int((~missing).sum()), -1)
        if (codes < 0).any():
            raise SchemaError(
                f"column {series.name!r} holds {int((codes < 0).sum())} values of levels not seen in training"
            )
        if missing.any() and not self.has_nan:
            raise SchemaError(f"column {series.name!r} has missing values but had none in training")
        out = np.full(len(values), len(self.levels), dtype=np.int32)
        out[~missing] = codes
        return out

    def inverse(self, codes: np.ndarray) -> np.ndarray:
        """Object array of levels, NaN for the missing level."""
        table = np.array([*self.levels, np.nan], dtype=object)
        return table[np.minimum(codes, len(self.levels))]

    def to_dict(self) -> dict:
        return {"levels": list(self.levels), "has_nan": self.has_nan}

    @classmethod
    def from_dict(cls, data: dict) -> "CategoryEncoder":
        return cls(levels=list(data["levels"]), has_nan=bool(data["has_nan"]))


def json_scalar(value):
    """A plain Python scalar (str/int/float/bool) for a level, so levels survive a JSON round trip."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def sort_levels(values: np.ndarray) -> list:
    """Levels in a stable order: natural order when comparable, else by type name then text."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))
