"""Per-span output activations, vectorised: tanh for scalars, Gumbel-softmax for one-hots (sampling:
frozen.py), with their backward pass written out for the training step.

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

from .._random import quantile_draws
from ..transform.layout import Layout

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


class Heads:
    """Model-order bookkeeping for one Layout, on one device."""

    def __init__(self, layout: Layout, device: torch.device | str = "cpu") -> None:
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
        self.onehot_offsets = torch.as_tensor(offsets, device=device)
        narrow, self.wide = self.split_groups(NARROW)
        self.split = narrow[-1].end if narrow else self.n_scalar  # model columns n_scalar:split are the narrow spans
        self.wide_widths = [g.count * g.width for g in self.wide]
        self.bins, pad, back = _bins(narrow, self.n_scalar)
        self.pad_index, self.back_index = torch.as_tensor(pad, device=device), torch.as_tensor(back, device=device)
        self._work: dict[str, torch.Tensor] = {}

    def split_groups(self, width: int) -> tuple[list[SpanGroup], list[SpanGroup]]:
        """The groups of spans at most ``width`` wide and the wider ones; groups are sorted by width, so
        the first are a prefix of the model order's one-hot columns."""
        narrow = [g for g in self.groups if g.width <= width]
        return narrow, self.groups[len(narrow) :]

    def activate(self, raw: torch.Tensor, tau: float, generator: torch.Generator | None,
                 extra: torch.Tensor | None = None) -> tuple[torch.Tensor, tuple]:
        """Training-time outputs (B, width) in model order: tanh scalars, Gumbel-softmax(tau) one-hots,
        followed by ``extra``'s columns if given (e.g. the conditional vectors the critic also sees);
        and the tape ``backward`` needs (views of the output: leave it unchanged until then). No autograd."""
        rows, n0, k = raw.shape[0], self.n_scalar, self.split - self.n_scalar
        out = torch.empty(rows, self.width + (0 if extra is None else extra.shape[1]), dtype=raw.dtype, device=raw.device)
        scalars = torch.tanh(raw[:, :n0], out=out[:, :n0])
        soft = None
        if self.bins:  # the narrow spans: Gumbel noise drawn transposed, logits added, padded, one softmax per bin
            work = self._workspace("forward", rows, raw, float("-inf"))  # (k + 1, B); row k: the padding's -inf
            noisy = quantile_draws("gumbel", (k, rows), generator, raw.device, raw.dtype, out=work[:k])
            # the logits transposed by a copy first: bfloat16 add_ of a transposed operand takes 134 us for
            # 127 x 500 here, the transposing copy 20 and the contiguous add 10
            noisy.add_(raw[:, n0 : self.split].T.contiguous()).div_(tau)
            padded = work.index_select(0, self.pad_index)
            soft = torch.empty_like(padded)
            for b in self.bins:
                shape = (b.count, b.width, rows)
                torch.ops.aten._softmax.out(padded[b.start : b.end].view(shape), 1, False, out=soft[b.start : b.end].view(shape))
            torch.index_select(soft, 0, self.back_index, out=out[:, n0 : self.split].T)
        wide = []
        if self.wide:
            logits = raw[:, self.split : self.width]
            noisy = (logits + gumbel_like(logits, generator)).div_(tau)
            for g, block in zip(self.wide, noisy.split(self.wide_widths, dim=1)):
                wide.append(torch.softmax(block.reshape(rows, g.count, g.width), dim=-1))
                out[:, g.start : g.end] = wide[-1].view(rows, -1)
        if extra is not None:
            out[:, self.width :] = extra
        return out, (scalars, soft, wide)

    def backward(self, tape: tuple, grad: torch.Tensor, tau: float) -> torch.Tensor:
        """The gradient with respect to the raw outputs for the outputs' gradient ``grad`` (B, width or more:
        columns past ``width``, e.g. a conditional vector, are ignored), from ``activate``'s tape."""
        scalars, soft, wide = tape
        rows, n0, k = grad.shape[0], self.n_scalar, self.split - self.n_scalar
        out = torch.empty(rows, self.width, dtype=grad.dtype, device=grad.device)
        torch.ops.aten.tanh_backward(grad[:, :n0], scalars, grad_input=out[:, :n0])
        if soft is not None:  # the softmax backward is linear in the gradient: the forward's 1/tau goes in with the copy
            work = self._workspace("backward", rows, grad, 0.0)
            torch.div(grad[:, n0 : self.split].T, tau, out=work[:k])
            padded = work.index_select(0, self.pad_index)
            d_soft = torch.empty_like(padded)
            for b in self.bins:
                shape = (b.count, b.width, rows)
                torch.ops.aten._softmax_backward_data.out(padded[b.start : b.end].view(shape), soft[b.start : b.end].view(shape), 1,
                                                          soft.dtype, grad_input=d_soft[b.start : b.end].view(shape))
            torch.index_select(d_soft, 0, self.back_index, out=out[:, n0 : self.split].T)
        for g, y in zip(self.wide, wide):
            shape = (rows, g.count, g.width)
            d_logits = torch._softmax_backward_data(grad[:, g.start : g.end].reshape(shape), y, -1, y.dtype)
            torch.div(d_logits.view(rows, -1), tau, out=out[:, g.start : g.end])
        return out

    def dense_rows(self, scalars: torch.Tensor, codes: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Dense real rows (B, width) in model order from stored scalars and int codes, in ``dtype``
        (default: the scalars' dtype)."""
        out = torch.zeros(scalars.shape[0], self.width, dtype=dtype or scalars.dtype, device=scalars.device)
        out[:, : self.n_scalar] = scalars
        return out.scatter_(1, codes + self.onehot_offsets, 1.0)

    def _workspace(self, name: str, rows: int, like: torch.Tensor, pad: float) -> torch.Tensor:
        """A (narrow columns + 1, rows) buffer reused from step to step; its last row holds ``pad``."""
        k = self.split - self.n_scalar
        work = self._work.get(name)
        if work is None or work.shape != (k + 1, rows) or work.dtype != like.dtype or work.device != like.device:
            work = self._work[name] = torch.empty(k + 1, rows, dtype=like.dtype, device=like.device)
            work[k] = pad
        return work


def _bins(narrow: list[SpanGroup], n_scalar: int) -> tuple[list[Bin], np.ndarray, np.ndarray]:
    """Partition the narrow groups (sorted by width) into bins of consecutive groups, padding each to its
    widest, at least cost (``BIN_COST`` per bin plus one per padded row); and the row maps: padded row ->
    narrow column (the padding: the sentinel row past the last), narrow column -> padded row."""
    n = len(narrow)
    best, cut = [0.0] + [np.inf] * n, [0] * (n + 1)  # best[j]: least cost of the first j groups; cut[j]: where their last bin starts
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


def gumbel_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Standard Gumbel noise shaped like ``x``, from ``generator`` (``quantile_draws``: a table lookup
    replaces two logs per entry, 500 x 137: 135 us instead of 231 us here); cut at -2.5 < g < 11.8, far
    beyond what a softmax at temperature 0.2 can tell apart."""
    return quantile_draws("gumbel", x.shape, generator, x.device, x.dtype)
