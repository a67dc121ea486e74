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
    """relu(bn(fc(x, cond))) concatenated with x: the width grows by ``out_dim`` at every block."""

    def __init__(self, in_dim: int, cond_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = CondLinear(in_dim, cond_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x: torch.Tensor, cond_index: torch.Tensor | None) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x, cond_index))), x], dim=1)


class Generator(nn.Module):
    """Maps noise (B, noise_dim) and a one-hot conditional vector, given as the position of its 1 per
    row, to raw (B, data_dim) outputs; ``heads.py`` turns them into tanh scalars and one-hots."""

    def __init__(self, noise_dim: int, cond_dim: int, hidden: Sequence[int], data_dim: int) -> None:
        super().__init__()
        self.cond_dim = cond_dim
        blocks, width = [], noise_dim
        for h in hidden:
            blocks.append(Residual(width, cond_dim, h))
            width += h
        self.blocks = nn.Sequential(*blocks)
        self.out = CondLinear(width, cond_dim, data_dim)

    def forward(self, noise: torch.Tensor, cond_index: torch.Tensor | None = None) -> torch.Tensor:
        """The paper's MLP over cat([noise, one_hot(cond_index)]), computed without the one-hot.

        ``cond_index`` is (B,), or (1,) for one condition on every row. The one-hot is carried to
        every layer (residual concatenation) but never built: see ``CondLinear``.
        """
        x = noise  # [h_k, ..., h_1, noise]; the conditional vector is the last block of every layer's inputs
        for block in self.blocks:
            x = block(x, cond_index)
        return self.out(x, cond_index)


class CondLinear(nn.Module):
    """``Linear(cat([x, one_hot(index, cond_dim)]))`` without building the one-hot: the one-hot's
    share of the weight is a table with a row per level, ``table`` (cond_dim, out), so that share
    is a row lookup forward and a scatter-add of rows backward (on diabetes-130's 1,586 levels, three
    quarters of the generator's FLOPs), both along contiguous rows. ``weight`` (out, in_dim) and
    ``bias`` are a Linear's over the dense inputs; initialised as one Linear over all inputs.
    """

    def __init__(self, in_dim: int, cond_dim: int, out_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_dim, in_dim))
        self.table = nn.Parameter(torch.empty(cond_dim, out_dim))
        self.bias = nn.Parameter(torch.empty(out_dim))
        self.fan_in = in_dim + cond_dim
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """PyTorch's Linear initialisation over all ``in_dim + cond_dim`` inputs (the same draws)."""
        bound = 1.0 / math.sqrt(self.fan_in)
        with torch.no_grad():
            full = torch.empty(len(self.bias), self.fan_in, device=self.weight.device).uniform_(-bound, bound, generator=generator)
            d = self.weight.shape[1]
            self.weight.copy_(full[:, :d])
            self.table.copy_(full[:, d:].T)
            self.bias.uniform_(-bound, bound, generator=generator)

    def forward(self, x: torch.Tensor, cond_index: torch.Tensor | None) -> torch.Tensor:
        if not len(self.table):
            return nn.functional.linear(x, self.weight, self.bias)
        return _CondLinearFunction.apply(x, cond_index, self.weight, self.table, self.bias)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Model files written before the table was its own tensor hold one (out, in_dim + cond_dim)
        weight: split it (the table is the transposed tail)."""
        weight, table = state_dict.get(prefix + "weight"), prefix + "table"
        if table not in state_dict and weight is not None and weight.shape[1] == self.fan_in:
            d = self.weight.shape[1]
            state_dict[prefix + "weight"], state_dict[table] = weight[:, :d], weight[:, d:].T
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class _CondLinearFunction(torch.autograd.Function):
    """A Linear whose last inputs are a one-hot given by its index (see ``CondLinear``)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, index: torch.Tensor, weight: torch.Tensor, table: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        low = weight.to(compute_dtype(weight))  # the weight as the matmul uses it; kept for the backward pass
        out = torch.addmm(bias, x, low.T)
        out += table.index_select(0, index)  # (B, out), or (1, out) broadcast; index_select: 4x advanced indexing here
        ctx.save_for_backward(x, index, low)
        ctx.table_shape, ctx.param_dtype = table.shape, weight.dtype
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        """Matmuls in the incoming gradient's dtype (bfloat16 under autocast, as autocast's own Linear
        does), the parameter gradients stored in the parameters' dtype."""
        x, index, low = ctx.saved_tensors
        dtype = ctx.param_dtype
        grad_w = (grad.T @ x.to(grad.dtype)).to(dtype)
        grad_t = torch.zeros(ctx.table_shape, dtype=dtype, device=grad.device)
        grad_t.index_add_(0, index.expand(grad.shape[0]), grad.to(dtype))
        grad_x = (grad @ low.to(grad.dtype)).to(x.dtype) if ctx.needs_input_grad[0] else None
        return grad_x, None, grad_w, grad_t, grad.sum(0, dtype=dtype)


def compute_dtype(param: torch.Tensor) -> torch.dtype:
    """The dtype matmuls with ``param`` run in: autocast's where it is on for the device, else the parameter's."""
    device = param.device.type
    return torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else param.dtype


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
        self._casts: dict[int, tuple[torch.Tensor, tuple, torch.Tensor]] = {}
        self._slopes: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def forward(self, rows: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        *hidden, (weight, bias) = self._weights()
        x, _ = self._hidden(rows, generator, hidden)
        return torch.addmm(bias, x, weight.T)

    def scores_and_gradients(self, rows: torch.Tensor, n_grad: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores of all packs, and the gradient of the score with respect to each of the last
        ``n_grad`` rows' packs, (n_grad / pac, pac * row_dim).

        The gradient is built from the weights and gates (a chain of matmuls), so it stays
        differentiable: a penalty on it needs one backward pass instead of autograd's double
        backward, and the penalised rows share the scoring pass with the others.
        """
        *hidden, (weight, bias) = self._weights()
        x, gates = self._hidden(rows, generator, hidden)
        packs = n_grad // self.pac
        grad = weight.expand(packs, -1)
        for (layer_weight, _), gate in zip(reversed(hidden), reversed(gates)):
            grad = (grad * gate[-packs:]) @ layer_weight
        return torch.addmm(bias, x, weight.T), grad

    def _hidden(self, rows: torch.Tensor, generator: torch.Generator | None, hidden: list) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = rows.reshape(-1, rows.shape[1] * self.pac)  # (B / pac, pac * row_dim)
        gates = []
        for weight, bias in hidden:
            h = torch.addmm(bias, x.to(weight.dtype), weight.T)
            gates.append(self._gate(h, generator))
            x = h * gates[-1]
        return x, gates

    def parameters_changed(self) -> None:
        """Drop the low-precision copies; call after every optimizer step (fused optimizers update
        parameters without moving their version counters)."""
        self._casts.clear()

    def _weights(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Every layer's (weight, bias) in the autocast dtype (as they are without autocast), for one pass.

        The low-precision copies are kept until ``parameters_changed`` (or an in-place change that
        moves a version counter), so the generator step and the next critic step share one cast where
        autocast casts every weight again in each (diabetes-130's first layer holds 8.3M weights).
        Gradients flow back to the parameters in their own dtype, summed over a pass's uses first."""
        dtype = compute_dtype(self.out.weight)
        return [tuple(_cached_cast(p, dtype, self._casts) for p in (layer.weight, layer.bias)) for layer in (*self.hidden, self.out)]

    def _gate(self, h: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """d leaky_relu(h) / dh (1 or 0.2) times the inverted-dropout mask, in h's dtype; constant in h (no gradient)."""
        dropping = self.training and self.dropout > 0
        drop = min(round(self.dropout * 256), 255) / 256 if dropping else 0.0  # the rate keep_mask draws
        key = (h.dtype, h.device, drop)
        if key not in self._slopes:  # the two gate values as 0-d tensors in h's dtype, built once
            self._slopes[key] = tuple(torch.tensor(v / (1.0 - drop), dtype=h.dtype, device=h.device) for v in (LEAKY_SLOPE, 1.0))
        low, high = self._slopes[key]
        with torch.no_grad():
            gate = torch.where(h > 0, high, low)
            if dropping:
                gate *= keep_mask(h.shape, drop, generator, h.device)
        return gate


def _cached_cast(param: torch.Tensor, dtype: torch.dtype, cache: dict) -> torch.Tensor:
    """``param`` in ``dtype``, the copy reused while the parameter is unchanged; differentiable."""
    if param.dtype == dtype:
        return param
    hit = cache.get(id(param))
    stamp = (param._version, param.data_ptr(), dtype)  # in-place edits, swapped storage (.to(device)), another dtype
    if hit is None or hit[0] is not param or hit[1] != stamp:
        hit = cache[id(param)] = (param, stamp, param.detach().to(dtype))
    return _Cast.apply(param, hit[2]) if param.requires_grad and torch.is_grad_enabled() else hit[2]


class _Cast(torch.autograd.Function):
    """Hands out a precomputed low-precision copy of a parameter; its gradient goes back in the parameter's dtype."""

    @staticmethod
    def forward(ctx, param: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        ctx.dtype = param.dtype
        return low.view_as(low)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad.to(ctx.dtype), None


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
        elif isinstance(layer, CondLinear):
            layer.reset_parameters(generator)
        elif isinstance(layer, nn.BatchNorm1d):
            layer.reset_parameters()
