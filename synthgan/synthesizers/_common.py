"""What every synthgan model shares: the fitted check, ``load`` from a model file, Adam, JSON params."""

from __future__ import annotations

import os

import numpy as np
import torch

from ..exceptions import ModelFileError, NotFittedError
from ..io.artifacts import load_artifact
from ..models.flat import FlatAdam, flatten_parameters
from ..training.loop import History, TrainConfig


class FittedModel:
    """Mixin: ``load(path)`` for any model class that implements ``_from_artifact``; the fitted check."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(data) first")

    def _training_record(self) -> dict:
        """What a model file keeps of training (read back by ``restore_training``)."""
        return {
            "noise_dim": self.noise_dim_, "batch_size": self.batch_size_, "sampling_seed": self.sampling_seed_,
            "precision": "bfloat16" if self.autocast_dtype_ == torch.bfloat16 else "float32",
            "stopped_by": self.history_.stopped_by, "seconds": self.history_.seconds, "history": self.history_.rows,
        }

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu"):
        """Load a model saved by ``save``; runs no code from the file. ``device`` as in the constructor."""
        meta, tensors = load_artifact(path)
        if meta.get("class") != cls.__name__:
            raise ModelFileError(f"{path}: holds a {meta.get('class')} model, not a {cls.__name__}; use {meta.get('class')}.load")
        return cls._from_artifact(meta, tensors, path, device)


def restore_training(fitted: dict) -> tuple[History, TrainConfig]:
    """The training history and the sampling-relevant settings from a model file's "fitted" block
    (written by ``FittedModel._training_record``; sampling runs at the precision the model was trained with)."""
    history = History(rows=fitted["history"], stopped_by=fitted["stopped_by"], seconds=fitted["seconds"])
    config = TrainConfig(
        epochs=len(history.rows), batch_size=fitted["batch_size"], noise_dim=fitted["noise_dim"], critic_steps=1, pac=1,
        autocast_dtype=torch.bfloat16 if fitted["precision"] == "bfloat16" else None,
    )
    return history, config


def adam(module: torch.nn.Module, lr: float, decay: float, device: torch.device, betas=(0.5, 0.9), flat: bool = False) -> torch.optim.Adam | FlatAdam:
    """Adam (CTGAN's betas by default); the fused kernel where this torch and device have it (same maths, fewer passes).

    ``flat``: the module's parameters and gradients become views of one tensor each, which Adam updates
    as one (one kernel per step instead of one per tensor), and whose low-precision copies and gradients
    a hand-written step casts and converts in one kernel each (``models.flat``). Only for training code
    that writes the gradients into the existing ``.grad`` buffers (autograd or ``zero_grad`` may replace them);
    where the fused kernel exists, a ``FlatAdam`` calls it directly (same update, no per-step Python)."""
    params = [flatten_parameters(module)] if flat else list(module.parameters())
    if flat and FlatAdam.available(torch.device(device)):
        return FlatAdam(params[0], lr, betas, decay)
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=decay, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=decay)


def jsonable(value):
    """A constructor parameter as JSON: tuples as lists; a live numpy Generator cannot be stored (None)."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.random.Generator):
        return None
    return value
