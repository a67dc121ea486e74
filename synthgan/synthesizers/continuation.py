"""A fit's budget and batch, and what a continued fit (``warm_start``, or a checkpoint resumed) keeps from the
fit it continues: the batch size, whether critic packs share conditions, and the conditional vector.

Example:
    >>> from synthgan import CTGAN
    >>> kept_budget(CTGAN(steps=40), 1_000, None).total_steps
    40
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from ..exceptions import InvalidParameterError
from ..training.budget import Budget, resolve_budget

if TYPE_CHECKING:
    from .base import TabularGAN


def kept_budget(model: "TabularGAN", n_rows: int, trained_batch: int | None) -> Budget:
    """The budget for ``n_rows`` training rows; a run that continues keeps the batch it trained with."""
    batch = model.batch_size
    if trained_batch is not None:
        if batch is not None:
            with warnings.catch_warnings():  # the first fit warned about rounding already
                warnings.simplefilter("ignore")
                rounded = resolve_budget(n_rows, model.pac, batch_size=batch).batch_size
            if rounded != trained_batch:
                raise InvalidParameterError(
                    f"batch_size={batch} differs from the {trained_batch} this model trained with; "
                    "continue with the same batch size"
                )
        batch = trained_batch
    return resolve_budget(n_rows, model.pac, epochs=model.epochs, steps=model.steps, batch_size=batch)


def shared_packs(model: "TabularGAN", budget: Budget) -> bool:
    """``pack_conditions``, or when it is None whether the batch holds enough packs to share conditions
    (``Budget.shared_packs``; a conditional model only)."""
    if model.pack_conditions is None:
        return model.conditional and budget.shared_packs
    return bool(model.pack_conditions)


def keep_packs(model: "TabularGAN", budget: Budget) -> None:
    """A continued fit keeps whether its packs share conditions (``pack_conditions_``, as it trained)."""
    shared = shared_packs(model, budget)
    if shared != model.pack_conditions_:
        raise InvalidParameterError(
            f"pack_conditions={model.pack_conditions!r} means {shared} here, but this "
            f"model trained with pack_conditions={model.pack_conditions_}; a continued fit keeps it"
        )


def keep_modes(model: "TabularGAN") -> None:
    """A continued fit keeps the conditional vector it trained with (``condition_modes_``)."""
    if bool(model.condition_modes) != model.condition_modes_:
        raise InvalidParameterError(
            f"condition_modes={model.condition_modes!r}, but this model trained with "
            f"condition_modes={model.condition_modes_}; a continued fit keeps it"
        )
