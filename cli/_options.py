"""Parsing helpers shared by the commands' options."""

from __future__ import annotations

from synthgan.exceptions import InvalidParameterError


def parse_columns(value: str | None, option: str) -> list[str] | None:
    """``"a,b"`` -> ``["a", "b"]``; empty names are refused with a message naming the option."""
    if value is None:
        return None
    names = [v.strip() for v in value.split(",")]
    if not names or any(not n for n in names):
        raise InvalidParameterError(f"{option} {value!r}: give comma-separated column names, e.g. {option} sex,ward")
    return names
