"""Rules every synthetic row must obey: what each rule means, how a table is checked against it, and its JSON.

A rule names columns and says which rows are valid; ``violations(frame)`` is a boolean array (True = the
row breaks the rule). A missing value in a column a rule compares makes no violation (unknown is not
wrong), except where the rule names the missing value itself (fixed combinations, if-then with ``None``).

- ``Inequality(low, high, strict=False, offset=0)``: ``high >= low + offset`` (``>`` when strict), numbers or
  datetimes (then ``offset`` is a duration such as ``"1D"`` or a number of seconds).
- ``Range(column, low=None, high=None, low_inclusive=True, high_inclusive=True)``.
- ``FixedCombinations(columns, as_one_column=False)``: only combinations of these columns seen in training.
- ``IfThen(if_column, if_value, then_column, then_value)``: ``if sex == "M" then pregnant == "No"``; with a
  number as ``then_value`` it is the zero-when-absent rule (``if drug == "none" then dose == 0``).
- ``Sum(parts, total, unit=None)``: ``sum of parts == total`` (to a relative 1e-9; dates to 1 ms); a date
  total takes one date part and number parts counted in ``unit``
  (``Sum(["admitted", "stay_days"], "discharged", "D")``).
- ``Custom(name, predicate)``: ``predicate(frame)`` gives True for valid rows; Python code, so it is kept
  by rejection only and never written into a schema or model file.

Example:
    >>> import pandas as pd
    >>> from synthgan.constraints import Inequality, rule_from_dict
    >>> rule = Inequality("admitted", "discharged")
    >>> rule.violations(pd.DataFrame({"admitted": [1, 5, None], "discharged": [2, 4, 3]})).tolist()
    [False, True, False]
    >>> rule_from_dict(rule.to_dict()) == rule
    True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np
import pandas as pd

from ..exceptions import SchemaError
from ..schema import CATEGORICAL, CONTINUOUS, DATETIME, INTEGER
from .values import (
    _is_dates,
    _is_number,
    _key,
    as_number,
    combination_keys,
    matches,
    offset_seconds,
    sum_sides,
    unit_seconds,
)

NUMERIC = (CONTINUOUS, INTEGER)
#: Relative tolerance of a sum rule (floats are summed in float64).
SUM_TOLERANCE = 1e-9


class Rule(ABC):
    """Base of the rule types: ``columns``, ``violations``, ``to_dict``, ``check_schema``, ``describe``."""

    type: ClassVar[str] = ""

    @property
    @abstractmethod
    def columns(self) -> tuple[str, ...]:
        """The columns the rule reads or writes."""

    @abstractmethod
    def violations(self, frame: pd.DataFrame, schema=None) -> np.ndarray:
        """True for each row of ``frame`` that breaks the rule (``schema``: dates parsed in its formats)."""

    @abstractmethod
    def describe(self) -> str:
        """The rule in one line, as errors and reports name it."""

    @abstractmethod
    def to_dict(self) -> dict:
        """The rule's JSON object (``rule_from_dict`` reads it back)."""

    def check_schema(self, schema) -> None:
        """Raise ``SchemaError`` unless every column exists with a kind this rule accepts."""
        for name in self.columns:
            if name not in schema.names:
                raise SchemaError(f"constraint {self.describe()!r} names unknown column {name!r}")


@dataclass(frozen=True)
class Inequality(Rule):
    low: str
    high: str
    strict: bool = False
    offset: float | str = 0
    type: ClassVar[str] = "inequality"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.low, self.high)

    def describe(self) -> str:
        op = ">" if self.strict else ">="
        shift = f" + {self.offset}" if self.offset not in (0, "0", None) else ""
        return f"{self.high} {op} {self.low}{shift}"

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "low": self.low,
            "high": self.high,
            "strict": self.strict,
            "offset": self.offset,
        }

    def check_schema(self, schema) -> None:
        super().check_schema(schema)
        kinds = {schema[self.low].kind, schema[self.high].kind}
        if not (kinds <= set(NUMERIC) or kinds == {DATETIME}):
            raise SchemaError(
                f"constraint {self.describe()!r}: both columns must be numbers or both datetimes, "
                f"not {schema[self.low].kind} and {schema[self.high].kind}"
            )
        if DATETIME in kinds:
            offset_seconds(self.offset, self.describe())
        elif not _is_number(self.offset) and self.offset is not None:
            try:
                float(self.offset)
            except (TypeError, ValueError):
                raise SchemaError(
                    f"constraint {self.describe()!r}: offset {self.offset!r} must be a number for number "
                    "columns"
                ) from None

    def violations(self, frame: pd.DataFrame, schema=None) -> np.ndarray:
        low, high = (
            as_number(frame[self.low], _spec(schema, self.low)),
            as_number(frame[self.high], _spec(schema, self.high)),
        )
        dates = (
            _spec(schema, self.low).kind == DATETIME
            if _spec(schema, self.low)
            else _is_dates(frame[self.low])
        )
        shift = offset_seconds(self.offset, self.describe()) if dates else float(self.offset)
        with np.errstate(invalid="ignore"):
            bad = high <= low + shift if self.strict else high < low + shift
        return bad & ~np.isnan(low) & ~np.isnan(high)


@dataclass(frozen=True)
class Range(Rule):
    column: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    type: ClassVar[str] = "range"

    def __post_init__(self) -> None:
        for bound in (self.low, self.high):
            if bound is not None and not _is_number(bound):
                raise SchemaError(f"range constraint on {self.column!r}: bound {bound!r} is not a number")
        if self.low is None and self.high is None:
            raise SchemaError(f"range constraint on {self.column!r} needs a low or a high bound")
        if self.low is not None and self.high is not None and not float(self.low) < float(self.high):
            raise SchemaError(
                f"range constraint on {self.column!r}: low {self.low} is not below high {self.high}"
            )

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def describe(self) -> str:
        left = "" if self.low is None else f"{self.low} {'<=' if self.low_inclusive else '<'} "
        right = "" if self.high is None else f" {'<=' if self.high_inclusive else '<'} {self.high}"
        return f"{left}{self.column}{right}"

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "column": self.column,
            "low": self.low,
            "high": self.high,
            "low_inclusive": self.low_inclusive,
            "high_inclusive": self.high_inclusive,
        }

    def check_schema(self, schema) -> None:
        super().check_schema(schema)
        if schema[self.column].kind not in NUMERIC:
            raise SchemaError(
                f"constraint {self.describe()!r}: {self.column!r} is {schema[self.column].kind}; ranges "
                "apply to continuous and integer columns"
            )

    def violations(self, frame: pd.DataFrame, schema=None) -> np.ndarray:
        x = as_number(frame[self.column], _spec(schema, self.column))
        bad = np.zeros(len(x), dtype=bool)
        with np.errstate(invalid="ignore"):
            if self.low is not None:
                bad |= x < self.low if self.low_inclusive else x <= self.low
            if self.high is not None:
                bad |= x > self.high if self.high_inclusive else x >= self.high
        return bad & ~np.isnan(x)


@dataclass(frozen=True)
class FixedCombinations(Rule):
    """Only the combinations of ``columns`` seen at least k times in training (``allowed``, filled in at fit;
    rarer ones are one patient's: neither stored nor emitted). Kept by rejection, or with
    ``as_one_column=True`` learned as one column of its combinations (``plan`` says how each holds)."""

    group: tuple[str, ...]
    as_one_column: bool = False
    allowed: tuple[tuple, ...] | None = field(default=None, compare=False, repr=False)
    type: ClassVar[str] = "fixed_combinations"

    def __post_init__(self) -> None:
        object.__setattr__(self, "group", tuple(str(c) for c in self.group))
        if len(self.group) < 2 or len(set(self.group)) != len(self.group):
            raise SchemaError(
                f"fixed combinations need two or more different columns, not {list(self.group)}"
            )
        if not isinstance(self.as_one_column, (bool, np.bool_)):
            raise SchemaError(f"as_one_column must be true or false, not {self.as_one_column!r}")
        object.__setattr__(self, "as_one_column", bool(self.as_one_column))

    @property
    def columns(self) -> tuple[str, ...]:
        return self.group

    def describe(self) -> str:
        return f"only seen combinations of ({', '.join(self.group)})"

    def to_dict(self) -> dict:
        extra = {"as_one_column": True} if self.as_one_column else {}
        return {"type": self.type, "columns": list(self.group), **extra}

    def check_schema(self, schema) -> None:
        super().check_schema(schema)
        bad = [c for c in self.group if schema[c].kind != CATEGORICAL]
        if bad:
            raise SchemaError(f"constraint {self.describe()!r}: {bad} are not categorical columns")

    def violations(self, frame: pd.DataFrame, schema=None) -> np.ndarray:
        if self.allowed is None:
            return np.zeros(len(frame), dtype=bool)  # before fit every combination is "seen"
        keys = combination_keys(frame, self.group)
        allowed = {tuple(_key(v) for v in combo) for combo in self.allowed}
        return np.fromiter((k not in allowed for k in keys), dtype=bool, count=len(frame))


@dataclass(frozen=True)
class IfThen(Rule):
    if_column: str
    if_value: object
    then_column: str
    then_value: object
    type: ClassVar[str] = "if_then"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.if_column, self.then_column)

    def describe(self) -> str:
        return f"if {self.if_column} == {self.if_value!r} then {self.then_column} == {self.then_value!r}"

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "if": {"column": self.if_column, "value": self.if_value},
            "then": {"column": self.then_column, "value": self.then_value},
        }

    def check_schema(self, schema) -> None:
        super().check_schema(schema)
        if self.if_column == self.then_column:
            raise SchemaError(f"constraint {self.describe()!r} names one column twice")
        kind = schema[self.then_column].kind
        if kind not in (CATEGORICAL, *NUMERIC):
            raise SchemaError(f"constraint {self.describe()!r}: {self.then_column!r} is {kind}")
        if kind in NUMERIC and not _is_number(self.then_value) and self.then_value is not None:
            raise SchemaError(f"constraint {self.describe()!r}: {self.then_column!r} holds numbers")

    def applies(self, frame: pd.DataFrame) -> np.ndarray:
        return matches(frame[self.if_column], self.if_value)

    def violations(self, frame: pd.DataFrame, schema=None) -> np.ndarray:
        return self.applies(frame) & ~matches(frame[self.then_column], self.then_value)


@dataclass(frozen=True)
class Sum(Rule):
    parts: tuple[str, ...]
    total: str
    unit: str | None = None  # with a date total: one date part, the number parts counted in this unit
    type: ClassVar[str] = "sum"

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(str(c) for c in self.parts))
        if len(self.parts) < 2 or self.total in self.parts:
            raise SchemaError(f"a sum needs two or more parts other than the total, not {list(self.parts)}")
        if self.unit is not None:
            unit_seconds(self.unit, self.describe())

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.parts, self.total)

    def describe(self) -> str:
        unit = f" (numbers in {self.unit!r})" if self.unit is not None else ""
        return f"{' + '.join(self.parts)} == {self.total}{unit}"

    def to_dict(self) -> dict:
        unit = {"unit": self.unit} if self.unit is not None else {}
        return {"type": self.type, "parts": list(self.parts), "total": self.total, **unit}

    def check_schema(self, schema) -> None:
        super().check_schema(schema)
        label, dates = self.describe(), [c for c in self.columns if schema[c].kind == DATETIME]
        bad = [c for c in self.columns if schema[c].kind not in (*NUMERIC, DATETIME)]
        if bad:
            raise SchemaError(f"constraint {label!r}: {bad} are not number or date columns")
        if dates and (len(dates) != 2 or self.total not in dates):
            raise SchemaError(
                f"constraint {label!r}: dates {dates}; a sum with dates is start + duration == end: "
                "Sum([start, duration], end, unit='D'), with exactly one date part and the end as total"
            )
        if dates and self.unit is None:
            raise SchemaError(f"constraint {label!r}: a date total needs unit='D', 'h', 'min' or 's'")
        if not dates and self.unit is not None:
            raise SchemaError(f"constraint {label!r}: unit={self.unit!r} is only for a date total")

    def violations(self, frame: pd.DataFrame, schema=None) -> np.ndarray:
        parts, total = sum_sides(frame, self, schema)
        diff = np.abs(parts - total)
        with np.errstate(invalid="ignore"):  # a date total: seconds since 1970, so a millisecond
            bad = diff > (1e-3 if self.unit is not None else SUM_TOLERANCE * np.maximum(1.0, np.abs(total)))
        return bad & ~np.isnan(diff)


@dataclass(frozen=True)
class Custom(Rule):
    """A Python predicate ``frame -> valid rows`` (True = keep); kept by rejection, never stored in a file."""

    name: str
    predicate: Callable = field(compare=False, repr=False)
    uses: tuple[str, ...] = ()
    type: ClassVar[str] = "custom"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.uses)

    def describe(self) -> str:
        return f"custom rule {self.name!r}"

    def to_dict(self) -> dict:
        raise SchemaError(
            f"{self.describe()} is Python code and cannot be written to JSON; declare it again when loading"
        )

    def violations(self, frame: pd.DataFrame, schema=None) -> np.ndarray:
        try:
            valid = np.asarray(self.predicate(frame), dtype=bool)
        except Exception as exc:  # the user's code: say whose it is
            raise SchemaError(f"{self.describe()} raised {type(exc).__name__}: {exc}") from None
        if valid.shape != (len(frame),):
            raise SchemaError(
                f"{self.describe()} must return one True/False per row, got shape {valid.shape}"
            )
        return ~valid


def _spec(schema, column: str):
    """The column's spec when a schema is given (dates are then parsed with the column's own format)."""
    return schema[column] if schema is not None and column in schema.names else None
