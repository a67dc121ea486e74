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
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from ..schema import CATEGORICAL
from .rules import Custom, FixedCombinations, IfThen, Sum
from .sums import choose_derived
from .values import column_codes

if TYPE_CHECKING:
    from .plan import ConstraintPlan

#: Generated rows the sums' choice is made on (the first draw after training).
SUM_CHOICE_ROWS = 4000
#: Generated rows the balance is fitted on.
BALANCE_ROWS = 10_000
#: No balance when no column's shares move more than this (total variation).
BALANCE_SHIFT = 0.005
#: A level's weight stays within [1 / LIMIT, LIMIT] (a column's weights centred on 1); the cap is this
#: quantile of the rows' weights.
WEIGHT_LIMIT, CAP_QUANTILE = 10.0, 0.99
#: The balance keeps at least this share of the rows that obey the rules (the cap lowered until it does).
MIN_KEPT = 0.1


def calibrate(plan: ConstraintPlan, draw: Callable, real: pd.DataFrame, seed: int) -> None:
    """After training: choose what each constructed sum derives, then fit the balance (``plan.balance``).
    ``draw(k, conds, rng)`` gives ``k`` generated rows in the columns the model learned."""
    if plan.constructed(Sum):
        choose_derived(plan, draw(SUM_CHOICE_ROWS, [], np.random.default_rng([seed, 1])), real)
    plan.balance = fit_balance(plan, draw(BALANCE_ROWS, [], np.random.default_rng([seed, 2])))


def balanced_columns(plan: ConstraintPlan) -> list[str]:
    """Categorical columns of the constructed if-then rules and of the rules kept by rejection (custom rules
    aside) that the model learns as they are (not inside a group learned as one column)."""
    merged = {c for i in plan.constructed(FixedCombinations) for c in plan.rules[i].group}
    touched = [
        c
        for rule, s in zip(plan.rules, plan.state)
        if (s["how"] == "reject" and not isinstance(rule, Custom)) or isinstance(rule, IfThen)
        for c in rule.columns
    ]
    names = set(plan.schema.names)
    return sorted(
        {c for c in touched if c in names and c not in merged and plan.schema[c].kind == CATEGORICAL}
    )


def fit_balance(plan: ConstraintPlan, generated: pd.DataFrame, iterations: int = 100) -> dict:
    """``{"columns": {column: {level key: weight}}, "cap": float}`` for ``generated`` rows (the model's,
    in the columns it learned); ``{}`` when no column's shares move by more than ``BALANCE_SHIFT``.

    Each column's targets are its generated shares over the levels the kept rows have (rescaled to sum to
    1: a level the rules remove entirely leaves its share to the others); a level the generated rows lack
    (made by construction) is not steered (weight 1). Weights are centred on 1 per column (geometric mean)
    and held within [1 / ``WEIGHT_LIMIT``, ``WEIGHT_LIMIT``], so targets no weights can meet together end
    in a compromise rather than a drift. Custom rules are left out: they are not stored in the model file,
    and a loaded model must not make up for rejections it no longer does."""
    columns = balanced_columns(plan)
    if not columns:
        return {}
    rows = plan.inverse(generated)
    custom = {r.describe() for r in plan.rules if isinstance(r, Custom)}
    broken = [v for k, v in plan.violations(rows, rejected_only=True).items() if k not in custom]
    if broken:
        rows = rows[~np.logical_or.reduce(broken)]
    if len(rows) < 100:
        return {}
    codes, levels, targets, free = {}, {}, {}, {}
    for c in columns:
        codes[c], levels[c] = pd.factorize(pd.Series(_level_keys(rows[c])))
        before = pd.Series(_level_keys(generated[c])).value_counts(normalize=True)
        share = before.reindex(levels[c]).fillna(0.0).to_numpy()
        targets[c], free[c] = share / max(share.sum(), 1e-12), share == 0
    kept = {c: np.bincount(codes[c], minlength=len(levels[c])) / len(rows) for c in columns}
    if max(0.5 * np.abs(kept[c] - targets[c]).sum() for c in columns) <= BALANCE_SHIFT:
        return {}
    log_weights = {c: np.zeros(len(levels[c])) for c in columns}
    row_weight = np.ones(len(rows))
    limit = math.log(WEIGHT_LIMIT)
    for _ in range(iterations):
        gap = 0.0
        for c in columns:
            steered = ~free[c]
            if not steered.any():
                continue
            shares = np.bincount(codes[c], weights=row_weight, minlength=len(levels[c])) / row_weight.sum()
            goal = targets[c] * (1.0 - shares[free[c]].sum())  # what the unsteered levels leave
            w = log_weights[c]
            w[steered] += np.log(goal[steered] / shares[steered])
            w[steered] = np.clip(w[steered] - w[steered].mean(), -limit, limit)
            row_weight = _row_weights(log_weights, codes)
            gap = max(gap, float(np.abs(shares - goal)[steered].max(initial=0.0)))
        if gap < 1e-4:
            break
    return {
        "columns": {c: dict(zip(levels[c], np.exp(log_weights[c]).tolist())) for c in columns},
        "cap": _cap(row_weight),
    }


def keep_probability(balance: dict, rows: pd.DataFrame) -> np.ndarray:
    """Each row's probability to stay under ``balance`` (a level it has no weight for counts 1, the centre
    of its column's weights)."""
    p = np.ones(len(rows))
    for c, weights in balance["columns"].items():
        codes, texts = _level_texts(rows[c])  # one lookup per distinct value
        p *= np.array([weights.get(t, 1.0) for t in texts], dtype=np.float64)[codes]
    return np.minimum(p / balance["cap"], 1.0)


def _cap(row_weight: np.ndarray) -> float:
    """The ``CAP_QUANTILE`` quantile of the rows' weights, lowered (the heaviest rows then all stay) where
    fewer than ``MIN_KEPT`` of the rows would stay under it."""
    cap = float(np.quantile(row_weight, CAP_QUANTILE))

    def kept(c: float) -> float:
        return float(np.minimum(row_weight / c, 1.0).mean())

    if kept(cap) >= MIN_KEPT:
        return cap
    low, high = float(row_weight.min()), cap  # kept() falls as the cap rises: bisect for MIN_KEPT
    for _ in range(60):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if kept(middle) >= MIN_KEPT else (low, middle)
    return low


def _row_weights(log_weights: dict, codes: dict) -> np.ndarray:
    return np.exp(np.sum([w[codes[c]] for c, w in log_weights.items()], axis=0))


def _level_texts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, texts)``: each value's index into ``texts``, the level keys a balance stores (numbers as
    floats: 7 and 7.0 alike; missing, code -1, as 'None')."""
    codes, keys = column_codes(series)
    return codes, np.array([repr(k) for k in keys], dtype=object)


def _level_keys(series: pd.Series) -> np.ndarray:
    """The level key of every value."""
    codes, texts = _level_texts(series)
    return texts[codes]
