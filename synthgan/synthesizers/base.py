"""The scikit-learn-style contract shared by CTGAN and WGAN: fit, sample, save, load.

``__init__`` only stores keyword parameters; ``fit`` validates them, learns and sets trailing-
underscore attributes; ``get_params``/``set_params``/``sklearn.base.clone`` work; randomness flows
from ``random_state`` through numpy and torch generators, never the global RNGs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Mapping

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator

from .._device import resolve_device, resolve_precision
from .._random import child_seeds, make_rng, torch_generator
from ..exceptions import InvalidParameterError, ModelFileError, SchemaError
from ..io.artifacts import save_artifact
from ..io.tabular import load_table
from ..models.heads import Heads
from ..models.critic import Critic
from ..models.tabular import Generator, init_weights
from ..sampling.conditional import ConditionalSampler
from ..schema import Schema
from ..training.loop import History, TrainConfig, TrainingData, train
from ..transform.layout import EncodedTable
from ..transform.table import TableTransformer
from . import params as P
from ._common import FittedModel, adam, jsonable, restore_training
from .conditions import resolve
from .generation import generate


class TabularGAN(FittedModel, BaseEstimator):
    """Base of the tabular synthesizers; subclasses set ``conditional`` (CTGAN True, WGAN False)."""

    conditional: ClassVar[bool] = True

    def __init__(
        self,
        *,
        epochs: int = 300,
        batch_size: int = 500,
        embedding_dim: int = 128,
        generator_dim: tuple[int, ...] = (256, 256),
        discriminator_dim: tuple[int, ...] = (256, 256),
        generator_lr: float = 2e-4,
        generator_decay: float = 1e-6,
        discriminator_lr: float = 2e-4,
        discriminator_decay: float = 1e-6,
        discriminator_steps: int = 1,
        log_frequency: bool = True,
        condition_focus: Mapping[str, float] | None = None,
        pac: int = 10,
        max_time: float | None = None,
        device: str = "auto",
        precision: str = "auto",
        random_state: int | np.random.Generator | None = None,
        verbose: bool = True,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.generator_dim = generator_dim
        self.discriminator_dim = discriminator_dim
        self.generator_lr = generator_lr
        self.generator_decay = generator_decay
        self.discriminator_lr = discriminator_lr
        self.discriminator_decay = discriminator_decay
        self.discriminator_steps = discriminator_steps
        self.log_frequency = log_frequency
        self.condition_focus = condition_focus
        self.pac = pac
        self.max_time = max_time
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose

    # ---- fit -------------------------------------------------------------------------------------
    def fit(self, data, discrete_columns=None, schema: Schema | Mapping | str | os.PathLike | None = None):
        """Learn the table (a DataFrame or a CSV/TSV/Parquet path); returns ``self``.

        ``discrete_columns`` forces columns to be categorical; ``schema`` declares kinds (see ``Schema.infer``).
        """
        config = self._config()
        frame = load_table(data)
        schema_ = Schema.infer(frame, discrete_columns=discrete_columns, declared=schema)
        P.category_levels(frame, schema_)
        rng = make_rng(self.random_state)
        transformer_seed, train_seed, self.sampling_seed_ = child_seeds(rng, 3)
        transformer = TableTransformer().fit(frame, schema_, random_state=transformer_seed)
        encoded = transformer.transform(frame, random_state=transformer_seed)
        if encoded.layout.width == 0:
            raise SchemaError("no column can be learned (all are constant or identifiers); nothing to model")
        device = resolve_device(self.device)
        sampler = ConditionalSampler.from_codes(encoded.codes, encoded.layout) if self.conditional else None
        if sampler is not None:
            sampler.column_p = P.condition_focus(self.condition_focus, sampler.columns)
            sampler.log_frequency = bool(self.log_frequency)
        elif self.condition_focus:
            raise InvalidParameterError(f"condition_focus needs a conditional model (CTGAN); {type(self).__name__} has no conditional vector")
        train_rng = np.random.default_rng(train_seed)
        torch_gen = torch_generator(train_rng, device.type)
        cond_width = sampler.width if sampler is not None else 0
        with torch.device("meta"):  # no storage, no default initialisation: init_weights sets every parameter
            generator = Generator(config.noise_dim, cond_width, P.layer_sizes("generator_dim", self.generator_dim), encoded.layout.width)
            critic = Critic(encoded.layout.width + cond_width, P.layer_sizes("discriminator_dim", self.discriminator_dim), config.pac)
        generator, critic = generator.to_empty(device=device), critic.to_empty(device=device)
        init_weights(generator, torch_gen)
        init_weights(critic, torch_gen)
        optimizers = (
            adam(generator, self.generator_lr, self.generator_decay, device, flat=True),
            adam(critic, self.discriminator_lr, self.discriminator_decay, device, flat=True),
        )
        heads = Heads(encoded.layout, device)
        history = train(generator, critic, optimizers, TrainingData(encoded, heads, sampler, device, config.autocast_dtype or torch.float32), config, train_rng, torch_gen)
        self._set_fitted(schema_, transformer, sampler, generator, device, config, history, heads)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        return self

    def _config(self) -> TrainConfig:
        pac = P.positive_int("pac", self.pac)
        P.positive_float("generator_lr", self.generator_lr)
        P.positive_float("discriminator_lr", self.discriminator_lr)
        P.non_negative_float("generator_decay", self.generator_decay)
        P.non_negative_float("discriminator_decay", self.discriminator_decay)
        resolve_precision(self.precision, torch.device("cpu"))  # validates the name early
        return TrainConfig(
            epochs=P.positive_int("epochs", self.epochs),
            batch_size=P.batch_size_for_pac(P.positive_int("batch_size", self.batch_size), pac),
            noise_dim=P.positive_int("embedding_dim", self.embedding_dim),
            critic_steps=P.positive_int("discriminator_steps", self.discriminator_steps),
            pac=pac,
            max_time=P.positive_float("max_time", self.max_time, allow_none=True),
            autocast_dtype=resolve_precision(self.precision, resolve_device(self.device)),
            verbose=bool(self.verbose),
        )

    def _set_fitted(self, schema, transformer, sampler, generator, device, config, history: History, heads: Heads | None = None) -> None:
        self.schema_ = schema
        self.transformer_ = transformer
        self.sampler_ = None if sampler is None else ConditionalSampler(sampler.widths, sampler.counts)
        self.generator_ = generator
        self.heads_ = heads if heads is not None else Heads(transformer.layout_, device)
        self.device_ = device
        self.noise_dim_ = config.noise_dim
        self.batch_size_ = config.batch_size
        self.autocast_dtype_ = config.autocast_dtype
        self.history_ = history
        self.loss_values_ = history.frame()
        self._sampling_rng = np.random.default_rng(self.sampling_seed_)

    # ---- sample ----------------------------------------------------------------------------------
    def sample(self, n: int, conditions: Mapping | None = None, random_state=None) -> pd.DataFrame:
        """``n`` synthetic rows with the training columns, order and dtypes.

        ``conditions={"column": value}`` on categorical columns: every row satisfies them exactly.
        ``random_state`` makes this call reproducible; without it, calls continue one seeded stream.
        """
        self._check_fitted()
        n = P.sample_count(n)
        conds = resolve(conditions, self.transformer_)
        rng = make_rng(random_state) if random_state is not None else self._sampling_rng
        scalars, codes = generate(self.generator_, self.heads_, self.sampler_, self.noise_dim_, n, conds, rng, self.autocast_dtype_)
        return self.transformer_.inverse_transform(EncodedTable(self.transformer_.layout_, scalars, codes))

    # ---- save / load -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, metadata: dict | None = None) -> Path:
        """Write weights + JSON (schema, transformer, level counts, parameters); no rows of the data.

        ``metadata`` (JSON-able, e.g. provenance) is stored too and comes back as ``metadata_`` on load.
        """
        self._check_fitted()
        meta = {
            "metadata": metadata or {},
            "class": type(self).__name__,
            "params": {k: jsonable(v) for k, v in self.get_params().items()},
            "transformer": self.transformer_.to_dict(),
            "sampler": None if self.sampler_ is None else self.sampler_.to_dict(),
            "fitted": {**self._training_record(), "feature_names": [str(c) for c in self.feature_names_in_]},
        }
        return save_artifact(path, meta, self.generator_.state_dict())

    @classmethod
    def _from_artifact(cls, meta: dict, tensors: dict, path, device: str):
        """Rebuild a fitted model from a model file's JSON and weights (already read and checked)."""
        try:
            model = cls(**{k: tuple(v) if k.endswith("_dim") and isinstance(v, list) else v for k, v in meta["params"].items()})
            transformer = TableTransformer.from_dict(meta["transformer"])
            sampler = None if meta["sampler"] is None else ConditionalSampler.from_dict(meta["sampler"])
            fitted = meta["fitted"]
            target = resolve_device(device)
            cond_width = sampler.width if sampler is not None else 0
            with torch.random.fork_rng(devices=[]):
                generator = Generator(fitted["noise_dim"], cond_width, tuple(model.generator_dim), transformer.layout_.width)
            generator.load_state_dict(tensors)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(f"{path}: the model file is inconsistent ({type(exc).__name__}); re-train or re-save it") from None
        generator.to(target).eval()
        history, config = restore_training(fitted)
        model.sampling_seed_ = fitted["sampling_seed"]
        model._set_fitted(transformer.schema_, transformer, sampler, generator, target, config, history)
        model.feature_names_in_ = np.asarray(fitted["feature_names"], dtype=object)
        model.n_features_in_ = len(fitted["feature_names"])
        model.metadata_ = meta.get("metadata", {})
        return model
