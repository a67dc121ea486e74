"""An inequality held by construction: the model learns the gap ``high - low - offset``, and these rebuild
the sides from a generated gap (``s`` is the state ``state.fit_inequality`` fitted).

- ``rebuild_high``: ``high`` from ``low`` and the gap, raised to the minimum gap (0, or one step when strict),
  within ``high``'s robust training bounds and raised where ``low`` needs more; where ``low`` is missing, from
  the round reference value.
- ``rebuild_low``: a condition fixed ``high``; ``low`` is ``high - offset - gap`` where it was generated
  present.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import INTEGER, Schema
from .rules import Inequality
from .values import numbers, restore_numbers


def rebuild_high(rule: Inequality, s: dict, out: pd.DataFrame, schema: Schema) -> pd.Series:
    """``high`` rebuilt from ``low`` (or the reference) and the generated gap in ``out[rule.high]``."""
    gap = pd.to_numeric(out[rule.high], errors="coerce").to_numpy(dtype=np.float64)
    low = numbers(out[rule.low], schema[rule.low])
    present = ~np.isnan(low)
    steps = gap * s["unit"] if s["unit"] > 0 else gap
    smallest = (s["unit"] if s["unit"] > 0 else 0.0) if rule.strict else 0.0
    with np.errstate(invalid="ignore"):
        steps = np.where(present & (steps < smallest), smallest, steps)
    base = np.where(present, low, s["reference"]) + s["offset"]
    high = base + steps
    if s.get("bounds"):  # within the column's robust training bounds (then raised where low needs it)
        high = np.clip(high, *s["bounds"])
        high = np.where(present & (high < base + smallest), base + smallest, high)
    if rule.strict and s["unit"] == 0:  # a float that rounds back onto low + offset moves one ulp up
        high = np.where(present & (high <= base), np.nextafter(base, np.inf), high)
    if schema[rule.high].kind == INTEGER:  # whole numbers: up, so the rule survives the cast
        high = np.ceil(high - 1e-9)
        if rule.strict:
            high = np.where(present & (high <= base), np.floor(base) + 1, high)
    return restore_numbers(high, schema[rule.high], s.get("tz"))


def rebuild_low(rule: Inequality, s: dict, out: pd.DataFrame, value: float, schema: Schema):
    """``high`` fixed to ``value``: ``low`` is ``value - offset - gap`` where it was generated present (a
    row whose ``low`` then leaves its robust training bounds is rejected by ``sampling.fixed_violations``)."""
    gap = pd.to_numeric(out[rule.high], errors="coerce").to_numpy(dtype=np.float64)
    low = numbers(out[rule.low], schema[rule.low])
    steps = gap * s["unit"] if s["unit"] > 0 else gap
    smallest = (s["unit"] if s["unit"] > 0 else 0.0) if rule.strict else 0.0
    with np.errstate(invalid="ignore"):
        steps = np.where(np.isnan(steps), smallest, np.maximum(steps, smallest))
    if rule.strict and s["unit"] == 0:
        steps = np.maximum(steps, np.spacing(abs(value)) * 4)
    rebuilt = np.where(np.isnan(low), np.nan, value - s["offset"] - steps)
    if schema[rule.low].kind == INTEGER:  # whole numbers: down, so the rule survives the cast
        rebuilt = np.floor(rebuilt + 1e-9)
        if rule.strict:
            rebuilt = np.where(rebuilt >= value - s["offset"], np.ceil(value - s["offset"]) - 1, rebuilt)
    high = np.full(len(out), value)
    return (
        restore_numbers(rebuilt, schema[rule.low], s.get("tz_low", s.get("tz"))),
        restore_numbers(high, schema[rule.high], s.get("tz")),
    )
