"""The trained generator and its output heads turned into their sampling form: batch norm folded, weights
cast once, buffers reused. Derived from the trained module's layers (``freeze``), never written by hand:
a generator of the residual kind is folded; any other registered generator is run as it is, in eval
mode under inference mode (``ModuleSampler``).

In eval mode a block ``relu(bn(fc(x)))`` is ``relu(x @ W'.T + b')`` with the batch-norm scale and
shift folded into ``W'`` and ``b'``; the conditional vector's share of every layer is a row lookup in
a table that already holds the bias. Activations live in one buffer laid out as the residual
concatenation ``[h_k, ..., h_1, noise]``, so block ``k`` reads a contiguous slice of it and writes its
output just before. Every buffer is allocated once per sampling call and reused batch after batch:
fresh multi-megabyte tensors per batch cost page faults (glibc hands large blocks back to the
kernel), which measured as much as the matmuls themselves and made timings swing two-fold.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from .._device import autocast
from .generator import CondLinear, Generator, Residual
from .heads import Heads


def freeze(generator: nn.Module, dtype: torch.dtype = torch.float32):
    """The fastest exact sampling form of a trained generator: ``FrozenGenerator`` for the residual kind
    (every block a ``Residual`` of a ``CondLinear`` and a ``BatchNorm1d``), else ``ModuleSampler``."""
    foldable = (
        isinstance(generator, Generator)
        and isinstance(generator.out, CondLinear)
        and all(
            isinstance(b, Residual) and isinstance(b.bn, nn.BatchNorm1d) and b.bn.track_running_stats
            for b in generator.blocks
        )
    )
    return FrozenGenerator(generator, dtype) if foldable else ModuleSampler(generator, dtype)


class ModuleSampler:
    """Any generator module, sampled as it is: a copy in eval mode, run under inference mode (and bfloat16
    autocast when ``dtype`` is bfloat16). Raw outputs (B, data_dim) for noise and condition positions."""

    def __init__(self, generator: nn.Module, dtype: torch.dtype = torch.float32) -> None:
        self.module, self.dtype = copy.deepcopy(generator).eval(), dtype
        self.cond_dim = getattr(generator, "cond_dim", 0)

    def __call__(self, noise: torch.Tensor, cond_index: torch.Tensor | None = None) -> torch.Tensor:
        with (
            torch.inference_mode(),
            autocast(noise.device, None if self.dtype == torch.float32 else self.dtype),
        ):
            if cond_index is not None and cond_index.numel() == 1 and len(noise) > 1:
                cond_index = cond_index.reshape(1).expand(len(noise))
            return self.module(noise, cond_index if self.cond_dim else None).to(self.dtype)


class FrozenGenerator:
    """Sampling-only view of a trained ``Generator`` in ``dtype`` (float32, or bfloat16 where native).

    The returned activations live in a buffer that the next call overwrites: read them first.

    >>> import torch
    >>> g = Generator(4, 3, (8,), 5).eval()
    >>> frozen = FrozenGenerator(g, torch.float32)
    >>> noise, cond = torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    >>> torch.allclose(frozen(noise, cond), g(noise, cond), atol=1e-5)
    True
    """

    def __init__(self, generator: Generator, dtype: torch.dtype = torch.float32) -> None:
        self.cond_dim, self.dtype = generator.cond_dim, dtype
        with torch.no_grad():
            layers = []
            for block in generator.blocks:
                bn, fc = block.bn, block.fc
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                layers.append(
                    self._fold(
                        fc.weight * scale[:, None],
                        fc.table * scale,
                        (fc.bias - bn.running_mean) * scale + bn.bias,
                    )
                )
            self.blocks = layers
            self.out = self._fold(generator.out.weight, generator.out.table, generator.out.bias)
        self.width = generator.out.weight.shape[1]
        widths = [self.width] + [w.shape[0] for w, _ in self.blocks] + [self.out[0].shape[0]]
        self._work = _Workspace({str(i): (w, dtype) for i, w in enumerate(widths)})

    def _fold(
        self, weight: torch.Tensor, table: torch.Tensor, bias: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(weight over the dense inputs, table of conditional share + bias: (cond_dim or 1, out))."""
        table = table + bias if self.cond_dim else bias[None, :]
        return weight.to(self.dtype).contiguous(), table.to(self.dtype).contiguous()

    def __call__(self, noise: torch.Tensor, cond_index: torch.Tensor | None = None) -> torch.Tensor:
        """Raw outputs (B, data_dim) in ``dtype`` for noise (B, noise_dim) and conditions (B,) or (1,)."""
        rows = noise.shape[0]
        with torch.inference_mode():
            flat = self._work.reserve(rows, noise.device)
            buf, *outs = (_view(flat[k], rows, n) for k, (n, _) in self._work.columns.items())
            start = self.width - noise.shape[1]
            buf[:, start:].copy_(noise)
            for (weight, table), h in zip(self.blocks, outs):
                self._rows(table, cond_index, h).addmm_(buf[:, start:], weight.T)
                torch.clamp_min(
                    h, 0, out=buf[:, start - h.shape[1] : start]
                )  # relu, written where the next block reads
                start -= h.shape[1]
            weight, table = self.out
            return self._rows(table, cond_index, outs[-1]).addmm_(buf, weight.T)

    def _rows(self, table: torch.Tensor, cond_index: torch.Tensor | None, out: torch.Tensor) -> torch.Tensor:
        """Write each row's conditional share + bias into ``out``."""
        if cond_index is None or not self.cond_dim or cond_index.numel() == 1:
            index = (
                cond_index.reshape(1)
                if cond_index is not None and self.cond_dim
                else torch.zeros(1, dtype=torch.long)
            )
            return out.copy_(table[index.to(table.device)].expand_as(out))
        return torch.index_select(table, 0, cond_index, out=out)


class FrozenHeads:
    """Sampling-time outputs of ``heads``: tanh scalars and one code per one-hot span, in reused buffers.

    Each code is drawn by inverting its span's softmax CDF with one uniform: the same distribution as
    ``argmax(logits + Gumbel noise)``, which the training-time Gumbel-softmax approaches, for a tenth
    of the random numbers and without dense one-hots. The max, cumulative sum and count run along each
    span; along a span a few columns wide such reductions crawl (one short loop per row), so spans up
    to ``NARROW`` wide are drawn on a transposed copy (rows innermost, the reductions vectorise across
    rows) - 1.6-2.3x faster heads on heart, Adult and kidney; the scalars' tanh runs on that copy too
    (on the row-major outputs it is a strided crawl). Uniforms are consumed group by group.

    >>> import numpy as np
    >>> from synthgan.transform.layout import Layout, Span
    >>> spans = (Span("x", "scalar", 0, 1), Span("c", "category", 1, 3), Span("d", "category", 4, 2))
    >>> heads = FrozenHeads(Heads(Layout(spans)))
    >>> raw = torch.tensor([[0.0, 30.0, 0.0, 0.0, 30.0, 0.0]])  # model order: scalar, d (2 wide), c (3)
    >>> heads(raw, np.random.default_rng(0))[1].tolist()  # codes in layout order: c, then d
    [[1, 0]]
    """

    #: Widest span drawn on the transposed copy (measured crossover: 12-14 columns).
    NARROW = 12

    def __init__(self, heads: Heads) -> None:
        self.heads = heads
        self.order = torch.argsort(torch.cat([g.members for g in heads.groups])) if heads.groups else None
        narrow, _ = heads.split_groups(self.NARROW)
        self.split = narrow[-1].end if narrow else heads.n_scalar
        wide = max((g.count * g.width for g in heads.groups), default=0)
        self._work = _Workspace(
            {
                "wide": (heads.width - self.split, torch.float32),
                "narrow": (self.split, torch.float32),
                "u": (heads.n_onehot, torch.float32),
                "top": (heads.n_onehot, torch.float32),
                "cdf": (wide, torch.float32),
                "below": (wide, torch.bool),
                "drawn": (heads.n_onehot, torch.long),
                "codes": (heads.n_onehot, torch.long),
                "scalars": (heads.n_scalar, torch.float32),
            }
        )

    def __call__(self, raw: torch.Tensor, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Scalars (B, n_scalar) float32 and codes (B, n_onehot) int64 for raw outputs (B, width), in reused
        buffers. The uniforms come from ``rng`` (with the copy in, 2.3x faster than torch.rand here: 128 vs
        298 us for 13 x 4,096)."""
        h, rows, n0 = self.heads, raw.shape[0], self.heads.n_scalar
        with torch.inference_mode():
            buf = self._work.reserve(rows, raw.device)
            wide = _view(buf["wide"], rows, h.width - self.split).copy_(raw[:, self.split :])  # float32
            narrow = _view(buf["narrow"], self.split, rows).copy_(
                raw[:, : self.split].T
            )  # scalars, then narrow spans
            u = _view(buf["u"], h.n_onehot, rows)
            u.copy_(torch.from_numpy(rng.random((h.n_onehot, rows), dtype=np.float32)))
            drawn = _view(buf["drawn"], h.n_onehot, rows)
            first = 0
            for g in h.groups:
                if g.end <= self.split:  # (count, width, rows): reduce over dim 1
                    span, dim = narrow[g.start : g.end].view(g.count, g.width, rows), 1
                    share, out = u[first : first + g.count, None, :], drawn[first : first + g.count]
                else:  # (rows, count, width): reduce over the last dim
                    span, dim = (
                        wide[:, g.start - self.split : g.end - self.split].view(rows, g.count, g.width),
                        2,
                    )
                    share, out = u[first : first + g.count].T[:, :, None], drawn[first : first + g.count].T
                shape = list(span.shape)
                shape[dim] = 1
                top = torch.amax(span, dim=dim, keepdim=True, out=_view(buf["top"], *shape))
                cdf = (
                    torch.sub(span, top, out=_view(buf["cdf"], *span.shape)).exp_().cumsum_(dim=dim)
                )  # unnormalised
                threshold = torch.mul(share, cdf.narrow(dim, g.width - 1, 1), out=top)
                shape[dim] = g.width - 1
                below = torch.lt(cdf.narrow(dim, 0, g.width - 1), threshold, out=_view(buf["below"], *shape))
                torch.sum(below, dim=dim, out=out)
                first += g.count
            scalars = torch.tanh(narrow[:n0], out=_view(buf["scalars"], n0, rows))
            codes = _view(buf["codes"], h.n_onehot, rows)
            if self.order is not None:
                torch.index_select(drawn, 0, self.order, out=codes)
            return scalars.T, codes.T


def _view(buffer: torch.Tensor, *shape: int) -> torch.Tensor:
    """The first elements of a contiguous buffer, shaped ``shape``."""
    return buffer.view(-1)[: torch.Size(shape).numel()].view(shape)


class _Workspace:
    """Flat buffers by name, each ``columns`` wide, for at least ``rows`` rows; ``_view`` shapes them per
    call,
    so a short last batch still gets contiguous tensors. Reallocated only for more rows or another device."""

    def __init__(self, columns: dict[str, tuple[int, torch.dtype]]) -> None:
        self.columns, self.rows, self.device = columns, 0, None
        self.flat: dict[str, torch.Tensor] = {}

    def reserve(self, rows: int, device: torch.device) -> dict[str, torch.Tensor]:
        if rows > self.rows or device != self.device:
            self.flat = {
                k: torch.empty(rows * n, dtype=dtype, device=device) for k, (n, dtype) in self.columns.items()
            }
            self.rows, self.device = rows, device
        return self.flat
