"""Rules a table obeys on every row and would hardly obey by chance: suggestions the user reviews.

- inequalities ``high >= low`` (``>`` when never equal) between two number columns or two datetime
  columns whose values overlap, so the order is a property of the rows and not of the ranges: with ``p``
  the share of (low, high) pairs drawn independently that are in order, holding on all ``m`` rows by chance
  has probability ``p**m``; implied ones (``a <= c`` from ``a <= b <= c``) are left out;
- sums ``a + b == total`` of three number columns, and ``start + duration == end`` (two date columns and
  the number of days, hours, minutes or seconds between them);
- if-then rules ``if A == a then B == b`` (with a number ``b`` this is the zero-when-absent rule): ``A == a``
  on at least k rows, ``B == b`` on all of them and not on every row, chance ``P(B == b) ** count``;
- fixed combinations of two categorical columns that never show a combination independence would show
  at least ``MIN_EXPECTED`` times (chance ``exp(-expected)``), or between which two or more if-then rules
  hold (``ward -> specialty`` both ways); each column in one group at most.

Every suggestion holds on every row with its columns present and has chance below ``CHANCE``.

Example:
    >>> import pandas as pd
    >>> start = pd.Series([i * 1.5 for i in range(60)])
    >>> frame = pd.DataFrame({"start": start, "end": start + [2.0, 0.5, 4.0] * 20, "x": [5, 1, 9, 2] * 15})
    >>> [r.describe() for r in suggest_constraints(frame)]
    ['end > start']
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter

import numpy as np
import pandas as pd

from ..schema import CATEGORICAL, CONTINUOUS, DATETIME, INTEGER, Schema, SchemaWarning
from ..transform.bounds import MIN_COUNT
from ..transform.discrete import json_scalar
from .rules import FixedCombinations, IfThen, Inequality, Rule, Sum
from .values import DATE_UNITS, numbers

#: A suggestion's probability of holding by chance on every row must be below this.
CHANCE = 1e-3
#: A fixed-combination group needs an unseen combination that independence expects this many times.
MIN_EXPECTED = 10.0
#: At most this many suggestions of each type (the strongest first).
MAX_PER_TYPE = 25
#: Columns with more levels than this are not searched for if-then rules or fixed combinations.
MAX_LEVELS = 50


def suggest_constraints(frame: pd.DataFrame, schema: Schema | None = None, k: int = MIN_COUNT) -> list[Rule]:
    """Rules that hold on every row of ``frame`` and are unlikely by chance, strongest first per type."""
    if schema is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SchemaWarning)
            schema = Schema.infer(frame)
    quantities = {c.name: numbers(frame[c.name], c) for c in schema.of_kind(CONTINUOUS, INTEGER)}
    dates = {c.name: numbers(frame[c.name], c) for c in schema.of_kind(DATETIME)}
    categorical = [c.name for c in schema.of_kind(CATEGORICAL) if frame[c.name].nunique() <= MAX_LEVELS]
    sums = (_sums(quantities, k) + _date_sums(dates, quantities, k))[:MAX_PER_TYPE]
    totals = {(tuple(sorted(r.parts)), r.total) for r in sums}
    inequalities = _inequalities(quantities, k, totals) + _inequalities(dates, k, set())
    if_then = _if_then(frame, categorical, [*categorical, *quantities], k)
    # two or more implications between the same two categorical columns: one fixed-combination rule
    pairs = Counter(frozenset((r.if_column, r.then_column)) for r in if_then if r.then_column in categorical)
    several = [pair for pair, count in pairs.items() if count > 1]
    groups, used = [], set()
    for pair in several:
        if not pair & used:
            a, b = sorted(pair, key=list(frame.columns).index)
            groups.append(FixedCombinations((a, b)))
            used |= pair
    if_then = [r for r in if_then if not {r.if_column, r.then_column} <= used]
    paired = {frozenset((r.if_column, r.then_column)) for r in if_then} | set(pairs)
    groups += _combinations(frame, categorical, paired, used)
    return [*inequalities, *sums, *if_then, *groups[:MAX_PER_TYPE]]


def _inequalities(columns: dict[str, np.ndarray], k: int, totals: set) -> list[Rule]:
    found = []
    for low, high in itertools.permutations(columns, 2):
        x, y = columns[low], columns[high]
        both = ~np.isnan(x) & ~np.isnan(y)
        m = int(both.sum())
        if m < 2 * k or not np.all(y[both] >= x[both]):
            continue
        strict = bool(np.all(y[both] > x[both]))
        if not strict and np.all(y[both] == x[both]):
            continue
        p = _share_in_order(x[both], y[both], strict)
        if p >= 1.0:  # the ranges do not overlap: the order says nothing about the rows
            continue
        log_chance = m * np.log(max(p, 1e-300))
        if log_chance < np.log(CHANCE) and not any(high == t and low in parts for parts, t in totals):
            found.append((log_chance, Inequality(low, high, strict=strict)))
    pairs = {(r.low, r.high) for _, r in found}
    implied = {(a, c) for (a, b) in pairs for (b2, c) in pairs if b == b2 and (a, c) in pairs}
    kept = sorted((fc for fc in found if (fc[1].low, fc[1].high) not in implied), key=lambda fc: fc[0])
    return [r for _, r in kept[:MAX_PER_TYPE]]


def _share_in_order(x: np.ndarray, y: np.ndarray, strict: bool) -> float:
    """Share of all (x_i, y_j) pairs with y_j >= x_i (> when strict)."""
    xs = np.sort(x)
    side = "left" if strict else "right"
    return float(np.searchsorted(xs, y, side=side).sum()) / (len(x) * len(y))


def _sums(columns: dict[str, np.ndarray], k: int) -> list[Rule]:
    found = []
    names = [c for c in columns if np.count_nonzero(np.nan_to_num(columns[c])) >= k]
    for total in names:
        t = columns[total]
        for a, b in itertools.combinations([c for c in names if c != total], 2):
            s = columns[a] + columns[b]
            present = ~np.isnan(s) & ~np.isnan(t)
            if present.sum() < 2 * k:
                continue
            if np.allclose(s[present], t[present], rtol=1e-9, atol=1e-9) and np.unique(t[present]).size > 1:
                found.append(Sum((a, b), total))
    return found[:MAX_PER_TYPE]


def _date_sums(dates: dict[str, np.ndarray], quantities: dict[str, np.ndarray], k: int) -> list[Rule]:
    """``start + duration == end``: a number column that is the gap between two date columns in whole days,
    hours, minutes or seconds on every row with all three (a length of stay, a time to event)."""
    found = []
    for start, end in itertools.permutations(dates, 2):
        gap = dates[end] - dates[start]
        for name, x in quantities.items():
            present = ~np.isnan(gap) & ~np.isnan(x)
            if present.sum() < 2 * k or np.unique(x[present]).size < 2:
                continue
            for unit, seconds in DATE_UNITS.items():
                if np.allclose(gap[present] / seconds, x[present], rtol=1e-9, atol=1e-6):
                    found.append(Sum((start, name), end, unit))
                    break
    return found[:MAX_PER_TYPE]


def _if_then(frame: pd.DataFrame, conditions: list[str], targets: list[str], k: int) -> list[Rule]:
    found = []
    for a in conditions:
        levels = frame[a].value_counts()
        levels = levels[levels >= k]
        for b in targets:
            if b == a:
                continue
            tb = frame[b]
            shares = tb.value_counts(normalize=True, dropna=False)
            for level, count in levels.items():
                values = tb[frame[a] == level]
                if values.isna().any() or values.nunique() != 1:
                    continue
                value = values.iloc[0]
                p = float(shares.get(value, 0.0))
                if p >= 1.0:
                    continue
                log_chance = count * np.log(max(p, 1e-300))
                if log_chance < np.log(CHANCE):
                    found.append((log_chance, IfThen(a, json_scalar(level), b, json_scalar(value))))
    found.sort(key=lambda fc: fc[0])
    return [r for _, r in found[:MAX_PER_TYPE]]


def _combinations(frame: pd.DataFrame, columns: list[str], paired: set, used: set) -> list[Rule]:
    scored = []
    for a, b in itertools.combinations(columns, 2):
        if frozenset((a, b)) in paired:
            continue
        table = pd.crosstab(frame[a], frame[b])
        n = table.to_numpy().sum()
        if n == 0:
            continue
        expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
        unseen = expected[table.to_numpy() == 0]
        if unseen.size and unseen.max() >= MIN_EXPECTED and np.exp(-unseen.max()) < CHANCE:
            scored.append((-unseen.sum(), (a, b)))
    used, out = set(used), []
    for _, (a, b) in sorted(scored):
        if a in used or b in used:
            continue
        used |= {a, b}
        out.append(FixedCombinations((a, b)))
    return out[:MAX_PER_TYPE]
