"""What each rule held by construction stores, fitted from the training rows: the gap's unit, offset,
reference and bounds of an inequality; the kept combinations of a fixed-combination group. No training row
and no single patient's value: bounds are top- and bottom-coded (``robust_bounds``), references rounded,
combinations kept only when seen at least k times.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pandas as pd

from ..exceptions import SchemaError
from ..schema import DATETIME, INTEGER, Schema, SchemaWarning
from ..transform.bounds import MIN_COUNT, robust_bounds
from ..transform.discrete import json_scalar
from ..transform.values import category_dtype_state, decimal_step
from .rules import FixedCombinations, Inequality
from .values import _key, combination_keys, numbers, offset_seconds, time_zone

_TIME_UNITS = (86_400.0, 3_600.0, 60.0, 1.0, 1e-3, 1e-6, 1e-9)


def fit_inequality(rule: Inequality, frame: pd.DataFrame, schema: Schema) -> dict:
    low_spec, high_spec = schema[rule.low], schema[rule.high]
    low, high = numbers(frame[rule.low], low_spec), numbers(frame[rule.high], high_spec)
    dates = high_spec.kind == DATETIME
    offset = offset_seconds(rule.offset, rule.describe()) if dates else float(rule.offset or 0)
    if dates:
        both = np.concatenate([low[~np.isnan(low)], high[~np.isnan(high)]])
        unit = next(
            (u for u in _TIME_UNITS if np.allclose(np.round(both / u) * u, both, rtol=0.0, atol=1e-6 * u)),
            0.0,
        )
        median = np.nanmedian(low) if np.isfinite(low).any() else np.nanmedian(high)
        reference = (
            pd.Timestamp(int(median * 1e9), unit="ns")
            .replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0, nanosecond=0)
            .value
            / 1e9
        )
        tz, tz_low = time_zone(frame[rule.high], high_spec), time_zone(frame[rule.low], low_spec)
    else:
        if low_spec.kind == INTEGER and high_spec.kind == INTEGER and float(offset).is_integer():
            unit = 1.0
        else:
            steps = [decimal_step(x[~np.isnan(x)]) for x in (low, high)]
            unit = min(steps) if all(s > 0 for s in steps) else 0.0
        median = np.nanmedian(low) if np.isfinite(low).any() else np.nanmedian(high)
        reference = float(f"{median:.2g}") if median else 0.0
        if unit > 0:
            reference = round(reference / unit) * unit
        tz = tz_low = None
    if unit > 0 and not float(offset / unit).is_integer():
        unit = 0.0  # an offset off the columns' grid: learn the gap as a plain number
    present = high[~np.isnan(high)]
    bounds = [float(b) for b in robust_bounds(present, MIN_COUNT)] if present.size else None
    lows = low[~np.isnan(low)]
    low_bounds = [float(b) for b in robust_bounds(lows, MIN_COUNT)] if lows.size else None
    return {
        "how": "construct",
        "unit": unit,
        "offset": offset,
        "reference": float(reference),
        "tz": tz,
        "tz_low": tz_low,
        "bounds": bounds,
        "low_bounds": low_bounds,
    }


def fit_combinations(
    rule: FixedCombinations, frame: pd.DataFrame, schema: Schema, k: int, merged: bool = True
) -> dict:
    """The combinations seen at least ``k`` times, most frequent first; ``merged``: the group is learned as
    one column (its name, the kept combinations' counts and the members' dtypes are stored too)."""
    keys = combination_keys(frame, rule.group)
    counts = Counter(keys)
    originals = {}
    for row, key in zip(frame[list(rule.group)].itertuples(index=False, name=None), keys):
        originals.setdefault(key, row)
    kept = sorted((key for key, n in counts.items() if n >= k), key=lambda key: -counts[key])
    if not kept:
        raise SchemaError(
            f"constraint {rule.describe()!r}: no combination is seen {k} times; too few rows to keep it"
        )
    rare = [key for key in counts if counts[key] < k]
    if rare:
        how = "learned as the nearest kept combination" if merged else "rejected when generated"
        warnings.warn(
            f"constraint {rule.describe()!r}: {len(rare)} combinations seen fewer than {k} times "
            f"({sum(counts[r] for r in rare)} rows) are {how} and never emitted",
            SchemaWarning,
            stacklevel=4,
        )
    combos = [[None if _key(v) is None else json_scalar(v) for v in originals[key]] for key in kept]
    if not merged:
        return {"combinations": combos}
    name = "|".join(rule.group)
    while name in schema.names:
        name = f"_{name}"
    dtypes = [{"dtype": schema[c].dtype, **_kept_categories(frame[c], k)} for c in rule.group]
    return {
        "how": "construct",
        "column": name,
        "combinations": combos,
        "counts": [int(counts[key]) for key in kept],
        "dtypes": dtypes,
    }


def nearest(key: tuple, combos: list, counts: list) -> int:
    """The kept combination sharing most values with ``key`` (the most frequent among ties)."""
    best = max(
        range(len(combos)),
        key=lambda i: (sum(_key(a) == b for a, b in zip(combos[i], key)), counts[i]),
    )
    return best


def _kept_categories(series: pd.Series, k: int) -> dict:
    """A pandas category column's declared categories, less those seen 1..k-1 times (one patient's)."""
    state = category_dtype_state(series)
    if "categories" in state:
        counts = series.value_counts()
        state["categories"] = [c for c in state["categories"] if not 0 < counts.get(c, 0) < k]
    return state
