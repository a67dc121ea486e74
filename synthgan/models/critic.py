"""The tabular critic (CTGAN paper, section 4.4) and its WGAN-GP step with hand-written gradients.

Packs of ``pac`` rows (PacGAN) -> Linear, LeakyReLU(0.2), dropout(0.5) -> one score per pack.
Every hidden layer is ``h * gate`` with ``gate`` the leaky slope (1 or 0.2) times the dropout mask,
a constant once drawn, so the score's gradient with respect to the input is a chain of matmuls and
the whole critic step - scores, gradient penalty and the parameter gradients of both - is a fixed
sequence of matmuls (``wgan_gp_step``): no autograd graph, no double backward, and each weight's
two gradient terms (score path and penalty path) come out of one matmul.
Randomness (dropout, interpolation) comes only from the ``torch.Generator`` passed in.
"""

from __future__ import annotations

import sys
from typing import Sequence

import torch
from torch import nn

from .._random import random_bits
from ..losses import penalty_and_row_scale
from .flat import FlatParameters, GradientSink
from .tabular import compute_dtype

LEAKY_SLOPE = 0.2


class Critic(nn.Module):
    """Scores packs of ``pac`` rows: (B, row_dim) -> (B / pac, 1). Dropout draws from ``generator``.

    Example:
        >>> import torch
        >>> critic = Critic(row_dim=5, hidden=(16, 16), pac=2)
        >>> critic(torch.randn(8, 5)).shape
        torch.Size([4, 1])
    """

    def __init__(self, row_dim: int, hidden: Sequence[int], pac: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.pac, self.dropout = pac, dropout
        dims = [row_dim * pac, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], 1)
        self._casts: dict[int, tuple[torch.Tensor, tuple, torch.Tensor]] = {}
        self._factors: dict[tuple, torch.Tensor | tuple[torch.Tensor, torch.Tensor]] = {}  # constants built once
        self._halves_buffers: dict[tuple, torch.Tensor] = {}
        self.flat: FlatParameters | None = None  # set by ``flat.flatten_parameters`` for training

    def low_precision_parameters(self) -> list[nn.Parameter]:
        """All of them: every weight and bias is used, and differentiated, in the compute dtype."""
        return list(self.parameters())

    def forward(self, rows: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        *hidden, (weight, bias) = self._weights()
        x, _, _ = self._hidden(rows, generator, hidden)
        return torch.addmm(bias, x, weight.T)

    def scores_and_gradients(self, rows: torch.Tensor, n_grad: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores of all packs, and the gradient of the score with respect to each of the last
        ``n_grad`` rows' packs, (n_grad / pac, pac * row_dim): a chain of matmuls through the gates,
        differentiable like any other expression (the generator step uses it for the fake rows)."""
        *hidden, (weight, bias) = self._weights()
        x, gates, _ = self._hidden(rows, generator, hidden)
        packs = n_grad // self.pac
        _, grad = _input_gradient(weight, hidden, gates, slice(len(x) - packs, len(x)))
        return torch.addmm(bias, x, weight.T), grad

    @torch.no_grad()
    def wgan_gp_step(self, real: Sequence[torch.Tensor], fake: torch.Tensor, weight: float,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The critic's WGAN-GP objective on one batch and its gradients, written into every
        parameter's ``.grad`` (float32, replacing what was there): returns (loss, penalty), with
        loss = mean score of the fakes - mean score of the reals, and penalty = ``weight`` *
        mean((|d score / d x| - 1)^2) at one random point between each real and fake pack.

        ``real`` is the real rows as column blocks (joined here, e.g. the rows and their conditional
        vectors), ``fake`` the fake rows; both in packs of ``pac`` rows. One pass scores the
        interpolated, real and fake packs; its gates give the penalty's input gradient and all
        parameter gradients, each weight's in one matmul over [score path; penalty path].
        """
        *hidden, (w_out, b_out) = self._weights()
        dtype, (size, width) = w_out.dtype, fake.shape
        accumulate = torch.promote_types(dtype, torch.float32)  # the loss: float32 at least
        n = size // self.pac
        rows = torch.empty(4 * size, width, dtype=dtype, device=fake.device)  # [mixed, real, fake, penalty slope]
        packs = rows.view(4 * n, self.pac * width)
        start = 0
        for part in real:
            rows[size : 2 * size, start : start + part.shape[1]] = part
            start += part.shape[1]
        rows[2 * size : 3 * size] = fake
        alpha = torch.rand(n, 1, generator=generator, device=fake.device, dtype=dtype)
        torch.lerp(packs[2 * n : 3 * n], packs[n : 2 * n], alpha, out=packs[:n])

        # every layer's input is [mixed, real, fake] packs plus n spare rows, where the penalty path's factor for
        # that layer's weight goes; so each weight's [score path; penalty path] operands lie adjacent, uncopied
        x, gates, inputs = self._hidden(packs, generator, hidden, used=3 * n)
        scores = torch.addmm(b_out, x[: 3 * n], w_out.T)
        real_mean, fake_mean = scores[n:].view(2, n).mean(1, dtype=accumulate)
        loss = fake_mean - real_mean

        # left-hand operands of the weight gradients, [score path (2n); penalty path (n)] per layer
        left = [torch.empty(3 * n, w.shape[0], dtype=dtype, device=fake.device) for w, _ in hidden]
        _, grad = _input_gradient(w_out, hidden, gates, slice(0, n), out=[part[2 * n :] for part in left])  # at the mixed packs
        penalty, scale = penalty_and_row_scale(grad, weight)
        torch.mul(grad, scale[:, None], out=packs[3 * n :])  # d penalty / d grad (computed in float32, stored in dtype)

        # the penalty path, from the input back up: d penalty / d slopes of each layer, and its weight terms' factors
        for (w, _), gate, below, above in zip(hidden, gates, inputs, (*inputs[1:], x)):
            torch.mm(below[3 * n :], w.T, out=above[3 * n :]).mul_(gate[:n])
        # the score path, from the top down, over the real and fake packs only (the mixed packs' scores are not in the loss)
        d_scores = self._score_gradient(n, dtype, fake.device)
        sink = GradientSink(self.flat, dtype)
        torch.add(d_scores.T @ x[n : 3 * n], x[3 * n :].sum(0, keepdim=True), out=sink.out(self.out.weight))
        torch.sum(d_scores, 0, out=sink.out(self.out.bias))
        d_above, w_above = d_scores, w_out  # d loss / d (the layer's output), and the weight it goes through
        for i in reversed(range(len(hidden))):
            d_h = torch.mm(d_above, w_above, out=left[i][: 2 * n]).mul_(gates[i][n:])
            torch.mm(left[i].T, inputs[i][n:], out=sink.out(self.hidden[i].weight))
            torch.sum(d_h, 0, out=sink.out(self.hidden[i].bias))
            d_above, w_above = d_h, hidden[i][0]
        sink.commit()
        return loss, penalty

    def _score_gradient(self, n: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """d loss / d scores of the real and fake packs, (2n, 1): -1/n, then +1/n; a constant, built once per shape."""
        key = ("scores", n, dtype, device)
        if key not in self._factors:
            self._factors[key] = torch.full((2 * n, 1), 1.0 / n, dtype=dtype, device=device)
            self._factors[key][:n] = -1.0 / n
        return self._factors[key]

    def _hidden(self, rows: torch.Tensor, generator: torch.Generator | None, hidden: list,
                used: int | None = None) -> tuple[torch.Tensor, list, list]:
        """The last hidden layer's output for packs of ``rows``, each layer's gate and each layer's input.
        With ``used``, ``rows`` are packs already, of which the first ``used`` are scored; every layer's
        output then keeps the same number of rows after them, spare (``wgan_gp_step`` fills them)."""
        spare = used is not None
        x = rows if spare else rows.reshape(-1, rows.shape[1] * self.pac)  # (B / pac, pac * row_dim)
        used = used if spare else len(x)
        gates, inputs = [], []
        for (weight, bias), keep in zip(hidden, self._keep_scales(used, hidden, generator)):
            inputs.append(x)
            h = torch.addmm(bias, x[:used].to(weight.dtype), weight.T)
            gates.append(self._gate(h, keep))
            if spare:  # (no autograd here: wgan_gp_step)
                x = torch.empty(len(x), h.shape[1], dtype=h.dtype, device=h.device)
                torch.mul(h, gates[-1], out=x[:used])
            else:
                x = h * gates[-1]
        return x, gates, inputs

    def parameters_changed(self) -> None:
        """Mark the low-precision copies stale; call after every optimizer step (fused optimizers
        update parameters without moving their version counters)."""
        for key, (param, _, low) in self._casts.items():
            self._casts[key] = (param, None, low)
        if self.flat is not None:
            self.flat.changed()

    def _weights(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Every layer's (weight, bias) in the autocast dtype (as they are without autocast), for one pass.

        The low-precision copies are kept until ``parameters_changed`` (or an in-place change that
        moves a version counter), so the generator step and the next critic step share one cast where
        autocast casts every weight again in each (diabetes-130's first layer holds 8.3M weights).
        Gradients flow back to the parameters in their own dtype, summed over a pass's uses first."""
        dtype = compute_dtype(self.out.weight)
        return [tuple(self._cast(p, dtype) for p in (layer.weight, layer.bias)) for layer in (*self.hidden, self.out)]

    def _cast(self, param: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """One parameter in ``dtype``: a view of the flat layout's one cast, or a copy of its own."""
        if self.flat is None:
            return _cached_cast(param, dtype, self._casts)
        low = self.flat.cast(param, dtype)
        return _Cast.apply(param, low) if low is not param and param.requires_grad and torch.is_grad_enabled() else low

    def _keep_scales(self, packs: int, hidden: list, generator: torch.Generator | None) -> list:
        """Each hidden layer's inverted-dropout factors (0 or 1 / (1 - rate)), (packs, width) in the
        layers' dtype, from one draw for all layers; ``None`` per layer when not dropping (eval mode)."""
        if not (self.training and self.dropout > 0 and hidden):
            return [None] * len(hidden)
        weight = hidden[0][0]
        widths = [w.shape[0] for w, _ in hidden]
        size = torch.Size([packs * sum(widths)])
        drop = min(round(self.dropout * 256), 255) / 256  # the rate keep_mask draws
        if drop == 0.5 and sys.byteorder == "little":
            keep = self._halves(size, weight, generator)
        else:
            key = (weight.dtype, weight.device, drop)
            if key not in self._factors:  # the two factor values as 0-d tensors, built once
                self._factors[key] = tuple(torch.tensor(v, dtype=weight.dtype, device=weight.device) for v in (0.0, 1.0 / (1.0 - drop)))
            zero, scale = self._factors[key]
            keep = torch.where(keep_mask(size, drop, generator, weight.device), scale, zero)
        return [part.view(packs, -1) for part in keep.split([packs * w for w in widths])]

    def _halves(self, size: torch.Size, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Rate-0.5 dropout factors, 0 or 2, in one kernel: 2.0's high byte is 0x40 in every IEEE
        float format, so a random byte's bit 6 written into the high byte of a zeroed buffer is 2.0
        or 0.0 (26 against 60-90 us for compare-and-select on 150 x 512 here). The buffer (low bytes
        zero, one per size) is reused: the factors are read only while the gates are made."""
        key = (size, like.dtype, like.device)
        buffers = self._halves_buffers
        if key not in buffers:
            if len(buffers) > 8:  # other sizes come and go (scoring with ``forward``): keep few
                buffers.clear()
            buffers[key] = torch.zeros(size, dtype=like.dtype, device=like.device)
        keep = buffers[key]
        high = keep.view(torch.uint8).view(len(keep), -1)[:, -1]  # little-endian: the last byte of each entry
        torch.bitwise_and(random_bits(size, torch.uint8, generator, like.device), 0x40, out=high)
        return keep

    @staticmethod
    def _gate(h: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
        """d leaky_relu(h) / dh (1 or 0.2) times the dropout factors ``keep``, in h's dtype; constant in h
        (no gradient). One kernel (leaky_relu's backward applied to ``keep``) where comparing, selecting
        and multiplying took three: 10 against 90 us for 150 x 256 here."""
        with torch.no_grad():
            return torch.ops.aten.leaky_relu_backward(torch.ones_like(h) if keep is None else keep, h, LEAKY_SLOPE, False)


def _input_gradient(w_out: torch.Tensor, hidden: list, gates: list, packs: slice, out: list | None = None) -> tuple[list, torch.Tensor]:
    """d score / d input of the chosen ``packs``, through the gates, and each layer's slope d score / d h on
    the way (written into ``out``'s tensors, one per layer, if given)."""
    slopes, grad = [], w_out.expand(packs.stop - packs.start, -1)
    for i in reversed(range(len(hidden))):
        slopes.insert(0, torch.mul(grad, gates[i][packs], out=None if out is None else out[i]))
        grad = slopes[0] @ hidden[i][0]
    return slopes, grad


def _cached_cast(param: torch.Tensor, dtype: torch.dtype, cache: dict) -> torch.Tensor:
    """``param`` in ``dtype``, the copy reused while the parameter is unchanged (a stale copy is
    refreshed in place: no new buffer for diabetes-130's 16 MB first layer); differentiable."""
    if param.dtype == dtype:
        return param
    hit = cache.get(id(param))
    stamp = (param._version, param.data_ptr(), dtype)  # in-place edits, swapped storage (.to(device)), another dtype
    if hit is None or hit[0] is not param or hit[1] != stamp:
        reuse = hit is not None and hit[0] is param and hit[2].dtype == dtype and hit[2].shape == param.shape and hit[2].device == param.device
        low = hit[2].copy_(param.detach()) if reuse else param.detach().to(dtype)
        hit = cache[id(param)] = (param, stamp, low)
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
