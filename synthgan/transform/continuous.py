"""Mode-specific normalisation of one numeric column: value -> (scalar in [-1, 1], mode index).

A value x in mode k (means mu_k, std sigma_k, in standardised units z) becomes
alpha = (z - mu_k) / (4 sigma_k), clipped to [-0.99, 0.99], and the mode is drawn from the
posterior over modes (CTGAN paper, section 4.2). A value that many rows hold exactly (a point mass:
at least k rows and 5% of them, e.g. the zeros of a zero-inflated column) is a mode of its own,
after the mixture's, with alpha 0: it comes back as that exact value, whatever the scalar (a spike
encoded as a narrow mixture mode needs the generator to hit the scalar to a thousandth). A missing
value is its own last "mode" with alpha = 0, so the model sees an explicit missing indicator and
nothing is imputed. The inverse is exact up to the clip; values beyond the column's robust bounds
(its k-th smallest and largest values, never one patient's extreme) are redrawn from their mode's
normal truncated to the bounds (clipped onto a bound that is a point mass), then rounded to the
column's step (1 for integers, the finest time unit present for datetimes). Training values beyond
the bounds are encoded at the bound.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[rng.normal(0, 1, 300), np.nan, 7.0]
    >>> enc = NumericEncoder.fit(x, rng, step=0.0)
    >>> alpha, mode = enc.transform(x, rng)
    >>> back = enc.inverse(alpha, mode)
    >>> bool(np.isnan(back[300])), bool(np.allclose(back[:300], np.clip(x[:300], enc.low, enc.high)))
    (True, True)
    >>> bool(enc.low > x[:300].min()), bool(np.isclose(back[301], enc.high))  # 7.0: beyond the 5th largest
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .bounds import MIN_COUNT, redraw_tails, robust_bounds
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

    @property
    def n_modes(self) -> int:
        """Width of the mode one-hot: the mixture's modes, the point masses, and the missing-value mode when
        the column had gaps."""
        return len(self.means) + len(self.points) + int(self.has_nan)

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        rng: np.random.Generator,
        *,
        step: float,
        mixture: Mixture | None = None,
        bounds: tuple[float, float] | None = None,
    ) -> NumericEncoder:
        """Fit on float values (NaN = missing); ``mixture`` is the column's fitted mixture in standardised
        units (of the values clipped to ``bounds``, by default ``robust_bounds`` with k = ``MIN_COUNT``, but
        for the point masses)."""
        finite = x[~np.isnan(x)]
        low, high = bounds if bounds is not None else robust_bounds(finite, MIN_COUNT)
        held = (int(np.sum(finite == low)), int(np.sum(finite == high)))  # rows at each bound's value itself
        points, rest = point_masses(finite, low, high)
        finite = np.clip(finite, low, high)
        loc, scale = standardisation(finite)
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
            low_mass=held[0] >= max(MIN_COUNT, POINT_MASS * finite.size),
            high_mass=held[1] >= max(MIN_COUNT, POINT_MASS * finite.size),
            points=points,
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
        if self.has_nan:
            mode = np.where(missing, len(self.means) + len(self.points), mode)
            alpha = np.where(missing, 0.0, alpha)
        return alpha.astype(np.float32), mode.astype(np.int32)

    def inverse(self, alpha: np.ndarray, mode: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        """Map (alpha, mode index) back to float values in the original units; NaN for the missing mode.

        ``u``: one uniform per row for values beyond the bounds (default: derived from ``alpha`` itself)."""
        k, n_points = len(self.means), len(self.points)
        missing = mode >= k + n_points
        point = (mode >= k) & ~missing
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
        if self.step > 0:
            x -= self.low
            x /= self.step
            np.round(x, out=x)
            x *= self.step
            x += self.low
            np.clip(x, self.low, self.high, out=x)
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
        }
        out.update({k: getattr(self, k).tolist() for k in ("weights", "means", "stds", "points")})
        return out

    @classmethod
    def from_dict(cls, data: dict) -> NumericEncoder:
        arrays = {k: np.asarray(data[k], dtype=np.float64) for k in ("weights", "means", "stds")}
        flags = {k: bool(data[k]) for k in ("low_mass", "high_mass") if k in data}
        flags["points"] = np.asarray(data.get("points", []), dtype=np.float64)
        return cls(
            **{k: data[k] for k in ("loc", "scale", "low", "high", "step", "has_nan")}, **arrays, **flags
        )


def point_masses(finite: np.ndarray, low: float, high: float, most: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(point masses, the values the mixture models). The point masses are the values (sorted, at most
    ``most``: the most held) that at least MIN_COUNT and POINT_MASS of the rows hold exactly, as they are -
    clipping to the bounds ``low`` / ``high`` must not make a mass; the mixture models the other values,
    clipped. None when that would leave the mixture fewer than two distinct values."""
    values, counts = np.unique(finite, return_counts=True)
    heavy = counts >= max(MIN_COUNT, POINT_MASS * finite.size)
    points = np.sort(values[heavy][np.argsort(-counts[heavy], kind="stable")][:most])
    clipped = np.clip(finite, low, high)
    rest = clipped[~np.isin(clipped, points)]
    if np.unique(rest).size < 2:
        return np.zeros(0), clipped
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
