"""Validity of a synthetic table against the real one: counts the gate can require to be zero.

``validity.dtype_mismatches`` (columns whose dtype family - number, bool, datetime, text - differs),
``validity.unknown_categories`` (cells holding a level the real column never has; the transformer's
``"(other)"`` level counts as known where the real column has levels seen fewer than k times, which it
stands for), ``validity.out_of_range`` (numbers outside the real min-max), ``validity.new_missing``
(columns with gaps where the real column has none), ``validity.infinite_values`` and
``validity.constraint_violations`` (rows breaking a declared constraint; a fixed-combination rule with no
fitted combinations allows those of the real rows). Details name columns, rules and counts, never values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..transform.bounds import MIN_COUNT
from ..transform.discrete import OTHER
from .columns import Columns, as_labels


def validity(real: pd.DataFrame, synthetic: pd.DataFrame, cols: Columns, rules=(), schema=None) -> dict:
    dtype = [c for c in real.columns if _family(real[c]) != _family(synthetic[c])]
    unknown, out_of_range, infinite = {}, {}, {}
    for c in cols.categorical:
        counts = as_labels(real[c]).value_counts()
        known = set(counts.index) | ({OTHER} if (counts < MIN_COUNT).any() else set())
        labels = as_labels(synthetic[c]).dropna()
        count = int((~labels.isin(known)).sum())
        if count:
            unknown[c] = count
    for c in cols.numeric:
        a, b = cols.numbers(real, c), cols.numbers(synthetic, c)
        inf = int(np.isinf(b).sum())
        if inf:
            infinite[c] = inf
        finite_a = a[np.isfinite(a)]
        if finite_a.size:
            finite_b = b[np.isfinite(b)]
            count = int(((finite_b < finite_a.min()) | (finite_b > finite_a.max())).sum())
            if count:
                out_of_range[c] = count
    new_missing = [c for c in cols.scored if synthetic[c].isna().any() and not real[c].isna().any()]
    broken = constraint_violations(real, synthetic, rules, schema)
    return {
        "dtype_mismatches": len(dtype),
        "unknown_categories": int(sum(unknown.values())),
        "out_of_range": int(sum(out_of_range.values())),
        "new_missing": len(new_missing),
        "infinite_values": int(sum(infinite.values())),
        "constraint_violations": int(sum(broken.values())),
        "details": {
            "dtype_mismatch_columns": dtype,
            "unknown_categories_by_column": unknown,
            "out_of_range_by_column": out_of_range,
            "new_missing_columns": new_missing,
            "infinite_by_column": infinite,
            "constraint_violations_by_rule": broken,
        },
    }


def constraint_violations(real: pd.DataFrame, synthetic: pd.DataFrame, rules, schema=None) -> dict[str, int]:
    """Synthetic rows breaking each rule, by the rule's description (every rule listed, zeros too)."""
    from dataclasses import replace

    from ..constraints.rules import FixedCombinations
    from ..constraints.values import combination_keys

    out = {}
    for rule in rules:
        if isinstance(rule, FixedCombinations) and rule.allowed is None:
            rule = replace(rule, allowed=tuple(set(combination_keys(real, rule.group))))
        out[rule.describe()] = int(rule.violations(synthetic, schema).sum())
    return out


def _family(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    return "text"
