"""How rules compare values: numbers and datetimes as floats, levels by value or spelling, row keys.

Example:
    >>> import pandas as pd
    >>> matches(pd.Series([7, 8, None]), "7").tolist()
    [True, False, False]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..exceptions import SchemaError
from ..schema import CATEGORICAL, DATETIME, INTEGER, ColumnSpec
from ..transform.values import _datetime_ns, cast_series


def as_number(series: pd.Series, spec: ColumnSpec | None = None) -> np.ndarray:
    """Float64 values (NaN = missing): numbers as they are, datetimes (or date text) as seconds since 1970;
    with the column's ``spec``, text dates are parsed with its format."""
    if spec is not None:
        return numbers(series, spec)
    if _is_dates(series):
        stamps = pd.to_datetime(series, errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = stamps.astype("datetime64[ns]").to_numpy().view(np.int64).astype(np.float64)
        ns[stamps.isna().to_numpy()] = np.nan
        return ns / 1e9
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _is_dates(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return True
    if series.dtype != object:
        return False
    present = series.dropna()
    return (
        bool(len(present))
        and pd.api.types.infer_dtype(present, skipna=True) == "string"
        and bool(pd.to_datetime(present.iloc[:50], errors="coerce").notna().all())
    )


def offset_seconds(offset, label: str) -> float:
    """A datetime offset in seconds: a number of seconds or a pandas duration text (``"1D"``, ``"12h"``)."""
    if offset in (None, 0, "0"):
        return 0.0
    if _is_number(offset):
        return float(offset)
    try:
        return pd.Timedelta(str(offset)).total_seconds()
    except ValueError:
        raise SchemaError(
            f"constraint {label!r}: offset {offset!r} is not a duration such as '1D' or '12h'"
        ) from None


#: The units a date sum's number parts may count, in seconds.
DATE_UNITS = {"D": 86400.0, "h": 3600.0, "min": 60.0, "s": 1.0}


def unit_seconds(unit: str, label: str) -> float:
    """Seconds in one ``unit`` of time: ``"D"`` (24 hours), ``"h"``, ``"min"`` or ``"s"``."""
    if unit not in DATE_UNITS:
        raise SchemaError(f"constraint {label!r}: unit {unit!r} is not one of 'D', 'h', 'min' or 's'")
    return DATE_UNITS[unit]


def sum_terms(frame: pd.DataFrame, rule, schema=None) -> tuple[dict, dict, float]:
    """A sum rule's columns in one unit - ``(terms, dated, scale)``: float64 per column (NaN = missing), dates
    as seconds since 1970 and numbers times ``scale`` (the seconds in the rule's unit; 1 without one), and
    which columns are dates."""
    scale = 1.0 if rule.unit is None else unit_seconds(rule.unit, rule.describe())
    specs = {c: schema[c] if schema is not None and c in schema.names else None for c in rule.columns}
    dated = {c: specs[c].kind == DATETIME if specs[c] else _is_dates(frame[c]) for c in rule.columns}
    terms = {c: as_number(frame[c], specs[c]) * (1.0 if dated[c] else scale) for c in rule.columns}
    return terms, dated, scale


def sum_sides(frame: pd.DataFrame, rule, schema=None) -> tuple[np.ndarray, np.ndarray]:
    """A sum rule's (sum of the parts, total) in ``sum_terms``' unit, NaN where a value is missing."""
    terms = sum_terms(frame, rule, schema)[0]
    return np.sum([terms[c] for c in rule.parts], axis=0), terms[rule.total]


def matches(series: pd.Series, value) -> np.ndarray:
    """Rows equal to ``value`` (``None`` matches missing; "7" matches the number 7, as conditions do)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return series.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        try:
            target = float(value)
        except (TypeError, ValueError):
            return np.zeros(len(series), dtype=bool)
        x = as_number(series)
        return np.isclose(x, target, rtol=1e-12, atol=0.0) & ~np.isnan(x)
    direct = (series == value).fillna(False).to_numpy(dtype=bool)
    if isinstance(value, str) and direct.any():
        return direct  # the level is there as text: no other spelling of it to look for
    return direct | (series.astype(str) == str(value)).to_numpy() & series.notna().to_numpy()


def combination_keys(frame: pd.DataFrame, columns) -> list[tuple]:
    """One hashable key per row for the values of ``columns`` (missing as None, numbers as floats)."""
    return list(zip(*(column_keys(frame[c]) for c in columns)))


def column_keys(series: pd.Series) -> list:
    """``_key`` of every value, computed once per distinct value (pandas factorizes in C)."""
    codes, keys = column_codes(series)
    return keys[codes].tolist()


def column_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, keys)``: each value's index into ``keys``, an object array of ``_key``s whose last entry,
    None, is the missing values' (code -1)."""
    values = series.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("mixed", "mixed-integer"):
        uniques, codes = values, np.arange(len(values))  # True == 1 to pandas, not to _key
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = np.empty(len(uniques) + 1, dtype=object)
    keys[:-1] = [_key(u) for u in uniques]
    return codes, keys


def _key(value):
    if isinstance(value, tuple):  # already a key
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


# ---- restoring rewritten columns ----------------------------------------------------------------
def numbers(series: pd.Series, spec: ColumnSpec) -> np.ndarray:
    """Float64 (NaN = missing): numbers as they are, datetimes as seconds since 1970 (UTC)."""
    if spec.kind == DATETIME:
        ns, _ = _datetime_ns(series, spec)
        return ns / 1e9
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def time_zone(series: pd.Series, spec: ColumnSpec) -> str | None:
    return _datetime_ns(series, spec)[1] if spec.kind == DATETIME else None


def restore_numbers(x: np.ndarray, spec: ColumnSpec, tz: str | None) -> pd.Series:
    if spec.kind == DATETIME:
        from ..transform.values import restore_numeric

        return restore_numeric(x, spec, {"origin_ns": 0, "tz": tz}).to_numpy()
    return cast_series(pd.Series(x), spec.dtype).to_numpy()


def restore_group_levels(values: np.ndarray, spec: ColumnSpec, dtype_state: dict) -> np.ndarray | pd.Series:
    series = pd.Series(values, dtype=object)
    if dtype_state.get("dtype") == "category":
        return pd.Categorical(
            values, categories=dtype_state.get("categories"), ordered=bool(dtype_state.get("ordered"))
        )
    return cast_series(series, spec.dtype).to_numpy()


def restore_like(column: pd.Series, spec: ColumnSpec):
    if spec.kind == CATEGORICAL and spec.dtype == "category":
        return column.astype("category")
    return cast_series(column.reset_index(drop=True), spec.dtype).to_numpy()


def clip_range(series: pd.Series, rule, spec: ColumnSpec):
    """Values clipped into a ``Range`` rule's bounds (one step inside an exclusive bound)."""
    x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    whole = spec.kind == INTEGER
    if rule.low is not None:
        low = float(rule.low)
        if whole:
            low = float(math.ceil(low)) if rule.low_inclusive else float(math.floor(low) + 1)
        elif not rule.low_inclusive:
            low = float(np.nextafter(low, np.inf))
        x = np.where(x < low, low, x)
    if rule.high is not None:
        high = float(rule.high)
        if whole:
            high = float(math.floor(high)) if rule.high_inclusive else float(math.ceil(high) - 1)
        elif not rule.high_inclusive:
            high = float(np.nextafter(high, -np.inf))
        x = np.where(x > high, high, x)
    return cast_series(pd.Series(x), spec.dtype).to_numpy()
