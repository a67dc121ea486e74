"""The gate: policy-driven pass/fail decisions on evaluation reports."""

from .decision import CheckResult, Decision, decide
from .policy import Check, Policy

__all__ = ["Check", "CheckResult", "Decision", "Policy", "decide"]
