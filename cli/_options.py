"""Parsing helpers and defaults shared by the commands' options."""

from __future__ import annotations

from pathlib import Path

from synthgan.exceptions import InvalidParameterError

#: Where ``synthgan fit`` writes and ``synthgan sample`` reads a model when no -o/-m is given.
DEFAULT_MODEL = Path("model.synthgan")
#: Where ``synthgan sample`` writes when no -o is given.
DEFAULT_OUTPUT = Path("synthetic.parquet")


def parse_columns(value: str | None, option: str) -> list[str] | None:
    """``"a,b"`` -> ``["a", "b"]``; empty names are refused with a message naming the option."""
    if value is None:
        return None
    names = [v.strip() for v in value.split(",")]
    if not names or any(not n for n in names):
        raise InvalidParameterError(
            f"{option} {value!r}: give comma-separated column names, e.g. {option} sex,ward"
        )
    return names


def parse_conditions(values: list[str] | None) -> dict[str, str] | None:
    """``["sex=F", "ward=A"]`` -> ``{"sex": "F", "ward": "A"}``; values are matched to levels as text."""
    if not values:
        return None
    out = {}
    for item in values:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise InvalidParameterError(
                f"--condition {item!r}: use COLUMN=VALUE, e.g. --condition sex=Female"
            )
        out[column.strip()] = value
    return out
