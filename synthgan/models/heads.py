"""Per-span output activations, vectorised: tanh for scalars, Gumbel-softmax / sampling for one-hots.

Spans of equal width are processed together through one gather -> (B, n_spans, width) tensor, so a
table with 60 one-hot spans costs a handful of kernel calls per batch, not 60.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..transform.layout import Layout


@dataclass(frozen=True)
class SpanGroup:
    """One-hot spans of one width: ``index`` (n_spans, width) of dense columns, ``position`` in codes."""

    index: torch.Tensor
    position: torch.Tensor


class Heads:
    """Index tables derived from a Layout, on one device."""

    def __init__(self, layout: Layout, device: torch.device | str = "cpu") -> None:
        self.width = layout.width
        self.scalar_index = torch.as_tensor(layout.scalar_offsets, device=device)
        self.onehot_offsets = torch.as_tensor(layout.onehot_offsets, device=device)
        self.groups: list[SpanGroup] = []
        spans = layout.onehot_spans
        for w in sorted({s.width for s in spans}):
            members = [j for j, s in enumerate(spans) if s.width == w]
            index = torch.tensor([[spans[j].offset + k for k in range(w)] for j in members], device=device)
            self.groups.append(SpanGroup(index, torch.tensor(members, device=device)))
        self.n_onehot = len(spans)

    def activate(self, raw: torch.Tensor, tau: float, generator: torch.Generator | None) -> torch.Tensor:
        """Training-time outputs (B, width): tanh scalars, Gumbel-softmax(tau) one-hots (soft)."""
        out = torch.empty_like(raw)
        out[:, self.scalar_index] = torch.tanh(raw[:, self.scalar_index])
        for g in self.groups:
            logits = raw[:, g.index]  # (B, n_spans, w)
            noisy = (logits + gumbel_like(logits, generator)) / tau
            out[:, g.index] = torch.softmax(noisy, dim=-1)
        return out

    def sample(self, raw: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Sampling-time outputs: scalars (B, n_scalar) and codes (B, n_onehot) drawn from softmax(logits).

        argmax(logits + Gumbel noise) is an exact draw from softmax(logits) - what the training-time
        Gumbel-softmax approaches - without building dense one-hots.
        """
        scalars = torch.tanh(raw[:, self.scalar_index])
        codes = torch.empty(raw.shape[0], self.n_onehot, dtype=torch.long, device=raw.device)
        for g in self.groups:
            logits = raw[:, g.index]
            codes[:, g.position] = (logits + gumbel_like(logits, generator)).argmax(dim=-1)
        return scalars, codes

    def dense_rows(self, scalars: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Dense real rows (B, width) from stored scalars and int codes: the one-hots are built here."""
        out = torch.zeros(scalars.shape[0], self.width, dtype=scalars.dtype, device=scalars.device)
        out[:, self.scalar_index] = scalars
        return out.scatter_(1, codes + self.onehot_offsets, 1.0)


def gumbel_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Standard Gumbel noise shaped like ``x``, from ``generator``."""
    u = torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float32).clamp_(1e-10, 1.0 - 1e-7)
    return -torch.log(-torch.log(u)).to(x.dtype)
