"""The tabular critic (CTGAN paper, section 4.4), defined once and trained through autograd.

Packs of ``pac`` rows (PacGAN) -> [Linear, LeakyReLU(0.2), dropout] per hidden layer -> one score
per pack. ``forward`` also returns the last hidden layer's activations, the features that
feature-matching objectives compare. Dropout masks come only from the ``torch.Generator`` passed in.

Example:
    >>> import torch
    >>> critic = Critic(row_dim=5, hidden=(16, 16), pac=2)
    >>> scores, features = critic(torch.randn(8, 5), generator=torch.Generator().manual_seed(0))
    >>> scores.shape, features.shape
    (torch.Size([4, 1]), torch.Size([4, 16]))
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .dropout import dropout_factors

LEAKY_SLOPE = 0.2


class Critic(nn.Module):
    """Scores packs of ``pac`` rows: (B, row_dim) -> scores (B / pac, 1), features (B / pac, hidden[-1])."""

    def __init__(self, row_dim: int, hidden: Sequence[int], pac: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.pac, self.dropout = pac, dropout
        dims = [row_dim * pac, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], 1)

    def forward(
        self,
        rows: torch.Tensor,
        context: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``rows`` (B, row_dim), B a multiple of ``pac``; ``context`` is unused (the conditional vector
        is part of each row). Dropout, in training mode, draws from ``generator``."""
        x = rows.reshape(-1, rows.shape[1] * self.pac)  # (B / pac, pac * row_dim)
        for layer in self.hidden:
            x = nn.functional.leaky_relu(layer(x), LEAKY_SLOPE)
            if self.training and self.dropout > 0:
                x = x * dropout_factors(x.shape, self.dropout, generator, x)
        return self.out(x), x
