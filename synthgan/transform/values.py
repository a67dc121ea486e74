"""Convert a column to plain float values for modelling, and restore floats or levels to its original dtype.

Datetimes become seconds since the start of the year of the column's median value (exact in float64 for
any real span), with the finest unit present (day, hour, ..., nanosecond) kept as the rounding step; text
dates keep their strftime format. Integers round to whole numbers; decimals to the places the data shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import DATETIME, INTEGER, ColumnSpec

_NS = 1_000_000_000
_TIME_STEPS_NS = (86_400 * _NS, 3_600 * _NS, 60 * _NS, _NS, 1_000_000, 1_000, 1)
_MAX_DECIMALS = 6


def to_float(series: pd.Series, spec: ColumnSpec, origin_ns: int | None = None) -> tuple[np.ndarray, dict]:
    """Float64 values (NaN = missing) and the extra state needed to restore them (origin, step).

    A datetime's origin is ``origin_ns`` when given (transform), else the start of its median value's
    year: a round date on every step's grid, never the earliest timestamp (one patient's date)."""
    if spec.kind == DATETIME:
        ns, tz = _datetime_ns(series, spec)
        present = ns[~np.isnan(ns)]
        if origin_ns is not None:
            origin = int(origin_ns)
        else:
            origin = _year_start_ns(np.sort(present)[present.size // 2]) if present.size else 0
        step_ns = next(s for s in _TIME_STEPS_NS if np.all(np.mod(present, s) == 0))
        seconds = (ns - origin) / _NS
        return seconds, {"origin_ns": origin, "tz": tz, "step": step_ns / _NS}
    x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return x, {"step": 1.0 if spec.kind == INTEGER else decimal_step(x[~np.isnan(x)])}


def _year_start_ns(ns: float) -> int:
    year = pd.Timestamp(int(ns), unit="ns").year
    return int(pd.Timestamp(year=year, month=1, day=1).value)


def decimal_step(finite: np.ndarray) -> float:
    """10**-d for the fewest decimals d (<= 6) that every value has, else 0 (no rounding)."""
    sample = finite[:10_000]
    for d in range(_MAX_DECIMALS + 1):
        scaled = sample * 10.0**d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return 10.0**-d
    return 0.0


def _datetime_ns(series: pd.Series, spec: ColumnSpec) -> tuple[np.ndarray, str | None]:
    if spec.datetime_format:
        stamps = pd.to_datetime(series, format=spec.datetime_format, errors="coerce")
    else:
        stamps = pd.to_datetime(series, errors="coerce")
    tz = str(stamps.dt.tz) if stamps.dt.tz is not None else None
    if tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    ns = stamps.astype("datetime64[ns]").to_numpy().view(np.int64).astype(np.float64)
    ns[stamps.isna().to_numpy()] = np.nan
    return ns, tz


def restore_numeric(x: np.ndarray, spec: ColumnSpec, extra: dict) -> pd.Series:
    """Floats (NaN = missing) back to the column's original dtype."""
    if spec.kind == DATETIME:
        missing = np.isnan(x)
        ns = np.where(missing, 0, np.round(x * _NS)).astype(np.int64) + np.int64(extra["origin_ns"])
        ns[missing] = np.iinfo(np.int64).min  # NaT
        stamps = pd.Series(ns.view("datetime64[ns]"))
        if extra.get("tz"):
            stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(extra["tz"])
        if spec.datetime_format:
            return stamps.dt.strftime(spec.datetime_format).astype(object).where(stamps.notna(), np.nan)
        return stamps.astype(spec.dtype)
    return cast_series(pd.Series(x), spec.dtype)


def restore_levels(values: np.ndarray, spec: ColumnSpec, extra: dict) -> pd.Series:
    """An object array of levels (NaN = missing) back to the column's original dtype."""
    series = pd.Series(values, dtype=object)
    if spec.dtype == "category":
        dtype = pd.CategoricalDtype(extra.get("categories"), ordered=bool(extra.get("ordered")))
        return series.astype(dtype)
    return cast_series(series, spec.dtype)


def cast_series(series: pd.Series, dtype: str) -> pd.Series:
    """Cast to ``dtype``; where the values cannot hold it (NaN in an int/bool column) keep a faithful
    fallback."""
    try:
        if dtype.startswith(("int", "uint")) and series.isna().any():
            dtype = "Int64" if dtype.startswith("int") else "UInt64"
        elif dtype == "bool" and series.isna().any():
            dtype = "boolean"
        if series.dtype.kind == "f" and dtype.startswith(("Int", "UInt")):
            masked = _masked_integers(series.to_numpy(), dtype)
            if masked is not None:
                return masked
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series


def _masked_integers(x: np.ndarray, dtype: str) -> pd.Series | None:
    """Whole floats (NaN = missing) as a nullable integer Series, built from values and mask directly:
    pandas' float-to-Int64 ``astype`` checks element by element (3 ms per 100k rows). None when some
    value is fractional or out of range, so the caller's ``astype`` decides as before."""
    numpy_dtype = pd.api.types.pandas_dtype(dtype).numpy_dtype
    missing = np.isnan(x)
    filled = np.where(missing, 0.0, x)
    info = np.iinfo(numpy_dtype)
    # float(info.max) rounds up to 2**63 (2**64 unsigned), the first float out of range: hence >=
    if not np.array_equal(filled, np.trunc(filled)) or (
        filled.size and (filled.min() < info.min or filled.max() >= float(info.max))
    ):
        return None
    values = filled.astype(numpy_dtype)
    return pd.Series(pd.arrays.IntegerArray(values, missing), dtype=dtype)


def category_dtype_state(series: pd.Series) -> dict:
    """For a pandas category column, its declared categories and order (so unseen ones survive a round
    trip)."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return {}
    from .discrete import json_scalar

    return {
        "categories": [json_scalar(c) for c in series.dtype.categories],
        "ordered": bool(series.dtype.ordered),
    }
