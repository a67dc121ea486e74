"""Turn ``conditions={"column": value}`` into level codes, with errors naming what is accepted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..exceptions import ConditionError
from ..schema import CATEGORICAL
from ..transform.discrete import CategoryEncoder
from ..transform.table import TableTransformer


@dataclass(frozen=True)
class Condition:
    """A requested level: ``position`` of the column among one-hot spans, ``cond_column`` among
    categorical spans (its index in the conditional vector's blocks), and the level ``code``; ``codes``,
    when given, is a set of accepted levels (``code`` among them), e.g. the kept combinations of a
    fixed-combination group that hold a condition on one of its columns."""

    column: str
    position: int
    cond_column: int
    code: int
    codes: tuple[int, ...] = ()

    @property
    def accepted(self) -> tuple[int, ...]:
        return self.codes or (self.code,)


def resolve(conditions: Mapping | None, transformer: TableTransformer) -> list[Condition]:
    """Validate and encode conditions; unknown columns or values raise ``ConditionError``."""
    if not conditions:
        return []
    if not isinstance(conditions, Mapping):
        raise ConditionError('conditions must be a mapping like {"column": value}')
    layout, schema = transformer.layout_, transformer.schema_
    categorical = [c.name for c in schema.columns if c.kind == CATEGORICAL]
    onehot = [s.column for s in layout.onehot_spans]
    category = [s.column for s in layout.category_spans]
    out = []
    for column, value in conditions.items():
        if column not in schema.names:
            raise ConditionError(
                f"unknown condition column {column!r}; categorical columns are {_short(categorical)}"
            )
        if column not in category:
            raise ConditionError(
                f"cannot condition on {column!r} ({schema[column].kind}); "
                f"conditions work on categorical columns: {_short(categorical)}"
            )
        encoder: CategoryEncoder = transformer.encoders_[column]
        out.append(
            Condition(
                column, onehot.index(column), category.index(column), level_code(encoder, column, value)
            )
        )
    return out


def level_code(encoder: CategoryEncoder, column: str, value) -> int:
    """The code of ``value`` among the column's levels; text such as "7" matches the number 7."""
    if _is_missing(value):
        if encoder.has_nan:
            return len(encoder.levels)
        raise ConditionError(
            f"column {column!r} had no missing values in training; levels are {_short(encoder.levels)}"
        )
    for i, level in enumerate(encoder.levels):
        if type(level) is type(value) and level == value:
            return i
    text = str(value)
    matches = [i for i, level in enumerate(encoder.levels) if str(level) == text or _same_number(level, text)]
    if len(matches) == 1:
        return matches[0]
    raise ConditionError(f"{value!r} is not a level of {column!r}; levels are {_short(encoder.levels)}")


def _same_number(level, text: str) -> bool:
    if isinstance(level, bool) or not isinstance(level, (int, float)):
        return False
    try:
        return float(text) == float(level)
    except ValueError:
        return False


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _short(values, limit: int = 20) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"
