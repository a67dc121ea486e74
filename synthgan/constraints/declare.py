"""Declared rules: a rule from its JSON object, and a list of rules checked against a schema.

Example:
    >>> from synthgan.constraints import rule_from_dict
    >>> rule_from_dict({"type": "sum", "parts": ["fee", "tax"], "total": "total"}).describe()
    'fee + tax == total'
"""

from __future__ import annotations

import itertools

import pandas as pd

from ..exceptions import SchemaError
from .rules import Custom, FixedCombinations, IfThen, Inequality, Range, Rule, Sum
from .values import matches

TYPES = {cls.type: cls for cls in (Inequality, Range, FixedCombinations, IfThen, Sum)}


def rule_from_dict(data) -> Rule:
    """A rule from its JSON object (``{"type": "inequality", "low": ..., "high": ...}`` and so on)."""
    if isinstance(data, Rule):
        return data
    if not isinstance(data, dict) or data.get("type") not in TYPES:
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise SchemaError(f"unknown constraint type {kind!r}; use one of {sorted(TYPES)}")
    d = dict(data)
    try:
        if d["type"] == "inequality":
            return Inequality(str(d["low"]), str(d["high"]), bool(d.get("strict", False)), d.get("offset", 0))
        if d["type"] == "range":
            return Range(
                str(d["column"]),
                d.get("low"),
                d.get("high"),
                bool(d.get("low_inclusive", True)),
                bool(d.get("high_inclusive", True)),
            )
        if d["type"] == "fixed_combinations":
            return FixedCombinations(tuple(d["columns"]), d.get("as_one_column", False))
        if d["type"] == "if_then":
            return IfThen(
                str(d["if"]["column"]), d["if"]["value"], str(d["then"]["column"]), d["then"]["value"]
            )
        unit = d.get("unit")
        return Sum(tuple(d["parts"]), str(d["total"]), None if unit is None else str(unit))
    except (KeyError, TypeError):
        raise SchemaError(
            f"constraint {data} lacks a field its type {d['type']!r} needs (see the README)"
        ) from None


def check_rules(rules, schema) -> tuple[Rule, ...]:
    """Validate rules against a schema: known columns, accepted kinds, no rule declared twice."""
    out = tuple(rule_from_dict(r) for r in rules)
    for rule in out:
        rule.check_schema(schema)
    seen = set()
    for rule in out:
        key = rule.name if isinstance(rule, Custom) else repr(rule.to_dict())
        if isinstance(rule, FixedCombinations):  # the same group, however it is held
            key = repr((rule.type, rule.group))
        if key in seen:
            raise SchemaError(f"constraint {rule.describe()!r} is declared twice")
        seen.add(key)
    return out


def refuse_contradictions(rules: tuple[Rule, ...]) -> None:
    """Refuse rules no row could obey together, even for a value the data never shows (checked at fit,
    where the real rows cannot reveal them; a model file is not re-checked): two if-then rules with one
    condition and different required values, and an if-then rule requiring a number its column's range
    excludes. Both rules are named."""
    if_then = [r for r in rules if isinstance(r, IfThen)]
    for a, b in itertools.combinations(if_then, 2):
        same_if = a.if_column == b.if_column and _same(a.if_value, b.if_value)
        if same_if and a.then_column == b.then_column and not _same(a.then_value, b.then_value):
            raise SchemaError(
                f"the constraints {a.describe()!r} and {b.describe()!r} contradict each other: no row with "
                f"{a.if_column} == {a.if_value!r} obeys both; remove one"
            )
    for a, b in itertools.product(if_then, [r for r in rules if isinstance(r, Range)]):
        if a.then_column == b.column and a.then_value is not None:
            if b.violations(pd.DataFrame({b.column: [a.then_value]}))[0]:
                raise SchemaError(
                    f"the constraints {a.describe()!r} and {b.describe()!r} contradict each other: "
                    f"{a.then_value!r} is outside the range; remove one"
                )


def _same(a, b) -> bool:
    """Whether two rule values name the same value (as rules compare them: ``"7"`` matches 7)."""
    return bool(matches(pd.Series([a], dtype=object), b)[0])
