"""Column roles for evaluation, and an aligned view of real / synthetic / holdout tables.

Evaluation needs to know which columns are numbers (continuous, integer, datetime: compared as
numbers) and which are categories; identifiers and constants are reported but not scored.
Datetimes become int64 nanoseconds, as SDMetrics does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import SchemaError
from ..schema import CATEGORICAL, CONSTANT, CONTINUOUS, DATETIME, IDENTIFIER, INTEGER, Schema

NUMERIC_KINDS = (CONTINUOUS, INTEGER, DATETIME)


@dataclass(frozen=True)
class Columns:
    """Scored columns by role, in schema order."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    skipped: dict[str, str]  # column -> why it is not scored
    formats: dict[str, str] = field(default_factory=dict)  # text date column -> its strftime format

    def numbers(self, frame: pd.DataFrame, column: str) -> np.ndarray:
        """``as_numbers`` of ``frame[column]``, text dates read in the column's schema format."""
        return as_numbers(frame[column], self.formats.get(column))

    @property
    def scored(self) -> tuple[str, ...]:
        return tuple(c for c in (*self.numeric, *self.categorical))

    @classmethod
    def from_schema(cls, schema: Schema) -> "Columns":
        skipped = {}
        for spec in schema.columns:
            if spec.kind == IDENTIFIER:
                skipped[spec.name] = "identifier (unique per row; not learned)"
            elif spec.kind == CONSTANT:
                skipped[spec.name] = "constant in the real data"
        return cls(
            numeric=tuple(c.name for c in schema.columns if c.kind in NUMERIC_KINDS),
            categorical=tuple(c.name for c in schema.columns if c.kind == CATEGORICAL),
            skipped=skipped,
            formats={
                c.name: c.datetime_format for c in schema.columns if c.kind == DATETIME and c.datetime_format
            },
        )


def check_same_columns(real: pd.DataFrame, other: pd.DataFrame, label: str) -> None:
    """Raise a one-line SchemaError unless ``other`` has exactly the real table's columns."""
    missing = [c for c in real.columns if c not in other.columns]
    extra = [c for c in other.columns if c not in real.columns]
    if missing or extra:
        raise SchemaError(
            f"the {label} table does not match the real one: missing columns {missing[:10]}, unexpected "
            f"{extra[:10]}"
        )
    if len(other) == 0:
        raise SchemaError(f"the {label} table has no rows")


def as_numbers(series: pd.Series, fmt: str | None = None) -> np.ndarray:
    """Float64 values of a numeric or datetime column (NaN = missing); datetimes as int64 nanoseconds.
    Text dates in ``fmt`` (the schema's format: every table read alike), else value by value."""
    text = pd.api.types.infer_dtype(series, skipna=True) == "string"
    if pd.api.types.is_datetime64_any_dtype(series) or text:
        stamps = pd.to_datetime(series, errors="coerce", format=fmt if text and fmt else "mixed")
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        values = stamps.astype("datetime64[ns]").to_numpy().view(np.int64).astype(np.float64)
        values[stamps.isna().to_numpy()] = np.nan
        return values
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def as_labels(series: pd.Series) -> pd.Series:
    """Category labels comparable across tables (text; 1.0 and 1 are the same level; missing stays NaN)."""
    present = series.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        whole = present & np.isfinite(values) & (values == np.round(values))
        text = values.astype(str).astype(object)
        text[whole] = values[whole].astype(np.int64).astype(str)
    else:
        text = series.astype(str).to_numpy(dtype=object)
    text[~present] = np.nan
    return pd.Series(text, index=series.index, dtype=object)
