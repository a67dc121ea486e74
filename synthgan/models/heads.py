"""Per-span output activations, vectorised and differentiable: tanh for scalars, Gumbel-softmax for
one-hots (sampling draws codes instead: ``freeze.py``).

The networks see rows in a *model order* that differs from the transformer's column order: all
scalars first, then the one-hot spans grouped by width, each group contiguous. ``onehot_offsets``
give each span's start in model order, in the transformer's span order, so codes map to model
columns directly.

Training activates the narrow spans (most of them) on a transposed copy, one row per one-hot column,
where a softmax runs over a few rows of batch-length vectors: a (500, 12, 9) bfloat16 softmax along
its last dim took 235 us here, the same along dim 1 of (12, 9, 500) 41 us. Spans of nearby widths
share one softmax, padded to the widest with -inf rows (``bins``: a few softmaxes per step instead
of one per width). Wide spans (diabetes-130's 300-level codes) stay on the rows, one softmax per width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._random import quantile_draws
from ..transform.layout import Layout

#: Gumbel-softmax temperature of the one-hot spans (the CTGAN paper's 0.2).
GUMBEL_TAU = 0.2
#: Spans up to this width are activated on the transposed copy (wider ones are faster along the rows).
NARROW = 64
#: Grouping narrow widths into bins: one more softmax costs about as much as this many padded rows
#: (forward and backward at batch 500: ~16 us per op, ~0.45 us per padded row).
BIN_COST = 36


@dataclass(frozen=True)
class SpanGroup:
    """``count`` one-hot spans of ``width`` starting at model column ``start``; ``members`` are their
    positions among the layout's one-hot spans (= columns of the codes array)."""

    start: int
    count: int
    width: int
    members: torch.Tensor

    @property
    def end(self) -> int:
        return self.start + self.count * self.width


@dataclass(frozen=True)
class Bin:
    """``count`` narrow spans, each padded to ``width`` rows, at rows ``start:end`` of the padded copy."""

    start: int
    count: int
    width: int

    @property
    def end(self) -> int:
        return self.start + self.count * self.width


class Heads(nn.Module):
    """The generator's output activations for one Layout, and its model-order bookkeeping.

    Example:
        >>> from synthgan.transform.layout import Layout, Span
        >>> heads = Heads(Layout((Span("x", "scalar", 0, 1), Span("c", "category", 1, 3))))
        >>> out = heads(torch.zeros(2, 4), torch.Generator().manual_seed(0))
        >>> out.shape, bool(torch.allclose(out[:, 1:].sum(dim=1), torch.ones(2)))
        (torch.Size([2, 4]), True)
    """

    def __init__(self, layout: Layout, device: torch.device | str = "cpu", tau: float = GUMBEL_TAU) -> None:
        super().__init__()
        self.tau = tau
        spans = layout.onehot_spans
        self.n_scalar = len(layout.scalar_spans)
        self.groups: list[SpanGroup] = []
        offsets = np.zeros(len(spans), dtype=np.int64)
        start = self.n_scalar
        for w in sorted({s.width for s in spans}):
            members = [j for j, s in enumerate(spans) if s.width == w]
            offsets[members] = start + w * np.arange(len(members))
            self.groups.append(SpanGroup(start, len(members), w, torch.tensor(members, device=device)))
            start += w * len(members)
        self.width = start
        self.n_onehot = len(spans)
        self.onehot_offsets_np = offsets
        self.register_buffer("onehot_offsets", torch.as_tensor(offsets, device=device), persistent=False)
        narrow, self.wide = self.split_groups(NARROW)
        self.split = (
            narrow[-1].end if narrow else self.n_scalar
        )  # model columns n_scalar:split are the narrow spans
        self.wide_widths = [g.count * g.width for g in self.wide]
        self.bins, pad, back = _bins(narrow, self.n_scalar)
        self.register_buffer("pad_index", torch.as_tensor(pad, device=device), persistent=False)
        self.register_buffer("back_index", torch.as_tensor(back, device=device), persistent=False)

    def split_groups(self, width: int) -> tuple[list[SpanGroup], list[SpanGroup]]:
        """The groups of spans at most ``width`` wide and the wider ones; groups are sorted by width, so
        the first are a prefix of the model order's one-hot columns."""
        narrow = [g for g in self.groups if g.width <= width]
        return narrow, self.groups[len(narrow) :]

    def forward(
        self, raw: torch.Tensor, generator: torch.Generator | None, extra: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Training-time outputs (B, width) in model order for raw outputs (B, width): tanh scalars, then
        Gumbel-softmax(``tau``) one-hots, followed by ``extra``'s columns if given (e.g. the conditional
        vectors the critic also sees). The Gumbel noise comes from ``generator``."""
        rows, n0, k, tau = raw.shape[0], self.n_scalar, self.split - self.n_scalar, self.tau
        parts = [torch.tanh(raw[:, :n0])]
        if self.bins:  # the narrow spans: noise drawn transposed, padded with -inf rows, one softmax per bin
            noise = quantile_draws("gumbel", (k, rows), generator, raw.device, raw.dtype)
            # the logits transposed by a copy first: bfloat16 adds of a transposed operand take a slow path
            noisy = (noise + raw[:, n0 : self.split].T.contiguous()) / tau  # (k, B)
            pad = torch.full((1, rows), float("-inf"), dtype=noisy.dtype, device=noisy.device)
            padded = torch.cat([noisy, pad]).index_select(0, self.pad_index)  # (padded rows, B)
            soft = torch.cat(
                [
                    torch.softmax(padded[b.start : b.end].view(b.count, b.width, rows), dim=1).view(-1, rows)
                    for b in self.bins
                ]
            )
            parts.append(soft.index_select(0, self.back_index).T)  # (B, k)
        if self.wide:  # wide spans (hundreds of levels): one softmax per width, along the rows
            logits = raw[:, self.split : self.width]
            noisy = (logits + quantile_draws("gumbel", logits.shape, generator, raw.device, raw.dtype)) / tau
            for g, block in zip(self.wide, noisy.split(self.wide_widths, dim=1)):
                parts.append(torch.softmax(block.reshape(rows, g.count, g.width), dim=-1).reshape(rows, -1))
        if extra is not None:
            parts.append(extra.to(raw.dtype))
        return torch.cat(parts, dim=1)

    def dense_rows(
        self, scalars: torch.Tensor, codes: torch.Tensor, dtype: torch.dtype | None = None
    ) -> torch.Tensor:
        """Dense real rows (B, width) in model order from stored scalars and int codes, in ``dtype``
        (default: the scalars' dtype)."""
        out = torch.zeros(scalars.shape[0], self.width, dtype=dtype or scalars.dtype, device=scalars.device)
        out[:, : self.n_scalar] = scalars
        return out.scatter_(1, codes + self.onehot_offsets, 1.0)


def _bins(narrow: list[SpanGroup], n_scalar: int) -> tuple[list[Bin], np.ndarray, np.ndarray]:
    """Partition the narrow groups (sorted by width) into bins of consecutive groups, padding each to its
    widest, at least cost (``BIN_COST`` per bin plus one per padded row); and the row maps: padded row ->
    narrow column (the padding: the sentinel row past the last), narrow column -> padded row."""
    n = len(narrow)
    best, cut = (
        [0.0] + [np.inf] * n,
        [0] * (n + 1),
    )  # best[j]: least cost of the first j groups; cut[j]: where their last bin starts
    for j in range(1, n + 1):
        spans = 0
        for i in range(j - 1, -1, -1):
            spans += narrow[i].count
            cost = best[i] + BIN_COST + spans * narrow[j - 1].width
            if cost < best[j]:
                best[j], cut[j] = cost, i
    parts, j = [], n
    while j:
        parts.insert(0, narrow[cut[j] : j])
        j = cut[j]
    sentinel = narrow[-1].end - n_scalar if narrow else 0
    bins, pad, back, row = [], [], np.zeros(sentinel, dtype=np.int64), 0
    for part in parts:
        width, count = part[-1].width, sum(g.count for g in part)
        bins.append(Bin(row, count, width))
        for g in part:
            for s in range(g.count):
                first = g.start - n_scalar + s * g.width
                pad.extend(range(first, first + g.width))
                pad.extend([sentinel] * (width - g.width))
                back[first : first + g.width] = np.arange(row, row + g.width)
                row += width
    return bins, np.asarray(pad, dtype=np.int64), back
