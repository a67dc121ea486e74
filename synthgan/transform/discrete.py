"""One categorical column as compact integer codes (one-hot is built per batch, never for the whole table).

Levels are the distinct values seen in training at least k times (``min_count``, 5 by default),
sorted; a missing value is its own last level. Rarer levels are never stored: text levels are merged
into one ``"(other)"`` level (when together they reach k rows), numbers into the nearest kept level,
anything else into the most frequent level - with a warning naming the column. Keeping int32 codes
instead of a dense one-hot is what lets a 100,000-row table with ~800-level ICD-9 columns fit in memory.

Example:
    >>> import pandas as pd
    >>> enc = CategoryEncoder.fit(pd.Series(["b", "a", None, "b"]), min_count=1)
    >>> enc.levels, enc.has_nan, enc.transform(pd.Series(["b", "a", None, "b"])).tolist()
    (['a', 'b'], True, [1, 0, 2, 1])
    >>> rare = CategoryEncoder.fit(pd.Series(["x"] * 6 + ["y"] * 6 + ["p", "q", "r", "s", "t"]))
    >>> rare.levels, rare.transform(pd.Series(["x", "q"])).tolist()
    (['x', 'y', '(other)'], [0, 2])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import SchemaError
from ..schema import SchemaWarning
from .bounds import MIN_COUNT

#: The level rare text levels are merged into.
OTHER = "(other)"


@dataclass(frozen=True)
class CategoryEncoder:
    """Fitted levels of one column; ``width`` counts the missing level when there were gaps."""

    levels: list
    has_nan: bool
    absorb: str | None = None  # where levels not stored go: "other", "nearest" or "mode" (None: refused)
    absorb_code: int = -1  # the level they go to ("other" and "mode")

    @property
    def width(self) -> int:
        return len(self.levels) + int(self.has_nan)

    @classmethod
    def fit(cls, series: pd.Series, min_count: int = MIN_COUNT) -> CategoryEncoder:
        counts = series.dropna().astype(object).value_counts()
        kept = counts[counts >= min_count]
        rare = counts[counts < min_count]
        if rare.empty:
            return cls(
                levels=[json_scalar(v) for v in sort_levels(counts.index.to_numpy())],
                has_nan=bool(series.isna().any()),
            )
        text = all(isinstance(v, str) for v in counts.index)
        if kept.empty and not text:  # no level to stand for the rest without storing one patient's
            raise SchemaError(
                f"column {series.name!r}: every level is seen fewer than {min_count} times "
                f"({int(counts.sum())} rows in all): too few to learn without storing a single patient's "
                "value; drop the column"
            )
        levels = [json_scalar(v) for v in sort_levels(kept.index.to_numpy())]
        numeric = all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
            for v in counts.index
        )
        if text and (rare.sum() >= min_count or not levels) and OTHER not in levels:
            absorb, code, where = "other", len(levels), f"merged into {OTHER!r}"
            levels.append(OTHER)
        elif numeric:
            absorb, code, where = "nearest", -1, "merged into the nearest kept level"
        else:
            absorb, code, where = (
                "mode",
                levels.index(json_scalar(kept.index[0])),
                "merged into the most frequent level",
            )
        warnings.warn(
            f"column {series.name!r}: {len(rare)} levels seen fewer than {min_count} times "
            f"({int(rare.sum())} rows) "
            f"are not stored; they are {where}",
            SchemaWarning,
            stacklevel=4,
        )
        return cls(levels=levels, has_nan=bool(series.isna().any()), absorb=absorb, absorb_code=code)

    def transform(self, series: pd.Series) -> np.ndarray:
        """Integer codes (int32, n); raises SchemaError if the data holds a level not seen in training."""
        values = series.to_numpy(dtype=object)
        missing = pd.isna(values)
        keys = pd.Index(self.levels, dtype=object)
        codes = keys.get_indexer(values[~missing]) if self.levels else np.full(int((~missing).sum()), -1)
        if (codes < 0).any() and self.absorb is not None:
            codes = self._absorbed(codes, values[~missing])
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

    def _absorbed(self, codes: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Codes with every level not stored (-1) replaced by the level it is merged into."""
        unknown = codes < 0
        if self.absorb != "nearest":
            return np.where(unknown, self.absorb_code, codes)
        kept = np.array(self.levels, dtype=np.float64)
        wanted = pd.to_numeric(pd.Series(values[unknown], dtype=object), errors="coerce").to_numpy(
            dtype=np.float64
        )
        codes = codes.copy()
        codes[unknown] = np.where(
            np.isnan(wanted), -1, np.abs(np.nan_to_num(wanted)[:, None] - kept[None, :]).argmin(axis=1)
        )
        return codes

    def to_dict(self) -> dict:
        return {
            "levels": list(self.levels),
            "has_nan": self.has_nan,
            "absorb": self.absorb,
            "absorb_code": self.absorb_code,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CategoryEncoder:
        return cls(
            levels=list(data["levels"]),
            has_nan=bool(data["has_nan"]),
            absorb=data.get("absorb"),
            absorb_code=int(data.get("absorb_code", -1)),
        )


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
