"""Release synthetic rows: sample, evaluate a seeded subsample against the real train/holdout rows,
gate, and only then stream all rows to an atomic Parquet/CSV file with provenance metadata.

The gate judges the first ``EVAL_ROWS`` generated rows (rows are drawn independently, so they are a
random sample of the output); those rows are the start of the exported file. With conditions, the
real rows are filtered by the same conditions before comparing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import pandas as pd

from .._random import make_rng
from .._version import __version__
from ..evaluation import Report, evaluate
from ..evaluation.columns import as_labels
from ..exceptions import GateFailedError
from ..gate import Decision, Policy, decide
from ..io.atomic import check_writable
from ..io.export import write_rows

#: The gate evaluates at most this many generated rows.
EVAL_ROWS = 20_000
#: Rows generated and written per Parquet row group.
CHUNK_ROWS = 100_000
SUMMARY_METRICS = (
    "fidelity.column_shapes", "fidelity.column_pair_trends_all_pairs", "fidelity.detection_auc",
    "privacy.exact_match_rate", "privacy.dcr_closer_to_train_excess", "privacy.nndr_ratio",
    "privacy.membership_inference_auc_upper",
)


@dataclass
class Release:
    path: Path
    report_path: Path | None
    decision: Decision | None
    report: Report | None


def report_path_for(out: str | os.PathLike) -> Path:
    """``synthetic.parquet`` -> ``synthetic.report.json`` beside it."""
    out = Path(out)
    return out.with_name(out.stem + ".report.json")


def gate_table(
    synthetic: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame | None, policy: Policy, out: Path, schema=None,
    support: pd.DataFrame | None = None,
) -> tuple[Report, Decision, Path]:
    """Evaluate and decide; the report JSON is written beside ``out`` either way. Raises on refusal."""
    report = evaluate(train, synthetic, holdout=holdout, schema=schema, support=support)
    return (report, *judge(report, policy, out, "synthetic data"))


def judge(report: Report, policy: Policy, out: Path, what: str) -> tuple[Decision, Path]:
    """Decide, record the decision in the report and write it beside ``out``; raises on refusal."""
    decision = decide(report, policy)
    report.data["gate"] = decision.to_dict()
    report_path = report_path_for(out)
    report.to_json(report_path)
    if not decision.passed:
        raise GateFailedError(f"the gate refused the {what} ({len(decision.failed)} failed checks)", decision)
    return decision, report_path


def release_samples(
    model, n: int, out: str | os.PathLike, *, train: pd.DataFrame, holdout: pd.DataFrame | None, policy: Policy | None,
    conditions: Mapping | None = None, seed: int | None = None, provenance: Mapping | None = None,
) -> Release:
    """Sample ``n`` rows from ``model`` and write them to ``out`` if the gate passes (``policy=None`` skips it)."""
    out = check_writable(out)
    rng = make_rng(seed)
    first = model.sample(min(n, EVAL_ROWS), conditions=conditions, random_state=rng)
    report = decision = report_path = None
    if policy is not None:
        real, hold = _matching(train, conditions), None if holdout is None else _matching(holdout, conditions)
        report, decision, report_path = gate_table(first, real, hold, policy, out, schema=model.schema_)

    def chunks() -> Iterator[pd.DataFrame]:
        yield first
        done = len(first)
        while done < n:
            size = min(CHUNK_ROWS, n - done)
            yield model.sample(size, conditions=conditions, random_state=rng)
            done += size

    metadata = _metadata(n, policy, decision, report, provenance, seed=seed, conditions=dict(conditions or {}),
                         evaluated_rows=len(first) if report is not None else 0)
    path = write_rows(out, chunks(), metadata)
    return Release(path, report_path, decision, report)


def export_table(
    synthetic: pd.DataFrame, out: str | os.PathLike, *, train: pd.DataFrame, holdout: pd.DataFrame | None,
    policy: Policy | None, provenance: Mapping | None = None,
) -> Release:
    """Gate a synthetic table made by any generator, then write it atomically with provenance."""
    out = check_writable(out)
    report = decision = report_path = None
    if policy is not None:
        report, decision, report_path = gate_table(synthetic, train, holdout, policy, out)
    metadata = _metadata(len(synthetic), policy, decision, report, provenance)
    return Release(write_rows(out, iter([synthetic]), metadata), report_path, decision, report)


def _metadata(rows: int, policy, decision, report, provenance: Mapping | None, **extra) -> dict:
    """What every exported file records: version, rows, the gate decision (or that it was skipped), key metrics."""
    return {
        "synthgan_version": __version__, "rows": rows, **extra,
        "gate": decision.to_dict() if decision is not None else {"skipped": True, "reason": "--no-gate"},
        "policy": policy.name if policy is not None else None,
        "metrics": {k: report.get(k, None) for k in SUMMARY_METRICS} if report is not None else None,
        **dict(provenance or {}),
    }


def _matching(frame: pd.DataFrame, conditions: Mapping | None) -> pd.DataFrame:
    if not conditions:
        return frame
    keep = pd.Series(True, index=frame.index)
    for column, value in conditions.items():
        keep &= as_labels(frame[column]) == as_labels(pd.Series([value])).iloc[0]
    return frame[keep].reset_index(drop=True)

