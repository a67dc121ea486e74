"""Reversible encoding of tables: mode-specific normalisation for numbers, compact codes for categories."""

from .layout import EncodedTable, Layout, Span
from .table import TableTransformer

__all__ = ["EncodedTable", "Layout", "Span", "TableTransformer"]
