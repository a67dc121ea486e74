"""One random stream per metric, and the repeated subsamples that put a synthetic figure beside its
real reference at the same sample size.

Every subsample, split and classifier seed of a metric comes from a generator derived from the
evaluation's seed and the metric's name (a stable CRC-32, not Python's salted ``hash``), so a verdict
never depends on which other metrics, targets or reports were computed.

Example:
    >>> a = metric_rng(0, "privacy.near_copies").integers(1000, size=3)
    >>> b = metric_rng(0, "privacy.near_copies").integers(1000, size=3)
    >>> bool((a == b).all()), bool((a == metric_rng(0, "fidelity.detection").integers(1000, size=3)).all())
    (True, False)
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

#: How many subsamples of the synthetic set, each the size of the real reference, a figure averages.
REPEATS = 5
#: One-sided confidence of the report's limits and bounds.
CONFIDENCE = 0.95
#: Confidence of the limits that chance alone sets, with no margin of effect beyond it: the near-copy share
#: and the unique-copy allowance. At 95% each, the two would refuse a perfectly private model up to about
#: 10% of the time; at 99% each, at most about 2% together (the other privacy rules add a margin - AUC
#: 0.55, closest-record gain 0.5 - so a private model rarely reaches them).
CHANCE_CONFIDENCE = 0.99


def metric_rng(seed: int, name: str) -> np.random.Generator:
    """The generator of metric ``name`` under evaluation seed ``seed``."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(key,)))


def seed_of(rng: np.random.Generator) -> int:
    """A 31-bit seed for libraries that take an int (scikit-learn), drawn from ``rng``."""
    return int(rng.integers(2**31 - 1))


@dataclass(frozen=True)
class Repeated:
    """A figure averaged over ``repeats`` subsamples of ``size`` rows: mean, spread (sd) and the standard
    error of its gap to one real sample of the same size (which varies as much as one subsample)."""

    mean: float
    spread: float
    se: float
    repeats: int
    size: int


def draw_rows(n_total: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Row positions of one subsample: without replacement when the pool holds at least twice ``size``
    rows, else a bootstrap draw (so the spread still reflects a sample of that size)."""
    if n_total >= 2 * size:
        return np.sort(rng.choice(n_total, size=size, replace=False))
    return np.sort(rng.integers(0, n_total, size=size))


def summarise(values: list[float], pool: int, size: int) -> Repeated:
    """Mean, spread and gap standard error of repeated figures (finite-population corrected)."""
    finite = np.array([v for v in values if np.isfinite(v)], dtype=float)
    if finite.size == 0:
        return Repeated(float("nan"), float("nan"), float("nan"), 0, size)
    spread = float(finite.std(ddof=1)) if finite.size > 1 else 0.0
    if pool >= 2 * size and pool > 1:
        spread *= math.sqrt((pool - 1) / (pool - size))  # subsamples of a finite pool vary less than samples
    se = spread * math.sqrt(1.0 + 1.0 / finite.size)
    return Repeated(float(finite.mean()), spread, se, int(finite.size), size)
