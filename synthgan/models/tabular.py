"""The tabular GAN networks (CTGAN paper, section 4.4), small enough to read top to bottom.

Generator: noise (+ conditional vector) -> residual blocks (Linear, BatchNorm, ReLU, concatenated
with their input) -> raw outputs, one per dense feature; ``heads.py`` turns them into tanh scalars
and one-hots. Critic: packs of ``pac`` rows (PacGAN) -> Linear, LeakyReLU(0.2), dropout(0.5) ->
one score per pack. Randomness (dropout, init) comes only from the ``torch.Generator`` passed in.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn


class Residual(nn.Module):
    """relu(bn(fc(x))) concatenated with x: the width grows by ``out_dim`` at every block."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, in) -> (B, in + out)
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """Maps (B, noise_dim + cond_dim) to raw (B, data_dim) outputs."""

    def __init__(self, in_dim: int, hidden: Sequence[int], data_dim: int) -> None:
        super().__init__()
        blocks, width = [], in_dim
        for h in hidden:
            blocks.append(Residual(width, h))
            width += h
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Linear(width, data_dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(z))


class Critic(nn.Module):
    """Scores packs of ``pac`` rows: (B, row_dim) -> (B / pac, 1). Dropout draws from ``generator``."""

    def __init__(self, row_dim: int, hidden: Sequence[int], pac: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.pac, self.dropout = pac, dropout
        dims = [row_dim * pac, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], 1)

    def forward(self, rows: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        x = rows.reshape(-1, rows.shape[1] * self.pac)  # (B / pac, pac * row_dim)
        for layer in self.hidden:
            x = nn.functional.leaky_relu(layer(x), 0.2)
            if self.training and self.dropout > 0:
                keep = torch.rand(x.shape, generator=generator, device=x.device) >= self.dropout
                x = x * keep / (1 - self.dropout)
        return self.out(x)


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from ``generator`` instead of the global RNG."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            bound = 1.0 / math.sqrt(layer.in_features)
            with torch.no_grad():
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
