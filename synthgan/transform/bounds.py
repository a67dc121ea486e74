"""No single patient in a model file or the output: robust bounds for numbers, a tail model past them,
and how values past them are emitted.

A numeric column's bounds are its k-th smallest and k-th largest values (k = ``MIN_COUNT``, 5 by
default): at least k training rows lie at or beyond each bound, so neither is one patient's extreme
(statistical agencies call this top- and bottom-coding). Past a bound the column has a tail: an
exponential whose scale is the mean distance past the bound of the values beyond it (``tail_scale``,
computed from the k most extreme values together, an aggregate like the bound itself), truncated at
``TAIL_REACH`` = one scale. A mean never exceeds the maximum, so the tail never passes the column's real
extreme - the gate's range check holds - although that extreme is neither stored nor learned (the
encoder gives a row past a bound its tail's mode and a random position in it, ``continuous.py``). Cut
off at the bounds, every synthetic column was narrower than the real one: SDMetrics' pair trends, which
bin each side on its own range, fell by 0.11 on hepatitis for real columns merely cut off at their bounds.

A value the mixture's modes generate past a bound is not clipped onto it (that piles output up at one
value, e.g. where the generator's tanh saturates): it is redrawn from its mode's normal distribution
truncated to the bounds, by inverting the truncated CDF at a uniform derived from the row's own
generated numbers (deterministic, no global RNG) - unless at least k training rows hold the bound's
value itself (the zeros of a zero-inflated column): such a bound has no tail, and values beyond it are
clipped onto it (a value many patients share singles nobody out, and redrawing would empty that point
mass).

Example:
    >>> import numpy as np
    >>> robust_bounds(np.arange(100.0), 5)
    (4.0, 95.0)
    >>> tail_scale(np.arange(100.0), 95.0, 5, upper=True)  # the 4 values past 95 lie 1, 2, 3, 4 beyond it
    2.5
    >>> x = redraw_tails(
    ...     np.array([-50.0, 10.0, 500.0]), 4.0, 95.0, np.full(3, 50.0), np.full(3, 30.0), np.full(3, 0.5)
    ... )
    >>> [round(float(v), 2) for v in x]  # the median of N(50, 30) truncated to [4, 95]
    [49.84, 10.0, 49.84]
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

#: Fewest training rows a stored level or bound may stand for (k).
MIN_COUNT = 5
#: How far past a bound its tail reaches, in tail scales: one, the mean distance past the bound of the values
#: beyond it, which never passes the most extreme of them (a maximum is at least the mean).
TAIL_REACH = 1.0


def robust_bounds(finite: np.ndarray, k: int = MIN_COUNT) -> tuple[float, float]:
    """(k-th smallest, k-th largest) value; the (lower) median twice when there are fewer than 2k values."""
    ordered = np.sort(np.asarray(finite, dtype=np.float64))
    if ordered.size < 2 * k:
        mid = float(ordered[(ordered.size - 1) // 2])
        return mid, mid
    return float(ordered[k - 1]), float(ordered[-k])


def tail_scale(finite: np.ndarray, bound: float, k: int = MIN_COUNT, *, upper: bool) -> float:
    """Scale of the exponential tail past ``bound`` (the k-th largest value if ``upper``, else the k-th
    smallest): the mean distance past it of the k - 1 values beyond it (the maximum likelihood scale of the
    values beyond a k-th order statistic). 0 - no tail - when fewer than k - 1 values (or fewer than 2) lie
    strictly past the bound, e.g. when rows tie at it: a mean of fewer values could give away one patient's
    extreme (bound + (k - 1) * scale would be it); and when there are fewer than 2k values.

    Example:
        >>> tail_scale(np.r_[np.arange(100.0), 150.0], 96.0, 5, upper=True)  # 97, 98, 99, 150 past 96
        15.0
        >>> tail_scale(np.r_[np.arange(100.0), [99.0] * 4], 99.0, 5, upper=True)  # ties at the bound
        0.0
    """
    ordered = np.sort(np.asarray(finite, dtype=np.float64))
    if ordered.size < 2 * k:
        return 0.0
    extreme = ordered[-k:] - bound if upper else bound - ordered[:k]
    past = extreme[extreme > 0]
    if past.size < max(k - 1, 2):
        return 0.0
    return float(past.sum() / past.size)


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


def redraw_tails(
    x: np.ndarray,
    low: float,
    high: float,
    mean: np.ndarray,
    std: np.ndarray,
    u: np.ndarray,
    clip_low: bool = False,
    clip_high: bool = False,
) -> np.ndarray:
    """Values below ``low`` or above ``high`` (in place) redrawn from N(mean, std) truncated to [low, high]
    at quantile ``u`` (per row); uniform over the bounds where the normal puts no mass inside them. With
    ``clip_low`` / ``clip_high`` (a bound many training rows hold, e.g. a column's zeros) values beyond
    that bound are clipped onto it instead."""
    slack = 1e-5 * (high - low) + 1e-9 * max(abs(low), abs(high))  # float32 rounding of a value at the bound
    floor = np.where(x >= low - slack, low, -np.inf) if not clip_low else low
    ceiling = np.where(x <= high + slack, high, np.inf) if not clip_high else high
    np.clip(x, floor, ceiling, out=x)
    out = (x < low) | (x > high)
    if not out.any():
        return x
    m, s, q = mean[out], np.maximum(std[out], 1e-12), u[out]
    a, b = ndtr((low - m) / s), ndtr((high - m) / s)
    inside = b - a > 1e-9
    drawn = np.where(
        inside, m + s * ndtri(np.clip(a + q * (b - a), 1e-12, 1 - 1e-12)), low + q * (high - low)
    )
    x[out] = np.clip(drawn, low, high)
    return x
