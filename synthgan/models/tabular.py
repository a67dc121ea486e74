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

from .._random import random_bits

LEAKY_SLOPE = 0.2


class Residual(nn.Module):
    """relu(bn(fc(x))) concatenated with x: the width grows by ``out_dim`` at every block."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x: torch.Tensor, cond_index: torch.Tensor | None, cond_dim: int) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(linear_one_hot(self.fc, x, cond_index, cond_dim))), x], dim=1)


class Generator(nn.Module):
    """Maps noise (B, noise_dim) and a one-hot conditional vector, given as the position of its 1 per
    row, to raw (B, data_dim) outputs; ``heads.py`` turns them into tanh scalars and one-hots."""

    def __init__(self, noise_dim: int, cond_dim: int, hidden: Sequence[int], data_dim: int) -> None:
        super().__init__()
        self.cond_dim = cond_dim
        blocks, width = [], noise_dim + cond_dim
        for h in hidden:
            blocks.append(Residual(width, h))
            width += h
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Linear(width, data_dim)

    def forward(self, noise: torch.Tensor, cond_index: torch.Tensor | None = None) -> torch.Tensor:
        """The paper's MLP over cat([noise, one_hot(cond_index)]), computed without the one-hot.

        ``cond_index`` is (B,), or (1,) for one condition on every row. The one-hot is carried to
        every layer (residual concatenation) but never built: see ``linear_one_hot``.
        """
        x = noise  # [h_k, ..., h_1, noise]; the conditional vector is always the last block of inputs
        for block in self.blocks:
            x = block(x, cond_index, self.cond_dim)
        return linear_one_hot(self.out, x, cond_index, self.cond_dim)


def linear_one_hot(layer: nn.Linear, x: torch.Tensor, cond_index: torch.Tensor | None, cond_dim: int) -> torch.Tensor:
    """``layer(cat([x, one_hot(cond_index, cond_dim)]))`` without building the one-hot."""
    if not cond_dim:
        return layer(x)
    return _OneHotTail.apply(x, cond_index, layer.weight, layer.bias)


class _OneHotTail(torch.autograd.Function):
    """A Linear whose last inputs are a one-hot given by its index: that share of the matmul is a row
    gather forward and a scatter-add backward (on diabetes-130's 1,600 levels, three quarters of the
    generator's FLOPs), and the weight gradient is one tensor filled in two slices."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, index: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        d = x.shape[1]
        out = torch.addmm(bias, x, weight[:, :d].T)
        out += weight[:, d:].T[index]  # (B, out), or (1, out) broadcast for one condition
        ctx.save_for_backward(x, index, weight)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        """Matmuls in the incoming gradient's dtype (bfloat16 under autocast, as autocast's own Linear
        does), the weight gradient stored in the weight's dtype."""
        x, index, weight = ctx.saved_tensors
        d = x.shape[1]
        grad_w = torch.empty_like(weight)
        grad_w[:, :d] = grad.T @ x.to(grad.dtype)
        tail = torch.zeros(weight.shape[1] - d, weight.shape[0], dtype=weight.dtype, device=weight.device)
        grad_w[:, d:] = tail.index_add_(0, index.expand(grad.shape[0]), grad.to(weight.dtype)).T
        grad_x = (grad @ weight[:, :d].to(grad.dtype)).to(x.dtype) if ctx.needs_input_grad[0] else None
        return grad_x, None, grad_w, grad.sum(0, dtype=weight.dtype)


class Critic(nn.Module):
    """Scores packs of ``pac`` rows: (B, row_dim) -> (B / pac, 1). Dropout draws from ``generator``.

    Each hidden layer is ``leaky_relu(h) * dropout_mask``, written as ``h * gate`` with ``gate`` the
    layer's slope (1 or 0.2) times the mask: the same function, and the gates also give the exact
    input gradient in closed form (``scores_and_gradients``).
    """

    def __init__(self, row_dim: int, hidden: Sequence[int], pac: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.pac, self.dropout = pac, dropout
        dims = [row_dim * pac, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], 1)

    def forward(self, rows: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.out(self._hidden(rows, generator)[0])

    def scores_and_gradients(self, rows: torch.Tensor, n_grad: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores of all packs, and the gradient of the score with respect to each of the last
        ``n_grad`` rows' packs, (n_grad / pac, pac * row_dim).

        The gradient is built from the weights and gates (a chain of matmuls), so it stays
        differentiable: a penalty on it needs one backward pass instead of autograd's double
        backward, and the penalised rows share the scoring pass with the others.
        """
        x, gates = self._hidden(rows, generator)
        packs = n_grad // self.pac
        grad = self.out.weight.expand(packs, -1)
        for layer, gate in zip(reversed(self.hidden), reversed(gates)):
            grad = (grad * gate[-packs:]) @ layer.weight
        return self.out(x), grad

    def _hidden(self, rows: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = rows.reshape(-1, rows.shape[1] * self.pac)  # (B / pac, pac * row_dim)
        gates = []
        for layer in self.hidden:
            h = layer(x)
            gates.append(self._gate(h, generator))
            x = h * gates[-1]
        return x, gates

    def _gate(self, h: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """d leaky_relu(h) / dh (1 or 0.2) times the inverted-dropout mask, in h's dtype; constant in h (no gradient)."""
        dropping = self.training and self.dropout > 0
        drop = min(round(self.dropout * 256), 255) / 256 if dropping else 0.0  # the rate keep_mask draws
        low, high = (torch.tensor(v / (1.0 - drop), dtype=h.dtype, device=h.device) for v in (LEAKY_SLOPE, 1.0))
        with torch.no_grad():
            gate = torch.where(h > 0, high, low)
            if dropping:
                gate *= keep_mask(h.shape, drop, generator, h.device)
        return gate


def keep_mask(shape: torch.Size, rate: float, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """A dropout keep mask (True with probability 1 - rate, rate a multiple of 1/256) from random
    bytes: one 64-bit draw per 8 entries, where ``torch.rand`` spends a 32-bit draw per entry and
    the draws dominate (a 150 x 256 mask: 30 us instead of 88 us here)."""
    return random_bits(shape, torch.uint8, generator, device) >= round(rate * 256)


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from ``generator`` instead of the global RNG;
    batch norms reset (unit scale, zero shift, fresh running statistics). Every parameter and buffer
    is set, so the networks can be built on the meta device first."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            bound = 1.0 / math.sqrt(layer.in_features)
            with torch.no_grad():
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
        elif isinstance(layer, nn.BatchNorm1d):
            layer.reset_parameters()
