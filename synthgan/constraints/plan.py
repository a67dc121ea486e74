"""How each declared rule holds: by construction where a transform exists (fixed combinations: only with
``as_one_column=True``), by rejection elsewhere.

Fitted on the training table (after checking every real row obeys every rule), a ``ConstraintPlan``
rewrites the table the model learns and rewrites generated rows back:

- inequality ``high >= low + offset``: the model learns the gap ``high - low - offset`` (in steps of the
  columns' finest unit) instead of ``high``; generated gaps below the minimum (0, or one step when strict)
  are raised to it and ``high`` is rebuilt from ``low``, within ``high``'s robust training bounds, raised
  where ``low`` needs more (``low`` may reach into its tail, never past its real extreme: on every real row
  with both, ``low + offset <= high``). Where ``low`` is missing the gap is taken from a round reference
  value (the start of the median's year for dates, the median to two significant digits for numbers), so
  ``high`` is still learned there.
- range: generated values are clipped into the declared bounds (the transformer already keeps them within
  the real minimum and maximum - robust bounds plus tails that never pass them - which lie inside).
- fixed combinations: the model learns each column of the group, and rows whose combination is not one
  seen at least k times in training are rejected (rarer ones are one patient's combination: never stored
  nor emitted, with a warning). With ``as_one_column=True`` the group is learned as one categorical column
  of the kept combinations instead (rarer ones mapped to the nearest kept one): nothing is rejected, but on
  diabetes-130 the merged column cost quality (``benchmarks/constraint_costs.py``), so it is opt-in.
- if-then: where the if-column has the value, the then-column is set to the required value.
- sum: one column is derived from the others (where all are present): the total at first, after training
  the column whose derived values fit best (``sums.py``); rows where it leaves its robust training bounds
  are rejected. A sum claims its total before the other rules (an inequality on it is kept by rejection).
- custom rules, fixed combinations (above), and any rule whose column another rule already rewrites
  (if-then rules on the same if-column may share a then-column: they apply to different rows): rows that
  break them are rejected, with an early error when too few rows pass (``ConstraintError``).
- the balance (``calibration.py``): rejection and if-then construction would move the shares of the
  categorical columns they touch; without conditions, rows are kept with weights that give those columns
  the shares of the model's own rows before any rule.

The plan's state is JSON (no training row, no single patient's value) and goes into the model file.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from ..exceptions import ConditionError, SchemaError
from ..schema import CATEGORICAL, CONTINUOUS, INTEGER, ColumnSpec, Schema, SchemaWarning
from ..transform.bounds import MIN_COUNT
from .declare import refuse_contradictions, rule_from_dict
from .gaps import rebuild_high, rebuild_low
from .rules import Custom, FixedCombinations, IfThen, Inequality, Range, Rule, Sum
from .state import fit_combinations, fit_inequality, nearest
from .sums import column_bounds, derive, derived_column, untangle
from .values import (
    _key,
    clip_range,
    combination_keys,
    numbers,
    restore_group_levels,
    restore_like,
    restore_numbers,
    time_zone,
)


class ConstraintPlan:
    """The fitted rules of one table: ``forward`` (table -> what the model learns), ``inverse`` (generated
    rows -> rows that obey every constructed rule) and ``violations`` (rows breaking any rule)."""

    def __init__(self, schema: Schema, rules: tuple[Rule, ...], state: list[dict]) -> None:
        self.schema = schema  # the user's table: its columns and the declared rules
        self.rules = rules
        self.state = state  # one entry per rule: {"how": "construct" | "reject", ...}
        self.balance: dict = {}  # the weights that keep the rule columns' shares (calibration.py)

    # ---- fit -----------------------------------------------------------------------------------
    @classmethod
    def fit(cls, frame: pd.DataFrame, schema: Schema, min_count: int = MIN_COUNT) -> ConstraintPlan:
        rules = tuple(schema.constraints)
        refuse_contradictions(rules)
        check_rows(frame, rules, schema)
        claimed: dict[str, object] = {}  # column -> who rewrites it
        for rule in rules:  # groups learned as one column first: they rewrite every column of the group
            if isinstance(rule, FixedCombinations) and rule.as_one_column:
                taken = [c for c in rule.group if c in claimed]
                if taken:
                    warnings.warn(
                        f"constraint {rule.describe()!r}: {taken} already belong to a group learned as one "
                        "column, so this group is kept by rejection",
                        SchemaWarning,
                        stacklevel=3,
                    )
                else:
                    claimed.update(dict.fromkeys(rule.group, _owner(rule)))
        for rule in rules:  # then sums: an equality cannot be kept by rejection, an inequality can
            if isinstance(rule, Sum) and rule.total not in claimed:
                claimed[rule.total] = _owner(rule)
        state, fitted = [], []
        for rule in rules:
            writes, owner = _writes(rule), _owner(rule)
            by_rejection = isinstance(rule, Custom) or not writes
            by_rejection |= isinstance(rule, FixedCombinations) and not rule.as_one_column
            if by_rejection or any(claimed.get(c, owner) != owner for c in writes):
                state.append({"how": "reject"})
                if isinstance(rule, FixedCombinations):  # rejected rows are judged by the kept combinations
                    kept = fit_combinations(rule, frame, schema, min_count, merged=False)["combinations"]
                    state[-1]["combinations"] = kept
                    rule = replace(rule, allowed=tuple(tuple(c) for c in kept))
                fitted.append(rule)
                continue
            claimed.update(dict.fromkeys(writes, owner))
            if isinstance(rule, Inequality):
                state.append(fit_inequality(rule, frame, schema))
                fitted.append(rule)
            elif isinstance(rule, FixedCombinations):
                entry = fit_combinations(rule, frame, schema, min_count)
                state.append(entry)
                fitted.append(replace(rule, allowed=tuple(tuple(c) for c in entry["combinations"])))
            elif isinstance(rule, Sum):
                tz = {c: time_zone(frame[c], schema[c]) for c in rule.columns}
                kept = column_bounds(frame, rule, schema, min_count)  # "bounds": the total's, as older files
                entry = {"how": "construct", "bounds": kept[rule.total], "tz": tz.pop(rule.total)}
                state.append({**entry, "tz_parts": tz, "column_bounds": kept})
                fitted.append(rule)
            else:
                state.append({"how": "construct"})
                fitted.append(rule)
        plan = cls(replace(schema, constraints=tuple(fitted)), tuple(fitted), state)
        plan.reorder()
        return plan

    def reorder(self) -> None:
        """Constructed rules run in an order where a rule's inputs are final before it reads them; a rule
        that would have to read a column rewritten after it (a cycle) is kept by rejection instead, unless a
        sum in the cycle can derive another of its columns (``sums.untangle``)."""
        while True:
            pending = [i for i, s in enumerate(self.state) if s["how"] == "construct"]
            order, cycle = _sequence(self.rules, pending, {i: self.writes(i) for i in pending})
            if not cycle:
                self.order = order
                return
            if not untangle(self, pending, cycle):  # a sum deriving another column may break the cycle
                self.state[cycle[-1]] = {**self.state[cycle[-1]], "how": "reject"}  # else the last gives way

    def order_for(self, fixed: dict) -> list[int]:
        """The order for one sampling call whose conditions fix ``fixed``: a sum whose derived column is
        fixed derives another (``derived``), which may reorder the rules; a cycle is a ``ConditionError``."""
        sums = {i: self.derived(i, fixed) for i in self.constructed(Sum)}
        if all(sums[i] == derived_column(self.rules[i], self.state[i]) for i in sums):
            return self.order
        writes = {i: {sums[i]} if i in sums else self.writes(i) for i in self.order}
        order, cycle = _sequence(self.rules, list(self.order), writes)
        if cycle:
            raise ConditionError(
                f"the conditions on {sorted(fixed)} leave the constraints "
                f"{[self.rules[i].describe() for i in cycle]} no order to hold in; fix fewer columns"
            )
        return order

    # ---- what the model learns -----------------------------------------------------------------
    def derived_schema(self) -> Schema:
        """The schema of ``forward``'s table: gap columns replace ``high``, one column per group learned as
        one column."""
        specs, merged = [], {}
        for i in self.constructed(FixedCombinations):
            for c in self.rules[i].group:
                merged[c] = i
        gaps = {self.rules[i].high: self.state[i] for i in self.constructed(Inequality)}
        done = set()
        for spec in self.schema.columns:
            if spec.name in merged:
                i = merged[spec.name]
                if i not in done:
                    specs.append(ColumnSpec(self.state[i]["column"], CATEGORICAL, "int64", None, True))
                    done.add(i)
            elif spec.name in gaps:
                kind = INTEGER if gaps[spec.name]["unit"] > 0 else CONTINUOUS
                specs.append(ColumnSpec(spec.name, kind, "float64", None, True))
            else:
                specs.append(spec)
        return Schema(tuple(specs))

    def forward(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The table the model learns (gaps instead of ``high``, one column per group learned as one)."""
        out = frame.copy()
        for i in self.constructed(Inequality):
            rule, s = self.rules[i], self.state[i]
            low = numbers(frame[rule.low], self.schema[rule.low])
            high = numbers(frame[rule.high], self.schema[rule.high])
            base = np.where(np.isnan(low), s["reference"], low)
            gap = high - base - s["offset"]
            out[rule.high] = np.round(gap / s["unit"]) if s["unit"] > 0 else gap
        for i in self.constructed(FixedCombinations):
            rule, s = self.rules[i], self.state[i]
            index = {tuple(_key(v) for v in combo): k for k, combo in enumerate(s["combinations"])}
            keys = combination_keys(frame, rule.group)
            ids = np.fromiter((index.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
            if (ids < 0).any():
                ids[ids < 0] = [
                    nearest(k, s["combinations"], s["counts"]) for k in np.asarray(keys, object)[ids < 0]
                ]
            position = list(out.columns).index(rule.group[0])
            out = out.drop(columns=list(rule.group))
            out.insert(position, s["column"], ids)
        return out

    # ---- generated rows back -------------------------------------------------------------------
    def inverse(
        self, frame: pd.DataFrame, fixed: dict[str, float] | None = None, sums: bool = True
    ) -> pd.DataFrame:
        """Rows in the user's columns and dtypes with every constructed rule holding; ``fixed`` sets a side
        of an inequality (seconds for dates) or a column of a sum on every row, the other side or the
        derived column following. ``sums=False``: the sums not applied (to choose what they derive)."""
        out = frame.copy()
        fixed = fixed or {}
        for i in self.constructed(Inequality):
            rule, s = self.rules[i], self.state[i]
            if rule.low in fixed:
                out[rule.low] = restore_numbers(
                    np.full(len(out), fixed[rule.low]), self.schema[rule.low], s.get("tz_low", s.get("tz"))
                )
        for i in self.constructed(Sum):
            for column in set(self.rules[i].columns) & set(fixed) - self.written_by_others(i):
                tz = self.tz_of(i, column)
                out[column] = restore_numbers(np.full(len(out), fixed[column]), self.schema[column], tz)
        for i in self.order_for(fixed) if fixed else self.order:
            rule, s = self.rules[i], self.state[i]
            if isinstance(rule, FixedCombinations):
                ids = out.pop(s["column"]).to_numpy(dtype=np.int64)
                for j, name in enumerate(rule.group):
                    values = np.array([combo[j] for combo in s["combinations"]], dtype=object)[ids]
                    out[name] = restore_group_levels(values, self.schema[name], s["dtypes"][j])
            elif isinstance(rule, Inequality) and rule.high in fixed:
                out[rule.low], out[rule.high] = rebuild_low(rule, s, out, fixed[rule.high], self.schema)
            elif isinstance(rule, Inequality):
                out[rule.high] = rebuild_high(rule, s, out, self.schema)
            elif isinstance(rule, Range):
                out[rule.column] = clip_range(out[rule.column], rule, self.schema[rule.column])
            elif isinstance(rule, IfThen):
                where = rule.applies(out)
                if where.any():
                    column = out[rule.then_column].astype(object)
                    column[where] = rule.then_value if rule.then_value is not None else np.nan
                    out[rule.then_column] = restore_like(column, self.schema[rule.then_column])
            elif isinstance(rule, Sum) and sums:
                column = self.derived(i, fixed)
                out[column] = derive(rule, column, out, self.schema, self.tz_of(i, column))
        return out[self.schema.names]

    def violations(
        self, frame: pd.DataFrame, rejected_only: bool = False, fixed: dict | None = None
    ) -> dict[str, np.ndarray]:
        """Rows breaking each rule, by the rule's description; a constructed sum's derived column beyond its
        robust training bounds counts too (a value no real row reaches, which the others can add up to).
        ``rejected_only``: only the rules kept by rejection (and sums' bounds) - what sampling must check on
        rows ``inverse`` made, since the constructed rules hold on them by construction."""
        out = {
            rule.describe(): rule.violations(frame, self.schema)
            for rule, s in zip(self.rules, self.state)
            if not rejected_only or s["how"] == "reject"
        }
        for i in self.constructed(Sum):
            rule, s = self.rules[i], self.state[i]
            column = self.derived(i, fixed or {})
            low, high = s.get("column_bounds", {}).get(column, s["bounds"])
            x = numbers(frame[column], self.schema[column])
            with np.errstate(invalid="ignore"):  # and the sum itself, where a column cannot hold its value
                beyond = (x < low) | (x > high) | rule.violations(frame, self.schema)
            out[rule.describe()] = out.get(rule.describe(), np.zeros(len(frame), dtype=bool)) | beyond
        return out

    @property
    def rejects(self) -> bool:
        """Whether some rows may be rejected (a rule kept by rejection, a sum's derived column out of
        bounds, or the balance)."""
        return any(s["how"] == "reject" for s in self.state) or bool(self.constructed(Sum) or self.balance)

    def written(self) -> set[str]:
        """The columns the constructed rules rewrite."""
        return set().union(*(self.writes(i) for i in self.order))

    def writes(self, i: int) -> set[str]:
        """The columns rule ``i`` rewrites (a sum: the column it derives)."""
        rule = self.rules[i]
        return {derived_column(rule, self.state[i])} if isinstance(rule, Sum) else _writes(rule)

    def derived(self, i: int, fixed: dict | tuple = ()) -> str:
        """The column sum ``i`` derives; where a condition fixes it, the first of its total and parts that
        is neither fixed nor rewritten by another rule."""
        rule, column = self.rules[i], derived_column(self.rules[i], self.state[i])
        if column not in fixed:
            return column
        others = self.written_by_others(i)
        free = [c for c in (rule.total, *rule.parts) if c not in fixed and c not in others]
        if not free:
            raise ConditionError(
                f"the conditions fix {column!r} of the constraint {rule.describe()!r}, and none of its other "
                "columns can follow; leave one of its columns free"
            )
        return free[0]

    def written_by_others(self, i: int) -> set[str]:
        """The columns the constructed rules other than ``i`` rewrite."""
        return set().union(set(), *(self.writes(j) for j in self.order if j != i))

    def tz_of(self, i: int, column: str) -> str | None:
        """The time zone of a sum's date column (None for numbers and naive dates)."""
        s = self.state[i]
        return s.get("tz") if column == self.rules[i].total else s.get("tz_parts", {}).get(column)

    def constructed(self, kind) -> list[int]:
        """Indexes of the rules of ``kind`` held by construction."""
        return [
            i for i, r in enumerate(self.rules) if isinstance(r, kind) and self.state[i]["how"] == "construct"
        ]

    # ---- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        stored = [(r, s) for r, s in zip(self.rules, self.state) if not isinstance(r, Custom)]
        dropped = [r.name for r in self.rules if isinstance(r, Custom)]
        if dropped:
            warnings.warn(
                f"custom constraints {dropped} are Python code and are not stored in the model file; "
                "filter the loaded model's rows with them yourself",
                SchemaWarning,
                stacklevel=3,
            )
        return {
            "schema": replace(self.schema, constraints=()).to_dict(),
            "rules": [r.to_dict() for r, _ in stored],
            "state": [s for _, s in stored],
            "order": [i for i in self.order if not isinstance(self.rules[i], Custom)],
            "custom_not_stored": dropped,
            "balance": self.balance,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ConstraintPlan:
        rules = []
        for r, s in zip(data["rules"], data["state"]):
            rule = rule_from_dict(r)
            if isinstance(rule, FixedCombinations) and "combinations" in s:
                rule = replace(rule, allowed=tuple(tuple(c) for c in s["combinations"]))
            if isinstance(rule, FixedCombinations) and s["how"] == "construct":  # files from before the flag
                rule = replace(rule, as_one_column=True)
            rules.append(rule)
        schema = replace(Schema.from_dict(data["schema"]), constraints=tuple(rules))
        plan = cls(schema, tuple(rules), list(data["state"]))
        plan.balance = data.get("balance", {})  # files from before the balance: none
        plan.reorder()
        return plan


def check_rows(frame: pd.DataFrame, rules, schema=None) -> None:
    """Raise ``SchemaError`` naming the first declared rule the real rows break and how many rows do."""
    for rule in rules:
        if isinstance(rule, FixedCombinations):
            continue  # defined by the data itself
        bad = int(rule.violations(frame, schema).sum())
        if bad:
            raise SchemaError(
                f"the data breaks the declared constraint {rule.describe()!r} in {bad} of {len(frame)} "
                "rows; fix the data or remove the rule"
            )


# ---- which rule rewrites which column -----------------------------------------------------------
def _writes(rule: Rule) -> set[str]:
    if isinstance(rule, Inequality):
        return {rule.high}
    if isinstance(rule, Range):
        return {rule.column}
    if isinstance(rule, FixedCombinations):
        return set(rule.group)
    if isinstance(rule, IfThen):
        return {rule.then_column}
    if isinstance(rule, Sum):
        return {rule.total}
    return set()


def _owner(rule: Rule) -> object:
    """Rules with the same owner may rewrite the same column: if-then rules on one if-column (they
    apply to different rows) and nothing else."""
    return ("if", rule.if_column, rule.then_column) if isinstance(rule, IfThen) else id(rule)


def _sequence(rules, pending: list[int], writes: dict[int, set[str]]) -> tuple[list[int], list[int]]:
    """(order, cycle): the rules ``pending`` in an order where each reads only final columns, and the
    rules left in a cycle (none when every rule found its place)."""
    reads = {i: set(rules[i].columns) - writes[i] for i in pending}
    order = []
    while pending:
        ready = [i for i in pending if not any(reads[i] & writes[j] for j in pending if j != i)]
        if not ready:
            return order, pending
        order += ready
        pending = [i for i in pending if i not in ready]
    return order, []
