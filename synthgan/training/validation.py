"""Validation-based selection: score the generator on rows kept out of training every few epochs, keep
the best weights, stop early when the score stops improving.

The score is fast fidelity of a fixed sample (the same seed every check, so checks differ only by
the weights) against the validation rows: the mean of column shapes (1 - KS / 1 - TV per column) and
pair trends over all column pairs, as ``synthgan.evaluate`` computes them. The validation rows are a
share of the *training* rows, never the privacy holdout.
"""

from __future__ import annotations

import copy
from typing import Callable

import numpy as np
import pandas as pd
from torch import nn

from ..evaluation.columns import Columns
from ..evaluation.fidelity import column_shapes, pair_scores, pair_trends
from .callbacks import Callback


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
    the best score are kept (``selected()``); after ``patience`` checks without improvement training stops
    (None: never)."""

    def __init__(
        self, score: Callable[[], dict], module: Callable[[], nn.Module], every: int, patience: int | None
    ) -> None:
        self.score, self.module, self.every, self.patience = score, module, every, patience
        self.best_score, self.best_epoch, self.best_state, self.waited = None, 0, None, 0
        self.trainer = None

    def on_train_begin(self, trainer) -> None:
        self.trainer = trainer

    def on_epoch_end(self, epoch: int, logs: dict, model) -> bool:
        if (
            epoch % self.every and self.trainer.step_count < self.trainer.total_steps
        ):  # the last epoch is always checked
            return False
        scores = self.score()
        logs["validation_score"] = scores["score"]
        self.trainer.history.validation.append({"epoch": epoch, "step": self.trainer.step_count, **scores})
        if self.best_score is None or scores["score"] > self.best_score:
            self.best_score, self.best_epoch, self.waited = scores["score"], epoch, 0
            self.best_state = {k: v.detach().clone() for k, v in self.module().state_dict().items()}
            return False
        self.waited += 1
        if self.patience is not None and self.waited >= self.patience:
            self.trainer.stop_reason = "early_stopping"
            return True
        return False

    def selected(self) -> nn.Module:
        """The module with the best weights seen (a copy: the training state, EMA included, is left as it
        is, so a resumed run continues exactly); the module itself before any check."""
        if self.best_state is None:
            return self.module()
        best = copy.deepcopy(self.module())
        best.load_state_dict(self.best_state)
        return best

    def state_dict(self) -> dict:
        return {
            "best_score": self.best_score,
            "best_epoch": self.best_epoch,
            "waited": self.waited,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state: dict) -> None:
        self.best_score, self.best_epoch = state["best_score"], int(state["best_epoch"])
        self.waited, self.best_state = int(state["waited"]), state["best_state"]


def split_rows(n_rows: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows): a seeded ``share`` of ``n_rows`` set aside, both sorted."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_val = max(1, int(round(n_rows * share)))
    return np.sort(order[n_val:]), np.sort(order[:n_val])
