"""The contract between transformer, conditional sampler and networks: which slice of a row does what.

A row's dense encoding is a float vector of ``Layout.width`` made of spans, column by column:
``scalar`` (one tanh value per numeric column), ``mode`` (one-hot over a numeric column's modes: the
mixture's, its point masses, its tails and its missing mode) and ``category`` (one-hot over a categorical
column's levels plus missing).
``EncodedTable`` stores a table compactly - float32 scalars plus int32 codes per one-hot span - and
builds dense rows only for the rows asked for.

Example:
    >>> import numpy as np
    >>> lay = Layout((Span("x", "scalar", 0, 1), Span("x", "mode", 1, 2), Span("c", "category", 3, 3)))
    >>> enc = EncodedTable(lay, np.array([[0.5]], np.float32), np.array([[1, 2]], np.int32))
    >>> enc.dense().tolist()
    [[0.5, 0.0, 1.0, 0.0, 0.0, 1.0]]
    >>> [a.tolist() for a in lay.decode(enc.dense())]
    [[[0.5]], [[1, 2]]]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

SCALAR, MODE, CATEGORY = "scalar", "mode", "category"


@dataclass(frozen=True)
class Span:
    """A slice ``[offset, offset + width)`` of the dense row belonging to ``column``."""

    column: str
    kind: str
    offset: int
    width: int

    @property
    def end(self) -> int:
        return self.offset + self.width


@dataclass(frozen=True)
class Layout:
    """All spans in order; derived index arrays are cached."""

    spans: tuple[Span, ...]

    @property
    def width(self) -> int:
        return self.spans[-1].end if self.spans else 0

    @cached_property
    def scalar_spans(self) -> tuple[Span, ...]:
        return tuple(s for s in self.spans if s.kind == SCALAR)

    @cached_property
    def onehot_spans(self) -> tuple[Span, ...]:
        return tuple(s for s in self.spans if s.kind != SCALAR)

    @cached_property
    def category_spans(self) -> tuple[Span, ...]:
        """The spans a conditional vector can select (categorical columns only)."""
        return tuple(s for s in self.spans if s.kind == CATEGORY)

    @cached_property
    def scalar_offsets(self) -> np.ndarray:
        return np.array([s.offset for s in self.scalar_spans], dtype=np.int64)

    @cached_property
    def onehot_offsets(self) -> np.ndarray:
        return np.array([s.offset for s in self.onehot_spans], dtype=np.int64)

    def decode(self, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split dense rows (n, width) into scalars (n, n_scalar) and argmax codes (n, n_onehot)."""
        scalars = dense[:, self.scalar_offsets].astype(np.float32)
        codes = np.empty((dense.shape[0], len(self.onehot_spans)), dtype=np.int32)
        for j, span in enumerate(self.onehot_spans):
            codes[:, j] = dense[:, span.offset : span.end].argmax(axis=1)
        return scalars, codes


@dataclass(frozen=True)
class EncodedTable:
    """A transformed table: ``scalars`` float32 (n, n_scalar) and ``codes`` int32 (n, n_onehot); both keep
    n rows."""

    layout: Layout
    scalars: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return self.scalars.shape[0]

    def dense(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Dense float32 rows (all rows, or those indexed by ``rows``): one-hots built here, on demand."""
        scalars = self.scalars if rows is None else self.scalars[rows]
        codes = self.codes if rows is None else self.codes[rows]
        n = scalars.shape[0]
        out = np.zeros((n, self.layout.width), dtype=np.float32)
        out[:, self.layout.scalar_offsets] = scalars
        if codes.size:
            out[np.arange(n)[:, None], codes + self.layout.onehot_offsets] = 1.0
        return out
