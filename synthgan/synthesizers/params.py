"""Validation of synthesizer parameters: each error names the parameter and what is accepted."""

from __future__ import annotations

import numbers
import warnings

from ..exceptions import InvalidParameterError, SchemaError

#: A categorical column with more levels than this is refused: one-hot spans that wide are mostly
#: levels seen once or twice, which a generator can only copy (an identifier, not a category).
MAX_CATEGORY_LEVELS = 5000


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidParameterError(f"{name}={value!r} must be a positive whole number")
    return int(value)


def positive_float(name: str, value, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0 or value != value:
        raise InvalidParameterError(f"{name}={value!r} must be a positive number" + (" or None" if allow_none else ""))
    return float(value)


def non_negative_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0 or value != value:
        raise InvalidParameterError(f"{name}={value!r} must be a number >= 0")
    return float(value)


def layer_sizes(name: str, value) -> tuple[int, ...]:
    try:
        sizes = tuple(value)
    except TypeError:
        raise InvalidParameterError(f"{name}={value!r} must be a sequence of layer widths, e.g. (256, 256)") from None
    if not sizes:
        raise InvalidParameterError(f"{name} must list at least one layer width, e.g. (256, 256)")
    return tuple(positive_int(f"{name} entry", v) for v in sizes)


def batch_size_for_pac(batch_size: int, pac: int) -> int:
    """Round the batch size to a multiple of ``pac`` (up, so it never becomes 0), warning when it changes;
    at least 2 rows (the generator's batch norm learns from each batch's spread)."""
    if batch_size < 2:
        raise InvalidParameterError(f"batch_size={batch_size} is too small: the generator's batch norm needs at least 2 rows per batch")
    rounded = -(-batch_size // pac) * pac
    if rounded != batch_size:
        warnings.warn(
            f"batch_size={batch_size} is not a multiple of pac={pac}; using batch_size={rounded}",
            UserWarning,
            stacklevel=4,
        )
    return rounded


def sample_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise InvalidParameterError(f"n={n!r} must be a positive whole number of rows")
    return int(n)


def category_levels(frame, schema) -> None:
    """Refuse categorical columns with more than ``MAX_CATEGORY_LEVELS`` levels, naming them."""
    from ..schema import CATEGORICAL

    wide = {c.name: int(frame[c.name].nunique()) for c in schema.columns if c.kind == CATEGORICAL}
    wide = {name: n for name, n in wide.items() if n > MAX_CATEGORY_LEVELS}
    if wide:
        listed = ", ".join(f"{name!r} ({n:,} levels)" for name, n in wide.items())
        raise SchemaError(
            f"categorical columns with more than {MAX_CATEGORY_LEVELS:,} levels: {listed}; such a column identifies rows "
            "rather than grouping them - drop it, or group its rare levels first"
        )


def condition_focus(focus, columns: list[str]):
    """Per-column probabilities of conditioning a training row on each categorical column: the shares
    in ``focus`` go to the named columns, the rest is spread evenly over all (the paper's uniform choice).
    None (or empty) -> None, the uniform choice itself."""
    import numpy as np

    if not focus:
        return None
    if not isinstance(focus, dict) and not hasattr(focus, "items"):
        raise InvalidParameterError(f"condition_focus={focus!r} must map categorical column names to shares, e.g. {{'diagnosis': 0.5}}")
    unknown = [str(c) for c in focus if str(c) not in columns]
    if unknown:
        raise InvalidParameterError(f"condition_focus names {unknown}, not categorical columns of this table; accepted: {columns}")
    shares = {str(c): non_negative_float(f"condition_focus[{c!r}]", v) for c, v in focus.items()}
    if sum(shares.values()) > 1.0 + 1e-9:
        raise InvalidParameterError(f"condition_focus shares add up to {sum(shares.values()):g}; they must total at most 1")
    p = np.full(len(columns), (1.0 - sum(shares.values())) / len(columns))
    for c, share in shares.items():
        p[columns.index(c)] += share
    return p / p.sum()
