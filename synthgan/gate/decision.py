"""The gate: a pure function of a report and a policy, returning a decision. No I/O.

Example:
    >>> from synthgan.gate.policy import Policy
    >>> policy = Policy.from_toml(
    ...     '[[check]]\\nmetric = "privacy.exact_match_rate"\\nmax = "reference + 0.01"\\n'
    ... )
    >>> report = {"privacy": {"exact_match_rate": 0.5}, "reference": {"privacy": {"exact_match_rate": 0.0}}}
    >>> d = decide(report, policy)
    >>> d.passed, d.checks[0].threshold, d.failed[0].metric
    (False, 0.01, 'privacy.exact_match_rate')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .policy import Policy


@dataclass(frozen=True)
class CheckResult:
    metric: str
    bound: str
    value: float | None
    threshold: float | None
    passed: bool
    note: str = ""
    se: float | None = None  # standard error the check allowed for (policy ``confidence``)
    confidence: float | None = None

    def line(self) -> str:
        op = ">=" if self.bound == "min" else "<="
        value = "not evaluated" if self.value is None else f"{self.value:.4f}"
        if self.value is not None and self.se is not None:
            value += f" +- {self.se:.4f} (se)"
        threshold = "n/a" if self.threshold is None else f"{self.threshold:.4f}"
        if self.confidence is not None and self.threshold is not None:
            threshold += f" at {self.confidence:.0%} confidence"
        status = "pass" if self.passed else "FAIL"
        note = "  " + self.note if self.note else ""
        return f"{status}  {self.metric} = {value}  (required {op} {threshold}){note}"


@dataclass(frozen=True)
class Decision:
    passed: bool
    checks: tuple[CheckResult, ...]
    policy: str

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict:
        return {"passed": self.passed, "policy": self.policy, "checks": [asdict(c) for c in self.checks]}


def decide(report, policy: Policy) -> Decision:
    """Judge ``report`` (a Report or its dict) against every check of ``policy``.

    A check with ``confidence`` refuses only when the value lies past the threshold by more than
    z(confidence) times the report's standard error ``<metric>_se`` (the noise of the synthetic figure's gap
    to a real sample of the same size); without it, the value itself is compared."""
    data = report.data if hasattr(report, "data") else report
    results = []
    for check in policy.checks:
        value, note = _lookup(data, check.metric)
        reference, _ = _lookup(data, "reference." + check.metric) if check.relative else (None, "")
        if value is None:
            results.append(
                CheckResult(
                    check.metric,
                    check.bound,
                    None,
                    None,
                    check.optional,
                    ("waived: " if check.optional else "") + (note or "not evaluated"),
                )
            )
            continue
        threshold = check.threshold(reference)
        if threshold is None:
            results.append(
                CheckResult(
                    check.metric, check.bound, value, None, False, "no real-holdout reference to compare with"
                )
            )
            continue
        se = None
        if check.confidence is not None:
            se, note = _lookup(data, check.metric + "_se")
            if se is None:
                results.append(
                    CheckResult(
                        check.metric,
                        check.bound,
                        value,
                        threshold,
                        check.optional,
                        ("waived: " if check.optional else "") + f"no uncertainty: {note}",
                        None,
                        check.confidence,
                    )
                )
                continue
        allowance = check.z * (se or 0.0)
        ok = value + allowance >= threshold if check.bound == "min" else value - allowance <= threshold
        results.append(
            CheckResult(check.metric, check.bound, value, threshold, bool(ok), "", se, check.confidence)
        )
    return Decision(all(r.passed for r in results), tuple(results), policy.name)


def _lookup(data: dict, key: str) -> tuple[float | None, str]:
    node = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None, f"{key} is not in the report"
        node = node[part]
    if isinstance(node, dict) and "not_evaluated" in node:
        return None, f"not evaluated: {node['not_evaluated']}"
    if isinstance(node, bool) or not isinstance(node, (int, float)) or not math.isfinite(node):
        return None, f"{key} is not a finite number"
    return float(node), ""
