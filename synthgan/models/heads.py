"""Per-span output activations, vectorised: tanh for scalars, Gumbel-softmax for one-hots (sampling:
frozen.py), with their backward pass written out for the training step.

The networks see rows in a *model order* that differs from the transformer's column order: all
scalars first, then the one-hot spans grouped by width, each group contiguous. Activating a group is
then a view (B, n_spans, width), one softmax and a concatenation - no gathers or scatters in the
forward or backward pass, whatever the number of columns. ``onehot_offsets`` give each span's start
in model order, in the transformer's span order, so codes map to model columns directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .._random import quantile_draws
from ..transform.layout import Layout


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
        self.group_widths = [g.count * g.width for g in self.groups]
        self.n_onehot = len(spans)
        self.onehot_offsets_np = offsets
        self.onehot_offsets = torch.as_tensor(offsets, device=device)

    def activate(self, raw: torch.Tensor, tau: float, generator: torch.Generator | None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Training-time outputs (B, width) in model order: tanh scalars, Gumbel-softmax(tau) one-hots;
        and the per-group outputs ``backward`` needs. No autograd."""
        scalars, logits = raw.split([self.n_scalar, raw.shape[1] - self.n_scalar], dim=1)
        noisy = (logits + gumbel_like(logits, generator)).div_(tau)
        parts = [torch.tanh(scalars)]
        for g, block in zip(self.groups, noisy.split(self.group_widths, dim=1)):
            parts.append(torch.softmax(block.reshape(-1, g.count, g.width), dim=-1).reshape(-1, g.count * g.width))
        return torch.cat(parts, dim=1), parts

    def backward(self, parts: list[torch.Tensor], grad: torch.Tensor, tau: float) -> torch.Tensor:
        """The gradient with respect to the raw outputs for the outputs' gradient ``grad`` (B, width or more:
        columns past ``width``, e.g. a conditional vector, are ignored), from ``activate``'s parts."""
        out = torch.empty(grad.shape[0], self.width, dtype=grad.dtype, device=grad.device)
        d_parts = grad[:, : self.width].split([self.n_scalar, *self.group_widths], dim=1)
        torch.ops.aten.tanh_backward(d_parts[0], parts[0], grad_input=out[:, : self.n_scalar])
        for g, d, y in zip(self.groups, d_parts[1:], parts[1:]):
            shape = (-1, g.count, g.width)
            d_logits = torch._softmax_backward_data(d.reshape(shape), y.reshape(shape), -1, y.dtype)
            torch.div(d_logits.reshape(-1, g.count * g.width), tau, out=out[:, g.start : g.end])  # the 1/tau of the forward
        return out

    def dense_rows(self, scalars: torch.Tensor, codes: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Dense real rows (B, width) in model order from stored scalars and int codes, in ``dtype``
        (default: the scalars' dtype)."""
        out = torch.zeros(scalars.shape[0], self.width, dtype=dtype or scalars.dtype, device=scalars.device)
        out[:, : self.n_scalar] = scalars
        return out.scatter_(1, codes + self.onehot_offsets, 1.0)


def gumbel_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Standard Gumbel noise shaped like ``x``, from ``generator`` (``quantile_draws``: a table lookup
    replaces two logs per entry, 500 x 137: 135 us instead of 231 us here); cut at -2.5 < g < 11.8, far
    beyond what a softmax at temperature 0.2 can tell apart."""
    return quantile_draws("gumbel", x.shape, generator, x.device, x.dtype)
