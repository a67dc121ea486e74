"""Auxiliary predictive losses: a predictor of a hidden column from the others, trained on real rows;
the generator is asked to keep its rows' columns predictable from their other columns.

Two registered objectives share one mechanism (``models.predictors.MaskedColumnPredictor``):

- ``"predictor"``: one declared column, e.g. the target (CTAB-GAN+'s auxiliary classifier):
  ``CTGAN(objectives={"predictor": {"column": "income"}})``.
- ``"columns"``: every learned column in turn, one drawn per row and step - the "global utility" that
  diffusion models keep and CTGAN loses: ``CTGAN(objectives={"columns": 1.0})``.

A hidden one-hot span is scored by cross-entropy against the row's own level (for a fake row, its
generated level, as CTAB-GAN+ does), a hidden scalar by squared error.

Both take ``rows``: score at most that many rows of each batch (every ceil(batch / rows)-th row, of the
real batch and the fakes alike), which cuts the term's cost to about ``rows / batch`` of it -
``CTGAN(objectives={"columns": {"rows": 100}})``. The time budget (``training.budget``) counts the term at
that share.
"""

from __future__ import annotations

import math
import numbers

import torch

from ..exceptions import InvalidParameterError
from ..models.predictors import MaskedColumnPredictor
from .objectives import GeneratorPass, Objective, register_objective


class ColumnLoss:
    """The loss of predicting each row's hidden column, from the model-order layout of ``heads``."""

    def __init__(self, heads) -> None:
        self.n_scalar = heads.n_scalar
        self.groups = [(g.start, g.count, g.width) for g in heads.groups]

    def __call__(self, predicted: torch.Tensor, target: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """Mean over rows of the hidden entries' loss; ``hidden`` (B, width) marks them."""
        predicted, target, rows = predicted.float(), target.detach().float(), len(predicted)
        loss = predicted.new_zeros(rows)
        n0 = self.n_scalar
        if n0:
            loss = loss + ((predicted[:, :n0] - target[:, :n0]).square() * hidden[:, :n0]).sum(1)
        for start, count, width in self.groups:
            end = start + count * width
            log_p = torch.log_softmax(predicted[:, start:end].view(rows, count, width), dim=-1)
            level = target[:, start:end].view(rows, count, width).argmax(dim=-1, keepdim=True)
            scored = hidden[:, start:end].view(rows, count, width)[..., 0]  # (B, count): span hidden or not
            loss = loss - (log_p.gather(-1, level).squeeze(-1) * scored).sum(1)
        return loss.mean()


class _Auxiliary(Objective):
    """What both predictive objectives share: the network and its loss. Subclasses say which column each
    row hides (``hidden_columns(rows, generator, device)``)."""

    def __init__(
        self,
        net: MaskedColumnPredictor,
        loss: ColumnLoss,
        columns: list[str],
        weight: float,
        rows: int | None = None,
    ) -> None:
        super().__init__(weight)
        self.net, self.loss, self.columns, self.rows = net, loss, columns, rows

    def scored_share(self, batch_size: int) -> float:
        """The share of a batch of ``batch_size`` rows the term scores (what its cost scales with)."""
        return (
            1.0
            if self.rows is None
            else len(range(0, batch_size, _stride(batch_size, self.rows))) / batch_size
        )

    def _score(self, rows: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        if self.rows is not None:
            rows = rows[:: _stride(len(rows), self.rows)]
        column = self.hidden_columns(len(rows), generator, rows.device)
        return self.loss(self.net(rows, column, generator), rows, self.net.masks.index_select(0, column))

    def auxiliary_loss(self, batch, generator: torch.Generator | None = None) -> torch.Tensor:
        self.net.train()
        return self._score(batch.rows, generator)

    def generator_loss(self, p: GeneratorPass) -> torch.Tensor:
        self.net.eval()  # no dropout: the generator follows the predictor's mean prediction
        return self.weight * self._score(p.fake.rows, p.generator)

    @classmethod
    def _checked_rows(cls, rows: object) -> int | None:
        if rows is not None and (
            isinstance(rows, bool) or not isinstance(rows, numbers.Integral) or rows < 1
        ):
            raise InvalidParameterError(
                f"objectives[{cls.name!r}] rows={rows!r} must be a whole number >= 1 (or None: every row)"
            )
        return None if rows is None else int(rows)

    @staticmethod
    def _network(task, hidden) -> tuple[MaskedColumnPredictor, ColumnLoss, list[str]]:
        layout, heads = task.data.layout, task.heads
        columns = list(dict.fromkeys(s.column for s in layout.spans))
        owner = torch.empty(heads.width, dtype=torch.long)
        for i, span in enumerate(layout.scalar_spans):
            owner[i] = columns.index(span.column)
        for j, span in enumerate(layout.onehot_spans):
            start = int(heads.onehot_offsets_np[j])
            owner[start : start + span.width] = columns.index(span.column)
        net = MaskedColumnPredictor(heads.width, len(columns), tuple(hidden), owner).to(task.device)
        return net, ColumnLoss(heads), columns


@register_objective
class Predictor(_Auxiliary):
    """Keeps one ``column`` predictable from the rest of the row (weight 1 by default)."""

    name = "predictor"

    @property
    def key(self) -> str:
        return f"predictor[{self.columns[self.index]}]"

    @classmethod
    def build(
        cls,
        task,
        weight: float | None = None,
        column: str | None = None,
        hidden=(256, 256),
        rows: int | None = None,
        **options,
    ):
        if options:
            raise InvalidParameterError(
                f"objective 'predictor' takes column, weight, hidden and rows; got {sorted(options)}"
            )
        rows = cls._checked_rows(rows)
        net, loss, columns = cls._network(task, hidden)
        if column not in columns:
            raise InvalidParameterError(
                f"objectives['predictor'] column={column!r} is not a learned column; choose one of {columns}"
            )
        objective = cls(net, loss, columns, 1.0 if weight is None else weight, rows)
        objective.index = columns.index(column)
        return objective

    def hidden_columns(self, rows: int, generator: torch.Generator | None, device) -> torch.Tensor:
        return torch.full((rows,), self.index, dtype=torch.long, device=device)


@register_objective
class EveryColumn(_Auxiliary):
    """Keeps every column predictable from the others: each row hides one column drawn uniformly."""

    name = "columns"

    @classmethod
    def build(cls, task, weight: float | None = None, hidden=(256, 256), rows: int | None = None, **options):
        if options:
            raise InvalidParameterError(
                f"objective 'columns' takes weight, hidden and rows; got {sorted(options)}"
            )
        rows = cls._checked_rows(rows)
        net, loss, columns = cls._network(task, hidden)
        if len(columns) < 2:
            return None  # one learned column: nothing to predict it from
        return cls(net, loss, columns, 1.0 if weight is None else weight, rows)

    def hidden_columns(self, rows: int, generator: torch.Generator | None, device) -> torch.Tensor:
        return torch.randint(0, len(self.columns), (rows,), generator=generator, device=device)


def _stride(batch: int, rows: int) -> int:
    """Every how many rows of a ``batch`` to score so that at most ``rows`` are: 5 for 100 of 500."""
    return max(1, math.ceil(batch / rows))
