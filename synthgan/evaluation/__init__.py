"""Evaluation of synthetic tables: fidelity, privacy, reports."""

from .report import Report, evaluate

__all__ = ["Report", "evaluate"]
