"""``evaluate(real, synthetic, holdout=None, target=None, schema=None) -> Report``.

The report is a nested dict with stable keys (documented in README): ``fidelity.*``, ``privacy.*``,
``reference.*`` (the same metrics with a fresh real sample - the holdout - in place of the
synthetic set) and ``meta``. A metric that cannot be computed is ``{"not_evaluated": reason}``.

Example:
    >>> from synthgan.data import load_heart_disease
    >>> df = load_heart_disease()
    >>> report = evaluate(df.iloc[:200], df.iloc[:200], holdout=df.iloc[200:], detection=False)
    >>> report.get("fidelity.column_shapes"), report.get("privacy.exact_match_rate")
    (1.0, 1.0)
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .._random import make_rng
from .._version import __version__
from ..exceptions import SchemaError
from ..io.atomic import atomic_write_text
from ..io.tabular import load_table
from ..schema import Schema, SchemaWarning
from . import fidelity as F
from .columns import Columns, check_same_columns
from .learners import detection_auc, ml_efficacy
from .privacy import privacy_metrics
from .validity import validity

#: Each quadratic or model-fitting step uses at most this many rows per table (seeded subsample).
DEFAULT_CAP = 20_000
#: Detection needs at least this many rows on each side.
MIN_DETECTION_ROWS = 20


@dataclass
class Report:
    """Evaluation results; ``get("privacy.nndr_ratio")`` reads one value by its dotted key."""

    data: dict

    def to_dict(self) -> dict:
        return copy.deepcopy(self.data)

    def get(self, key: str, default=KeyError):
        """The value at a dotted key; raises KeyError (or returns ``default`` when given) if absent."""
        node = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is KeyError:
                    raise KeyError(f"no metric {key!r} in the report")
                return default
            node = node[part]
        return node

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        text = json.dumps(_clean(self.data), indent=2, ensure_ascii=False)
        if path is not None:
            atomic_write_text(path, text + "\n")
        return text

    def to_html(self, path: str | os.PathLike, real=None, synthetic=None, holdout=None) -> Path:
        """A self-contained HTML file (images embedded); pass the tables (DataFrames) to include the plots."""
        from .html import render

        atomic_write_text(path, render(self, real, synthetic, holdout))
        return Path(path)

    def summary(self) -> str:
        rows = [("metric", "synthetic", "real holdout")]
        for key in SUMMARY_KEYS:
            rows.append((key, format_value(self.get(key, None)), format_value(self.get("reference." + key, None))))
        width = max(len(r[0]) for r in rows)
        return "\n".join(f"{a:<{width}}  {b:>14}  {c:>14}" for a, b, c in rows)

    __str__ = summary


SUMMARY_KEYS = (
    "fidelity.column_shapes", "fidelity.column_shapes_worst", "fidelity.column_pair_trends", "fidelity.missing_similarity", "fidelity.detection_auc",
    "fidelity.ml_efficacy", "privacy.exact_match_rate", "privacy.dcr_closer_to_train_share",
    "privacy.dcr_synthetic_median", "privacy.dcr_holdout_median", "privacy.nndr_ratio", "privacy.membership_inference_auc",
)


def evaluate(
    real,
    synthetic,
    holdout=None,
    target: str | None = None,
    schema: Schema | Mapping | str | os.PathLike | None = None,
    *,
    random_state: int = 0,
    cap: int = DEFAULT_CAP,
    detection: bool = True,
    support: pd.DataFrame | None = None,
) -> Report:
    """Compare ``synthetic`` with the ``real`` rows it was trained on, using ``holdout`` (real rows kept
    out of training) as the baseline. Tables are DataFrames or CSV/TSV/Parquet paths.

    ``support``: the real rows whose ranges, categories and gaps define valid output (default ``real``;
    pass the whole training table when ``real`` is a class-matched subset of it)."""
    real, synthetic = load_table(real, label="the real table"), load_table(synthetic, label="the synthetic table")
    holdout = load_table(holdout, label="the holdout table") if holdout is not None else None
    check_same_columns(real, synthetic, "synthetic")
    if holdout is not None:
        check_same_columns(real, holdout, "holdout")
    synthetic, holdout = synthetic[list(real.columns)], None if holdout is None else holdout[list(real.columns)]
    if not isinstance(schema, Schema):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SchemaWarning)
            schema = Schema.infer(real, declared=schema)
    cols = Columns.from_schema(schema)
    if not cols.scored:
        raise SchemaError("no column can be compared: every column is constant or an identifier")
    if target is not None and target not in cols.scored:
        raise SchemaError(f"target {target!r} is not a comparable column; choose one of {list(cols.scored)[:20]}")
    rng = make_rng(random_state)
    data = {
        "validity": validity(real if support is None else support[list(real.columns)], synthetic, cols),
        "fidelity": _fidelity(real, synthetic, holdout, target, cols, rng, cap, detection),
        "privacy": _privacy(real, synthetic, holdout, cols, rng, cap),
    }
    if holdout is not None and len(holdout) >= 8:
        half = rng.permutation(len(holdout))
        fresh, rest = holdout.iloc[half[: len(half) // 2]], holdout.iloc[half[len(half) // 2 :]]
        data["reference"] = {
            "fidelity": _fidelity(real, holdout, None, None, cols, rng, cap, detection),
            "privacy": _privacy(real, fresh.reset_index(drop=True), rest.reset_index(drop=True), cols, rng, cap),
        }
        data["reference"]["fidelity"]["ml_efficacy"] = {"not_evaluated": "train-on-real is the denominator of ml_efficacy"}
    else:
        data["reference"] = {"not_evaluated": "needs a real holdout of at least 8 rows"}
    data["meta"] = {
        "synthgan_version": __version__,
        "rows": {"real": len(real), "synthetic": len(synthetic), "holdout": None if holdout is None else len(holdout)},
        "columns": {"numeric": list(cols.numeric), "categorical": list(cols.categorical), "not_scored": cols.skipped},
        "subsample_cap": cap,
        "random_state": random_state,
        "target": target,
    }
    return Report(data)


def _fidelity(real, other, holdout, target, cols, rng, cap, detection) -> dict:
    shapes = F.column_shapes(real, other, cols)
    pairs = F.pair_trends(F.pair_scores(real, other, cols)) if len(cols.scored) > 1 else None
    valid = [v for v in shapes.values() if not np.isnan(v)]
    collapsed, missing = F.collapsed_columns(real, other, cols), F.missingness(real, other, cols)
    out = {
        "column_shapes": float(np.mean(valid)) if valid else {"not_evaluated": "no column has values on both sides"},
        "column_shapes_worst": float(np.min(valid)) if valid else {"not_evaluated": "no column has values on both sides"},
        "column_pair_trends": _number(pairs["trend_mean"] if pairs else np.nan, "no column pair shows a trend in the real data"),
        "column_pair_trends_all_pairs": _number(pairs["all_pairs_mean"] if pairs else np.nan, "fewer than two comparable columns"),
        "worst_pair": pairs["worst_pair"] if pairs else None,
        "collapsed_columns": len(collapsed),
        "collapsed_column_names": collapsed,
        "missing_similarity": missing["mean_similarity"],
        "missingness": missing,
        "per_column": {c: {"shape": _number(v, "no values on one side"), **d} for (c, v), d in zip(shapes.items(), F.per_column(real, other, cols).values())},
        "not_scored_columns": cols.skipped,
    }
    if not detection:
        out["detection_auc"] = {"not_evaluated": "detection was switched off"}
    elif min(len(real), len(other)) < MIN_DETECTION_ROWS:
        out["detection_auc"] = {"not_evaluated": f"needs at least {MIN_DETECTION_ROWS} rows in each table"}
    else:
        out["detection_auc"] = _guard(lambda: detection_auc(real, other, cols, rng, cap))
    if target is None:
        out["ml_efficacy"] = {"not_evaluated": "no target column given"}
    elif holdout is None:
        out["ml_efficacy"] = {"not_evaluated": "needs a real holdout to test on"}
    else:
        details = _guard(lambda: ml_efficacy(real, other, holdout, target, cols, rng, cap))
        out["ml_efficacy"] = _number(details["ratio"], "the real-data model scores 0") if isinstance(details, dict) and "ratio" in details else details
        out["ml_efficacy_details"] = details
    return out


def _privacy(real, other, holdout, cols, rng, cap) -> dict:
    values, sizes = privacy_metrics(real, other, holdout, cols, rng, cap)
    return {**values, "sample_sizes": sizes}


def _guard(fn: Callable):
    """Run a metric; a failure is reported with its reason instead of vanishing."""
    try:
        return fn()
    except (ValueError, ArithmeticError, MemoryError) as exc:
        return {"not_evaluated": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'failed'}"}


def _number(value, reason: str):
    return float(value) if value is not None and np.isfinite(value) else {"not_evaluated": reason}


def format_value(value) -> str:
    """A report figure for people: four decimals; "n/a" when absent, "not evaluated" when skipped."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.4f}"
    return "n/a" if value is None else "not evaluated"


def _clean(node):
    """JSON-safe copy: numpy scalars to Python, non-finite floats to null."""
    if isinstance(node, dict):
        return {str(k): _clean(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_clean(v) for v in node]
    if isinstance(node, (np.integer,)):
        return int(node)
    if isinstance(node, (float, np.floating)):
        return float(node) if np.isfinite(node) else None
    return node
