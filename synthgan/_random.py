"""Randomness is passed in, never global: seed -> numpy Generator -> child generators.

Every random draw in synthgan goes through a ``numpy.random.Generator`` (or a ``torch.Generator``
seeded from one), so the same seed on the same data and machine gives the same output, and the
user's global numpy/torch state is never touched.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .exceptions import InvalidParameterError


def make_rng(random_state: int | np.random.Generator | np.random.SeedSequence | None) -> np.random.Generator:
    """Return a numpy Generator from a seed, a SeedSequence, an existing Generator or None (fresh entropy)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise InvalidParameterError(f"random_state={random_state} must be a non-negative integer")
        return np.random.default_rng(int(random_state))
    raise InvalidParameterError(
        f"random_state={random_state!r} is not accepted; use None, a non-negative int or a numpy Generator"
    )


def child_seeds(rng: np.random.Generator, n: int) -> list[int]:
    """Draw ``n`` independent 63-bit seeds from ``rng`` (for per-column or per-worker generators)."""
    return [int(s) for s in rng.integers(0, 2**63 - 1, size=n, dtype=np.int64)]


def torch_generator(rng: np.random.Generator, device: str = "cpu"):
    """A ``torch.Generator`` on ``device`` seeded from ``rng`` (imports torch lazily)."""
    import torch

    gen = torch.Generator(device=device)
    gen.manual_seed(int(rng.integers(0, 2**63 - 1)))
    return gen


def random_bits(shape, dtype, generator, device):
    """Uniformly random integers of a small integer ``dtype`` (every bit pattern equally likely), cut
    from full 64-bit draws: torch's per-entry draws (rand, random_) cost one 32-bit draw per entry,
    and ``random_()`` on int64 leaves the sign bit 0, so the words come from randint over the full range.
    ``generator`` is a ``torch.Generator`` or a numpy ``Generator``, whose bit generator's raw words
    (PCG64) come twice as fast as torch's mt19937 ones here: sampling draws from numpy."""
    import torch

    n = math.prod(shape)
    per_word = 8 // torch.empty((), dtype=dtype).element_size()
    n_words = (n + per_word - 1) // per_word
    if isinstance(generator, np.random.Generator):
        words = torch.from_numpy(generator.bit_generator.random_raw(n_words).view(np.int64)).to(device)
    else:
        words = torch.randint(-(2**63), 2**63 - 1, (n_words,), generator=generator, device=device)
    return words.view(dtype)[:n].view(shape)


#: Inverse CDFs tabulated by ``quantile_draws``, as functions of float64 probabilities.
QUANTILES = {
    "normal": lambda u: (2.0 * u - 1.0).erfinv() * math.sqrt(2.0),
    "gumbel": lambda u: -(-u.log()).log(),
}
_TABLES: dict = {}


def quantile_draws(name: str, shape, generator, device, dtype=None, out=None, index=None):
    """Random draws of a distribution in ``QUANTILES`` ("normal", "gumbel"), shaped ``shape``: 16 random
    bits per entry pick one of the distribution's quantiles at the 65,536 bin midpoints
    u = (k + 1/2) / 2^16. One 64-bit draw serves four entries and a lookup replaces the transform
    (standard normal, 4096 x 128: 0.76 ms instead of torch.randn's 1.44 here); the tails are cut at
    probability 2^-17 on each side (normal: |z| < 4.4). ``out``, if given, must be contiguous; ``index``,
    an int32 scratch of at least as many entries on ``device``, spares a fresh allocation per call."""
    import torch

    dtype = dtype or torch.float32
    key = (name, dtype, str(device))
    if key not in _TABLES:
        u = (torch.arange(2**16, dtype=torch.float64) + 0.5) / 2**16
        _TABLES[key] = QUANTILES[name](u).to(dtype=dtype, device=device)
    n = math.prod(shape)
    bits = random_bits((n,), torch.uint16, generator, device)
    codes = bits.int() if index is None else index.view(-1)[:n].copy_(bits)
    flat = None if out is None else out.view(-1)
    return torch.index_select(_TABLES[key], 0, codes, out=flat).view(shape)
