"""Model files and training checkpoints of the tabular synthesizers (``TabularFiles``, mixed into
``TabularGAN``): what is written, what is read back, and what never leaves training.

A model file holds the weights sampling uses (the weight average or the best validation weights when
those are on) and JSON (schema, transformer, level counts, parameters, history): no row of the data,
no critic. A checkpoint holds the whole training state, the critic included, to resume a run.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .._device import resolve_device
from ..constraints.plan import ConstraintPlan
from ..exceptions import InvalidParameterError, ModelFileError
from ..sampling.conditional import ConditionalSampler
from ..transform.table import TableTransformer
from ._common import jsonable, restore_history
from .specs import GENERATORS, SPECS


class TabularFiles:
    """``save`` / ``load`` (via ``FittedModel.load``) and ``save_checkpoint`` / ``load_checkpoint``."""

    def _file_meta(self, metadata: dict | None) -> dict:
        return {
            "metadata": metadata or {},
            "class": type(self).__name__,
            "params": {k: jsonable(v) for k, v in self.get_params().items() if k != "callbacks"},
            "transformer": self.transformer_.to_dict(),
            "sampler": None if self.sampler_ is None else self.sampler_.to_dict(),
            "constraints": None
            if getattr(self, "constraints_", None) is None
            else self.constraints_.to_dict(),
            "fitted": {
                **self._training_record(),
                "feature_names": [str(c) for c in self.feature_names_in_],
                "generator": SPECS[self.spec].generator,
                "pack_conditions": self.pack_conditions_,
                "condition_modes": getattr(self, "condition_modes_", False),
                "objectives": getattr(self, "objectives_", None),
            },
        }

    def save(self, path: str | os.PathLike, metadata: dict | None = None) -> Path:
        """Write the sampling weights (the weight average when ``ema`` is on, the best validation weights when
        ``validation`` is) + JSON (schema, transformer, level counts, parameters); no row of the data, no
        critic.

        ``metadata`` (JSON-able, e.g. provenance) is stored too and comes back as ``metadata_`` on load.
        """
        from ..io.artifacts import save_artifact

        self._check_fitted()
        return save_artifact(path, self._file_meta(metadata), self.generator_.state_dict())

    def save_checkpoint(self, path: str | os.PathLike, metadata: dict | None = None) -> Path:
        """Write the whole training state (both networks, optimizers, step, RNG states, EMA, history) so that
        ``load_checkpoint(path)`` + ``fit`` on the same data continues exactly where this run is. It holds
        the critic, a membership oracle for the training rows: keep it as private as the data."""
        from ..training.checkpoint import save_checkpoint

        if getattr(self, "trainer_", None) is None:
            raise InvalidParameterError("no training state to checkpoint; call fit first")
        meta = self._file_meta(metadata if metadata is not None else getattr(self, "metadata_", None))
        meta["fitted"].update(seeds=self.seeds_, fingerprint=self.fingerprint_)
        return save_checkpoint(path, meta, self.trainer_.state_dict())

    @classmethod
    def load_checkpoint(cls, path: str | os.PathLike):
        """A model with the training state of a checkpoint (``warm_start=True``): ``fit`` it on the same
        data to continue, with ``epochs`` / ``steps`` the total to reach."""
        from ..training.checkpoint import load_checkpoint

        meta, state = load_checkpoint(path)
        if meta.get("class") != cls.__name__:
            raise ModelFileError(
                f"{path}: holds a {meta.get('class')} checkpoint, not a {cls.__name__}; "
                f"use {meta.get('class')}"
            )
        model = cls(**_params(meta["params"]))
        model.set_params(warm_start=True)
        model._resume, model.metadata_ = (meta, state), meta.get("metadata", {})
        model.pack_conditions_, model.condition_modes_ = _trained_packs(meta), _trained_modes(meta)
        return model

    @classmethod
    def _from_artifact(cls, meta: dict, tensors: dict, path, device: str):
        """Rebuild a fitted model from a model file's JSON and weights (already read and checked)."""
        try:
            model = cls(**_params(meta["params"]))
            transformer = TableTransformer.from_dict(meta["transformer"])
            plan = ConstraintPlan.from_dict(meta["constraints"]) if meta.get("constraints") else None
            sampler = None if meta["sampler"] is None else ConditionalSampler.from_dict(meta["sampler"])
            fitted = meta["fitted"]
            target = resolve_device(device)
            cond_width = sampler.width if sampler is not None else 0
            build = GENERATORS[fitted.get("generator", "residual")]
            with torch.random.fork_rng(devices=[]):
                generator = build(
                    fitted["noise_dim"], cond_width, tuple(model.generator_dim), transformer.layout_.width
                )
            generator.load_state_dict(tensors)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(
                f"{path}: the model file is inconsistent ({type(exc).__name__}); re-train or re-save it"
            ) from None
        generator.to(target).eval()
        dtype = torch.bfloat16 if fitted["precision"] == "bfloat16" else None
        model._set_fitted(
            transformer.schema_ if plan is None else plan.schema,
            transformer,
            sampler,
            generator,
            target,
            fitted["noise_dim"],
            fitted["batch_size"],
            dtype,
            restore_history(fitted),
        )
        model.constraints_ = plan
        if plan is not None and meta["constraints"].get("custom_not_stored"):
            import warnings

            from ..schema import SchemaWarning

            warnings.warn(
                f"{path}: custom constraints {meta['constraints']['custom_not_stored']} were not stored "
                "(code is never saved); rows are not checked against them",
                SchemaWarning,
                stacklevel=3,
            )
        model.sampling_seed_ = fitted["sampling_seed"]
        model.pack_conditions_, model.condition_modes_ = _trained_packs(meta), _trained_modes(meta)
        model.objectives_ = fitted.get("objectives")  # None: a file from before it was recorded
        model.feature_names_in_ = np.asarray(fitted["feature_names"], dtype=object)
        model.n_features_in_ = len(fitted["feature_names"])
        model.metadata_ = meta.get("metadata", {})
        return model


def _params(stored: dict) -> dict:
    """Constructor parameters from a file's JSON: layer sizes back to tuples."""
    return {k: tuple(v) if k.endswith("_dim") and isinstance(v, list) else v for k, v in stored.items()}


def _trained_packs(meta: dict) -> bool:
    """Whether the model trained with packs sharing conditions (files written before it was recorded: their
    ``pack_conditions`` parameter, then always True or False)."""
    return bool(meta["fitted"].get("pack_conditions", meta["params"].get("pack_conditions")))


def _trained_modes(meta: dict) -> bool:
    """Whether the model's training conditions included numeric modes (False in files from before them)."""
    return bool(meta["fitted"].get("condition_modes", False))
