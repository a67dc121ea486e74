"""The generator prepared for sampling: batch norm folded away, weights cast once, no concatenations.

In eval mode a block ``relu(bn(fc(x)))`` is ``relu(x @ W'.T + b')`` with the batch-norm scale and
shift folded into ``W'`` and ``b'``; the conditional vector's share of every layer is a row lookup in
a table that already holds the bias. Activations live in one preallocated buffer laid out as the
residual concatenation ``[h_k, ..., h_1, noise]``, so block ``k`` reads a contiguous slice of it and
writes its output just before. The result equals ``Generator.eval()(noise, cond)`` up to rounding.
"""

from __future__ import annotations

import torch

from .tabular import Generator


class FrozenGenerator:
    """Sampling-only view of a trained ``Generator`` in ``dtype`` (float32, or bfloat16 where native).

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
                bn = block.bn
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                layers.append(self._split(block.fc.weight * scale[:, None], (block.fc.bias - bn.running_mean) * scale + bn.bias))
            self.blocks = layers
            self.out = self._split(generator.out.weight, generator.out.bias)
        self.width = generator.out.in_features - generator.cond_dim

    def _split(self, weight: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(weight over the dense inputs, table of conditional share + bias: (cond_dim or 1, out))."""
        d = weight.shape[1] - self.cond_dim
        table = weight[:, d:].T + bias if self.cond_dim else bias[None, :]
        return weight[:, :d].to(self.dtype).contiguous(), table.to(self.dtype).contiguous()

    def __call__(self, noise: torch.Tensor, cond_index: torch.Tensor | None = None) -> torch.Tensor:
        """Raw outputs (B, data_dim) in ``dtype`` for noise (B, noise_dim) and condition positions (B,) or (1,)."""
        with torch.inference_mode():
            buf = torch.empty(noise.shape[0], self.width, dtype=self.dtype, device=noise.device)
            start = self.width - noise.shape[1]
            buf[:, start:] = noise
            for weight, table in self.blocks:
                h = torch.addmm(self._rows(table, cond_index), buf[:, start:], weight.T).relu_()
                buf[:, start - h.shape[1] : start] = h
                start -= h.shape[1]
            weight, table = self.out
            return torch.addmm(self._rows(table, cond_index), buf, weight.T)

    def _rows(self, table: torch.Tensor, cond_index: torch.Tensor | None) -> torch.Tensor:
        return table if cond_index is None or not self.cond_dim else table.index_select(0, cond_index)
