"""Loss terms as small named objects: what the critic and the generator minimise, one term each.

The engine (``engine.py``) runs a critic pass over real, fake and (when a term needs them)
interpolated inputs, and a generator pass over the fakes; every objective adds its weighted term
to the critic's loss, the generator's loss, or both, through autograd. An objective that learns
something of its own (an auxiliary predictor) is an ``nn.Module`` with parameters: the engine gives
it an optimizer and calls ``auxiliary_loss`` on each real batch.

A new loss is one subclass registered with ``@register_objective`` (or listed in ``OBJECTIVES``); it
touches no training-loop code.

Example:
    >>> import torch
    >>> term = Wasserstein()
    >>> p = CriticPass(scores=torch.tensor([[1.0], [3.0], [0.0], [2.0]]), features=torch.zeros(4, 2), packs=2)
    >>> term.critic_loss(p).item()  # mean fake score - mean real score
    -1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from ..exceptions import InvalidParameterError
from ..losses import norm_penalty


@dataclass
class CriticPass:
    """One critic forward over [real; fake; interpolated] inputs, ``packs`` scores each."""

    scores: torch.Tensor  # (2 or 3 * packs, 1)
    features: torch.Tensor  # (2 or 3 * packs, features)
    packs: int
    mixed: torch.Tensor | None = None  # the interpolated inputs (requires grad), when a term asked for them
    batch: Any = None

    @property
    def real_scores(self) -> torch.Tensor:
        return self.scores[: self.packs]

    @property
    def fake_scores(self) -> torch.Tensor:
        return self.scores[self.packs : 2 * self.packs]

    @property
    def mixed_scores(self) -> torch.Tensor:
        return self.scores[2 * self.packs :]

    @property
    def real_features(self) -> torch.Tensor:
        return self.features[: self.packs]


@dataclass
class GeneratorPass:
    """The critic's view of the fakes, with grad through the generator; ``real_features`` are the last
    critic pass's (detached); ``fake`` is the task's ``Fake`` (raw outputs, rows, conditions)."""

    fake_scores: torch.Tensor
    fake_features: torch.Tensor
    real_features: torch.Tensor
    fake: Any
    batch: Any
    generator: torch.Generator | None = None  # for terms that draw (e.g. which column to hide)


class Objective(nn.Module):
    """A weighted loss term. Subclasses set ``name`` and override what they contribute."""

    name: ClassVar[str] = ""
    #: True when the term needs interpolated inputs in the critic pass (the gradient penalty).
    needs_interpolates: ClassVar[bool] = False
    #: True when the generator's term needs the critic's features of the real batch (feature matching).
    needs_real_features: ClassVar[bool] = False

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__()
        self.weight = float(weight)

    @property
    def key(self) -> str:
        """The term's name in the loss history (objectives used twice, e.g. per column, add a suffix)."""
        return self.name

    def scored_share(self, batch_size: int) -> float:
        """The share of a batch's rows the term's own network scores (the time budget's cost of it)."""
        return 1.0

    def critic_loss(self, p: CriticPass) -> torch.Tensor | None:
        return None

    def generator_loss(self, p: GeneratorPass) -> torch.Tensor | None:
        return None

    def auxiliary_loss(self, batch, generator: torch.Generator | None = None) -> torch.Tensor | None:
        """The loss of the objective's own parameters on a real batch (objectives with parameters only);
        random draws (dropout) from ``generator``."""
        return None

    @classmethod
    def build(cls, task, weight: float | None = None, **options) -> "Objective":
        """The term for a training task (``synthgan.training.tabular``); ``weight`` None keeps the class's
        default weight.
        Options come from the model's ``objectives`` setting; terms that take none refuse them."""
        if options:
            raise InvalidParameterError(f"objective {cls.name!r} takes no options, got {sorted(options)}")
        return cls() if weight is None else cls(weight)

    def extra_repr(self) -> str:
        return f"weight={self.weight:g}"


class Wasserstein(Objective):
    """WGAN: the critic maximises mean real - mean fake scores; the generator maximises its fakes' scores."""

    name = "wasserstein"

    def critic_loss(self, p: CriticPass) -> torch.Tensor:
        return self.weight * (p.fake_scores.float().mean() - p.real_scores.float().mean())

    def generator_loss(self, p: GeneratorPass) -> torch.Tensor:
        return -self.weight * p.fake_scores.float().mean()


class GradientPenalty(Objective):
    """WGAN-GP: ``weight`` * mean((|d score / d x| - 1)^2) at a random point between each real and fake
    pack (Gulrajani et al. 2017), through ``torch.autograd.grad(create_graph=True)``."""

    name = "gradient_penalty"
    needs_interpolates = True

    def __init__(self, weight: float = 10.0) -> None:
        super().__init__(weight)

    def critic_loss(self, p: CriticPass) -> torch.Tensor:
        (grad,) = torch.autograd.grad(p.mixed_scores.sum(), p.mixed, create_graph=True)
        return norm_penalty(grad.reshape(p.packs, -1), self.weight)


class FeatureMatching(Objective):
    """The generator matches the mean and standard deviation of the critic's last hidden features on
    real rows (CTAB-GAN+'s "information loss"): L1 distance between the two vectors of each."""

    name = "information"
    needs_real_features = True

    def generator_loss(self, p: GeneratorPass) -> torch.Tensor:
        fake, real = p.fake_features.float(), p.real_features.float()
        mean = (fake.mean(0) - real.mean(0)).abs().sum()
        std = (fake.std(0) - real.std(0)).abs().sum()
        return self.weight * (mean + std) / fake.shape[1]


@dataclass
class ObjectiveSpec:
    """An objective by registry name, with its weight and options (what a model spec lists)."""

    name: str
    weight: float | None = None
    options: dict = field(default_factory=dict)


#: name -> Objective class (``tabular.py`` and ``auxiliary.py`` register the condition and predictor terms).
OBJECTIVES: dict[str, type[Objective]] = {
    Wasserstein.name: Wasserstein,
    GradientPenalty.name: GradientPenalty,
    FeatureMatching.name: FeatureMatching,
}


def register_objective(cls: type[Objective]) -> type[Objective]:
    """Add an Objective subclass to ``OBJECTIVES`` under its ``name`` (usable as a class decorator)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a name to be registered")
    OBJECTIVES[cls.name] = cls
    return cls


def build_objectives(task, specs: list[ObjectiveSpec], seed: int | None = None) -> nn.ModuleList:
    """Instantiate ``specs`` for ``task`` (a term whose ``build`` returns None does not apply to the task,
    e.g. a cross-column term on a one-column table); unknown names raise an error listing the registered
    ones. With ``seed``, the terms' networks are drawn from it and the global RNG is left as it was."""
    if seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return build_objectives(task, specs)
    out = []
    for spec in specs:
        if spec.name not in OBJECTIVES:
            raise InvalidParameterError(
                f"objective {spec.name!r} is not registered; known: {sorted(OBJECTIVES)}"
            )
        objective = OBJECTIVES[spec.name].build(task, spec.weight, **spec.options)
        if objective is not None:
            out.append(objective)
    return nn.ModuleList(out)
