"""The tabular generator (CTGAN paper, section 4.4), defined once and trained through autograd.

noise (B, noise_dim) and a conditional one-hot, given as the position of its 1 per row
-> residual blocks: relu(batch_norm(linear(x, cond))) concatenated with the block's input
-> one raw output per dense feature (B, data_dim); ``heads.py`` turns them into tanh scalars and
Gumbel-softmax one-hots. Sampling uses a frozen form derived from this module (``freeze.py``).

The conditional one-hot is never built: each linear layer keeps the one-hot's share of its weight
as a table with a row per level (``CondLinear``), so that share is a row lookup forward and a
scatter-add of rows backward (on diabetes-130's 1,586 levels, three quarters of the generator's FLOPs).

Example:
    >>> import torch
    >>> g = Generator(noise_dim=4, cond_dim=3, hidden=(8, 8), data_dim=5)
    >>> g(torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2])).shape
    torch.Size([6, 5])
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn


class CondLinear(nn.Module):
    """``Linear(cat([x, one_hot(index, cond_dim)]))`` without the one-hot: ``weight`` (out, in_dim) and
    ``bias`` act on the dense inputs, ``table`` (cond_dim, out) holds the one-hot's share, one row per
    level. Initialised as one Linear over all ``in_dim + cond_dim`` inputs."""

    def __init__(self, in_dim: int, cond_dim: int, out_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_dim, in_dim))
        self.table = nn.Parameter(torch.empty(cond_dim, out_dim))
        self.bias = nn.Parameter(torch.empty(out_dim))
        self.fan_in = in_dim + cond_dim
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """PyTorch's Linear initialisation over all ``in_dim + cond_dim`` inputs, drawn from ``generator``."""
        bound = 1.0 / math.sqrt(self.fan_in)
        with torch.no_grad():
            full = torch.empty(len(self.bias), self.fan_in, device=self.weight.device)
            full.uniform_(-bound, bound, generator=generator)
            d = self.weight.shape[1]
            self.weight.copy_(full[:, :d])
            self.table.copy_(full[:, d:].T)
            self.bias.uniform_(-bound, bound, generator=generator)

    def forward(self, x: torch.Tensor, cond_index: torch.Tensor | None) -> torch.Tensor:
        out = nn.functional.linear(x, self.weight, self.bias)  # (B, out)
        if cond_index is None or not len(self.table):
            return out
        return out + self.table.index_select(0, cond_index).to(out.dtype)  # (B, out) or (1, out) broadcast

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Model files written before the table was its own tensor hold one (out, in_dim + cond_dim)
        weight: split it (the table is the transposed tail)."""
        weight, table = state_dict.get(prefix + "weight"), prefix + "table"
        if table not in state_dict and weight is not None and weight.shape[1] == self.fan_in:
            d = self.weight.shape[1]
            state_dict[prefix + "weight"], state_dict[table] = weight[:, :d], weight[:, d:].T
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class Residual(nn.Module):
    """relu(bn(fc(x, cond))) concatenated with x: the width grows by ``out_dim`` at every block."""

    def __init__(self, in_dim: int, cond_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = CondLinear(in_dim, cond_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x: torch.Tensor, cond_index: torch.Tensor | None) -> torch.Tensor:
        h = torch.relu(self.bn(self.fc(x, cond_index)))  # (B, out_dim)
        return torch.cat([h, x.to(h.dtype)], dim=1)  # (B, out_dim + in_dim)


class Generator(nn.Module):
    """Noise (B, noise_dim) and conditional positions (B,) -> raw outputs (B, data_dim).

    ``cond_index`` holds, per row, where its conditional one-hot has its 1 ((1,) for one condition on
    every row; None for an unconditional model, ``cond_dim`` 0).
    """

    def __init__(self, noise_dim: int, cond_dim: int, hidden: Sequence[int], data_dim: int) -> None:
        super().__init__()
        self.noise_dim, self.cond_dim = noise_dim, cond_dim
        blocks, width = [], noise_dim
        for h in hidden:
            blocks.append(Residual(width, cond_dim, h))
            width += h
        self.blocks = nn.ModuleList(blocks)
        self.out = CondLinear(width, cond_dim, data_dim)

    def forward(self, noise: torch.Tensor, cond_index: torch.Tensor | None = None) -> torch.Tensor:
        x = noise  # after block k: [h_k, ..., h_1, noise]
        for block in self.blocks:
            x = block(x, cond_index)
        return self.out(x, cond_index)


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from ``generator`` instead of the global RNG;
    batch and layer norms reset. Every parameter and buffer is set, so networks can be built on the
    meta device first."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            bound = 1.0 / math.sqrt(layer.in_features)
            with torch.no_grad():
                layer.weight.uniform_(-bound, bound, generator=generator)
                if layer.bias is not None:
                    layer.bias.uniform_(-bound, bound, generator=generator)
        elif isinstance(layer, CondLinear):
            layer.reset_parameters(generator)
        elif isinstance(layer, (nn.BatchNorm1d, nn.LayerNorm)):
            layer.reset_parameters()
