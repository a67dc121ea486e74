"""The tabular GAN networks (CTGAN paper, section 4.4), small enough to read top to bottom.

Generator: noise (+ conditional vector) -> residual blocks (Linear, BatchNorm, ReLU, concatenated
with their input) -> raw outputs, one per dense feature; ``heads.py`` turns them into tanh scalars
and one-hots. The critic is in ``critic.py``. Initialisation draws only from the ``torch.Generator``
passed in.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn



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
