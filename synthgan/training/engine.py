"""The training engine every synthgan model plugs into: one adversarial step over autograd, and the
loop around it (budget in steps, epochs for the history, callbacks, EMA, time budget, NaN stop,
signals).

A step: the critic's update(s) on real, fake and interpolated inputs (one critic pass), an update of
the objectives' own parameters (auxiliary predictors) on the real batch, then the generator's update
on the last critic step's fakes (one generator pass per step). Each loss is a sum of ``Objective``
terms (``objectives.py``); networks are plain ``nn.Module``s; optimizers are ``torch.optim.Adam``;
bfloat16 autocast where the hardware has it. A *task* (``tabular.py``, ``images.py``) supplies real
batches and fakes: ``draw(rng)``, ``generate(batch, torch_generator)``, ``generator``, ``critic``,
``pac``, ``steps_per_epoch``.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from .._device import autocast
from ..exceptions import InvalidParameterError, TrainingError, TrainingInterrupted
from ..losses import interpolate
from .averaging import WeightAverage
from .callbacks import Callback, as_callback
from .objectives import CriticPass, GeneratorPass


@dataclass(frozen=True)
class Optim:
    """Adam's settings for one network (CTGAN's: lr 2e-4, betas 0.5 / 0.9, L2 decay 1e-6)."""

    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.9)
    weight_decay: float = 1e-6


@dataclass(frozen=True)
class EngineConfig:
    critic_steps: int = 1
    generator_optim: Optim = Optim()
    critic_optim: Optim = Optim()
    auxiliary_optim: Optim = Optim(lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-5)
    autocast_dtype: torch.dtype | None = None
    max_time: float | None = None
    ema: float | None = None
    compile: bool = False


@dataclass
class History:
    """Per-epoch mean losses (``critic_loss`` without the gradient penalty, as the reference reports it),
    per-term means, validation scores, why training stopped and the seconds it took (all fits summed)."""

    rows: list[dict] = field(default_factory=list)
    validation: list[dict] = field(default_factory=list)
    stopped_by: str = "epochs"
    seconds: float = 0.0

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows)
        first = ["epoch", "generator_loss", "critic_loss", "seconds"]
        frame = frame.reindex(columns=first + [c for c in frame.columns if c not in first])
        frame.attrs["stopped_by"] = self.stopped_by
        return frame

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "validation": self.validation,
            "stopped_by": self.stopped_by,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        return cls(
            list(data.get("rows", [])),
            list(data.get("validation", [])),
            data.get("stopped_by", "epochs"),
            float(data.get("seconds", 0.0)),
        )


def adam(params, settings: Optim, device: torch.device) -> torch.optim.Adam:
    """``torch.optim.Adam`` with the fused kernel where this torch and device have it (same update)."""
    params = list(params)
    kwargs = dict(lr=settings.lr, betas=settings.betas, weight_decay=settings.weight_decay)
    try:
        return torch.optim.Adam(params, fused=bool(params), **kwargs)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, **kwargs)


class Trainer:
    """Trains ``task``'s generator and critic against ``objectives``; the state round-trips through
    ``state_dict`` / ``load_state_dict`` (networks, optimizers, step, RNG states, EMA, history, stateful
    callbacks), so a run resumed from a checkpoint continues exactly as if it had not stopped."""

    def __init__(
        self,
        task,
        objectives: nn.ModuleList,
        config: EngineConfig,
        rng: np.random.Generator,
        torch_gen: torch.Generator,
        callbacks=(),
        owner=None,
    ) -> None:
        self.task, self.objectives, self.config = task, objectives, config
        self.rng, self.torch_gen, self.owner = rng, torch_gen, owner
        self.callbacks: list[Callback] = [as_callback(c) for c in callbacks]
        device = task.device
        self.opt_g = adam(task.generator.parameters(), config.generator_optim, device)
        self.opt_c = adam(task.critic.parameters(), config.critic_optim, device)
        aux = [p for p in objectives.parameters()]
        self.opt_aux = adam(aux, config.auxiliary_optim, device) if aux else None
        self.ema = WeightAverage(task.generator, config.ema) if config.ema else None
        self.interpolates = any(o.needs_interpolates for o in objectives)
        self.real_features = any(getattr(o, "needs_real_features", False) for o in objectives)
        self.precision = lambda: autocast(device, config.autocast_dtype)
        self.step_count, self.history = 0, History()
        self.total_steps, self.stop_reason = 0, None  # this fit's target; why a callback stopped it
        self._signal: int | None = None
        self._callback_states: dict = {}
        self._epoch_sums: dict = {}  # loss sums of the epoch under way (and "_steps": its steps so far)
        if config.compile:
            task.forward = torch.compile(task.generator)

    def reconfigure(self, config: EngineConfig) -> None:
        """Continue with ``config`` (``warm_start``): new learning rates and decays go into the optimizers,
        a new averaging decay into the average; switching averaging on or off mid-run is refused."""
        if (self.ema is None) != (not config.ema):
            raise InvalidParameterError(
                f"ema={config.ema!r}: this model trained with ema="
                f"{None if self.ema is None else self.ema.decay!r}; a continued fit keeps averaging on or off"
            )
        if self.ema is not None:
            self.ema.decay = float(config.ema)
        for optimizer, settings in ((self.opt_g, config.generator_optim), (self.opt_c, config.critic_optim)):
            for group in optimizer.param_groups:
                group.update(lr=settings.lr, betas=settings.betas, weight_decay=settings.weight_decay)
        self.config = config

    # ---- one step ----------------------------------------------------------------------------------
    def train_step(self) -> dict[str, torch.Tensor]:
        """Critic update(s), auxiliary update, generator update; returns every loss term (detached)."""
        task, steps = self.task, self.config.critic_steps
        for i in range(steps):
            batch = task.draw(self.rng)
            with self.precision(), torch.set_grad_enabled(i == steps - 1):
                fake = task.generate(batch, self.torch_gen)
            terms = self._critic_update(batch, fake.inputs.detach())
        terms.update(self._auxiliary_update(batch))
        terms.update(self._generator_update(batch, fake))
        if self.ema is not None:
            self.ema.update(task.generator)
        return terms

    def _critic_update(self, batch, fake_inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        packs = len(batch.inputs) // self.task.pac
        parts, mixed = [batch.inputs, fake_inputs.to(batch.inputs.dtype)], None
        if self.interpolates:
            mixed = interpolate(batch.inputs, parts[1], packs, self.torch_gen).requires_grad_(True)
            parts.append(mixed)
        context = None if batch.context is None else torch.cat([batch.context] * len(parts))
        with self.precision():
            scores, features = self.task.critic(torch.cat(parts), context, generator=self.torch_gen)
            p = CriticPass(scores, features, packs, mixed, batch)
            terms = _terms(self.objectives, "critic_loss", p)
        loss = sum(terms.values())
        self.opt_c.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_c.step()
        return {f"critic.{k}": v.detach() for k, v in terms.items()}

    def _auxiliary_update(self, batch) -> dict[str, torch.Tensor]:
        if self.opt_aux is None:
            return {}
        with self.precision():
            terms = _terms(self.objectives, "auxiliary_loss", batch, self.torch_gen)
        self.opt_aux.zero_grad(set_to_none=True)
        sum(terms.values()).backward()
        self.opt_aux.step()
        return {f"auxiliary.{k}": v.detach() for k, v in terms.items()}

    def _generator_update(self, batch, fake) -> dict[str, torch.Tensor]:
        critic, frozen = self.task.critic, [self.task.critic, self.objectives]
        for module in frozen:
            module.requires_grad_(False)
        try:
            with self.precision():
                if self.real_features:  # one pass: the real rows' features from the same critic as the fakes'
                    inputs = torch.cat([batch.inputs, fake.inputs.to(batch.inputs.dtype)])
                    context = None if batch.context is None else torch.cat([batch.context] * 2)
                    scores, features = critic(inputs, context, generator=self.torch_gen)
                    n = len(scores) // 2
                    scores, real, features = scores[n:], features[:n].detach(), features[n:]
                else:
                    scores, features = critic(fake.inputs, batch.context, generator=self.torch_gen)
                    real = None
                p = GeneratorPass(scores, features, real, fake, batch, self.torch_gen)
                terms = _terms(self.objectives, "generator_loss", p)
            self.opt_g.zero_grad(set_to_none=True)
            sum(terms.values()).backward()
            self.opt_g.step()
        finally:
            for module in frozen:
                module.requires_grad_(True)
        return {f"generator.{k}": v.detach() for k, v in terms.items()}

    # ---- the loop ----------------------------------------------------------------------------------
    def fit(self, total_steps: int) -> History:
        """Train until ``total_steps`` steps in all (a resumed trainer continues from ``step_count``), the
        time budget, a callback's stop or a signal (SIGINT / SIGTERM: ``on_interrupt`` runs - a
        checkpoint callback writes one - then ``TrainingInterrupted`` is raised)."""
        per_epoch = self.task.steps_per_epoch
        if self.step_count >= total_steps > 0:
            warnings.warn(
                f"training has already run {self.step_count} steps ({self.epoch} epochs), at least the "
                f"{total_steps} asked for in all; nothing more to train",
                UserWarning,
                stacklevel=3,
            )
        start, history = time.perf_counter(), self.history
        base_seconds, self.total_steps, self.stop_reason = history.seconds, total_steps, None
        history.stopped_by = "epochs"
        for cb in self.callbacks:
            if type(cb).__name__ in self._callback_states:
                cb.load_state_dict(self._callback_states.pop(type(cb).__name__))
            cb.on_train_begin(self)
        with self._signals():
            while self.step_count < total_steps:
                end = min(total_steps, (self.step_count // per_epoch + 1) * per_epoch)
                # an epoch an interruption cut short continues with the sums of its steps so far
                sums, self._epoch_sums = self._epoch_sums, {}
                count = end - self.step_count + int(sums.get("_steps", 0))
                self._epoch_sums = sums  # what a checkpoint written on an interruption keeps of this epoch
                while self.step_count < end:
                    terms = self.train_step()
                    self.step_count += 1
                    values = torch.stack(list(terms.values())).tolist()
                    if not all(math.isfinite(v) for v in values):
                        raise TrainingError(
                            f"training diverged at epoch {self.epoch + 1} (loss is NaN or infinite); "
                            "try a lower learning rate, precision='float32' or a larger batch size"
                        )
                    for key, value in zip(terms, values):
                        sums[key] = sums.get(key, 0.0) + value
                    sums["_steps"] = sums.get("_steps", 0) + 1
                    if self._signal is not None:
                        self._interrupt()
                elapsed = time.perf_counter() - start
                history.seconds = base_seconds + elapsed
                sums.pop("_steps", None)
                self._epoch_sums = {}
                logs = _epoch_row(
                    self.epoch, self.step_count, history.seconds, {k: v / count for k, v in sums.items()}
                )
                history.rows.append(logs)
                stop = [cb.on_epoch_end(self.epoch, logs, self.owner) for cb in self.callbacks]
                if any(stop):
                    history.stopped_by = self.stop_reason or "callback"
                    break
                if (
                    self.config.max_time is not None
                    and elapsed >= self.config.max_time
                    and self.step_count < total_steps
                ):
                    history.stopped_by = "max_time"
                    break
        for cb in self.callbacks:
            cb.on_train_end(self)
        return history

    @property
    def epoch(self) -> int:
        """Epochs begun so far (a partial last epoch counts)."""
        return -(-self.step_count // self.task.steps_per_epoch)

    def sampling_generator(self) -> nn.Module:
        """The weights sampling should use: the weight average when on, else the generator itself."""
        return self.ema.module if self.ema is not None else self.task.generator

    def _interrupt(self) -> None:
        signum, self._signal = self._signal, None
        self.history.stopped_by = "interrupted"
        for cb in self.callbacks:
            cb.on_interrupt(self)
        raise TrainingInterrupted(signum)

    @contextlib.contextmanager
    def _signals(self):
        """SIGINT and SIGTERM set a flag read between steps (a step is never cut in half); a second
        SIGINT interrupts at once. Only in the main thread, where Python delivers signals."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, frame):
            if self._signal is not None and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self._signal = signum

        previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in previous.items():
                signal.signal(s, h)

    # ---- state ---------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything a resumed run needs (tensors, and JSON-able values)."""
        return {
            "generator": self.task.generator.state_dict(),
            "critic": self.task.critic.state_dict(),
            "objectives": self.objectives.state_dict(),
            "optimizers": {
                "generator": self.opt_g.state_dict(),
                "critic": self.opt_c.state_dict(),
                "auxiliary": None if self.opt_aux is None else self.opt_aux.state_dict(),
            },
            "ema": None if self.ema is None else self.ema.state_dict(),
            "step": self.step_count,
            "epoch_sums": dict(self._epoch_sums),
            "history": self.history.to_dict(),
            "rng": self.rng.bit_generator.state,
            "torch_generator": self.torch_gen.get_state(),
            "callbacks": {
                type(cb).__name__: cb.state_dict() for cb in self.callbacks if cb.state_dict() is not None
            },
        }

    def load_state_dict(self, state: dict) -> None:
        self.task.generator.load_state_dict(state["generator"])
        self.task.critic.load_state_dict(state["critic"])
        self.objectives.load_state_dict(state["objectives"])
        self.opt_g.load_state_dict(state["optimizers"]["generator"])
        self.opt_c.load_state_dict(state["optimizers"]["critic"])
        if self.opt_aux is not None and state["optimizers"]["auxiliary"] is not None:
            self.opt_aux.load_state_dict(state["optimizers"]["auxiliary"])
        if (self.ema is None) != (state["ema"] is None):
            raise TrainingError(
                "the checkpoint and the model disagree on ema; resume with the checkpoint's settings"
            )
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        self.step_count = int(state["step"])
        self._epoch_sums = dict(state.get("epoch_sums") or {})
        self.history = History.from_dict(state["history"])
        self.rng.bit_generator.state = state["rng"]
        self.torch_gen.set_state(state["torch_generator"])
        self._callback_states = dict(state.get("callbacks", {}))  # given to the callbacks ``fit`` runs with


def _terms(objectives: nn.ModuleList, method: str, *args) -> dict[str, torch.Tensor]:
    """{objective key: term} of the objectives whose ``method`` contributes a term for ``args``."""
    out = {}
    for objective in objectives:
        value = getattr(objective, method)(*args)
        if value is not None:
            out[objective.key] = value
    return out


def _epoch_row(epoch: int, step: int, seconds: float, means: dict[str, float]) -> dict:
    """One history row: the reference's two losses (the critic's without the penalty), then each term."""
    generator = sum(v for k, v in means.items() if k.startswith("generator."))
    critic = sum(v for k, v in means.items() if k.startswith("critic.") and k != "critic.gradient_penalty")
    return {
        "epoch": epoch,
        "step": step,
        "generator_loss": generator,
        "critic_loss": critic,
        "seconds": seconds,
        **means,
    }
