"""Conditional vectors and training-by-sampling (CTGAN paper, section 4.3), fully vectorised.

For a batch: pick a categorical column uniformly, pick one of its levels by log-frequency (training)
or true frequency (unconditional sampling), set that level in a one-hot over all categorical levels,
and pick real rows that have it. With ``modes`` (``CTGAN(condition_modes=True)``, as CTAB-GAN does) the
numeric columns' mode spans follow the categorical levels in the vector and are picked the same way.
Rows are found through one stable argsort per column made once, so a batch costs a few numpy calls and
no per-row Python.

Example:
    >>> import numpy as np
    >>> from synthgan.transform.layout import Layout, Span
    >>> lay = Layout((Span("c", "category", 0, 3),))
    >>> s = ConditionalSampler.from_codes(np.array([[0], [0], [1], [2]]), lay)
    >>> s.counts.tolist(), s.width
    ([2, 1, 1], 3)
    >>> cond, chosen, rows = s.sample_train(4, np.random.default_rng(0))
    >>> bool((cond.argmax(axis=1) == np.array([[0], [0], [1], [2]])[rows, 0]).all())
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..transform.bounds import MIN_COUNT
from ..transform.layout import Layout


@dataclass(eq=False)
class ConditionalSampler:
    """Level counts per conditioned span (categorical ones in layout order, then numeric modes) and, when
    fitted on data, row lookup tables.

    ``counts`` (n_levels_total,) are the only statistics stored with a model: aggregates, not rows.
    """

    widths: np.ndarray  # (n_cols,) levels per conditioned column (a categorical one, or a numeric mode span)
    counts: np.ndarray  # (n_levels_total,) rows per level
    order: np.ndarray | None = None  # (n_cols * n_rows,) row indices sorted by level, per column
    n_rows: int = 0
    columns: list[str] | None = None  # the conditioned columns' names: categorical, then numeric modes
    column_p: np.ndarray | None = None  # training: chance of conditioning on each column (None: uniform)
    log_frequency: bool = True  # training: levels by log-frequency (the paper) or by frequency
    spans: tuple[int, ...] | None = None  # training: the one-hot spans conditioned on (layout.onehot_spans)
    n_categorical: int | None = None  # training: the first n columns are categorical, the rest numeric modes
    held: np.ndarray | None = None  # training: true rows per level where ``counts`` hides a rare mode's

    @classmethod
    def from_codes(
        cls, codes: np.ndarray, layout: Layout, modes: bool = False, min_count: int = MIN_COUNT
    ) -> "ConditionalSampler":
        """Build from the int codes of an ``EncodedTable``: its categorical spans, then with ``modes`` every
        numeric column's mode span (CTAB-GAN's conditioning on modes). A mode held by fewer than
        ``min_count`` (k) training rows - a tail's few most extreme patients, a rare missing value - is never
        a condition (its count is stored as 0), and a span with fewer than two such modes is left out."""
        spans = layout.onehot_spans
        kept = {
            j: np.bincount(codes[:, j], minlength=s.width)
            for j, s in enumerate(spans)
            if s.kind == "category"
        }
        n_categorical = len(kept)
        for j, span in enumerate(spans):
            if modes and span.kind == "mode":
                counts = np.bincount(codes[:, j], minlength=span.width)
                if (counts >= min_count).sum() > 1:  # two modes or more that k rows hold
                    kept[j] = counts
        picked = list(kept)
        widths = np.array([spans[j].width for j in picked], dtype=np.int64)
        held = np.concatenate(list(kept.values())) if kept else np.zeros(0, np.int64)
        drawn = held.copy()
        first_mode = int(widths[:n_categorical].sum())
        drawn[first_mode:][drawn[first_mode:] < min_count] = 0
        order = [np.argsort(codes[:, j], kind="stable") for j in picked]
        return cls(
            widths=widths,
            counts=drawn,
            order=np.concatenate(order) if order else None,
            n_rows=codes.shape[0],
            columns=[spans[j].column for j in picked],
            spans=tuple(picked),
            n_categorical=n_categorical,
            held=held,
        )

    @property
    def width(self) -> int:
        """Length of the conditional vector (all categorical levels, then any numeric modes)."""
        return int(self.widths.sum())

    @property
    def n_columns(self) -> int:
        return len(self.widths)

    @cached_property
    def offsets(self) -> np.ndarray:
        """Start of each categorical column's levels in the conditional vector."""
        return np.concatenate([[0], np.cumsum(self.widths)[:-1]]).astype(np.int64)

    def probabilities(self, log_frequency: bool) -> np.ndarray:
        """Per-level choice probabilities within each column, padded to (n_cols, max_width)."""
        probs = np.zeros((self.n_columns, int(self.widths.max(initial=0))))
        for i, (start, w) in enumerate(zip(self.offsets, self.widths)):
            c = self.counts[start : start + w].astype(np.float64)
            c = np.log(c + 1) if log_frequency else c
            probs[i, :w] = c / c.sum()
        return probs

    @cached_property
    def _cdfs(self) -> dict[bool, np.ndarray]:
        out = {}
        for log in (True, False):
            probs = self.probabilities(log)
            if not probs.size:
                out[log] = probs
                continue
            # 1 from each column's last drawable level on: a sum that rounds under 1 never reaches a level
            # that is not drawn (a rare mode's count is stored as 0)
            last = probs.shape[1] - 1 - np.argmax(probs[:, ::-1] > 0, axis=1)
            out[log] = np.where(np.arange(probs.shape[1]) >= last[:, None], 1.0, np.cumsum(probs, axis=1))
        return out

    @property
    def _rows_per_level(self) -> np.ndarray:
        """The training rows that hold each level (``held``; ``counts`` where no rare mode is hidden)."""
        return self.counts if self.held is None else self.held

    @cached_property
    def _starts(self) -> np.ndarray:
        return np.cumsum(self._rows_per_level) - self._rows_per_level

    def draw(
        self, n: int, rng: np.random.Generator, log_frequency: bool, column_p: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Choose (column, level) for ``n`` rows: column uniformly (or by ``column_p``), level by
        (log-)frequency."""
        col = (
            rng.integers(0, self.n_columns, size=n)
            if column_p is None
            else rng.choice(self.n_columns, size=n, p=column_p)
        )
        cdf = self._cdfs[log_frequency][col]  # (n, max_width)
        u = rng.random(n)[:, None]
        level = np.minimum((cdf < u).sum(axis=1), self.widths[col] - 1)
        return col, level

    def one_hot(self, col: np.ndarray, level: np.ndarray) -> np.ndarray:
        cond = np.zeros((len(col), self.width), dtype=np.float32)
        cond[np.arange(len(col)), self.offsets[col] + level] = 1.0
        return cond

    def sample_train(
        self, n: int, rng: np.random.Generator, pack: int = 1
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Training batch: (cond (n, width), chosen global level (n,), real row indices (n,)). With
        ``pack > 1`` (a divisor of ``n``) each run of ``pack`` consecutive rows - one critic pack - shares
        one condition, and its real rows are drawn independently among the rows with that level."""
        if n % pack:
            raise ValueError(f"a batch of {n} rows does not split into runs of {pack}")
        col, level = self.draw(n // pack, rng, log_frequency=self.log_frequency, column_p=self.column_p)
        col, level = np.repeat(col, pack), np.repeat(level, pack)
        return self.one_hot(col, level), self.offsets[col] + level, self.rows_for(col, level, rng)

    def sample_index(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Positions of the 1 in ``n`` conditional vectors drawn from the true level frequencies
        (unconditional sampling; the generator gathers instead of multiplying by one-hots)."""
        col, level = self.draw(n, rng, log_frequency=False)
        return self.offsets[col] + level

    def rows_for(self, col: np.ndarray, level: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One real row index per (column, level), uniformly among the rows that have that level.

        ``order`` holds each column's rows sorted by level, column after column; since every column's
        counts sum to ``n_rows``, the running count before a level is exactly where its rows start.
        """
        glob = self.offsets[col] + level
        rows = np.floor(rng.random(len(col)) * self._rows_per_level[glob]).astype(np.int64)
        return self.order[self._starts[glob] + rows]

    def to_dict(self) -> dict:
        return {"widths": self.widths.tolist(), "counts": self.counts.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "ConditionalSampler":
        return cls(widths=np.asarray(data["widths"], np.int64), counts=np.asarray(data["counts"], np.int64))
