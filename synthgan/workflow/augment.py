"""Augment a table in one step (what ``synthgan augment`` runs in CI): hold out real rows, fit a
conditional model with the target as a category, generate rows (class-balancing or a fixed number),
gate them, and write them - optionally after the real rows - atomically with provenance.

When the generated rows have another class mix than the data (balancing), the gate compares them
with real rows drawn to the closest feasible class mix, so marginals are judged like for like.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..augment import SyntheticOversampler, class_targets
from ..evaluation.columns import as_labels
from ..exceptions import InvalidParameterError, SchemaError
from ..gate import Policy
from ..io.atomic import check_writable
from ..io.export import write_rows
from ..schema import Schema
from ..synthesizers import CTGAN
from .holdout import split_holdout
from .release import Release, _metadata, gate_table


@dataclass(frozen=True)
class AugmentPlan:
    """What to generate: per-class counts when balancing, else ``rows`` unconditional rows."""

    target: str
    balance: bool = False
    rows: int | None = None
    include_real: bool = False
    per_class: bool = False  # balancing: a model per class to grow (SyntheticOversampler's per_class)
    realism_filter: float | None = None  # balancing: keep the most realistic of this many times the rows


def augment_table(
    frame: pd.DataFrame,
    plan: AugmentPlan,
    out: str | os.PathLike,
    *,
    model: CTGAN,
    policy: Policy | None,
    holdout: float,
    seed: int,
    discrete: list[str] | None = None,
    provenance: dict | None = None,
) -> Release:
    """Fit ``model`` on ``frame`` minus a holdout, generate per ``plan``, gate, write ``out``."""
    out = check_writable(out)
    if plan.target not in frame.columns:
        raise SchemaError(f"--target {plan.target!r} is not a column; columns are {list(frame.columns)[:20]}")
    if plan.balance == (plan.rows is not None):
        raise InvalidParameterError("give exactly one of --balance or -n N")
    counts = frame[plan.target].dropna().value_counts()
    wanted = class_targets(counts, "auto") if plan.balance else {}
    if plan.balance and not wanted:
        raise InvalidParameterError(
            f"{plan.target!r} is already balanced ({len(counts)} classes of {counts.max()} rows); use -n N"
        )
    if (plan.per_class or plan.realism_filter is not None) and not plan.balance:
        raise InvalidParameterError("--per-class and --realism-filter apply to --balance")
    # the holdout keeps the class mix; a class of one row stays in training (rare classes are augment's point)
    train, held = split_holdout(frame, holdout, seed, stratify=[plan.target], single_rows="train")
    declared = sorted({plan.target, *(discrete or [])})
    rng = np.random.default_rng(seed)
    if plan.per_class or plan.realism_filter is not None:
        synthetic = _oversampled(train, plan, wanted, model, seed, [c for c in declared if c != plan.target])[
            frame.columns
        ]
        schema = Schema.infer(train, discrete_columns=declared)
    else:
        model.fit(train, discrete_columns=declared)
        schema = model.schema_
        if plan.balance:
            synthetic = pd.concat(
                [model.sample(n, conditions={plan.target: c}, random_state=rng) for c, n in wanted.items()],
                ignore_index=True,
            )
        else:
            synthetic = model.sample(plan.rows, random_state=rng)
    report = decision = report_path = None
    if policy is not None:
        mix = as_labels(synthetic[plan.target]).value_counts(normalize=True)
        real, hold = (
            match_mix(t, plan.target, mix, rng) if plan.balance and t is not None else t
            for t in (train, held)
        )
        report, decision, report_path = gate_table(
            synthetic, real, hold, policy, out, schema=schema, support=train
        )
    rows = pd.concat([frame, synthetic[frame.columns]], ignore_index=True) if plan.include_real else synthetic
    metadata = _metadata(
        len(rows),
        policy,
        decision,
        report,
        provenance,
        seed=seed,
        target=plan.target,
        synthetic_rows=len(synthetic),
        real_rows=len(frame) if plan.include_real else 0,
        generated_per_class={str(k): int(v) for k, v in wanted.items()} or None,
    )
    written = write_rows(out, iter([rows]), metadata, private=plan.include_real)  # real rows: owner only
    return Release(written, report_path, decision, report)


def _oversampled(
    train: pd.DataFrame, plan: AugmentPlan, wanted: dict, model: CTGAN, seed: int, discrete: list[str]
) -> pd.DataFrame:
    """``wanted[c]`` generated rows of each class c, target column included, through SyntheticOversampler
    on the training rows with a class (per-class models and / or the realism filter)."""
    train = train[train[plan.target].notna()]
    have = train[plan.target].value_counts()
    missing = [c for c in wanted if c not in have.index]
    if missing:
        raise InvalidParameterError(
            f"classes {missing} have no rows left for training after the holdout; lower --holdout"
        )
    sampler = SyntheticOversampler(
        model=model,
        sampling_strategy={c: int(have[c]) + n for c, n in wanted.items()},
        per_class=plan.per_class,
        realism_filter=plan.realism_filter,
        random_state=seed,
        discrete_columns=discrete,
    )
    X_res, y_res = sampler.fit_resample(
        train.drop(columns=[plan.target]), train[plan.target].reset_index(drop=True)
    )
    return (
        X_res.iloc[len(train) :]
        .assign(**{plan.target: y_res.iloc[len(train) :].to_numpy()})
        .reset_index(drop=True)
    )


def match_mix(real: pd.DataFrame, target: str, mix: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """Real rows of the classes in ``mix`` (shares by label text), drawn without replacement to the
    closest feasible class mix: each class gets its share of the total, capped at the rows it has."""
    labels = as_labels(real[target])
    total = int(labels.isin(mix.index).sum())
    keep = []
    for label, share in mix.items():
        rows = np.flatnonzero((labels == label).to_numpy())
        keep.append(rng.permutation(rows)[: min(len(rows), round(share * total))])
    return real.iloc[np.sort(np.concatenate(keep))].reset_index(drop=True)
