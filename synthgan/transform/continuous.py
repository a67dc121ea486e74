"""Mode-specific normalisation of one numeric column: value -> (scalar in [-1, 1], mode index).

A value x in mode k (means mu_k, std sigma_k, in standardised units z) becomes
alpha = (z - mu_k) / (4 sigma_k), clipped to [-0.99, 0.99], and the mode is drawn from the
posterior over modes (CTGAN paper, section 4.2). A value that many rows hold exactly (a point mass:
at least k rows and 5% of them, e.g. the zeros of a zero-inflated column) is a mode of its own,
after the mixture's, with alpha 0: it comes back as that exact value, whatever the scalar (a spike
encoded as a narrow mixture mode needs the generator to hit the scalar to a thousandth). A missing
value is its own last "mode" with alpha = 0, so the model sees an explicit missing indicator and
nothing is imputed. Past the column's robust bounds (its k-th smallest and largest values, never one
patient's extreme) each side has a tail - an exponential fitted to its k most extreme values together,
never past the real extreme (``bounds.py``) - and a mode of its own: a training value past a bound is
that tail's mode with a random scalar, never itself, and the tail's mode decodes its scalar to a quantile of
the tail (the generator learns how often, and in which rows, a value lies past the bound; no tail past a
bound that is a point mass, where values are clipped onto it). The inverse of the mixture's modes is exact
inside the bounds up to the clip; values they put past the bounds are redrawn from their mode's normal
truncated to the bounds. Everything is then rounded to the column's step (1 for integers, the finest time
unit present for datetimes).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[rng.normal(0, 1, 300), np.nan, 7.0]
    >>> enc = NumericEncoder.fit(x, rng, step=0.0)
    >>> alpha, mode = enc.transform(x, rng)
    >>> back = enc.inverse(alpha, mode)
    >>> inside = (x >= enc.low) & (x <= enc.high)
    >>> bool(np.isnan(back[300])), bool(np.allclose(back[inside], x[inside]))
    (True, True)
    >>> bool(enc.low > x[:300].min()), bool(enc.high < back[301] <= enc.reach[1])  # 7.0: a tail's draw
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .bounds import MIN_COUNT, TAIL_REACH, redraw_tails, robust_bounds, tail_scale
from .mixture import Mixture

_CLIP = 0.99
#: Share of the rows a bound's value must hold to be a point mass that generated values may pile onto.
POINT_MASS = 0.05


@dataclass(frozen=True)
class NumericEncoder:
    """Fitted state of one numeric column; JSON-able through ``to_dict``/``from_dict``."""

    loc: float
    scale: float
    low: float
    high: float
    step: float
    has_nan: bool
    weights: np.ndarray
    means: np.ndarray
    stds: np.ndarray
    #: Whether the low / high bound is a point mass: at least MIN_COUNT training rows and POINT_MASS of them
    #: hold exactly its value (e.g. the zeros of a zero-inflated column). Values beyond such a bound are
    #: clipped onto it, a value many patients share; beyond any other bound they are redrawn inside it.
    #: Files without the flags clip, as they always did.
    low_mass: bool = True
    high_mass: bool = True
    #: Values that are point masses (at least MIN_COUNT rows and POINT_MASS of them hold each exactly, e.g.
    #: the zeros of a zero-inflated column): each is a mode of its own, after the mixture's, and its rows
    #: come back as that exact value - the generator picks the mode, no scalar has to hit it.
    points: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: Scales of the exponential tails past the low / high bound (0: none; files without them had none).
    #: Each tail is a mode of its own, after the point masses.
    tail_low: float = 0.0
    tail_high: float = 0.0

    @property
    def tails(self) -> list[tuple[float, float]]:
        """(bound, signed scale) of each tail mode, in mode order: the low tail's scale negative."""
        sides = ((self.low, -self.tail_low), (self.high, self.tail_high))
        return [(bound, scale) for bound, scale in sides if scale != 0]

    @property
    def n_modes(self) -> int:
        """Width of the mode one-hot: the mixture's modes, the point masses, the tails, and the missing-value
        mode when the column had gaps."""
        return len(self.means) + len(self.points) + len(self.tails) + int(self.has_nan)

    @property
    def reach(self) -> tuple[float, float]:
        """(lowest, highest) value the column may emit: ``TAIL_REACH`` tail scales past each bound, on the
        column's step grid (the bounds themselves where there is no tail)."""
        far = np.array([self.tail_low, self.tail_high]) * TAIL_REACH
        if self.step > 0:
            far = np.floor(far / self.step + 1e-9) * self.step
        else:  # a hair inside: bound + mean distance may round one ulp past a maximum equal to it
            far *= 1 - 1e-12
        return float(self.low - far[0]), float(self.high + far[1])

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        rng: np.random.Generator,
        *,
        step: float,
        mixture: Mixture | None = None,
        bounds: tuple[float, float] | None = None,
        min_count: int = MIN_COUNT,
        prepared: tuple | None = None,
    ) -> NumericEncoder:
        """Fit on float values (NaN = missing); ``mixture`` is the column's fitted mixture in standardised
        units (of ``mixture_values``: ``bounds``, by default ``robust_bounds`` with k = ``min_count``);
        ``prepared``: ``mixture_values``' result when the caller already computed it."""
        finite = x[~np.isnan(x)]
        low, high = bounds if bounds is not None else robust_bounds(finite, min_count)
        masses, tails, points, rest, loc, scale = prepared or mixture_values(finite, low, high, min_count)
        if mixture is None:
            from .mixture import fit_mixtures

            (mixture,) = fit_mixtures([(rest - loc) / scale], rng)
        means = np.asarray(mixture.means, dtype=np.float64)
        stds = _cover(
            np.maximum(np.asarray(mixture.stds, dtype=np.float64), 1e-6), means, (rest - loc) / scale
        )
        return cls(
            loc=loc,
            scale=scale,
            low=float(low),
            high=float(high),
            step=float(step),
            has_nan=bool(np.isnan(x).any()),
            weights=np.asarray(mixture.weights, dtype=np.float64),
            means=means,
            stds=stds,
            low_mass=masses[0],
            high_mass=masses[1],
            points=points,
            tail_low=tails[0],
            tail_high=tails[1],
        )

    def transform(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Return (alpha float32 (n,), mode int32 (n,)); missing values get alpha 0 and the last mode."""
        missing = np.isnan(x)
        z = (np.clip(np.where(missing, self.loc, x), self.low, self.high) - self.loc) / self.scale
        # posterior over modes, (n, K), computed in log space for stability
        log_post = (
            np.log(self.weights) - np.log(self.stds) - 0.5 * ((z[:, None] - self.means) / self.stds) ** 2
        )
        log_post -= log_post.max(axis=1, keepdims=True)
        post = np.exp(log_post)
        cdf = np.cumsum(post, axis=1)
        u = rng.random(len(z)) * cdf[:, -1]
        mode = np.minimum((cdf < u[:, None]).sum(axis=1), len(self.means) - 1)
        reach = np.abs(z[:, None] - self.means) / (4 * self.stds)  # (n, K), <= 0.99 means no clipping
        clipped = reach[np.arange(len(z)), mode] > _CLIP
        mode = np.where(clipped, reach.argmin(axis=1), mode)  # a sampled mode that cannot represent z exactly
        alpha = np.clip((z - self.means[mode]) / (4 * self.stds[mode]), -_CLIP, _CLIP)
        if len(self.points):  # a row at a point mass: that point's mode, scalar 0
            clipped = np.clip(np.where(missing, self.loc, x), self.low, self.high)
            at = np.minimum(np.searchsorted(self.points, clipped), len(self.points) - 1)
            hit = ~missing & (self.points[at] == clipped)
            mode = np.where(hit, len(self.means) + at, mode)
            alpha = np.where(hit, 0.0, alpha)
        first = len(self.means) + len(self.points)
        for i, (bound, scale) in enumerate(self.tails):  # past a bound: its tail's mode, a random scalar
            past = ~missing & ((x < bound) if scale < 0 else (x > bound))
            if past.any():
                mode = np.where(past, first + i, mode)
                alpha[past] = (2 * rng.random(int(past.sum())) - 1) * _CLIP
        if self.has_nan:
            mode = np.where(missing, first + len(self.tails), mode)
            alpha = np.where(missing, 0.0, alpha)
        return alpha.astype(np.float32), mode.astype(np.int32)

    def inverse(self, alpha: np.ndarray, mode: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        """Map (alpha, mode index) back to float values in the original units; NaN for the missing mode.

        ``u``: one uniform per row for values beyond the bounds (default: derived from ``alpha`` itself)."""
        k, n_points = len(self.means), len(self.points)
        missing = mode >= k + n_points + len(self.tails)
        point = (mode >= k) & (mode < k + n_points)
        tail = (mode >= k + n_points) & ~missing
        safe = np.minimum(mode, k - 1)
        # one affine map per mode: ((alpha * 4 std + mean) * scale + loc), in place
        x = np.clip(alpha, -1.0, 1.0).astype(np.float64)
        x *= (4 * self.stds * self.scale)[safe]
        x += (self.means * self.scale + self.loc)[safe]
        if u is None:
            from .bounds import row_uniforms

            u = row_uniforms(np.asarray(alpha, dtype=np.float32)[:, None])[:, 0]
        redraw_tails(
            x,
            self.low,
            self.high,
            (self.means * self.scale + self.loc)[safe],
            (self.stds * self.scale)[safe],
            u,
            clip_low=self.low_mass,
            clip_high=self.high_mass,
        )
        for i, (bound, scale) in enumerate(self.tails):  # the scalar's place in the tail: a quantile of it
            rows = tail & (mode == k + n_points + i)
            if rows.any():
                a = np.asarray(alpha, dtype=np.float64)[rows]
                q = np.clip((a / _CLIP + 1) / 2, 0.0, 1.0)
                q = np.where(np.abs(a) >= _CLIP, u[rows], q)  # a saturated scalar: no pile-up at either end
                x[rows] = bound + scale * truncated_exponential(q, TAIL_REACH)
        lowest, highest = self.reach
        if self.step > 0:
            x -= self.low
            x /= self.step
            np.round(x, out=x)
            x *= self.step
            x += self.low
        np.clip(x, lowest, highest, out=x)  # a tail's quantile 1 may round an ulp past its reach
        if self.step > 0:
            decimals = -np.log10(self.step)
            if self.step <= 1 and decimals == np.round(decimals):
                np.round(x, int(decimals), out=x)  # drop float noise: 2.3000000000000003 -> 2.3
        if point.any():
            x[point] = self.points[mode[point] - k]
        if missing.any():
            x[missing] = np.nan
        return x

    def to_dict(self) -> dict:
        out = {
            k: getattr(self, k)
            for k in ("loc", "scale", "low", "high", "step", "has_nan", "low_mass", "high_mass")
            + ("tail_low", "tail_high")
        }
        out.update({k: getattr(self, k).tolist() for k in ("weights", "means", "stds", "points")})
        return out

    @classmethod
    def from_dict(cls, data: dict) -> NumericEncoder:
        arrays = {k: np.asarray(data[k], dtype=np.float64) for k in ("weights", "means", "stds")}
        flags = {k: bool(data[k]) for k in ("low_mass", "high_mass") if k in data}
        flags["points"] = np.asarray(data.get("points", []), dtype=np.float64)
        flags.update({k: float(data[k]) for k in ("tail_low", "tail_high") if k in data})
        return cls(
            **{k: data[k] for k in ("loc", "scale", "low", "high", "step", "has_nan")}, **arrays, **flags
        )


def truncated_exponential(q: np.ndarray, reach: float) -> np.ndarray:
    """Quantiles ``q`` of a unit exponential truncated to [0, ``reach``] (no mass piles up at the reach)."""
    return -np.log1p(q * np.expm1(-reach))


def mixture_values(finite: np.ndarray, low: float, high: float, min_count: int = MIN_COUNT) -> tuple:
    """What a column's encoder is fitted on, given its bounds: (point-mass flags of the two bounds, tail
    scales, point masses, the values the mixture models, loc, scale). A bound that at least k (min_count)
    rows and POINT_MASS of them hold is a point mass and has no tail (values past it are clipped onto
    it); past any other bound the tail's scale is ``tail_scale`` of the k most extreme values, and the rows
    there are the tail's, not the mixture's."""
    held = (int(np.sum(finite == low)), int(np.sum(finite == high)))  # rows at each bound's value itself
    masses = tuple(h >= max(min_count, POINT_MASS * finite.size) for h in held)
    tails = (
        0.0 if masses[0] else tail_scale(finite, low, min_count, upper=False),
        0.0 if masses[1] else tail_scale(finite, high, min_count, upper=True),
    )
    inside = ~(((finite < low) & (tails[0] > 0)) | ((finite > high) & (tails[1] > 0)))
    points, rest = point_masses(finite, np.clip(finite[inside], low, high), min_count=min_count)
    loc, scale = standardisation(np.clip(finite, low, high))
    return masses, tails, points, rest, loc, scale


def point_masses(
    finite: np.ndarray, modelled: np.ndarray, most: int = 4, min_count: int = MIN_COUNT
) -> tuple[np.ndarray, np.ndarray]:
    """(point masses, the values the mixture models). The point masses are the values (sorted, at most
    ``most``: the most held) that at least k (min_count) and POINT_MASS of the rows hold exactly in
    ``finite``, as they are - clipping to the bounds must not make a mass; the mixture models the other
    ``modelled`` values (clipped to the bounds, without the tails' rows). None when that would leave the
    mixture fewer than two distinct values."""
    values, counts = np.unique(finite, return_counts=True)
    heavy = counts >= max(min_count, POINT_MASS * finite.size)
    points = np.sort(values[heavy][np.argsort(-counts[heavy], kind="stable")][:most])
    rest = modelled[~np.isin(modelled, points)]
    if np.unique(rest).size < 2:
        return np.zeros(0), modelled
    return points, rest


def _cover(stds: np.ndarray, means: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Widen modes just enough that every training value lies within the scalar's range of some mode.

    The mixture is fitted on a subsample, so extreme values can fall beyond 4 sigma of every mode; a
    value there would be clipped in transform and never generated. Each such value widens its nearest
    mode (in sigma units) to reach it.
    """
    reach = np.abs(z[:, None] - means) / (4 * stds)  # (n, K)
    best = reach.argmin(axis=1)
    far = reach[np.arange(len(z)), best] > _CLIP
    if not far.any():
        return stds
    wider = stds.copy()
    np.maximum.at(wider, best[far], np.abs(z[far] - means[best[far]]) / (4 * _CLIP) * (1 + 1e-9))
    return wider


def standardisation(finite: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation (1 for a constant column) used to standardise before the mixture fit."""
    loc = float(finite.mean())
    scale = float(finite.std())
    return loc, scale if scale > 0 and np.isfinite(scale) else 1.0
