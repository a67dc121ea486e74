"""What every synthgan model shares: the fitted check, ``load``, the training record, JSON params."""

from __future__ import annotations

import os

import numpy as np
import torch

from ..exceptions import ModelFileError, NotFittedError
from ..io.artifacts import load_artifact
from ..training.engine import History


class FittedModel:
    """Mixin: ``load(path)`` for any model class that implements ``_from_artifact``; the fitted check."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(data) first")

    def _training_record(self) -> dict:
        """What a model file keeps of training (read back by ``restore_history``)."""
        return {
            "noise_dim": self.noise_dim_,
            "batch_size": self.batch_size_,
            "sampling_seed": self.sampling_seed_,
            "precision": "bfloat16" if self.autocast_dtype_ == torch.bfloat16 else "float32",
            "stopped_by": self.history_.stopped_by,
            "seconds": self.history_.seconds,
            "history": self.history_.rows,
            "validation": self.history_.validation,
        }

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu"):
        """Load a model saved by ``save``; runs no code from the file. ``device`` as in the constructor."""
        meta, tensors = load_artifact(path)
        if meta.get("class") != cls.__name__:
            raise ModelFileError(
                f"{path}: holds a {meta.get('class')} model, not a {cls.__name__}; "
                f"use {meta.get('class')}.load"
            )
        return cls._from_artifact(meta, tensors, path, device)


def restore_history(fitted: dict) -> History:
    """The training history from a model file's "fitted" block (``FittedModel._training_record``)."""
    return History(
        rows=fitted["history"],
        validation=fitted.get("validation", []),
        stopped_by=fitted["stopped_by"],
        seconds=fitted["seconds"],
    )


def jsonable(value):
    """A constructor parameter as JSON: tuples as lists (also inside mappings); a live numpy Generator or
    callback objects cannot be stored (None)."""
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.random.Generator):
        return None
    return value
