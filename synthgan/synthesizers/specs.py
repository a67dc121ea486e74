"""The model zoo: a model is a spec - which generator, which critic, which loss terms - in a registry.

A variant is one entry, not a new training loop: a new network is a module plus a line in
``GENERATORS`` or ``CRITICS``; a new loss is an ``Objective`` plus ``register_objective``
(``training/objectives.py``); a new model is a ``ModelSpec`` in ``SPECS`` naming them.
Estimators add or reweight terms with their ``objectives`` parameter.

Example:
    >>> spec = SPECS["ctgan"]
    >>> spec.generator, spec.critic, [o.name for o in spec.objectives]
    ('residual', 'pac', ['wasserstein', 'gradient_penalty', 'condition', 'columns'])
    >>> [o.name for o in spec.with_objectives({"information": 1.0, "columns": 0})]
    ['wasserstein', 'gradient_penalty', 'condition', 'information']
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable, Mapping

from ..exceptions import InvalidParameterError
from ..models.critic import Critic
from ..models.generator import Generator
from ..training.objectives import OBJECTIVES, ObjectiveSpec

#: name -> builder(noise_dim, cond_dim, hidden, data_dim) of a tabular generator.
GENERATORS: dict[str, Callable] = {"residual": Generator}
#: name -> builder(row_dim, hidden, pac) of a tabular critic returning (scores, features).
CRITICS: dict[str, Callable] = {"pac": Critic}


@dataclass(frozen=True)
class ModelSpec:
    """Networks by registry name and the loss terms, with their default weights."""

    name: str
    conditional: bool
    objectives: tuple[ObjectiveSpec, ...]
    generator: str = "residual"
    critic: str = "pac"

    def with_objectives(self, extra: Mapping | None) -> list[ObjectiveSpec]:
        """The spec's terms with ``extra`` applied: ``{name: weight}`` or ``{name: {"weight": w, **options}}``
        adds a term or changes one; a weight of 0 (or None) removes it."""
        terms = {o.name: o for o in self.objectives}
        for name, value in (extra or {}).items():
            if name not in OBJECTIVES:
                raise InvalidParameterError(
                    f"objectives names {name!r}, not a registered term; known: {sorted(OBJECTIVES)}"
                )
            old = terms.get(name, ObjectiveSpec(name))
            if isinstance(value, Mapping):
                options = dict(value)
                weight = options.pop("weight", old.weight)
            else:
                weight, options = value, old.options
            if weight is not None and (
                isinstance(weight, bool) or not isinstance(weight, numbers.Real) or weight < 0
            ):
                raise InvalidParameterError(
                    f"objectives[{name!r}] weight={weight!r} must be a number >= 0 (0 removes the term)"
                )
            if value is None or weight == 0:
                terms.pop(name, None)
            else:
                terms[name] = ObjectiveSpec(name, None if weight is None else float(weight), options)
        return list(terms.values())


#: The adversarial terms of CTGAN and WGAN-GP, and the every-column predictive term both train with by
#: default (measured: ``docs/benchmarks.md``; ``{"columns": 0}`` or ``.classic()`` drops it).
_ADVERSARIAL = (ObjectiveSpec("wasserstein"), ObjectiveSpec("gradient_penalty", 10.0))
SPECS: dict[str, ModelSpec] = {
    "ctgan": ModelSpec(
        "ctgan", True, (*_ADVERSARIAL, ObjectiveSpec("condition", 1.0), ObjectiveSpec("columns", 0.2))
    ),
    "wgan": ModelSpec("wgan", False, (*_ADVERSARIAL, ObjectiveSpec("columns", 0.2))),
}


def register_spec(spec: ModelSpec) -> ModelSpec:
    """Add a model spec under its name (its generator and critic must be registered)."""
    for kind, name, table in (("generator", spec.generator, GENERATORS), ("critic", spec.critic, CRITICS)):
        if name not in table:
            raise InvalidParameterError(
                f"{spec.name}: {kind} {name!r} is not registered; known: {sorted(table)}"
            )
    SPECS[spec.name] = spec
    return spec
