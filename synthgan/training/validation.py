"""Validation-based selection: score the generator on rows kept out of training every few epochs, keep
the best weights, stop early when the score stops improving.

The score is fast fidelity of a fixed sample (the same seed every check, so checks differ only by
the weights) against the validation rows: the mean of column shapes (1 - KS / 1 - TV per column) and
pair trends over all column pairs, as ``synthgan.evaluate`` computes them. The validation rows are a
share of the *training* rows, never the privacy holdout.

A privacy guard keeps memorising weights out: at each check, the share of the sample whose nearest real
row is a training row (not a validation row; ties count at chance) is tested against its chance value
|T| / (|T| + |V|); a check whose share is significantly above it (one-sided z > 1.645) is never selected.
"""

from __future__ import annotations

import copy
import math
from typing import Callable

import numpy as np
import pandas as pd
from torch import nn

from ..evaluation.columns import Columns
from ..evaluation.distance import RowEmbedding, nearest
from ..evaluation.fidelity import column_shapes, pair_scores, pair_trends
from .callbacks import Callback

#: One-sided z above which a check's rows sit significantly nearer the training rows than chance (5%).
GUARD_Z = 1.645
#: Optimizer steps between checks when ``validation_every`` is not given: a fixed interval, so a run
#: continued from a checkpoint checks at the same epochs as one that ran straight through.
CHECK_STEPS = 250


def check_interval(steps_per_epoch: int) -> int:
    """Epochs between validation checks by default: about ``CHECK_STEPS`` steps, at least one epoch.

    Example:
        >>> check_interval(1), check_interval(16), check_interval(1000)
        (250, 16, 1)
    """
    return max(1, round(CHECK_STEPS / steps_per_epoch))


class ValidationScorer:
    """Scores a generated sample against the validation rows: ``fidelity_score`` plus the privacy guard's
    ``closer_to_training`` figures (training rows embedded once; at most ``MAX_GUARD_ROWS`` of them, a
    seeded subsample, so the chance share stays |T| / (|T| + |V|) for the rows used)."""

    MAX_GUARD_ROWS = 50_000

    def __init__(self, train: pd.DataFrame, held: pd.DataFrame, cols: Columns, seed: int = 0) -> None:
        if len(train) > self.MAX_GUARD_ROWS:
            keep = np.sort(np.random.default_rng(seed).choice(len(train), self.MAX_GUARD_ROWS, replace=False))
            train = train.iloc[keep]
        self.held, self.cols = held, cols
        self.embed = RowEmbedding(train, cols)
        self.train_rows, self.held_rows = self.embed.transform(train), self.embed.transform(held)

    def __call__(self, synthetic: pd.DataFrame) -> dict:
        query = self.embed.transform(synthetic)
        d_train = nearest(query, self.train_rows)[0][:, 0]
        d_held = nearest(query, self.held_rows)[0][:, 0]
        null = len(self.train_rows) / (len(self.train_rows) + len(self.held_rows))
        closer = np.where(np.abs(d_train - d_held) <= 1e-6, null, (d_train < d_held).astype(float))
        share = float(closer.mean())
        z = (share - null) / math.sqrt(null * (1 - null) / len(closer))
        guard = {"closer_share": share, "closer_null": null, "closer_z": float(z)}
        return {**fidelity_score(self.held, synthetic, self.cols), **guard}


def fidelity_score(real: pd.DataFrame, synthetic: pd.DataFrame, cols: Columns) -> dict[str, float]:
    """{"score", "column_shapes", "pair_trends"}: the score is the mean of the two (trends over all pairs)."""
    shapes = [v for v in column_shapes(real, synthetic, cols).values() if not np.isnan(v)]
    shape = float(np.mean(shapes)) if shapes else float("nan")
    pairs = (
        pair_trends(pair_scores(real, synthetic, cols))["all_pairs_mean"]
        if len(cols.scored) > 1
        else float("nan")
    )
    parts = [v for v in (shape, pairs) if not np.isnan(v)]
    return {
        "score": float(np.mean(parts)) if parts else float("nan"),
        "column_shapes": shape,
        "pair_trends": float(pairs),
    }


class Validation(Callback):
    """Every ``every`` epochs (and after the last), ``score()`` (higher is better) is recorded in
    ``history.validation`` and in the epoch's logs (``validation_score``); the weights of ``module()`` with
    the best score among the eligible checks (privacy guard: ``closer_z`` at most ``GUARD_Z``, when the
    score reports it) are kept (``selected()``); after ``patience`` checks without improvement training
    stops (None: never).

    A check after the last epoch that is off the schedule (``"final": True`` in the history) competes in
    ``selected()`` but is kept out of the state a checkpoint saves, and a continued run drops it from the
    history: a run resumed from a checkpoint selects what a straight run would."""

    def __init__(
        self, score: Callable[[], dict], module: Callable[[], nn.Module], every: int, patience: int | None
    ) -> None:
        self.score, self.module, self.every, self.patience = score, module, every, patience
        self.best_score, self.best_epoch, self.best_state, self.waited = None, 0, None, 0
        self.closest_z, self.fallback_state = (
            None,
            None,
        )  # the least close check's weights, if none is eligible
        self.trainer, self.final = None, None  # final: (score, weights) of an off-schedule last check

    def on_train_begin(self, trainer) -> None:
        self.trainer, self.final = trainer, None
        checks = trainer.history.validation
        ended = {c["epoch"] for c in checks if c.get("final")}  # an earlier run's end, not a scheduled check
        checks[:] = [c for c in checks if not c.get("final")]
        for row in trainer.history.rows:
            if row["epoch"] in ended:
                row.pop("validation_score", None)

    def on_epoch_end(self, epoch: int, logs: dict, model) -> bool:
        last = self.trainer.step_count >= self.trainer.total_steps
        if epoch % self.every and not last:
            return False
        scores = self.score()
        z = scores.get("closer_z", -math.inf)
        eligible = z <= GUARD_Z
        logs["validation_score"] = scores["score"]
        entry = {"epoch": epoch, "step": self.trainer.step_count, **scores, "eligible": bool(eligible)}
        if epoch % self.every:  # the last epoch, off the schedule: a candidate, not part of the state
            self.trainer.history.validation.append({**entry, "final": True})
            if eligible:
                self.final = (scores["score"], self._weights())
            return False
        self.trainer.history.validation.append(entry)
        weights = None
        guarded = "closer_z" in scores
        if guarded and self.best_state is None and (self.closest_z is None or z < self.closest_z):
            weights = self._weights()
            self.closest_z, self.fallback_state = float(z), weights
        if eligible and (self.best_score is None or scores["score"] > self.best_score):
            self.best_score, self.best_epoch, self.waited = scores["score"], epoch, 0
            self.best_state = weights if weights is not None else self._weights()
            self.fallback_state = None
            return False
        self.waited += 1
        if self.patience is not None and self.waited >= self.patience:
            self.trainer.stop_reason = "early_stopping"
            return True
        return False

    def _weights(self) -> dict:
        return {k: v.detach().clone() for k, v in self.module().state_dict().items()}

    def selected(self) -> nn.Module:
        """A copy of the module with the best eligible weights (or, if no check passed the privacy guard,
        the least close check's); the module itself before any check. A copy: the training state, EMA
        included, is left as it is, so a resumed run continues exactly."""
        state = self.best_state if self.best_state is not None else self.fallback_state
        if self.final is not None and (self.best_score is None or self.final[0] > self.best_score):
            state = self.final[1]
        if state is None:
            return self.module()
        best = copy.deepcopy(self.module())
        best.load_state_dict(state)
        return best

    def state_dict(self) -> dict:
        keys = ("best_score", "best_epoch", "waited", "best_state", "closest_z", "fallback_state")
        return {k: getattr(self, k) for k in keys}

    def load_state_dict(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)


def split_rows(n_rows: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows): a seeded ``share`` of ``n_rows`` set aside, both sorted."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_val = max(1, int(round(n_rows * share)))
    return np.sort(order[n_val:]), np.sort(order[:n_val])
