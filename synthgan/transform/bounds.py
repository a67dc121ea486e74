"""No single patient in a model file or the output: robust bounds for numbers, and how values beyond
them are emitted.

A numeric column's bounds are its k-th smallest and k-th largest values (k = ``MIN_COUNT``, 5 by
default): at least k training rows lie at or beyond each bound, so neither is one patient's extreme
(statistical agencies call this top- and bottom-coding). Training values beyond a bound are clipped
to it before modelling. A generated value beyond a bound is not clipped onto it (that piles output
up at one value): it is spread over the band of ``TAIL_BAND`` of the range just inside the bound,
using a uniform derived from the row's own generated numbers (deterministic, no global RNG).

Example:
    >>> import numpy as np
    >>> robust_bounds(np.arange(100.0), 5)
    (4.0, 95.0)
    >>> x = spread_tails(np.array([-50.0, 10.0, 500.0]), 4.0, 95.0, 1.0, np.array([0.5, 0.5, 0.0]))
    >>> x.tolist()
    [6.275, 10.0, 95.0]
"""

from __future__ import annotations

import numpy as np

#: Fewest training rows a stored level or bound may stand for (k).
MIN_COUNT = 5
#: Generated values beyond a bound land uniformly in this share of the range inside it.
TAIL_BAND = 0.05


def robust_bounds(finite: np.ndarray, k: int = MIN_COUNT) -> tuple[float, float]:
    """(k-th smallest, k-th largest) value; the (lower) median twice when there are fewer than 2k values."""
    ordered = np.sort(np.asarray(finite, dtype=np.float64))
    if ordered.size < 2 * k:
        mid = float(ordered[(ordered.size - 1) // 2])
        return mid, mid
    return float(ordered[k - 1]), float(ordered[-k])


def row_uniforms(scalars: np.ndarray) -> np.ndarray:
    """(n, n_cols) uniforms in [0, 1) from each row's generated scalars (a hash of their bits, per column)."""
    bits = np.ascontiguousarray(scalars, dtype=np.float32).view(np.uint32).astype(np.uint64)  # (n, c)
    h = np.full(bits.shape[0], 0x9E3779B97F4A7C15, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(bits.shape[1]):
            h = _mix(h ^ bits[:, j])
        cols = np.arange(1, bits.shape[1] + 1, dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
        out = _mix(h[:, None] ^ cols[None, :])
    return (out >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def spread_tails(x: np.ndarray, low: float, high: float, step: float, u: np.ndarray) -> np.ndarray:
    """Values below ``low`` / above ``high`` moved to ``low + u * band`` / ``high - u * band`` (in place)."""
    band = max(TAIL_BAND * (high - low), step)
    slack = 1e-5 * (high - low) + 1e-9 * max(abs(low), abs(high))  # float32 rounding of a value at the bound
    np.clip(x, np.where(x >= low - slack, low, -np.inf), np.where(x <= high + slack, high, np.inf), out=x)
    below, above = x < low, x > high
    x[below] = np.minimum(low + u[below] * band, high)
    x[above] = np.maximum(high - u[above] * band, low)
    return x
