"""``evaluate(real, synthetic, holdout=None, target=None, schema=None) -> Report``.

The report is a nested dict with stable keys (documented in README): ``fidelity.*``, ``privacy.*``,
``reference.*`` (the same metrics with a fresh real sample - the holdout - in place of the
synthetic set) and ``meta``. A metric that cannot be computed is ``{"not_evaluated": reason}``.

Example:
    >>> from synthgan.data import load_heart_disease
    >>> df = load_heart_disease()
    >>> report = evaluate(df.iloc[:200], df.iloc[:200], holdout=df.iloc[200:], detection=False)
    >>> keys = ("privacy.exact_match_rate", "privacy.unique_copies", "privacy.unique_copies_excess")
    >>> tuple(report.get(key) for key in keys)
    (1.0, 200, 200)
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..exceptions import InvalidParameterError, SchemaError
from ..io.atomic import atomic_write_text
from ..io.tabular import load_table
from ..schema import Schema, SchemaWarning
from .columns import Columns, check_same_columns
from .figures import MIN_REFERENCE_ROWS, fidelity_pair
from .privacy import privacy_metrics
from .streams import CHANCE_CONFIDENCE, CONFIDENCE
from .validity import validity

#: Each quadratic or model-fitting step uses at most this many synthetic rows (seeded subsample).
DEFAULT_CAP = 20_000


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

    def to_html(
        self,
        path: str | os.PathLike,
        real=None,
        synthetic=None,
        holdout=None,
        decision=None,
        policy=None,
        history=None,
    ) -> Path:
        """A self-contained HTML file (images embedded); pass the tables (DataFrames) to include the plots,
        the gate's ``decision`` (and its ``policy``, for each rule's reason) to put the verdict on top, and a
        model's loss ``history`` for its curves."""
        from .html import render

        atomic_write_text(path, render(self, real, synthetic, holdout, decision, policy, history))
        return Path(path)

    def summary(self) -> str:
        rows = [("metric", "synthetic", "real holdout")]
        for key in SUMMARY_KEYS:
            rows.append(
                (key, format_value(self.get(key, None)), format_value(self.get("reference." + key, None)))
            )
        width = max(len(r[0]) for r in rows)
        return "\n".join(f"{a:<{width}}  {b:>14}  {c:>14}" for a, b, c in rows)

    __str__ = summary


SUMMARY_KEYS = (
    "fidelity.column_shapes",
    "fidelity.column_shapes_worst",
    "fidelity.column_pair_trends",
    "fidelity.missing_similarity",
    "fidelity.detection_auc",
    "fidelity.ml_efficacy",
    "privacy.exact_match_rate",
    "privacy.unique_copies",
    "privacy.near_copy_share",
    "privacy.dcr_closer_to_train_share",
    "privacy.dcr_synthetic_median",
    "privacy.nndr_ratio",
    "privacy.membership_inference_auc",
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

    Every metric draws from its own random stream (seeded by ``random_state`` and its name), so no value
    depends on which other metrics ran. ``support``: the real rows whose ranges, categories and gaps
    define valid output (default ``real``; pass the whole training table when ``real`` is a class-matched
    subset of it)."""
    real, synthetic = (
        load_table(real, label="the real table"),
        load_table(synthetic, label="the synthetic table"),
    )
    holdout = load_table(holdout, label="the holdout table") if holdout is not None else None
    check_same_columns(real, synthetic, "synthetic")
    if holdout is not None:
        check_same_columns(real, holdout, "holdout")
    synthetic, holdout = (
        synthetic[list(real.columns)],
        None if holdout is None else holdout[list(real.columns)],
    )
    if not isinstance(schema, Schema):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SchemaWarning)
            schema = Schema.infer(real, declared=schema)
    cols = Columns.from_schema(schema)
    if not cols.scored:
        raise SchemaError("no column can be compared: every column is constant or an identifier")
    if target is not None and target not in cols.scored:
        raise SchemaError(
            f"target {target!r} is not a comparable column; choose one of {list(cols.scored)[:20]}"
        )
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise InvalidParameterError(
            f"random_state={random_state!r} must be a whole number (the evaluation seed)"
        )
    seed = int(random_state)
    fidelity, fidelity_ref, fidelity_sizes = fidelity_pair(
        real, synthetic, holdout, target, cols, seed, cap, detection
    )
    privacy, privacy_ref, privacy_sizes = privacy_metrics(real, synthetic, holdout, cols, seed, cap)
    data = {
        "validity": validity(
            real if support is None else support[list(real.columns)],
            synthetic,
            cols,
            schema.constraints,
            schema,
        ),
        "fidelity": fidelity,
        "privacy": {**privacy, "sample_sizes": privacy_sizes},
    }
    if fidelity_ref is not None and privacy_ref is not None:
        data["reference"] = {"fidelity": fidelity_ref, "privacy": privacy_ref}
    else:
        data["reference"] = {"not_evaluated": f"needs a real holdout of at least {MIN_REFERENCE_ROWS} rows"}
    data["meta"] = {
        "synthgan_version": __version__,
        "rows": {
            "real": len(real),
            "synthetic": len(synthetic),
            "holdout": None if holdout is None else len(holdout),
        },
        "columns": {
            "numeric": list(cols.numeric),
            "categorical": list(cols.categorical),
            "not_scored": cols.skipped,
        },
        "subsample_cap": cap,
        "random_state": seed,
        "confidence": CONFIDENCE,
        "chance_confidence": CHANCE_CONFIDENCE,
        "fidelity_sample_sizes": fidelity_sizes,
        "target": target,
    }
    return Report(data)


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
