"""Auxiliary predictive loss (CTAB-GAN+): a predictor of one column from the others, trained on real
rows; the generator is asked to keep its rows' column predictable from their other columns.

Registered as the objective ``"predictor"``: ``CTGAN(objectives={"predictor": {"column": "income",
"weight": 1.0}})``. One-hot entries are scored by cross-entropy against the row's own level (the
fake row's generated level, as CTAB-GAN+ does), scalar entries by squared error.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..exceptions import InvalidParameterError
from ..models.predictors import ColumnPredictor
from .objectives import GeneratorPass, Objective, register_objective


@register_objective
class Predictor(Objective):
    """Keeps ``column`` predictable from the rest of the row (weight 1 by default)."""

    name = "predictor"

    def __init__(
        self,
        net: ColumnPredictor,
        column: str,
        scalars: list[int],
        spans: list[tuple[int, int]],
        weight: float = 1.0,
    ) -> None:
        super().__init__(weight)
        self.net, self.column = net, column
        self.scalars, self.spans = (
            scalars,
            spans,
        )  # positions among the hidden entries: scalars, then (start, width) spans

    @property
    def key(self) -> str:
        return f"predictor[{self.column}]"

    @classmethod
    def build(
        cls, task, weight: float | None = None, column: str | None = None, hidden=(256, 256), **options
    ) -> "Predictor":
        if options:
            raise InvalidParameterError(
                f"objective 'predictor' takes column, weight and hidden; got {sorted(options)}"
            )
        layout, heads = task.data.layout, task.heads
        columns = sorted({s.column for s in layout.spans})
        if column not in columns:
            raise InvalidParameterError(
                f"objectives['predictor'] column={column!r} is not a learned column; choose one of {columns}"
            )
        hide: list[int] = [i for i, s in enumerate(layout.scalar_spans) if s.column == column]
        spans = []
        for j, span in enumerate(layout.onehot_spans):
            if span.column == column:
                start = int(heads.onehot_offsets_np[j])
                spans.append((len(hide), span.width))
                hide.extend(range(start, start + span.width))
        n_scalar = sum(1 for s in layout.scalar_spans if s.column == column)
        net = ColumnPredictor(
            heads.width, tuple(hidden), torch.as_tensor(np.asarray(hide), device=task.device)
        ).to(task.device)
        return cls(net, column, list(range(n_scalar)), spans, 1.0 if weight is None else weight)

    def _loss(self, predicted: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        target = rows.index_select(1, self.net.hidden_entries).detach().float()
        predicted = predicted.float()
        loss = predicted.new_zeros(())
        if self.scalars:
            loss = loss + nn.functional.mse_loss(predicted[:, self.scalars], target[:, self.scalars])
        for start, width in self.spans:
            level = target[:, start : start + width].argmax(dim=1)
            loss = loss + nn.functional.cross_entropy(predicted[:, start : start + width], level)
        return loss

    def auxiliary_loss(self, batch, generator: torch.Generator | None = None) -> torch.Tensor:
        self.net.train()
        return self._loss(self.net(batch.rows, generator), batch.rows)

    def generator_loss(self, p: GeneratorPass) -> torch.Tensor:
        self.net.eval()  # no dropout: the generator follows the predictor's mean prediction
        return self.weight * self._loss(self.net(p.fake.rows), p.fake.rows)
