"""Auxiliary predictors: a network that predicts a hidden column of a row from the row's other columns.

Trained on real rows, it gives the generator a loss that keeps columns predictable from each other -
the dependency a GAN's adversarial loss keeps only loosely (CTAB-GAN+'s auxiliary classifier, Zhao et
al. 2022, for one target; every column in turn, the "global utility" of TabStruct). The input is a
dense model-order row with the hidden column's entries zeroed, plus a one-hot of which column is
hidden; the output has one value per entry of the row (logits for one-hot entries, values for scalars).

Example:
    >>> import torch
    >>> owner = torch.tensor([0, 0, 0, 1, 1, 1])  # the column each entry of a row belongs to
    >>> p = MaskedColumnPredictor(width=6, n_columns=2, hidden=(8,), column_of_entry=owner)
    >>> p(torch.ones(3, 6), torch.tensor([0, 1, 1])).shape
    torch.Size([3, 6])
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .dropout import dropout_factors


class MaskedColumnPredictor(nn.Module):
    """MLP (Linear, LeakyReLU 0.2, dropout per hidden layer) from [row with column c's entries zeroed,
    one-hot(c)] to a prediction of every entry; only column c's are scored. Dropout, in training mode,
    draws from the generator passed to ``forward``."""

    def __init__(
        self,
        width: int,
        n_columns: int,
        hidden: Sequence[int],
        column_of_entry: torch.Tensor,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.n_columns, self.dropout = n_columns, dropout
        masks = torch.arange(n_columns)[:, None] == torch.as_tensor(column_of_entry)[None, :]
        self.register_buffer(
            "masks", masks, persistent=False
        )  # (columns, width): which entries each column owns
        dims = [width + n_columns, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.head = nn.Linear(dims[-1], width)

    def forward(
        self, rows: torch.Tensor, column: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """(B, width) rows and (B,) hidden column per row -> (B, width) predictions."""
        hide = self.masks.index_select(0, column)  # (B, width)
        which = nn.functional.one_hot(column, self.n_columns).to(rows.dtype)
        x = torch.cat([rows.masked_fill(hide, 0.0), which], dim=1)
        for layer in self.hidden:
            x = nn.functional.leaky_relu(layer(x), 0.2)
            if self.training and self.dropout > 0:
                x = x * dropout_factors(x.shape, self.dropout, generator, x)
        return self.head(x)
