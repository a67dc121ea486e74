"""The table made ready for training: schema and constraints, the transformer, the encoded rows, the
validation split and the conditional sampler - fitted from the data, or restored from a checkpoint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd

from .._random import child_seeds, make_rng
from ..constraints import ConstraintPlan
from ..exceptions import InvalidParameterError, SchemaError
from ..sampling.conditional import ConditionalSampler
from ..schema import Schema
from ..training.validation import split_rows
from ..transform.layout import EncodedTable
from ..transform.table import TableTransformer
from . import params as P


@dataclass
class Prepared:
    """The table ready for training: schema, transformer, the encoded training rows, the validation split."""

    schema: Schema
    transformer: TableTransformer
    encoded: EncodedTable
    validation: tuple[pd.DataFrame, pd.DataFrame] | None  # (training rows, rows set aside), with validation
    sampler: ConditionalSampler | None
    plan: ConstraintPlan | None  # how the declared constraints hold (None without constraints)
    seeds: dict
    fingerprint: str


def prepare(
    model, frame: pd.DataFrame, discrete_columns, schema, restored: dict | None, constraints=None
) -> Prepared:
    """Schema, constraints, transformer and encoded rows for ``model`` (a ``TabularGAN``): fitted here, or
    what a checkpoint (``restored``) holds."""
    plan = None
    if restored is None:
        schema_ = Schema.infer(frame, discrete_columns=discrete_columns, declared=schema)
        if constraints:
            schema_ = schema_.with_constraints(constraints)
        P.category_levels(frame, schema_)
        if schema_.constraints:
            plan = ConstraintPlan.fit(frame, schema_)
            schema_ = plan.schema
        transformer_seed, train_seed, sampling_seed, split_seed = child_seeds(make_rng(model.random_state), 4)
        seeds = {
            "transformer": transformer_seed,
            "train": train_seed,
            "sampling": sampling_seed,
            "validation": split_seed,
        }
        learned = schema_ if plan is None else plan.derived_schema()
        modelled = frame if plan is None else plan.forward(frame)
        transformer = TableTransformer().fit(modelled, learned, random_state=transformer_seed)
    else:
        if fingerprint(frame) != restored["fitted"]["fingerprint"]:
            raise InvalidParameterError(
                "the checkpoint was trained on other data; resume with the table it was fitted on"
            )
        transformer = TableTransformer.from_dict(restored["transformer"])
        schema_, seeds = transformer.schema_, restored["fitted"]["seeds"]
        if restored.get("constraints"):
            plan = ConstraintPlan.from_dict(restored["constraints"])
            if restored["constraints"].get("custom_not_stored"):
                import warnings

                from ..schema import SchemaWarning

                warnings.warn(
                    f"custom constraints {restored['constraints']['custom_not_stored']} were not stored in "
                    "the checkpoint (code is never saved); the resumed model does not apply them",
                    SchemaWarning,
                    stacklevel=4,
                )
            schema_ = plan.schema
        modelled = frame if plan is None else plan.forward(frame)
    encoded = transformer.transform(modelled, random_state=seeds["transformer"])
    if encoded.layout.width == 0:
        raise SchemaError("no column can be learned (all are constant or identifiers); nothing to model")
    held = None
    if model.validation is not None:
        rows, aside = split_rows(len(frame), model.validation, seeds["validation"])
        encoded = EncodedTable(encoded.layout, encoded.scalars[rows], encoded.codes[rows])
        held = (frame.iloc[rows].reset_index(drop=True), frame.iloc[aside].reset_index(drop=True))
    sampler = (
        ConditionalSampler.from_codes(encoded.codes, encoded.layout, modes=bool(model.condition_modes))
        if model.conditional
        else None
    )
    if sampler is not None:
        sampler.column_p = P.condition_focus(
            model.condition_focus, sampler.columns, sampler.columns[: sampler.n_categorical]
        )
        sampler.log_frequency = bool(model.log_frequency)
    else:
        for name in ("condition_focus", "condition_modes", "pack_conditions"):
            if getattr(model, name):
                raise InvalidParameterError(
                    f"{name} needs a conditional model (CTGAN); "
                    f"{type(model).__name__} has no conditional vector"
                )
    return Prepared(schema_, transformer, encoded, held, sampler, plan, seeds, fingerprint(frame))


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 over a table's column names and row hashes: equal for the same rows in the same order."""
    digest = hashlib.sha256("\x00".join(map(str, frame.columns)).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()
