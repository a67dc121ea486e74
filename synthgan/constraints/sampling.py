"""Sampling under constraints: conditions mapped onto what the model learned, rows rewritten by the plan,
and rejection (with an early error) for the rules the plan keeps by rejection.

A condition on a column of a fixed-combination group that no kept combination holds is an error naming
the rule; where the group is learned as one column, the condition becomes one on that column (the set of
kept combinations that hold it). Conditions an if-then rule contradicts are refused before anything is
generated. When every rule holds by construction and no condition can be undone by a rule, one pass gives
the rows; otherwise each pass keeps the rows that obey every rule and meet every condition, and the
acceptance rate of the first pass decides early whether the request can finish within ``MAX_OVERDRAW``
times the rows asked for. Without conditions, the rows that pass are kept with the balance's probability
(``calibration.py``), so the rules do not move the shares of their columns' levels.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from ..exceptions import ConditionError, ConstraintError
from ..schema import CONTINUOUS, DATETIME, INTEGER
from .calibration import keep_probability
from .plan import ConstraintPlan
from .rules import FixedCombinations, IfThen, Inequality, Range, Sum
from .values import matches, numbers

#: Give up when the rows asked for would need more than this many times as many generated rows.
MAX_OVERDRAW = 200
#: Rows generated in the first pass under rejection, so the acceptance rate is estimated on enough rows.
FIRST_PASS = 512


def sample_constrained(
    plan: ConstraintPlan,
    transformer,
    n: int,
    conditions: Mapping | None,
    rng: np.random.Generator,
    draw: Callable[[int, list, np.random.Generator], pd.DataFrame],
) -> pd.DataFrame:
    """``n`` rows obeying every rule of ``plan`` and meeting ``conditions``; ``draw(k, conds, rng)`` gives
    ``k`` generated rows in the transformer's columns."""
    from ..synthesizers.conditions import Condition, level_code, resolve

    if conditions is not None and not isinstance(conditions, Mapping):
        raise ConditionError('conditions must be a mapping like {"column": value}')
    conditions = dict(conditions or {})
    for column in conditions:
        if column not in plan.schema.names:
            raise ConditionError(
                f"unknown condition column {column!r}; the table has {plan.schema.names[:20]}"
            )
    check_conditions(plan, conditions)
    matching = {}  # group index -> ids of its kept combinations that hold the conditions on its columns
    for i, rule in enumerate(plan.rules):  # however the group is held, refuse what no kept combination has
        if not isinstance(rule, FixedCombinations):
            continue
        wanted = {c: v for c, v in conditions.items() if c in rule.group}
        if not wanted:
            continue
        matching[i] = combinations_matching(plan, i, wanted)
        if not matching[i]:
            asked = ", ".join(f"{k}={v!r}" for k, v in wanted.items())
            raise ConstraintError(
                f"the conditions {asked} match no combination the constraint {rule.describe()!r} keeps"
            )
    plain, groups, fixed = {}, [], {}  # groups: the groups learned as one column that conditions touch
    for column, value in conditions.items():
        found = group_of(plan, column)
        if found is not None:
            groups += [] if found[0] in groups else [found[0]]
        elif plan.schema[column].kind in (CONTINUOUS, INTEGER, DATETIME) and fixes(plan, column):
            fixed[column] = fixed_value(plan, column, value)
        else:
            plain[column] = value
    check_fixed(plan, fixed)
    conds = resolve(plain, transformer)
    layout = transformer.layout_
    onehot = [s.column for s in layout.onehot_spans]
    category = [s.column for s in layout.category_spans]
    for i in groups:
        column = plan.state[i]["column"]
        encoder = transformer.encoders_[column]
        codes = tuple(sorted({level_code(encoder, column, k) for k in matching[i]}))
        conds.append(Condition(column, onehot.index(column), category.index(column), codes[0], codes))
    written = plan.written()
    recheck = {c: v for c, v in plain.items() if c in written}
    if not plan.rejects and not recheck and not fixed:
        return plan.inverse(draw(n, conds, rng))
    parts, got, drawn = [], 0, 0
    while got < n:
        need = n - got
        ask = (
            max(need, FIRST_PASS)  # enough rows to estimate the acceptance rate, however few are asked for
            if drawn == 0
            else int(min(math.ceil(need * drawn / max(got, 1) * 1.1) + 16, 50 * need + 4096))
        )
        rows = plan.inverse(draw(ask, conds, rng), fixed)
        broken = plan.violations(rows, rejected_only=True, fixed=fixed)
        if fixed:
            broken["the fixed side's partner within its learned range"] = fixed_violations(plan, rows, fixed)
        keep = ~np.logical_or.reduce(list(broken.values())) if broken else np.ones(len(rows), dtype=bool)
        for column, value in recheck.items():
            keep &= matches(rows[column], value)
        if plan.balance and not conditions:  # the rule columns keep the model's shares (calibration.py)
            keep &= rng.random(len(rows)) < keep_probability(plan.balance, rows)
        parts.append(rows[keep])
        got, drawn = got + int(keep.sum()), drawn + ask
        rate = got / drawn
        # the draws this request needs at the rate so far (with none accepted yet, at least n * drawn)
        needed = n * drawn / got if got else n * drawn
        if got < n and needed > MAX_OVERDRAW * n + 100_000:
            shares = [(k, float(v.mean())) for k, v in broken.items()] or [("the conditions", 1.0 - rate)]
            worst, share = max(shares, key=lambda kv: kv[1])
            conditional = f" with the conditions {conditions}" if conditions else ""
            sparse = [
                r.describe() for r in plan.rules if isinstance(r, FixedCombinations) and not r.as_one_column
            ]
            advice = (
                "declare it with as_one_column=True (learned as one column, nothing rejected), or remove it"
                if worst in sparse
                else "relax or remove that rule"
            )
            raise ConstraintError(
                f"only {got} of {drawn} generated rows ({rate:.2%}) obey every constraint{conditional}; "
                f"{share:.1%} break {worst!r}; at this rate {n} rows would need over {MAX_OVERDRAW}x as many "
                f"draws - {advice}"
            )
    return pd.concat(parts, ignore_index=True).iloc[:n].reset_index(drop=True)


def group_of(plan: ConstraintPlan, column: str) -> tuple[int, FixedCombinations] | None:
    """The group learned as one column that holds ``column`` (its index and rule), if any."""
    for i in plan.constructed(FixedCombinations):
        if column in plan.rules[i].group:
            return i, plan.rules[i]
    return None


def combinations_matching(plan: ConstraintPlan, i: int, wanted: dict) -> list[int]:
    """Ids of group ``i``'s combinations that hold every ``{column: value}`` in ``wanted``."""
    rule, combos = plan.rules[i], plan.state[i]["combinations"]
    frame = pd.DataFrame([list(c) for c in combos], columns=list(rule.group))
    keep = np.ones(len(frame), dtype=bool)
    for column, value in wanted.items():
        keep &= matches(frame[column], value)
    return [int(k) for k in np.flatnonzero(keep)]


def check_conditions(plan: ConstraintPlan, conditions: dict) -> None:
    """Refuse conditions that a constructed if-then rule contradicts, naming both."""
    for i in plan.constructed(IfThen):
        rule = plan.rules[i]
        if rule.if_column in conditions and rule.then_column in conditions:
            if_hit = matches(pd.Series([conditions[rule.if_column]], dtype=object), rule.if_value)[0]
            then = pd.Series([conditions[rule.then_column]])
            if if_hit and not matches(then, rule.then_value)[0]:
                raise ConstraintError(
                    f"the conditions {rule.if_column}={conditions[rule.if_column]!r} and "
                    f"{rule.then_column}={conditions[rule.then_column]!r} contradict the constraint "
                    f"{rule.describe()!r}"
                )


def fixes(plan: ConstraintPlan, column: str) -> bool:
    """Whether a condition may fix ``column``: a side of an inequality held by construction, or a column
    of a constructed sum that no other rule rewrites (another column of the sum then follows)."""
    sides = any(column in (plan.rules[i].low, plan.rules[i].high) for i in plan.constructed(Inequality))
    return sides or any(  # model files from before column_bounds: no sum column is fixed
        column in plan.rules[i].columns and column not in plan.written_by_others(i)
        for i in plan.constructed(Sum)
        if "column_bounds" in plan.state[i]
    )


def fixed_violations(plan: ConstraintPlan, rows: pd.DataFrame, fixed: dict[str, float]) -> np.ndarray:
    """Rows where a fixed side left the other side beyond its robust training bounds."""
    bad = np.zeros(len(rows), dtype=bool)
    for i in plan.constructed(Inequality):
        rule, s = plan.rules[i], plan.state[i]
        for column, bounds in ((rule.low, s.get("low_bounds")), (rule.high, s.get("bounds"))):
            if (rule.low in fixed or rule.high in fixed) and column not in fixed and bounds:
                x = numbers(rows[column], plan.schema[column])
                with np.errstate(invalid="ignore"):
                    bad |= (x < bounds[0]) | (x > bounds[1])
    return bad


def fixed_value(plan: ConstraintPlan, column: str, value) -> float:
    """A condition on a side of an inequality or a part of a sum as the number the plan works in (seconds
    for dates)."""
    spec = plan.schema[column]
    if spec.kind == DATETIME:  # in the column's own format when it reads so ("10-03-2020" day first)
        stamp = pd.to_datetime(pd.Series([value]), format=spec.datetime_format, errors="coerce")
        if stamp.isna().iloc[0]:
            stamp = pd.to_datetime(pd.Series([value]), errors="coerce")
        if stamp.dt.tz is not None:
            stamp = stamp.dt.tz_convert("UTC").dt.tz_localize(None)
        x = np.nan if stamp.isna().iloc[0] else stamp.astype("datetime64[ns]").iloc[0].value / 1e9
    else:
        x = numbers(pd.Series([value]), spec)[0]
    if np.isnan(x):
        kind = "a date" if spec.kind == DATETIME else "a number"
        raise ConditionError(f"condition {column}={value!r} is not {kind}")
    for i in plan.constructed(Inequality) + plan.constructed(Sum):
        rule, s = plan.rules[i], plan.state[i]
        if isinstance(rule, Sum):
            bounds = s.get("column_bounds", {}).get(column)
        else:
            bounds = (
                s.get("low_bounds")
                if column == rule.low
                else s.get("bounds")
                if column == rule.high
                else None
            )
        if bounds and not bounds[0] <= x <= bounds[1]:
            raise ConditionError(
                f"condition {column}={value!r} is outside the range the model learned for {column!r}; "
                "conditions fix a column of an inequality or a sum within it"
            )
    return float(x)


def check_fixed(plan: ConstraintPlan, fixed: dict[str, float]) -> None:
    """Refuse fixed values that break a range or an inequality they take part in, naming both, and
    conditions that leave a sum no column to derive."""
    plan.order_for(fixed)
    for rule in plan.rules:
        if isinstance(rule, Range) and rule.column in fixed:
            frame = pd.DataFrame({rule.column: [fixed[rule.column]]})
            if rule.violations(frame)[0]:
                raise ConstraintError(
                    f"the condition {rule.column}={fixed[rule.column]:g} contradicts the constraint "
                    f"{rule.describe()!r}"
                )
        if isinstance(rule, Inequality) and rule.low in fixed and rule.high in fixed:
            frame = pd.DataFrame({rule.low: [fixed[rule.low]], rule.high: [fixed[rule.high]]})
            if _breaks(rule, plan, frame):
                raise ConstraintError(
                    f"the conditions on {rule.low!r} and {rule.high!r} contradict the constraint "
                    f"{rule.describe()!r}"
                )


def _breaks(rule: Inequality, plan: ConstraintPlan, frame: pd.DataFrame) -> bool:
    low, high = frame[rule.low].iloc[0], frame[rule.high].iloc[0]
    i = plan.rules.index(rule)
    offset = plan.state[i].get("offset", 0.0)
    return bool(high <= low + offset if rule.strict else high < low + offset)
