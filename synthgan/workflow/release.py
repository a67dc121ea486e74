"""Release synthetic rows: sample, evaluate a seeded subsample against the real train/holdout rows,
gate, and only then stream all rows to an atomic Parquet/CSV file with provenance metadata.

The gate judges the first ``EVAL_ROWS`` generated rows (rows are drawn independently, so they are a
random sample of the output); those rows are the start of the exported file. Copies of training
records that single out a person are counted over every row written: each exported chunk is hashed,
and a count past the policy's limit stops the export mid-stream, leaving no output file. With
conditions, the real rows are filtered by the same conditions before comparing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._random import make_rng
from .._version import __version__
from ..evaluation import Report, evaluate
from ..evaluation.columns import Columns, as_labels
from ..evaluation.copies import CopyGuard
from ..exceptions import ConditionError, GateFailedError
from ..gate import CheckResult, Decision, Policy, decide
from ..io.atomic import check_writable
from ..io.export import write_rows
from .holdout import check_disjoint

#: The gate evaluates at most this many generated rows.
EVAL_ROWS = 20_000
#: Rows generated and written per Parquet row group.
CHUNK_ROWS = 100_000
SUMMARY_METRICS = (
    "fidelity.column_shapes",
    "fidelity.column_pair_trends_all_pairs",
    "fidelity.detection_auc",
    "privacy.exact_match_rate",
    "privacy.unique_copies_excess",
    "privacy.near_copy_excess",
    "privacy.dcr_closer_to_train_gain",
    "privacy.nndr_ratio",
    "privacy.membership_inference_auc",
)
#: The policy check whose limit applies to every row written.
COPY_METRIC = "privacy.unique_copies_excess"


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
    synthetic: pd.DataFrame,
    train: pd.DataFrame,
    holdout: pd.DataFrame | None,
    policy: Policy,
    out: Path,
    schema=None,
    support: pd.DataFrame | None = None,
    html: Path | None = None,
    history: pd.DataFrame | None = None,
) -> tuple[Report, Decision, Path]:
    """Evaluate and decide; the report JSON (and the HTML report at ``html``) is written either way. Raises
    on refusal."""
    report = evaluate(train, synthetic, holdout=holdout, schema=schema, support=support)

    def pages(decision: Decision) -> None:
        if html is not None:
            report.to_html(html, train, synthetic, holdout, decision=decision, policy=policy, history=history)

    return (report, *judge(report, policy, out, "synthetic data", pages))


def judge(report: Report, policy: Policy, out: Path, what: str, on_decision=None) -> tuple[Decision, Path]:
    """Decide, record the decision in the report and write it beside ``out`` (``on_decision(decision)``
    writes whatever else goes with it); raises on refusal."""
    decision = decide(report, policy)
    report.data["gate"] = decision.to_dict()
    report_path = report_path_for(out)
    report.to_json(report_path)
    if on_decision is not None:
        on_decision(decision)
    if not decision.passed:
        raise GateFailedError(f"the gate refused the {what} ({len(decision.failed)} failed checks)", decision)
    return decision, report_path


def release_samples(
    model,
    n: int,
    out: str | os.PathLike,
    *,
    train: pd.DataFrame,
    holdout: pd.DataFrame | None,
    policy: Policy | None,
    conditions: Mapping | None = None,
    seed: int | None = None,
    provenance: Mapping | None = None,
    html: str | os.PathLike | None = None,
) -> Release:
    """Sample ``n`` rows from ``model`` and write them to ``out`` if the gate passes (``policy=None`` skips
    it); ``html``: where to write the HTML report (the verdict, every check, plots, the loss curves)."""
    out = check_writable(out)
    rng = make_rng(seed)
    known = policy is not None and bool(conditions) and set(conditions) <= set(train.columns)
    if known and not len(_matching(train, conditions)):  # (an unknown column: sample() says so)
        asked = ", ".join(f"{k}={v!r}" for k, v in conditions.items())
        raise ConditionError(
            f"no training row has {asked}, so the gate has no real rows to compare these with; choose "
            "values the data holds, or sample without the gate (--no-gate)"
        )
    first = model.sample(min(n, EVAL_ROWS), conditions=conditions, random_state=rng)
    report = decision = report_path = stream = None
    if policy is not None:
        real, hold = _matching(train, conditions), None if holdout is None else _matching(holdout, conditions)
        report, decision, report_path = gate_table(
            first,
            real,
            hold,
            policy,
            out,
            schema=model.schema_,
            html=None if html is None else Path(html),
            history=getattr(model, "loss_values_", None),
        )
        stream = StreamCheck.from_policy(
            policy, real, hold, Columns.from_schema(model.schema_), n, report, report_path
        )

    def chunks() -> Iterator[pd.DataFrame]:
        done = 0
        while done < n:
            chunk = (
                first
                if done == 0
                else model.sample(min(CHUNK_ROWS, n - done), conditions=conditions, random_state=rng)
            )
            if stream is not None:
                stream.check(chunk)
            yield chunk
            done += len(chunk)

    metadata = _metadata(
        n,
        policy,
        decision,
        report,
        provenance,
        seed=seed,
        conditions=dict(conditions or {}),
        evaluated_rows=len(first) if report is not None else 0,
        copies_checked_rows=n if stream is not None else 0,
    )
    path = write_rows(out, chunks(), metadata)
    if stream is not None:
        stream.record()
    return Release(path, report_path, decision, report)


class StreamCheck:
    """The policy's limit on copies of unique training records, applied to every row written.

    The limit is fixed before writing (the chance allowance for all ``n`` rows plus the policy's
    maximum), so a chunk that pushes the running count past it stops the export at once."""

    def __init__(self, guard: CopyGuard, limit: int, n: int, report: Report, report_path: Path) -> None:
        self.guard, self.limit, self.n, self.report, self.report_path = guard, limit, n, report, report_path

    @classmethod
    def from_policy(
        cls, policy: Policy, train, holdout, cols: Columns, n: int, report: Report, report_path: Path
    ):
        """None when the policy does not limit copies (or has no holdout to judge chance by)."""
        check = next(
            (c for c in policy.checks if c.metric == COPY_METRIC and c.bound == "max" and not c.relative),
            None,
        )
        guard = CopyGuard(train, holdout, cols)
        allowed = guard.allowed(n)
        if check is None or allowed is None:
            return None
        return cls(guard, allowed + int(float(check.expression)), n, report, report_path)

    def check(self, chunk: pd.DataFrame) -> None:
        """Count one chunk's copies; refuse (raise) once the running count passes the limit."""
        self.guard.update(chunk)
        if self.guard.count > self.limit:
            result = CheckResult(
                COPY_METRIC + "_all_rows",
                "max",
                float(self.guard.count),
                float(self.limit),
                False,
                f"counted over the first {self.guard.rows} of {self.n} rows written",
            )
            self.record(passed=False)
            raise GateFailedError(
                "the gate refused the synthetic data while writing (copies of unique training records)",
                Decision(False, (result,), "stream"),
            )

    def record(self, passed: bool = True) -> None:
        """Add the all-rows count to the report beside the output."""
        self.report.data["privacy"]["unique_copies_all_rows"] = {
            "copies": self.guard.count,
            "rows_checked": self.guard.rows,
            "rows": self.n,
            "limit": self.limit,
            "passed": passed,
        }
        self.report.to_json(self.report_path)


def export_table(
    synthetic: pd.DataFrame,
    out: str | os.PathLike,
    *,
    train: pd.DataFrame,
    holdout: pd.DataFrame | None,
    policy: Policy | None,
    provenance: Mapping | None = None,
) -> Release:
    """Gate a synthetic table made by any generator, then write it atomically with provenance."""
    out = check_writable(out)
    if holdout is not None:
        check_disjoint(train, holdout)
    report = decision = report_path = None
    if policy is not None:
        report, decision, report_path = gate_table(synthetic, train, holdout, policy, out)
    metadata = _metadata(len(synthetic), policy, decision, report, provenance)
    return Release(write_rows(out, iter([synthetic]), metadata), report_path, decision, report)


def _metadata(rows: int, policy, decision, report, provenance: Mapping | None, **extra) -> dict:
    """What every exported file records: version, rows, the gate decision (or that it was skipped), key
    metrics."""
    return {
        "synthgan_version": __version__,
        "rows": rows,
        **extra,
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
