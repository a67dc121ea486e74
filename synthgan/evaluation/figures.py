"""Fidelity figures of the synthetic set and of its real reference, computed like for like.

Both are compared with all training rows at the same sample size: the synthetic figure is the mean
over ``REPEATS`` subsamples of as many synthetic rows as the holdout has (its spread and the standard
error of its gap to the reference are reported as ``<key>_spread`` and ``<key>_se``); detection uses
as many rows from each side in both; ML efficacy trains on as many synthetic rows as real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from . import fidelity as F
from .columns import Columns
from .dependence import dependence_kept
from .learners import detection_auc, ml_efficacy
from .streams import REPEATS, Repeated, draw_rows, metric_rng, summarise

#: A real reference needs at least this many held-out rows (fewer is noise, not a reference).
MIN_REFERENCE_ROWS = 30
#: Detection needs at least this many rows on each side.
MIN_DETECTION_ROWS = 20
DETECTION_REPEATS = 3
#: Figures averaged over repeated subsamples, with spread and standard error.
REPEATED_KEYS = (
    "column_shapes",
    "column_shapes_worst",
    "column_pair_trends",
    "column_pair_trends_all_pairs",
    "missing_similarity",
)


def headline(real: pd.DataFrame, other: pd.DataFrame, cols: Columns) -> dict:
    """The repeated figures of one comparison (NaN where a figure does not exist), plus column shapes."""
    shapes = F.column_shapes(real, other, cols)
    valid = [v for v in shapes.values() if not np.isnan(v)]
    pairs = F.pair_trends(F.pair_scores(real, other, cols)) if len(cols.scored) > 1 else None
    return {
        "column_shapes": float(np.mean(valid)) if valid else np.nan,
        "column_shapes_worst": float(np.min(valid)) if valid else np.nan,
        "column_pair_trends": pairs["trend_mean"] if pairs else np.nan,
        "column_pair_trends_all_pairs": pairs["all_pairs_mean"] if pairs else np.nan,
        "missing_similarity": F.missingness(real, other, cols)["mean_similarity"],
        "shapes": shapes,
    }


REASONS = {
    "column_shapes": "no column has values on both sides",
    "column_shapes_worst": "no column has values on both sides",
    "column_pair_trends": "no column pair shows a trend in the real data",
    "column_pair_trends_all_pairs": "fewer than two comparable columns",
    "missing_similarity": "no comparable column",
}


def fidelity_pair(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    target: str | None,
    cols: Columns,
    seed: int,
    cap: int,
    detection: bool,
) -> tuple[dict, dict | None, dict]:
    """(synthetic fidelity, reference fidelity or None, sizes)."""
    has_reference = holdout is not None and len(holdout) >= MIN_REFERENCE_ROWS
    n = min(len(holdout), len(synthetic), cap) if has_reference else min(len(synthetic), cap)
    capped = (
        synthetic.iloc[np.sort(metric_rng(seed, "fidelity.descriptive").permutation(len(synthetic))[:cap])]
        if len(synthetic) > cap
        else synthetic
    )
    out = _descriptive(real, capped.reset_index(drop=True), cols)
    runs = _repeat(
        real, synthetic, n, cols, metric_rng(seed, "fidelity.synthetic_rows"), REPEATS if has_reference else 1
    )
    _put(out, runs, with_se=has_reference)
    out["per_column"] = {
        c: {"shape": _number(runs["shapes"][c], "no values on one side"), **d}
        for c, d in out["per_column"].items()
    }
    ref = None
    if has_reference:
        ref_runs = _repeat(
            real,
            holdout,
            n,
            cols,
            metric_rng(seed, "fidelity.reference_rows"),
            REPEATS if len(holdout) > n else 1,
        )
        ref = {k: _number(ref_runs[k].mean, REASONS[k]) for k in REPEATED_KEYS}
        ref.update(
            {
                "collapsed_columns": len(F.collapsed_columns(real, holdout, cols)),
                "ml_efficacy": {"not_evaluated": "train-on-real is the denominator of ml_efficacy"},
            }
        )
    if has_reference:
        out.update(dependence_kept(real, synthetic, holdout, cols, metric_rng(seed, "fidelity.dependence")))
    n_det = min(len(real), n)
    if not detection:
        out["detection_auc"] = {"not_evaluated": "detection was switched off"}
    elif n_det < MIN_DETECTION_ROWS:
        out["detection_auc"] = {"not_evaluated": f"needs at least {MIN_DETECTION_ROWS} rows in each table"}
    else:
        _detection(
            out, real, synthetic, n_det, cols, metric_rng(seed, "fidelity.detection"), with_se=has_reference
        )
        if ref is not None:
            _detection(
                ref,
                real,
                holdout,
                n_det,
                cols,
                metric_rng(seed, "fidelity.detection_reference"),
                with_se=False,
            )
    if ref is not None and not detection:
        ref["detection_auc"] = out["detection_auc"]
    _efficacy(out, real, synthetic, holdout, target, cols, seed, cap)
    return (
        out,
        ref,
        {"compared_rows": n, "repeats": REPEATS if has_reference else 1, "detection_rows_per_side": n_det},
    )


def _repeat(real, frame, n, cols, rng, repeats) -> dict:
    """Each repeated key's ``Repeated`` over ``repeats`` subsamples of ``n`` rows, and mean column shapes.

    A table of at most ``n`` rows is scored whole; its bootstrap resamples then give only the spread."""
    runs = [
        headline(real, frame.iloc[draw_rows(len(frame), n, rng)].reset_index(drop=True), cols)
        for _ in range(repeats)
    ]
    out = {k: summarise([r[k] for r in runs], len(frame), n) for k in REPEATED_KEYS}
    if len(frame) <= n:
        whole = headline(real, frame, cols)
        out = {k: replace(v, mean=float(whole[k])) for k, v in out.items()}
        runs = [whole]
    out["shapes"] = {
        c: float(np.nanmean([r["shapes"][c] for r in runs]))
        if any(np.isfinite(r["shapes"][c]) for r in runs)
        else np.nan
        for c in cols.scored
    }
    return out


def _put(out: dict, runs: dict, with_se: bool) -> None:
    for key in REPEATED_KEYS:
        value: Repeated = runs[key]
        out[key] = _number(value.mean, REASONS[key])
        if with_se:
            out[key + "_spread"] = _number(value.spread, REASONS[key])
            out[key + "_se"] = _number(value.se, REASONS[key])


def _descriptive(real: pd.DataFrame, synthetic: pd.DataFrame, cols: Columns) -> dict:
    """Figures that describe the whole synthetic set rather than compare it at one size."""
    collapsed, missing = F.collapsed_columns(real, synthetic, cols), F.missingness(real, synthetic, cols)
    pairs = F.pair_trends(F.pair_scores(real, synthetic, cols)) if len(cols.scored) > 1 else None
    return {
        "worst_pair": pairs["worst_pair"] if pairs else None,
        "collapsed_columns": len(collapsed),
        "collapsed_column_names": collapsed,
        "missingness": missing,
        "per_column": F.per_column(real, synthetic, cols),
        "not_scored_columns": cols.skipped,
    }


def _detection(out: dict, real, other, n: int, cols, rng, with_se: bool) -> None:
    values = []
    for _ in range(DETECTION_REPEATS):
        values.append(guard(lambda: detection_auc(real, other, cols, rng, n)))
        if isinstance(values[-1], dict):
            out["detection_auc"] = values[-1]
            return
    summary = summarise(values, max(len(other), len(real)), n)
    out["detection_auc"] = summary.mean
    out["detection_auc_spread"] = summary.spread
    if with_se:
        out["detection_auc_se"] = summary.se


def _efficacy(out, real, synthetic, holdout, target, cols, seed, cap) -> None:
    if target is None:
        out["ml_efficacy"] = {"not_evaluated": "no target column given"}
    elif holdout is None:
        out["ml_efficacy"] = {"not_evaluated": "needs a real holdout to test on"}
    else:
        details = guard(
            lambda: ml_efficacy(
                real, synthetic, holdout, target, cols, metric_rng(seed, "fidelity.ml_efficacy"), cap
            )
        )
        ok = isinstance(details, dict) and "ratio" in details
        out["ml_efficacy"] = _number(details["ratio"], "the real-data model scores 0") if ok else details
        out["ml_efficacy_details"] = details


def guard(fn: Callable):
    """Run a metric; a failure is reported with its reason instead of vanishing."""
    try:
        return fn()
    except (ValueError, ArithmeticError, MemoryError) as exc:
        return {
            "not_evaluated": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'failed'}"
        }


def _number(value, reason: str):
    return float(value) if value is not None and np.isfinite(value) else {"not_evaluated": reason}
