"""The tabular GAN networks (CTGAN paper, section 4.4), small enough to read top to bottom.

Generator: noise (+ conditional vector) -> residual blocks (Linear, BatchNorm, ReLU, concatenated
with their input) -> raw outputs, one per dense feature; ``heads.py`` turns them into tanh scalars
and one-hots. The critic is in ``critic.py``. Initialisation draws only from the ``torch.Generator``
passed in.

``forward`` is the plain autograd definition. Training uses ``train_forward`` / ``backward``: the
same function with its gradients written by hand (linear layers, batch norm, ReLU, residual
concatenation), in the dtype of the input (bfloat16 under mixed precision, no autocast casts), with
no autograd graph to build or walk.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .flat import FlatParameters, GradientSink, cast, grad_buffer


class Residual(nn.Module):
    """relu(bn(fc(x, cond))) concatenated with x: the width grows by ``out_dim`` at every block."""

    def __init__(self, in_dim: int, cond_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = CondLinear(in_dim, cond_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x: torch.Tensor, cond_index: torch.Tensor | None) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x, cond_index))), x], dim=1)

    def normalise(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training-mode batch norm of ``h`` as ``nn.BatchNorm1d`` does it (running statistics updated):
        (output in h's dtype, batch mean, inverse std), the last two for ``normalise_backward``."""
        bn = self.bn
        bn.num_batches_tracked.add_(1)
        momentum = bn.momentum if bn.momentum is not None else 1.0 / float(bn.num_batches_tracked)
        return torch.ops.aten.native_batch_norm(h, bn.weight, bn.bias, bn.running_mean, bn.running_var, True, momentum, bn.eps)

    def normalise_backward(self, grad: torch.Tensor, h: torch.Tensor, mean: torch.Tensor, invstd: torch.Tensor) -> torch.Tensor:
        """Sets the batch norm's scale and shift gradients; returns the gradient with respect to ``h``."""
        bn, d_h = self.bn, torch.empty_like(h)
        torch.ops.aten.native_batch_norm_backward.out(grad, h, bn.weight, bn.running_mean, bn.running_var, mean, invstd, True, bn.eps,
                                                      [True, True, True], out0=d_h, out1=grad_buffer(bn.weight), out2=grad_buffer(bn.bias))
        return d_h


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
        self.flat: FlatParameters | None = None  # set by ``flat.flatten_parameters`` for training

    def low_precision_parameters(self) -> list[nn.Parameter]:
        """The parameters ``train_forward`` / ``backward`` compute with in the input's dtype (the dense
        weights and the biases, whose gradients come out of matmuls and sums); tables and batch norms stay float32."""
        return [p for layer in (*(b.fc for b in self.blocks), self.out) for p in (layer.weight, layer.bias)]

    def forward(self, noise: torch.Tensor, cond_index: torch.Tensor | None = None) -> torch.Tensor:
        """The paper's MLP over cat([noise, one_hot(cond_index)]), computed without the one-hot.

        ``cond_index`` is (B,), or (1,) for one condition on every row. The one-hot is carried to
        every layer (residual concatenation) but never built: see ``CondLinear``.
        """
        x = noise  # [h_k, ..., h_1, noise]; the conditional vector is the last block of every layer's inputs
        for block in self.blocks:
            x = block(x, cond_index)
        return self.out(x, cond_index)

    @torch.no_grad()
    def train_forward(self, noise: torch.Tensor, cond_index: torch.Tensor | None) -> tuple[torch.Tensor, list]:
        """``forward`` in training mode without autograd, in ``noise``'s dtype: (raw outputs, the tape
        ``backward`` needs). Batch norms update their running statistics, as in ``forward``."""
        # one buffer holds every layer's input [h_k, ..., h_1, noise]: block k writes its ReLU output just left of
        # block k - 1's, and each layer reads a right-hand slice of it (strided rows: no concatenation copies)
        start = self.out.weight.shape[1]
        buffer = torch.empty(noise.shape[0], start, dtype=noise.dtype, device=noise.device)
        start -= noise.shape[1]
        x = buffer[:, start:].copy_(noise)
        tape = []
        if self.flat is not None:
            self.flat.changed()  # an optimizer step came before: cast the weights again (once for all)
        for block in self.blocks:
            h, low = block.fc.train_forward(x, cond_index, self.flat)
            y, mean, invstd = block.normalise(h)
            r = torch.clamp_min(y, 0, out=buffer[:, start - h.shape[1] : start])
            tape.append((x, low, h, mean, invstd, r))
            start -= h.shape[1]
            x = buffer[:, start:]
        raw, low = self.out.train_forward(x, cond_index, self.flat)
        tape.append((x, low))
        return raw, tape

    @torch.no_grad()
    def backward(self, tape: list, cond_index: torch.Tensor | None, grad: torch.Tensor) -> None:
        """Write every parameter's gradient (float32, replacing what was there) for the raw outputs'
        gradient ``grad``, from the ``tape`` of ``train_forward``."""
        x, low = tape[-1]
        sink = GradientSink(self.flat, grad.dtype)
        d_x = self.out.backward(x, cond_index, grad, low, sink)
        for i in reversed(range(len(self.blocks))):
            block, (x, low, h, mean, invstd, r) = self.blocks[i], tape[i]
            d_h = block.normalise_backward(torch.ops.aten.threshold_backward(d_x[:, : r.shape[1]], r, 0), h, mean, invstd)
            d_in = block.fc.backward(x, cond_index, d_h, low, sink, input_grad=i > 0)
            if i:  # the block's input reaches the next layer twice: through fc and through the concatenation
                d_x = d_in.add_(d_x[:, r.shape[1] :])
        sink.commit()


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
        self._shift: torch.Tensor | None = None  # train_forward's table + bias in the compute dtype (reused buffer)
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
        out = nn.functional.linear(x, self.weight, self.bias)
        return out + self.table.index_select(0, cond_index).to(out.dtype) if len(self.table) else out

    def train_forward(self, x: torch.Tensor, cond_index: torch.Tensor | None, flat: FlatParameters | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The forward pass in ``x``'s dtype without autograd: (output, the weight as the matmul used it).
        With ``flat`` (the network's flat layout) the low-precision weight is a view of its one cast."""
        low = cast(self.weight, x.dtype, flat)
        if not len(self.table):
            return torch.addmm(cast(self.bias, x.dtype, flat), x, low.T), low
        # each level's share plus the bias, cast once per level rather than once per row (the add writes x's dtype:
        # one kernel); then one row per input row ((B, out), or (1, out) broadcast; index_select: 4x advanced indexing here)
        if self._shift is None or self._shift.dtype != x.dtype or self._shift.device != x.device:
            self._shift = torch.empty(self.table.shape, dtype=x.dtype, device=x.device)
        shift = torch.add(self.table, self.bias, out=self._shift).index_select(0, cond_index)
        return torch.addmm(shift, x, low.T), low

    def backward(self, x: torch.Tensor, cond_index: torch.Tensor | None, grad: torch.Tensor, low: torch.Tensor,
                 sink: GradientSink, input_grad: bool = True) -> torch.Tensor | None:
        """Writes the gradients of ``weight`` and ``bias`` into ``sink`` and sets ``table``'s (a
        scatter-add of rows) for the output gradient ``grad``; returns the input's gradient (matmuls
        in ``grad``'s dtype)."""
        torch.mm(grad.T, x, out=sink.out(self.weight))
        if len(self.table):
            grad_buffer(self.table).zero_().index_add_(0, cond_index.expand(grad.shape[0]), grad.to(self.table.dtype))
        torch.sum(grad, 0, out=sink.out(self.bias))  # accumulates in float32 either way; a float32 result from bfloat16 takes a 5x slower path
        return grad @ low if input_grad else None

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Model files written before the table was its own tensor hold one (out, in_dim + cond_dim)
        weight: split it (the table is the transposed tail)."""
        weight, table = state_dict.get(prefix + "weight"), prefix + "table"
        if table not in state_dict and weight is not None and weight.shape[1] == self.fan_in:
            d = self.weight.shape[1]
            state_dict[prefix + "weight"], state_dict[table] = weight[:, :d], weight[:, d:].T
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


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
