"""How a sum holds: which of its columns is derived from the others, and deriving it.

Any one column of ``a + b == total`` follows from the other two, and which one the plan derives matters:
the derived column's distribution is only as good as the model's joint of the others. On the breast cancer
table of ``benchmarks/bench_constraints.py`` (diagnosis date + days to recurrence == recurrence date), a
model that keeps the recurrence date and the days close to real misses how the days shrink for later
diagnoses (follow-up ended on one date), so a recurrence date built from the other two is far off where a
diagnosis date built from them is close. So after training the plan generates rows, derives each
candidate column in turn and keeps the one whose values match the training column's distribution best
(Kolmogorov-Smirnov), among the columns no other rule rewrites and whose derived values are exact (a whole
number of days for an integer column, say); the total when none is exact. Before that choice, and for model
files from before it, a sum derives its total.

Example:
    >>> import pandas as pd
    >>> from synthgan.constraints import Sum
    >>> frame = pd.DataFrame({"a": [1.0, 2.0], "b": [5.0, 5.0], "total": [9.0, 9.0]})
    >>> derive(Sum(["a", "b"], "total"), "a", frame).tolist()
    [4.0, 4.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import INTEGER
from ..transform.bounds import robust_bounds
from .rules import Sum
from .values import as_number, numbers, restore_numbers, sum_terms


def derived_column(rule, state: dict) -> str:
    """The column the sum writes (its total unless the plan chose another)."""
    return state.get("derived", rule.total)


def derive(rule, column: str, frame: pd.DataFrame, schema=None, tz: str | None = None):
    """``column``'s values from the sum's other columns (where one of them is missing, the value as it is),
    in the column's own type: dates restored with ``tz``, integers rounded."""
    terms, dated, scale = sum_terms(frame, rule, schema)
    spec = schema[column] if schema is not None and column in schema.names else None
    others = np.sum([terms[c] for c in rule.parts if c != column], axis=0)
    value = others if column == rule.total else terms[rule.total] - others
    value = value if dated[column] else value / scale
    missing = np.isnan(value)
    value[missing] = as_number(frame[column], spec)[missing]
    if spec is None:
        return value
    if spec.kind == INTEGER:
        value = np.round(value)
    return restore_numbers(value, spec, tz)


def choose(rule, state: dict, rows: pd.DataFrame, real: pd.DataFrame, schema, taken: set[str]) -> str:
    """The column to derive: among the sum's columns not in ``taken`` (rewritten by other rules), the one
    whose derived values in ``rows`` obey the rule exactly and lie nearest the ``real`` column's
    distribution; the total when no other does better."""
    best, best_distance = rule.total, np.inf
    for column in [rule.total, *rule.parts]:
        if column in taken:
            continue
        tz = state["tz"] if column == rule.total else state.get("tz_parts", {}).get(column)
        trial = rows.copy()
        trial[column] = derive(rule, column, rows, schema, tz)
        if rule.violations(trial, schema).any():
            continue
        distance = _ks(as_number(real[column], schema[column]), as_number(trial[column], schema[column]))
        if distance < best_distance - 1e-12:
            best, best_distance = column, distance
    return best


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov statistic (the largest gap between the empirical CDFs)."""
    a, b = np.sort(a[~np.isnan(a)]), np.sort(b[~np.isnan(b)])
    if not len(a) or not len(b):
        return np.inf
    grid = np.concatenate([a, b])
    gap = np.searchsorted(a, grid, side="right") / len(a) - np.searchsorted(b, grid, side="right") / len(b)
    return float(np.abs(gap).max())


def choose_derived(plan, generated: pd.DataFrame, real: pd.DataFrame) -> None:
    """Choose the column each constructed sum derives (``choose``) from ``generated`` rows (the
    model's, in the columns it learned) and the ``real`` table; a choice that would make the rules'
    order cyclic (so another rule would change) falls back to the total."""
    rows = plan.inverse(generated, sums=False)
    for i in plan.constructed(Sum):
        rule, s = plan.rules[i], plan.state[i]
        s.pop("derived", None)
        column = choose(rule, s, rows, real, plan.schema, plan.written_by_others(i))
        before = [dict(x) for x in plan.state]
        s["derived"] = column
        plan.reorder()  # a choice that moves another rule (to rejection, another derived column): undone
        after = [dict(x, derived=column) if j == i else x for j, x in enumerate(before)]
        if plan.state != after:
            plan.state[:] = before
            plan.state[i].pop("derived", None)
            plan.reorder()
        column = derived_column(rule, plan.state[i])
        rows[column] = derive(rule, column, rows, plan.schema, plan.tz_of(i, column))


def untangle(plan, pending: list[int], cycle: list[int]) -> bool:
    """Let a sum in a cycle of constructed rules derive another of its columns (one no other rule
    rewrites) if that gives every rule an order: an exact equality cannot fall back to rejection. True when
    one did."""
    from .plan import _sequence

    for i in [j for j in cycle if isinstance(plan.rules[j], Sum) and "column_bounds" in plan.state[j]]:
        rule, s = plan.rules[i], plan.state[i]
        current = derived_column(rule, s)
        others = set().union(set(), *(plan.writes(j) for j in pending if j != i))
        for column in [c for c in (rule.total, *rule.parts) if c != current and c not in others]:
            s["derived"] = column
            if not _sequence(plan.rules, list(pending), {j: plan.writes(j) for j in pending})[1]:
                return True
        s["derived"] = current
    return False


def column_bounds(frame: pd.DataFrame, rule, schema, min_count: int) -> dict[str, list[float]]:
    """Robust training bounds of every column of a sum (the one it derives must stay within them)."""
    out = {}
    for c in rule.columns:
        x = numbers(frame[c], schema[c])
        out[c] = [float(b) for b in robust_bounds(x[~np.isnan(x)], min_count)]
    return out
