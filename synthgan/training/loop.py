"""The adversarial loop shared by CTGAN (conditional) and WGAN (unconditional): critic steps, then a
generator step, per batch; history per epoch; an optional time budget; NaN/inf stops with an error.

The last critic step's fakes serve the generator step too (one generator pass per step). No
autograd: the critic's step writes its gradients by hand, and the generator step carries the
critic's closed-form input gradient at the fakes back through the heads and the generator by hand.
All randomness comes from the numpy and torch generators passed in.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .._device import autocast
from .._random import quantile_draws
from ..exceptions import TrainingError
from ..losses import PAD_LOGIT, condition_loss_and_gradient, generator_loss
from ..models.heads import Heads
from ..models.critic import Critic
from ..models.tabular import Generator
from ..sampling.conditional import ConditionalSampler
from ..transform.layout import EncodedTable

GUMBEL_TAU = 0.2


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int
    noise_dim: int
    critic_steps: int
    pac: int
    penalty_weight: float = 10.0
    max_time: float | None = None
    autocast_dtype: torch.dtype | None = None
    verbose: bool = True


@dataclass
class History:
    """Per-epoch mean losses (critic loss without the gradient penalty, as the reference reports it),
    and why training stopped (``"epochs"`` or ``"max_time"``)."""

    rows: list[dict] = field(default_factory=list)
    stopped_by: str = "epochs"
    seconds: float = 0.0

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=["epoch", "generator_loss", "critic_loss", "seconds"])
        frame.attrs["stopped_by"] = self.stopped_by
        return frame


@dataclass
class Batch:
    """What one step needs: real rows (B, width), conditional vectors (B, cond) and the chosen levels
    (global level positions, i.e. where each conditional vector has its 1; None when unconditional)."""

    real: torch.Tensor
    cond: torch.Tensor
    index: torch.Tensor | None = None


class TrainingData:
    """The encoded table as tensors plus the way batches are drawn from it (conditional or uniform).

    Rows and conditional vectors come in ``dtype``, the dtype the networks compute in (bfloat16 under
    autocast, where the first matmul would cast them anyway), so no concatenation mixes dtypes. A
    table whose dense rows fit in ``DENSE_BYTES`` keeps them, so a batch is one row gather (Adult:
    9 MB); a larger one (diabetes-130: 277 MB) keeps scalars and codes and builds each batch's rows.
    """

    DENSE_BYTES = 64 * 2**20

    def __init__(self, encoded: EncodedTable, heads: Heads, sampler: ConditionalSampler | None, device, dtype: torch.dtype = torch.float32) -> None:
        self.scalars = torch.as_tensor(encoded.scalars, device=device)
        self.codes = torch.as_tensor(encoded.codes.astype(np.int64), device=device)
        self.layout, self.heads, self.sampler, self.device, self.dtype = encoded.layout, heads, sampler, device, dtype
        self.n_rows = len(encoded)
        small = self.n_rows * heads.width * torch.empty((), dtype=dtype).element_size() <= self.DENSE_BYTES
        self.dense = heads.dense_rows(self.scalars, self.codes, dtype) if small else None

    @property
    def conditional(self) -> bool:
        return self.sampler is not None and self.sampler.n_columns > 0

    def batch(self, size: int, rng: np.random.Generator) -> Batch:
        if not self.conditional:
            real = self._dense(rng.integers(0, self.n_rows, size))
            return Batch(real, torch.zeros(size, 0, device=self.device, dtype=self.dtype))
        cond, level, rows = self.sampler.sample_train(size, rng)
        cond_t = torch.as_tensor(cond, device=self.device).to(self.dtype)
        return Batch(self._dense(rows), cond_t, torch.as_tensor(level, device=self.device))

    def _dense(self, rows: np.ndarray) -> torch.Tensor:
        """The chosen rows as dense model-order rows in the networks' dtype (index_select: 4x a fancy index here)."""
        rows_t = torch.as_tensor(rows, device=self.device)
        if self.dense is not None:
            return self.dense.index_select(0, rows_t)
        return self.heads.dense_rows(self.scalars.index_select(0, rows_t), self.codes.index_select(0, rows_t), self.dtype)

    def noise(self, size: int, dim: int, generator: torch.Generator) -> torch.Tensor:
        """Standard normal generator input, in the networks' dtype (the sampler draws the same way)."""
        return quantile_draws("normal", (size, dim), generator, self.device, self.dtype)


class ConditionTargets:
    """Per conditional level (a position in the conditional vector): its column's model-order columns,
    the padding's logit offsets and the level's one-hot within them, for the condition CE term; a
    batch looks its rows' levels up (two row gathers), no per-batch search or masks."""

    def __init__(self, layout, heads: Heads, sampler: ConditionalSampler, device) -> None:
        spans = layout.category_spans
        positions = [layout.onehot_spans.index(s) for s in spans]
        widths = np.array([s.width for s in spans])
        max_w, n_levels = int(widths.max()), int(widths.sum())
        column = np.repeat(np.arange(len(spans)), widths)  # each level's column
        level = np.arange(n_levels) - np.repeat(sampler.offsets, widths)  # its position within the column
        start = heads.onehot_offsets_np[positions][column]  # the column's first model-order column
        real = np.arange(max_w)[None, :] < widths[column][:, None]
        self.index = torch.as_tensor(np.where(real, start[:, None] + np.arange(max_w), 0), device=device)
        pad = np.where(real, 0.0, PAD_LOGIT)
        one_hot = (np.arange(max_w)[None, :] == level[:, None]).astype(np.float64)
        self.pad_one_hot = torch.as_tensor(np.stack([pad, one_hot]).astype(np.float32), device=device)  # (2, levels, max_width)
        self._scaled: dict[int, torch.Tensor] = {}

    def add_gradient(self, raw: torch.Tensor, level: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """The CE term's value (``condition_loss``) for rows conditioned on ``level`` (B,); adds its
        gradient with respect to ``raw`` into ``grad`` (same shape)."""
        rows = len(level)
        if rows not in self._scaled:  # the padding and the one-hots times -1 / B, as the loss takes them
            self._scaled = {rows: self.pad_one_hot * torch.tensor([1.0, -1.0 / rows], device=self.index.device)[:, None, None]}
        index = self.index.index_select(0, level)
        pad, target = self._scaled[rows].index_select(1, level)
        loss, d_logits = condition_loss_and_gradient(raw, index, pad, target, grad.dtype)
        grad.scatter_add_(1, index, d_logits)
        return loss


def train(
    generator: Generator,
    critic: Critic,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    data: TrainingData,
    config: TrainConfig,
    rng: np.random.Generator,
    torch_gen: torch.Generator,
) -> History:
    """Run the adversarial loop; returns the per-epoch history. Raises TrainingError on NaN/inf loss."""
    opt_g, opt_c = optimizers
    targets = ConditionTargets(data.layout, data.heads, data.sampler, data.device) if data.conditional else None
    heads, device = data.heads, data.device
    precision = autocast(device, config.autocast_dtype)

    def step() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Critic step(s), then a generator step that reuses the last critic step's fakes: one generator
        pass per step instead of two, as in the usual DCGAN loop. Every gradient is written by hand
        (``Critic.wgan_gp_step``; the critic's closed-form input gradient at the fakes, through the
        heads and the generator's ``backward``): no autograd graph is built."""
        for _ in range(config.critic_steps):
            batch = data.batch(config.batch_size, rng)
            raw, tape = generator.train_forward(data.noise(config.batch_size, config.noise_dim, torch_gen), batch.index)
            fake, tape_heads = heads.activate(raw, GUMBEL_TAU, torch_gen, batch.cond)
            with precision:
                loss_c, penalty = critic.wgan_gp_step((batch.real, batch.cond), fake, config.penalty_weight, torch_gen)
            opt_c.step()
            critic.parameters_changed()
        with precision, torch.no_grad():
            scores, slope = critic.scores_and_gradients(fake, len(fake), torch_gen)
        loss_g = generator_loss(scores)
        d_raw = heads.backward(tape_heads, slope.view(fake.shape).mul_(-1.0 / len(scores)), GUMBEL_TAU)  # d loss_g / d fake
        if targets is not None:
            loss_g = loss_g + targets.add_gradient(raw, batch.index, d_raw)
        generator.backward(tape, batch.index, d_raw)
        opt_g.step()
        return loss_g, loss_c, penalty

    return run_epochs(step, max(1, data.n_rows // config.batch_size), config)


def run_epochs(step: Callable[[], tuple[torch.Tensor, torch.Tensor, torch.Tensor]], steps: int, config) -> History:
    """Drive ``steps`` calls of ``step`` per epoch (it returns generator, critic and penalty losses):
    progress bar, per-epoch history, the ``max_time`` budget and the NaN/inf stop, for every model."""
    history, start = History(), time.perf_counter()
    bar = tqdm(range(config.epochs), disable=not config.verbose, desc="fit", unit="epoch", leave=True)
    for epoch in bar:
        g_sum = c_sum = 0.0
        for _ in range(steps):
            losses = step()
            g_val, c_val, p_val = (loss.item() for loss in losses)
            if not (math.isfinite(g_val) and math.isfinite(c_val) and math.isfinite(p_val)):
                raise TrainingError(
                    f"training diverged at epoch {epoch + 1} (loss is NaN or infinite); "
                    "try a lower learning rate, precision='float32' or a larger batch size"
                )
            g_sum, c_sum = g_sum + g_val, c_sum + c_val
        elapsed = time.perf_counter() - start
        history.rows.append({"epoch": epoch + 1, "generator_loss": g_sum / steps, "critic_loss": c_sum / steps, "seconds": elapsed})
        bar.set_postfix(g=f"{g_sum / steps:+.3f}", c=f"{c_sum / steps:+.3f}")
        if config.max_time is not None and elapsed >= config.max_time and epoch + 1 < config.epochs:
            history.stopped_by = "max_time"
            break
    bar.close()
    history.seconds = time.perf_counter() - start
    return history
