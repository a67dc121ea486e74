"""Sampling from a trained generator: large batches, frozen weights (models/frozen.py), compact outputs.

Unconditional rows draw their conditional vectors from the true level frequencies. Conditioned rows
use the conditional vector of the rarest requested level (so the generator produces it directly) and
keep only rows meeting every condition; a budget stops hopeless requests with a clear error.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..exceptions import ConditionError
from ..models.frozen import FrozenGenerator
from ..models.heads import Heads
from ..models.tabular import Generator
from ..sampling.conditional import ConditionalSampler
from .conditions import Condition

SAMPLE_BATCH = 4096
MIN_BATCH = 64
#: Conditioned sampling gives up after drawing this many times the rows asked for (plus a floor).
MAX_OVERDRAW = 200


def generate(
    generator: Generator,
    heads: Heads,
    sampler: ConditionalSampler | None,
    noise_dim: int,
    n: int,
    conditions: list[Condition],
    rng: np.random.Generator,
    torch_gen: torch.Generator,
    autocast_dtype: torch.dtype | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return scalars (n, n_scalar) float32 and codes (n, n_onehot) int32 of ``n`` generated rows."""
    device = next(generator.parameters()).device
    fixed = None
    if conditions and sampler is not None and sampler.n_columns:
        rarest = min(conditions, key=lambda c: sampler.counts[sampler.offsets[c.cond_column] + c.code])
        fixed = torch.as_tensor(sampler.offsets[[rarest.cond_column]] + rarest.code, device=device)
    kept_s, kept_c, got, drawn = [], [], 0, 0
    budget = MAX_OVERDRAW * n + 100_000
    frozen = FrozenGenerator(generator, autocast_dtype or torch.float32)  # reads running stats; mode untouched
    with torch.inference_mode():
        while got < n:
            accept = got / drawn if drawn else 1.0
            size = int(min(SAMPLE_BATCH, max(MIN_BATCH, math.ceil((n - got) / max(accept, 0.01)))))
            if fixed is not None:
                cond = fixed
            elif generator.cond_dim:
                cond = torch.as_tensor(sampler.sample_index(size, rng), device=device)
            else:
                cond = None
            noise = torch.randn(size, noise_dim, generator=torch_gen, device=device)
            scalars, codes = heads.sample(frozen(noise, cond), torch_gen)
            scalars, codes = scalars.cpu().numpy(), codes.cpu().numpy()
            if conditions:
                keep = np.logical_and.reduce([codes[:, c.position] == c.code for c in conditions])
                scalars, codes = scalars[keep], codes[keep]
            kept_s.append(scalars)
            kept_c.append(codes)
            got, drawn = got + len(codes), drawn + size
            if got < n and drawn >= budget:
                wanted = ", ".join(f"{c.column}={c.code}" for c in conditions)
                raise ConditionError(
                    f"only {got} of {n} rows met the conditions after generating {drawn} rows; "
                    f"the model almost never produces this combination ({wanted} as level codes); relax the conditions"
                )
    return np.concatenate(kept_s)[:n].astype(np.float32), np.concatenate(kept_c)[:n].astype(np.int32)

