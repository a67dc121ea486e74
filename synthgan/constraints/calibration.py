"""What a fitted plan learns from the trained model's own rows: which column each sum derives
(``sums.choose_derived``) and the weights that keep the rule columns' shares (the balance).

Rejection keeps the model's rows that obey the rules, and construction rewrites the rows that do not; both
move the shares of a column's levels when the model's rule-breaking rows sit mostly in one level. On
diabetes-130, ``only seen combinations of (insulin, diabetesMed)`` rejects generated rows with
``diabetesMed == 'No'`` and an insulin dose, so 'No' fell from 22% of one model's rows to 10%; ``if
relationship == 'Husband' then sex == 'Male'`` turns generated female husbands male. The balance: one
weight per level of each categorical column such a rule touches (iterative proportional fitting), chosen so
that the weighted shares of the rows the rules keep equal the shares in the model's rows before any rule.
At sampling each kept row stays with probability ``weight / cap`` (the cap: the 99th percentile of the
rows' weights, lowered where fewer than ``MIN_KEPT`` of the rows would stay: the heaviest then all stay and
the shares move only part of the way back). Only without conditions: conditions move shares on purpose.
The weights come from generated rows, never from training rows.

Example:
    >>> import pandas as pd
    >>> balance = {"columns": {"c": {"'a'": 2.0, "'b'": 0.5}}, "cap": 2.0}
    >>> keep_probability(balance, pd.DataFrame({"c": ["a", "b", "z"]})).tolist()
    [1.0, 0.25, 0.5]
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

from ..schema import CATEGORICAL
from .rules import FixedCombinations, IfThen, Sum
from .sums import choose_derived
from .values import _column_keys

#: Generated rows the sums' choice is made on (the first draw after training).
SUM_CHOICE_ROWS = 4000
#: Generated rows the balance is fitted on.
BALANCE_ROWS = 10_000
#: No balance when no column's shares move more than this (total variation).
BALANCE_SHIFT = 0.005
#: A level's weight stays within [1 / LIMIT, LIMIT]; the cap is this quantile of the rows' weights.
WEIGHT_LIMIT, CAP_QUANTILE = 10.0, 0.99
#: The balance keeps at least this share of the rows that obey the rules (the cap lowered until it does).
MIN_KEPT = 0.1


def calibrate(plan, draw: Callable, real: pd.DataFrame, seed: int) -> None:
    """After training: choose what each constructed sum derives, then fit the balance (``plan.balance``).
    ``draw(k, conds, rng)`` gives ``k`` generated rows in the columns the model learned."""
    if plan.constructed(Sum):
        choose_derived(plan, draw(SUM_CHOICE_ROWS, [], np.random.default_rng([seed, 1])), real)
    plan.balance = fit_balance(plan, draw(BALANCE_ROWS, [], np.random.default_rng([seed, 2])))


def balanced_columns(plan) -> list[str]:
    """Categorical columns of the constructed if-then rules and of the rules kept by rejection that the
    model learns as they are (not inside a group learned as one column)."""
    merged = {c for i in plan.constructed(FixedCombinations) for c in plan.rules[i].group}
    touched = [
        c
        for rule, s in zip(plan.rules, plan.state)
        if s["how"] == "reject" or isinstance(rule, IfThen)
        for c in rule.columns
    ]
    names = set(plan.schema.names)
    return sorted(
        {c for c in touched if c in names and c not in merged and plan.schema[c].kind == CATEGORICAL}
    )


def fit_balance(plan, generated: pd.DataFrame, iterations: int = 100) -> dict:
    """``{"columns": {column: {level key: weight}}, "cap": float}`` for ``generated`` rows (the model's,
    in the columns it learned); ``{}`` when no column's shares move by more than ``BALANCE_SHIFT``."""
    columns = balanced_columns(plan)
    if not columns:
        return {}
    rows = plan.inverse(generated)
    broken = plan.violations(rows, rejected_only=True)
    if broken:
        rows = rows[~np.logical_or.reduce(list(broken.values()))]
    if len(rows) < 100:
        return {}
    codes, levels, targets = {}, {}, {}
    for c in columns:
        keys = pd.Series(_level_keys(rows[c]))
        codes[c], levels[c] = pd.factorize(keys)
        before = pd.Series(_level_keys(generated[c])).value_counts(normalize=True)
        targets[c] = before.reindex(levels[c]).fillna(0.0).to_numpy()
    kept_shares = {c: np.bincount(codes[c], minlength=len(levels[c])) / len(rows) for c in columns}
    if max(0.5 * np.abs(kept_shares[c] - targets[c]).sum() for c in columns) <= BALANCE_SHIFT:
        return {}
    weights = {c: np.ones(len(levels[c])) for c in columns}
    row_weight = np.ones(len(rows))
    for _ in range(iterations):
        gap = 0.0
        for c in columns:
            shares = np.bincount(codes[c], weights=row_weight, minlength=len(levels[c])) / row_weight.sum()
            ratio = np.divide(targets[c], shares, out=np.ones_like(shares), where=shares > 0)
            weights[c] = np.clip(weights[c] * ratio, 1 / WEIGHT_LIMIT, WEIGHT_LIMIT)
            row_weight = _row_weights(weights, codes)
            gap = max(gap, float(np.abs(shares - targets[c]).max()))
        if gap < 1e-4:
            break
    scale = float(np.exp(np.mean(np.log(row_weight))))  # weights around 1; only their ratios matter
    return {
        "columns": {
            c: dict(zip(levels[c], (weights[c] / scale ** (1 / len(columns))).tolist())) for c in columns
        },
        "cap": _cap(row_weight / scale),
    }


def keep_probability(balance: dict, rows: pd.DataFrame) -> np.ndarray:
    """Each row's probability to stay under ``balance`` (levels it has no weight for count 1)."""
    p = np.ones(len(rows))
    for c, weights in balance["columns"].items():
        p *= pd.Series(_level_keys(rows[c])).map(weights).fillna(1.0).to_numpy(dtype=np.float64)
    return np.minimum(p / balance["cap"], 1.0)


def _cap(row_weight: np.ndarray) -> float:
    """The ``CAP_QUANTILE`` quantile of the rows' weights, lowered (the heaviest rows then all stay) where
    fewer than ``MIN_KEPT`` of the rows would stay under it."""
    cap = float(np.quantile(row_weight, CAP_QUANTILE))
    kept = lambda c: float(np.minimum(row_weight / c, 1.0).mean())  # noqa: E731
    if kept(cap) >= MIN_KEPT:
        return cap
    low, high = float(row_weight.min()), cap  # kept() falls as the cap rises: bisect for MIN_KEPT
    for _ in range(60):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if kept(middle) >= MIN_KEPT else (low, middle)
    return low


def _row_weights(weights: dict, codes: dict) -> np.ndarray:
    out = np.ones(len(next(iter(codes.values()))))
    for c, w in weights.items():
        out *= w[codes[c]]
    return out


def _level_keys(series: pd.Series) -> list[str]:
    """A text key per value (numbers as floats: 7 and 7.0 alike; missing as None)."""
    text: dict = {}  # each distinct key spelled once
    return [text[k] if k in text else text.setdefault(k, repr(k)) for k in _column_keys(series)]
