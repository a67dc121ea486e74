"""Sampling from a trained generator: large independent batches, frozen weights (models/freeze.py),
compact outputs.

Unconditional rows draw their conditional vectors from the true level frequencies. Conditioned rows
use the conditional vector of the rarest requested level (so the generator produces it directly) and
keep only rows meeting every condition; a budget stops hopeless requests with a clear error.

Batch ``i`` of a call draws its conditions, noise and codes from its own numpy generator, seeded from
the call's seed and ``i``. Batches are planned in rounds of a fixed size when conditions drop rows (each
round's sizes follow the acceptance rate so far), else all in one round (1.06-1.08x faster: no lane waits
at a round's end). On a multi-core CPU two batches run at once, each on its own worker thread with half
the intra-op threads: one batch on two threads spends much of its time in OpenMP hand-offs between many
small ops, and the random draws are serial. The samples are the same whichever way the batches run.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np
import torch

from .._random import quantile_draws
from ..exceptions import ConditionError
from ..models.freeze import FrozenHeads, freeze
from ..models.heads import Heads
from ..sampling.conditional import ConditionalSampler
from .conditions import Condition

SAMPLE_BATCH = 4096
MIN_BATCH = 64
#: Batches planned together; fixed, so batch sizes (and so the samples) never depend on the core count.
ROUND = 2
#: Conditioned sampling gives up after drawing this many times the rows asked for (plus a floor).
MAX_OVERDRAW = 200


def generate(
    generator: torch.nn.Module,
    heads: Heads,
    sampler: ConditionalSampler | None,
    noise_dim: int,
    n: int,
    conditions: list[Condition],
    rng: np.random.Generator,
    autocast_dtype: torch.dtype | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return scalars (n, n_scalar) float32 and codes (n, n_onehot) int32 of ``n`` generated rows."""
    batches = _Batches(
        generator, heads, sampler, noise_dim, conditions, autocast_dtype, seed=int(rng.integers(0, 2**63 - 1))
    )
    out_s = np.empty((n, heads.n_scalar), dtype=np.float32)
    out_c = np.empty((n, heads.n_onehot), dtype=np.int32)
    got, drawn, index = 0, 0, 0
    budget = MAX_OVERDRAW * n + 100_000
    # without conditions every row is kept: plan all batches in one round, so neither lane waits for the other
    per_round = ROUND if conditions else math.inf
    with _lanes(batches.device) as run:
        while got < n:
            accept = got / drawn if drawn else 1.0
            sizes, need = [], n - got
            while len(sizes) < per_round and need > 0:
                sizes.append(int(min(SAMPLE_BATCH, max(MIN_BATCH, math.ceil(need / max(accept, 0.01))))))
                need -= sizes[-1] * accept
            for scalars, codes in run(batches, [(index + k, size) for k, size in enumerate(sizes)]):
                take = min(len(codes), n - got)
                out_s[got : got + take], out_c[got : got + take] = scalars[:take], codes[:take]
                got += take
            index, drawn = index + len(sizes), drawn + sum(sizes)
            if got < n and drawn >= budget:
                wanted = ", ".join(f"{c.column}={c.code}" for c in conditions)
                raise ConditionError(
                    f"only {got} of {n} rows met the conditions after generating {drawn} rows; "
                    f"the model almost never produces this combination ({wanted} as level codes); "
                    "relax the conditions"
                )
    return out_s, out_c


class _Batches:
    """Generates batch ``i`` of one sampling call; each thread gets its own sampling forms and buffers."""

    def __init__(self, generator, heads, sampler, noise_dim, conditions, autocast_dtype, seed: int) -> None:
        self.generator, self.heads, self.sampler, self.noise_dim = generator, heads, sampler, noise_dim
        self.conditions, self.dtype, self.seed = conditions, autocast_dtype or torch.float32, seed
        self.device = next(generator.parameters()).device
        self.fixed, self.choices = None, None
        if conditions and sampler is not None and sampler.n_columns:
            levels = [sampler.offsets[c.cond_column] + np.asarray(c.accepted) for c in conditions]
            index = min(levels, key=lambda positions: sampler.counts[positions].sum())  # the rarest request
            if len(index) == 1:
                self.fixed = torch.as_tensor(index, device=self.device)
            else:  # several accepted levels: each row's condition drawn in proportion to the levels' counts
                weights = sampler.counts[index].astype(np.float64)
                self.choices = (index, weights / weights.sum() if weights.sum() > 0 else None)
        self._local = threading.local()

    def __call__(self, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Scalars and int32 codes of batch ``index``'s rows (``size`` drawn) that meet the conditions."""
        local = self._local
        if not hasattr(local, "frozen"):  # reads running stats; the module's mode is untouched
            local.frozen, local.heads = freeze(self.generator, self.dtype), FrozenHeads(self.heads)
            local.noise = torch.empty(SAMPLE_BATCH, self.noise_dim, dtype=self.dtype, device=self.device)
            local.index = torch.empty(SAMPLE_BATCH * self.noise_dim, dtype=torch.int32, device=self.device)
        rng = np.random.default_rng([self.seed, index])
        with torch.inference_mode():
            if self.fixed is not None:
                cond = self.fixed
            elif self.choices is not None:
                cond = torch.as_tensor(
                    rng.choice(self.choices[0], size=size, p=self.choices[1]), device=self.device
                )
            elif self.generator.cond_dim:
                cond = torch.as_tensor(self.sampler.sample_index(size, rng), device=self.device)
            else:
                cond = None
            noise = quantile_draws(
                "normal",
                (size, self.noise_dim),
                rng,
                self.device,
                self.dtype,
                out=local.noise[:size],
                index=local.index,
            )
            scalars, codes = local.heads(local.frozen(noise, cond), rng)
            scalars, codes = scalars.cpu().numpy(), codes.cpu().numpy()
        if self.conditions:
            keep = np.logical_and.reduce([np.isin(codes[:, c.position], c.accepted) for c in self.conditions])
            return scalars[keep], codes[keep].astype(np.int32)
        return scalars.copy(), codes.astype(np.int32)  # copies: the buffers are reused by the next batch


@contextmanager
def _lanes(device: torch.device) -> Iterator[Callable]:
    """A runner for a round of batches: two worker threads with half the intra-op threads each on a
    multi-core CPU, else the calling thread. ``torch.set_num_threads`` sets the caller's thread count
    and the default for new threads; the workers change both, so the default is restored on exit."""
    threads = torch.get_num_threads()
    if device.type != "cpu" or threads < 2:
        yield lambda batches, jobs: [batches(*job) for job in jobs]
        return
    pool = ThreadPoolExecutor(
        ROUND,
        thread_name_prefix="synthgan-sample",
        initializer=torch.set_num_threads,
        initargs=(max(1, threads // ROUND),),
    )
    try:
        yield lambda batches, jobs: list(pool.map(lambda job: batches(*job), jobs))
    finally:
        pool.shutdown()
        torch.set_num_threads(threads)
