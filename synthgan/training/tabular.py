"""What the engine needs to train a tabular GAN: batches of real rows (conditional or uniform), fake rows
from the generator and its heads, and the condition cross-entropy term of CTGAN.

Rows and conditional vectors come in the dtype the networks compute in (bfloat16 under mixed
precision, where the first matmul would cast them anyway). A table whose dense rows fit in
``DENSE_BYTES`` keeps them, so a batch is one row gather (Adult: 9 MB); a larger one (diabetes-130:
277 MB) keeps scalars and codes and builds each batch's rows. All randomness comes from the numpy
and torch generators passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from .._random import quantile_draws
from ..models.heads import Heads
from ..sampling.conditional import ConditionalSampler
from ..transform.layout import EncodedTable
from .objectives import GeneratorPass, Objective, register_objective


@dataclass
class Batch:
    """A real batch: ``inputs`` (B, width + cond) is what the critic sees (rows, then their conditional
    vectors); ``rows`` (B, width) the dense rows alone; ``index`` (B,) each row's conditional position."""

    inputs: torch.Tensor
    rows: torch.Tensor
    index: torch.Tensor | None = None
    context: torch.Tensor | None = None  # nothing beside the inputs for tabular critics


@dataclass
class Fake:
    """Generated rows for a batch: ``inputs`` as the critic sees them, ``rows`` the activated outputs and
    ``raw`` the generator's raw outputs (B, width), all differentiable with respect to the generator."""

    inputs: torch.Tensor
    rows: torch.Tensor
    raw: torch.Tensor


class TrainingData:
    """The encoded table as tensors plus the way batches are drawn from it (conditional or uniform)."""

    DENSE_BYTES = 64 * 2**20

    def __init__(
        self,
        encoded: EncodedTable,
        heads: Heads,
        sampler: ConditionalSampler | None,
        device,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.scalars = torch.as_tensor(encoded.scalars, device=device)
        self.codes = torch.as_tensor(encoded.codes.astype(np.int64), device=device)
        self.layout, self.heads, self.sampler, self.device, self.dtype = (
            encoded.layout,
            heads,
            sampler,
            device,
            dtype,
        )
        self.n_rows = len(encoded)
        small = self.n_rows * heads.width * torch.empty((), dtype=dtype).element_size() <= self.DENSE_BYTES
        self.dense = heads.dense_rows(self.scalars, self.codes, dtype) if small else None

    @property
    def conditional(self) -> bool:
        return self.sampler is not None and self.sampler.n_columns > 0

    def batch(self, size: int, rng: np.random.Generator, pack: int = 1) -> Batch:
        """``size`` real rows and their conditions; ``pack``: rows per shared condition (see
        ``ConditionalSampler.sample_train``)."""
        if not self.conditional:
            rows = self._dense(rng.integers(0, self.n_rows, size))
            return Batch(rows, rows)
        cond, level, index = self.sampler.sample_train(size, rng, pack)
        rows = self._dense(index)
        cond_t = torch.as_tensor(cond, device=self.device).to(self.dtype)
        return Batch(torch.cat([rows, cond_t], dim=1), rows, torch.as_tensor(level, device=self.device))

    def _dense(self, rows: np.ndarray) -> torch.Tensor:
        """The chosen rows as model-order rows in the networks' dtype (index_select, 4x fancy indexing)."""
        rows_t = torch.as_tensor(rows, device=self.device)
        if self.dense is not None:
            return self.dense.index_select(0, rows_t)
        return self.heads.dense_rows(
            self.scalars.index_select(0, rows_t), self.codes.index_select(0, rows_t), self.dtype
        )

    def noise(self, size: int, dim: int, generator: torch.Generator) -> torch.Tensor:
        """Standard normal generator input, in the networks' dtype (sampling draws the same way)."""
        return quantile_draws("normal", (size, dim), generator, self.device, self.dtype)


class TabularTask:
    """Real and fake batches of one table for ``engine.Trainer``: the generator's raw outputs go through
    ``heads`` (tanh, Gumbel-softmax); the critic sees rows followed by their conditional one-hots."""

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        heads: Heads,
        data: TrainingData,
        *,
        noise_dim: int,
        batch_size: int,
        pac: int,
        pack_conditions: bool = False,
    ) -> None:
        self.generator, self.critic, self.heads, self.data = generator, critic, heads, data
        self.noise_dim, self.batch_size, self.pac = noise_dim, batch_size, pac
        self.pack_conditions = pack_conditions
        self.steps_per_epoch = max(1, data.n_rows // batch_size)
        self.forward: Callable = generator  # replaced by a compiled version with ``compile=True``

    @property
    def device(self) -> torch.device:
        return self.data.device

    def draw(self, rng: np.random.Generator) -> Batch:
        return self.data.batch(self.batch_size, rng, self.pac if self.pack_conditions else 1)

    def generate(self, batch: Batch, generator: torch.Generator) -> Fake:
        """Fake rows for ``batch``'s conditions (noise and Gumbel noise from ``generator``)."""
        raw = self.forward(self.data.noise(self.batch_size, self.noise_dim, generator), batch.index)
        rows = self.heads(raw, generator)
        cond = batch.inputs[:, self.heads.width :]
        inputs = torch.cat([rows, cond.to(rows.dtype)], dim=1) if cond.shape[1] else rows
        return Fake(inputs, rows, raw)


@register_objective
class ConditionLoss(Objective):
    """CTGAN's condition term: cross-entropy between the generator's logits in each row's conditioned
    span and the level its conditional vector asked for (mean over the batch)."""

    name = "condition"

    def __init__(self, targets: "ConditionTargets | None" = None, weight: float = 1.0) -> None:
        super().__init__(weight)
        self.targets = targets

    @classmethod
    def build(cls, task: TabularTask, weight: float | None = None, **options) -> "ConditionLoss":
        if options:
            return super().build(task, weight, **options)  # refuses them
        data = task.data
        targets = (
            ConditionTargets(data.layout, data.heads, data.sampler, data.device) if data.conditional else None
        )
        return cls(targets, 1.0 if weight is None else weight)

    def generator_loss(self, p: GeneratorPass) -> torch.Tensor | None:
        if self.targets is None:
            return None
        return self.weight * self.targets.cross_entropy(p.fake.raw, p.batch.index)


class ConditionTargets:
    """Per conditional level (a position in the conditional vector): its column's model-order columns,
    the padding's logit offsets and the level's position within them; a batch looks its rows' levels
    up (row gathers), with no per-batch search or masks."""

    def __init__(self, layout, heads: Heads, sampler: ConditionalSampler, device) -> None:
        positions = list(sampler.spans)  # the conditioned one-hot spans: categorical, then numeric modes
        spans = [layout.onehot_spans[j] for j in positions]
        widths = np.array([s.width for s in spans])
        max_w, n_levels = int(widths.max()), int(widths.sum())
        column = np.repeat(np.arange(len(spans)), widths)  # each level's column
        level = np.arange(n_levels) - np.repeat(sampler.offsets, widths)  # its position within the column
        start = heads.onehot_offsets_np[positions][column]  # the column's first model-order column
        real = np.arange(max_w)[None, :] < widths[column][:, None]
        self.index = torch.as_tensor(np.where(real, start[:, None] + np.arange(max_w), 0), device=device)
        self.pad = torch.as_tensor(np.where(real, 0.0, float("-inf")).astype(np.float32), device=device)
        self.level = torch.as_tensor(level, device=device)

    def cross_entropy(self, raw: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the logits of each row's conditioned span (B, width) for rows
        conditioned on global levels ``level`` (B,)."""
        logits = raw.gather(1, self.index.index_select(0, level)).float() + self.pad.index_select(0, level)
        return nn.functional.cross_entropy(logits, self.level.index_select(0, level))
