"""Auxiliary predictors: networks that predict one column of a row from the other columns.

Trained on real rows, they give the generator a loss that keeps a column predictable from the rest
(CTAB-GAN+'s auxiliary classifier, Zhao et al. 2022), a dependency the adversarial loss alone keeps
only loosely. The input is a dense model-order row with the predicted column's entries zeroed; the
output has one logit per one-hot entry of that column and one value per scalar entry.

Example:
    >>> import torch
    >>> p = ColumnPredictor(width=6, hidden=(8,), hide=torch.tensor([4, 5]))
    >>> p(torch.ones(3, 6)).shape  # logits for entries 4 and 5 of each row
    torch.Size([3, 2])
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .dropout import dropout_factors


class ColumnPredictor(nn.Module):
    """MLP (Linear, LeakyReLU 0.2, dropout per hidden layer) from a row with the entries ``hide`` zeroed to
    one output per hidden entry. Dropout, in training mode, draws from the generator passed to forward."""

    def __init__(self, width: int, hidden: Sequence[int], hide: torch.Tensor, dropout: float = 0.5) -> None:
        super().__init__()
        keep = torch.ones(width)
        keep[hide] = 0.0
        self.register_buffer("keep", keep, persistent=False)  # (width,) 0 at the predicted column's entries
        self.register_buffer("hidden_entries", torch.as_tensor(hide), persistent=False)
        self.dropout = dropout
        dims = [width, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.head = nn.Linear(dims[-1], len(hide))

    def forward(self, rows: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, width) rows -> (B, hidden entries) predictions of the hidden entries."""
        x = rows * self.keep.to(rows.dtype)
        for layer in self.hidden:
            x = nn.functional.leaky_relu(layer(x), 0.2)
            if self.training and self.dropout > 0:
                x = x * dropout_factors(x.shape, self.dropout, generator, x)
        return self.head(x)
