"""The scikit-learn-style contract shared by CTGAN and WGAN: fit, sample, save, load, checkpoints.

``__init__`` only stores keyword parameters; ``fit`` validates them, learns and sets trailing-
underscore attributes; ``get_params``/``set_params``/``sklearn.base.clone`` work; randomness flows
from ``random_state`` through numpy and torch generators, never the global RNGs. What a model is made
of (networks, loss terms) is its spec in ``specs.SPECS``; how it trains is ``training.engine``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from typing import ClassVar, Mapping

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator

from .._device import resolve_device, resolve_precision
from .._random import make_rng, torch_generator
from ..constraints.calibration import calibrate
from ..constraints.sampling import sample_constrained
from ..evaluation.columns import Columns
from ..exceptions import InvalidParameterError
from ..io.tabular import load_table
from ..models.generator import init_weights
from ..models.heads import Heads
from ..sampling.conditional import ConditionalSampler
from ..schema import Schema
from ..training import auxiliary  # noqa: F401  (registers the "predictor" objective)
from ..training.budget import Budget, networks_within_time, terms_within_time
from ..training.engine import Trainer
from ..training.tabular import TabularTask, TrainingData
from ..training.validation import Validation, ValidationScorer, check_interval
from ..transform.layout import EncodedTable
from . import params as P
from ._common import FittedModel
from .conditions import resolve
from .continuation import keep_modes, keep_packs, kept_budget, shared_packs
from .files import TabularFiles
from .generation import generate
from .preparation import Prepared, fingerprint, prepare
from .specs import CRITICS, GENERATORS, SPECS

#: The paper's configuration (``TabularGAN.classic``; ``--model ctgan-classic``).
CLASSIC = dict(epochs=300, batch_size=500, pac=10, pack_conditions=False, ema=None, objectives={"columns": 0})
#: Rows generated (with a fixed seed) for each validation check.
VALIDATION_ROWS = 2000
VALIDATION_SEED = 20_231_213


class TabularGAN(TabularFiles, FittedModel, BaseEstimator):
    """Base of the tabular synthesizers; subclasses name their ``spec`` (CTGAN "ctgan", WGAN "wgan")."""

    spec: ClassVar[str] = "ctgan"

    def __init__(
        self,
        *,
        epochs: int | None = None,
        steps: int | None = None,
        batch_size: int | None = None,
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
        condition_modes: bool = False,
        pack_conditions: bool | None = None,
        pac: int | None = 10,
        objectives: Mapping | None = None,
        ema: float | None = 0.999,
        validation: float | None = None,
        validation_every: int | None = None,
        patience: int | None = None,
        callbacks: list | None = None,
        max_time: float | None = None,
        compile: bool = False,
        warm_start: bool = False,
        device: str = "auto",
        precision: str = "auto",
        random_state: int | np.random.Generator | None = None,
        verbose: bool = True,
    ) -> None:
        self.epochs = epochs
        self.steps = steps
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
        self.condition_modes = condition_modes
        self.pack_conditions = pack_conditions
        self.pac = pac
        self.objectives = objectives
        self.ema = ema
        self.validation = validation
        self.validation_every = validation_every
        self.patience = patience
        self.callbacks = callbacks
        self.max_time = max_time
        self.compile = compile
        self.warm_start = warm_start
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose

    @property
    def conditional(self) -> bool:
        return SPECS[self.spec].conditional

    @classmethod
    def classic(cls, **params):
        """The paper's configuration (Xu et al. 2019): 300 epochs of batch 500, no weight averaging, no
        auxiliary loss - the model the reference ``ctgan`` trains; ``params`` override.

        Example:
            >>> from synthgan import CTGAN
            >>> CTGAN.classic(random_state=0).get_params()["ema"] is None
            True
        """
        settings = {**CLASSIC, **params}
        if params.get("steps") is not None and "epochs" not in params:
            settings["epochs"] = None  # a budget in steps replaces the paper's epochs
        return cls(**settings)

    # ---- fit -------------------------------------------------------------------------------------
    def fit(
        self,
        data,
        discrete_columns=None,
        schema: Schema | Mapping | str | os.PathLike | None = None,
        constraints=None,
    ):
        """Learn the table (a DataFrame or a CSV/TSV/Parquet path); returns ``self``.

        ``discrete_columns`` forces columns to be categorical; ``schema`` declares kinds (``Schema.infer``)
        and constraints; ``constraints`` adds rules (``synthgan.constraints``) that every sampled row obeys.
        With ``warm_start=True`` a fitted model (or one from ``load_checkpoint``) continues training on the
        same data up to its ``epochs`` / ``steps`` in all.
        """
        P.tabular_params(self.get_params())
        frame = load_table(data)
        resume = getattr(self, "_resume", None) if self.warm_start else None
        if self.warm_start and resume is None and getattr(self, "trainer_", None) is not None:
            if fingerprint(frame) != self.fingerprint_:
                raise InvalidParameterError(
                    "warm_start continues on the data the model was fitted on; this table differs"
                )
            trainer = self.trainer_
            keep_modes(self)
            budget = self._timed(kept_budget(self, trainer.task.data.n_rows, self.batch_size_), trainer)
            keep_packs(self, budget)
            trainer.reconfigure(self._engine_config(trainer.config.autocast_dtype))
            # the last fit's validation state (best weights, patience) carries on
            trainer._callback_states = {
                type(cb).__name__: cb.state_dict() for cb in trainer.callbacks if cb.state_dict() is not None
            }
        else:
            if resume is not None:  # load_checkpoint set condition_modes_ from the checkpoint
                keep_modes(self)
            prepared = self._prepare(
                frame, discrete_columns, schema, None if resume is None else resume[0], constraints
            )
            budget = kept_budget(
                self, len(prepared.encoded), None if resume is None else resume[0]["fitted"]["batch_size"]
            )
            if resume is not None:
                keep_packs(self, budget)
            # a checkpoint's terms (``objectives``; one written before the time budget trained them all)
            trained = None if resume is None else resume[0]["fitted"].get("objectives", ["columns"])
            trainer = self._build(prepared, frame, budget, trained)
            budget = self.budget_  # within the time budget (``_build``)
            if resume is not None:
                trainer.load_state_dict(resume[1])
                self._resume = None
        if self.constraints_ is not None:  # validation samples as a first fit does; the balance is refitted
            self.constraints_.balance = {}
        self._train(trainer, budget)
        if self.constraints_ is not None:  # what each sum derives; the weights that keep the rules' shares
            calibrate(self.constraints_, self._draw, frame, self.sampling_seed_)
        return self

    def _prepare(
        self, frame: pd.DataFrame, discrete_columns, schema, restored: dict | None, constraints=None
    ) -> Prepared:
        """Schema, constraints, transformer and encoded rows: fitted, or a checkpoint's (``restored``)."""
        return prepare(self, frame, discrete_columns, schema, restored, constraints)

    def _timed(self, budget: Budget, trainer: Trainer) -> Budget:
        """A continued fit's ``budget`` within the time budget (its terms as they trained), as ``budget_``."""
        budget = replace(budget, without_columns=self.budget_.without_columns)
        self.budget_ = networks_within_time(budget, trainer.task, trainer.objectives)
        return self.budget_

    def _engine_config(self, autocast_dtype):
        from ..training.engine import EngineConfig, Optim

        return EngineConfig(
            critic_steps=self.discriminator_steps,
            generator_optim=Optim(self.generator_lr, (0.5, 0.9), self.generator_decay),
            critic_optim=Optim(self.discriminator_lr, (0.5, 0.9), self.discriminator_decay),
            autocast_dtype=autocast_dtype,
            max_time=self.max_time,
            ema=self.ema,
            compile=bool(self.compile),
        )

    def _build(self, prepared: Prepared, frame: pd.DataFrame, budget: Budget, trained=None) -> Trainer:
        """Networks, objectives (``trained``: a continued run's terms) and the trainer; the fitted attributes
        are set here already, so callbacks can ``sample`` during training."""
        device = resolve_device(self.device)
        dtype = resolve_precision(self.precision, device)
        spec = SPECS[self.spec]
        train_rng = np.random.default_rng(prepared.seeds["train"])
        torch_gen = torch_generator(train_rng, device.type)
        layout, sampler = prepared.encoded.layout, prepared.sampler
        cond_width = sampler.width if sampler is not None else 0
        # constructors draw from the global RNG: seed it from ours, then restore it
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(train_rng.integers(2**62)))
            generator = GENERATORS[spec.generator](
                self.embedding_dim, cond_width, tuple(self.generator_dim), layout.width
            )
            critic = CRITICS[spec.critic](
                layout.width + cond_width, tuple(self.discriminator_dim), budget.pac
            )
        generator, critic = generator.to(device), critic.to(device)
        # the built-in layers re-drawn from the training generator, on its device
        init_weights(generator, torch_gen)
        init_weights(critic, torch_gen)
        if self.pack_conditions and budget.pac == 1:
            warnings.warn("pack_conditions has no effect with critic packs of one row (pac=1)", UserWarning)
        heads = Heads(layout, device)
        data = TrainingData(prepared.encoded, heads, sampler, device, dtype or torch.float32)
        task = TabularTask(
            generator,
            critic,
            heads,
            data,
            noise_dim=self.embedding_dim,
            batch_size=budget.batch_size,
            pac=budget.pac,
            pack_conditions=shared_packs(self, budget),
        )
        terms, seed = spec.with_objectives(self.objectives), int(train_rng.integers(2**62))
        objectives, self.budget_ = terms_within_time(task, terms, seed, budget, self.objectives, trained)
        self.objectives_ = [o.name for o in objectives]  # the loss terms this fit trains with
        init_weights(objectives, torch_gen)
        trainer = Trainer(task, objectives, self._engine_config(dtype), train_rng, torch_gen, owner=self)
        self._set_fitted(
            prepared.schema,
            prepared.transformer,
            sampler,
            trainer.sampling_generator(),
            device,
            self.embedding_dim,
            budget.batch_size,
            dtype,
            trainer.history,
            heads,
        )
        self.constraints_ = prepared.plan
        self.pac_ = budget.pac  # rows per critic pack this fit trains with (``pac=None``: sized to the batch)
        self.pack_conditions_ = task.pack_conditions  # whether a pack's rows share one condition
        self.condition_modes_ = bool(self.condition_modes)  # numeric columns' modes in the conditions
        self.sampling_seed_, self.seeds_ = prepared.seeds["sampling"], prepared.seeds
        self.fingerprint_ = prepared.fingerprint
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.trainer_, self._validation_rows = trainer, prepared.validation
        return trainer

    def _callbacks(self, trainer: Trainer, budget: Budget) -> list:
        from ..training.callbacks import Progress

        out = []
        if self._validation_rows is not None:
            train, held = self._validation_rows
            scorer = ValidationScorer(
                train, held, Columns.from_schema(self.schema_), seed=self.seeds_["validation"]
            )
            rows = min(max(VALIDATION_ROWS, len(held)), 10_000)
            every = self.validation_every or check_interval(budget.steps_per_epoch)
            score = lambda: scorer(self.sample(rows, random_state=VALIDATION_SEED))  # noqa: E731
            out.append(Validation(score, trainer.sampling_generator, every, self.patience))
        out.extend(self.callbacks or [])
        if self.verbose:
            out.append(Progress(budget.epochs))
        return out

    def _train(self, trainer: Trainer, budget: Budget) -> None:
        from ..training.callbacks import as_callback

        trainer.callbacks = [as_callback(c) for c in self._callbacks(trainer, budget)]
        self.generator_ = trainer.sampling_generator()  # what callbacks (and validation) sample from
        try:
            trainer.fit(budget.total_steps)
        finally:
            self.history_ = trainer.history
            self.loss_values_ = trainer.history.frame()
            validation = [cb for cb in trainer.callbacks if isinstance(cb, Validation)]
            self.generator_ = validation[0].selected() if validation else trainer.sampling_generator()

    def _set_fitted(
        self,
        schema,
        transformer,
        sampler,
        generator,
        device,
        noise_dim,
        batch_size,
        autocast_dtype,
        history,
        heads: Heads | None = None,
    ) -> None:
        self.schema_ = schema
        self.transformer_ = transformer
        self.sampler_ = None if sampler is None else ConditionalSampler(sampler.widths, sampler.counts)
        self.generator_ = generator
        self.heads_ = heads if heads is not None else Heads(transformer.layout_, device)
        self.device_ = device
        self.noise_dim_ = noise_dim
        self.batch_size_ = batch_size
        self.autocast_dtype_ = autocast_dtype
        self.history_ = history
        self.loss_values_ = history.frame()
        self._sampling_rng = None

    # ---- sample ----------------------------------------------------------------------------------
    def sample(self, n: int, conditions: Mapping | None = None, random_state=None) -> pd.DataFrame:
        """``n`` synthetic rows with the training columns, order and dtypes.

        ``conditions={"column": value}`` on categorical columns: every row satisfies them exactly.
        ``random_state`` makes this call reproducible; without it, calls continue one seeded stream.
        Every row obeys the constraints declared at ``fit``.
        """
        self._check_fitted()
        n = P.sample_count(n)
        plan = getattr(self, "constraints_", None)
        conds = resolve(conditions, self.transformer_) if plan is None else None
        if random_state is not None:
            rng = make_rng(random_state)
        else:
            if self._sampling_rng is None:
                self._sampling_rng = np.random.default_rng(self.sampling_seed_)
            rng = self._sampling_rng
        if plan is not None:
            return sample_constrained(plan, self.transformer_, n, conditions, rng, self._draw)
        return self._draw(n, conds, rng)

    def _draw(self, n: int, conds: list, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` generated rows meeting the resolved conditions, in the columns the transformer learned."""
        scalars, codes = generate(
            self.generator_, self.heads_, self.sampler_, self.noise_dim_, n, conds, rng, self.autocast_dtype_
        )
        return self.transformer_.inverse_transform(EncodedTable(self.transformer_.layout_, scalars, codes))
