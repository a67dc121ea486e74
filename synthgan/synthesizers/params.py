"""Validation of synthesizer parameters: each error names the parameter and what is accepted."""

from __future__ import annotations

import numbers

from ..exceptions import InvalidParameterError, SchemaError, check_choice

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
        raise InvalidParameterError(
            f"{name}={value!r} must be a positive number" + (" or None" if allow_none else "")
        )
    return float(value)


def optional_int(name: str, value) -> int | None:
    """None, or a positive whole number."""
    return None if value is None else positive_int(name, value)


def share(name: str, value, low: float, high: float, closed_high: bool = False, closed_low: bool = False):
    """None, or a number above ``low`` (or equal with ``closed_low``) and below ``high`` (or equal with
    ``closed_high``)."""
    if value is None:
        return None
    ok = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and (low <= value if closed_low else low < value)
        and (value <= high if closed_high else value < high)
    )
    if not ok:
        span = ("[" if closed_low else "(") + f"{low:g}, {high:g}" + ("]" if closed_high else ")")
        raise InvalidParameterError(f"{name}={value!r} must be None or a number in {span}")
    return float(value)


def callback_list(value) -> None:
    """None, or a list of callbacks (Callback objects or functions f(epoch, logs, model))."""
    if value is None:
        return
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise InvalidParameterError(
            f"callbacks={value!r} must be a list of callbacks, e.g. [CSVLogger('losses.csv')]"
        )
    for item in value:
        if not callable(item) and not hasattr(item, "on_epoch_end"):
            raise InvalidParameterError(
                f"callbacks entry {item!r} is neither a Callback nor a function f(epoch, logs, model)"
            )


def non_negative_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0 or value != value:
        raise InvalidParameterError(f"{name}={value!r} must be a number >= 0")
    return float(value)


def layer_sizes(name: str, value) -> tuple[int, ...]:
    try:
        sizes = tuple(value)
    except TypeError:
        raise InvalidParameterError(
            f"{name}={value!r} must be a sequence of layer widths, e.g. (256, 256)"
        ) from None
    if not sizes:
        raise InvalidParameterError(f"{name} must list at least one layer width, e.g. (256, 256)")
    return tuple(positive_int(f"{name} entry", v) for v in sizes)


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
            f"categorical columns with more than {MAX_CATEGORY_LEVELS:,} levels: {listed}; "
            "such a column identifies rows "
            "rather than grouping them - drop it, or group its rare levels first"
        )


def condition_focus(focus, columns: list[str], accepted: list[str] | None = None):
    """Per-column probabilities of conditioning a training row on each of the conditional vector's
    ``columns``: the shares in ``focus`` go to the named columns (those ``accepted``: the categorical
    ones), the rest is spread evenly over all (the paper's uniform choice). None (or empty) -> None, the
    uniform choice itself."""
    import numpy as np

    if not focus:
        return None
    if not isinstance(focus, dict) and not hasattr(focus, "items"):
        raise InvalidParameterError(
            f"condition_focus={focus!r} must map categorical column names to shares, "
            "e.g. {'diagnosis': 0.5}"
        )
    accepted = columns if accepted is None else accepted
    unknown = [str(c) for c in focus if str(c) not in accepted]
    if unknown:
        raise InvalidParameterError(
            f"condition_focus names {unknown}, not categorical columns of this table; accepted: {accepted}"
        )
    shares = {str(c): non_negative_float(f"condition_focus[{c!r}]", v) for c, v in focus.items()}
    if sum(shares.values()) > 1.0 + 1e-9:
        raise InvalidParameterError(
            f"condition_focus shares add up to {sum(shares.values()):g}; they must total at most 1"
        )
    p = np.full(len(columns), (1.0 - sum(shares.values())) / len(columns))
    for c, share in shares.items():
        p[columns.index(c)] += share
    return p / p.sum()


def tabular_params(p: dict) -> None:
    """Validate a tabular synthesizer's parameters (its ``get_params()``); each error names the parameter."""
    from .._device import PRECISIONS

    optional_int("epochs", p["epochs"])
    optional_int("steps", p["steps"])
    if p["epochs"] is not None and p["steps"] is not None:
        raise InvalidParameterError(
            f"give epochs or steps, not both (epochs={p['epochs']}, steps={p['steps']})"
        )
    if p["batch_size"] is not None:
        positive_int("batch_size", p["batch_size"])
    optional_int("pac", p["pac"])  # None: sized to the batch (training/budget.py)
    for name in ("embedding_dim", "discriminator_steps"):
        positive_int(name, p[name])
    for name in ("generator_lr", "discriminator_lr"):
        positive_float(name, p[name])
    for name in ("generator_decay", "discriminator_decay"):
        non_negative_float(name, p[name])
    positive_float("max_time", p["max_time"], allow_none=True)
    if p["pack_conditions"] is not None and not isinstance(p["pack_conditions"], bool):
        raise InvalidParameterError(
            f"pack_conditions={p['pack_conditions']!r} must be True, False or None (by the batch's packs)"
        )
    if not isinstance(p["condition_modes"], bool):
        raise InvalidParameterError(f"condition_modes={p['condition_modes']!r} must be True or False")
    share("ema", p["ema"], low=0.0, high=1.0, closed_low=True)  # 0 (or None): no weight average
    share("validation", p["validation"], low=0.0, high=0.5, closed_high=True)
    optional_int("validation_every", p["validation_every"])
    optional_int("patience", p["patience"])
    if p["patience"] is not None and p["validation"] is None:
        raise InvalidParameterError(
            "patience stops on the validation score: set validation=0.1 (a share of rows) too"
        )
    layer_sizes("generator_dim", p["generator_dim"])
    layer_sizes("discriminator_dim", p["discriminator_dim"])
    callback_list(p["callbacks"])
    check_choice("precision", p["precision"], PRECISIONS)
