"""The reversible table transformer: DataFrame <-> EncodedTable, following a Schema.

Numeric kinds (continuous, integer, datetime) get mode-specific normalisation, with all their
mixtures fitted in one batched pass; categorical columns become integer codes; constant and
identifier columns are not modelled (constants come back as they were, identifiers as fresh keys).
The inverse gives back the same columns, order and dtypes. The whole fitted state is JSON.

Example:
    >>> import pandas as pd
    >>> from synthgan.transform import TableTransformer
    >>> df = pd.DataFrame({"age": [23, 35, 47, 59, 61, 30] * 10, "sex": ["F", "M", "F"] * 20})
    >>> tt = TableTransformer().fit(df, random_state=0)
    >>> back = tt.inverse_transform(tt.transform(df, random_state=0))
    >>> back.equals(df)
    True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._random import make_rng
from ..exceptions import NotFittedError, SchemaError
from ..schema import CATEGORICAL, CONSTANT, DATETIME, IDENTIFIER, Schema, looks_like_free_text
from .bounds import MIN_COUNT, robust_bounds, row_uniforms
from .continuous import NumericEncoder, mixture_values
from .discrete import OTHER, CategoryEncoder, json_scalar
from .layout import CATEGORY, MODE, SCALAR, EncodedTable, Layout, Span
from .mixture import MAX_FIT_ROWS, fit_mixtures
from .values import category_dtype_state, restore_levels, restore_numeric, to_float

#: 2: numeric tails (``tail_low`` / ``tail_high``, modes of their own); version 1 files have none and load
#: as they were written.
STATE_VERSION = 2
READABLE_VERSIONS = (1, 2)


class TableTransformer:
    """Fit on a DataFrame, then ``transform`` to an ``EncodedTable`` and ``inverse_transform`` back.

    ``max_fit_rows`` caps the random subsample each column's mixture is fitted on (default 5,000).
    ``min_count`` (k, default 5): no level seen fewer than k times and no bound beyond the k-th smallest or
    largest value is stored (``bounds.py``, ``discrete.py``); columns that look like identifiers or free
    text are refused unless the schema declares them.
    """

    def __init__(self, max_fit_rows: int = MAX_FIT_ROWS, min_count: int = MIN_COUNT) -> None:
        self.max_fit_rows = max_fit_rows
        self.min_count = min_count

    # ---- fit -----------------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, schema: Schema | None = None, random_state=None) -> TableTransformer:
        """Learn every column's encoding; ``schema`` defaults to ``Schema.infer(frame)``."""
        schema = schema if schema is not None else Schema.infer(frame)
        schema.check_frame(frame)
        refuse_undeclared(frame, schema)
        rng = make_rng(random_state)
        numeric = [c for c in schema.columns if c.kind in ("continuous", "integer", DATETIME)]
        converted = {c.name: to_float(frame[c.name], c) for c in numeric}
        finite, bounds, prepared = {}, {}, {}
        for name, (x, _) in converted.items():
            present = x[~np.isnan(x)]
            if present.size == 0:
                raise SchemaError(f"column {name!r} has no values; declare it constant or drop it")
            if present.size < 2 * self.min_count:  # its bounds would be one patient's value
                raise SchemaError(
                    f"column {name!r} has {present.size} values, fewer than {2 * self.min_count}: too few to "
                    "learn without storing a single patient's value; drop the column"
                )
            bounds[name] = robust_bounds(present, self.min_count)
            prepared[name] = mixture_values(present, *bounds[name], self.min_count)
            *_, rest, loc, scale = prepared[name]
            finite[name] = (rest - loc) / scale
        mixtures = fit_mixtures(list(finite.values()), rng, max_rows=self.max_fit_rows)
        self.encoders_: dict[str, object] = {}
        self.extras_: dict[str, dict] = {}
        for spec, mixture in zip(numeric, mixtures):
            x, extra = converted[spec.name]
            self.encoders_[spec.name] = NumericEncoder.fit(
                x,
                rng,
                step=extra.pop("step"),
                mixture=mixture,
                bounds=bounds[spec.name],
                min_count=self.min_count,
                prepared=prepared[spec.name],
            )
            self.extras_[spec.name] = extra
        for spec in schema.of_kind(CATEGORICAL):
            encoder = CategoryEncoder.fit(frame[spec.name], self.min_count)
            self.encoders_[spec.name] = encoder
            self.extras_[spec.name] = _stored_categories(frame[spec.name], encoder, self.min_count)
        for spec in schema.of_kind(CONSTANT):
            value = frame[spec.name].dropna()
            self.extras_[spec.name] = {"value": json_scalar(value.iloc[0]) if len(value) else None}
            self.extras_[spec.name].update(category_dtype_state(frame[spec.name]))
        self.schema_ = schema
        self.layout_ = self._build_layout()
        return self

    def _build_layout(self) -> Layout:
        spans, offset = [], 0
        for spec in self.schema_.columns:
            enc = self.encoders_.get(spec.name)
            if isinstance(enc, NumericEncoder):
                parts = [(SCALAR, 1), (MODE, enc.n_modes)]
            elif isinstance(enc, CategoryEncoder):
                parts = [(CATEGORY, enc.width)]
            else:
                parts = []
            for kind, width in parts:
                spans.append(Span(spec.name, kind, offset, width))
                offset += width
        return Layout(tuple(spans))

    # ---- transform -----------------------------------------------------------------------------
    def transform(self, frame: pd.DataFrame, random_state=None) -> EncodedTable:
        """Encode ``frame`` (same columns as in fit); mode choices are drawn with ``random_state``."""
        self._check_fitted()
        self.schema_.check_frame(frame)
        rng = make_rng(random_state)
        n = len(frame)
        scalars, codes = [], []
        for spec in self.schema_.columns:
            enc = self.encoders_.get(spec.name)
            if isinstance(enc, NumericEncoder):
                x, _ = to_float(frame[spec.name], spec, self.extras_[spec.name].get("origin_ns"))
                alpha, mode = enc.transform(x, rng)
                scalars.append(alpha)
                codes.append(mode)
            elif isinstance(enc, CategoryEncoder):
                codes.append(enc.transform(frame[spec.name]))
        return EncodedTable(
            self.layout_,
            np.stack(scalars, axis=1) if scalars else np.zeros((n, 0), np.float32),
            np.stack(codes, axis=1).astype(np.int32) if codes else np.zeros((n, 0), np.int32),
        )

    def inverse_transform(self, data: EncodedTable | np.ndarray) -> pd.DataFrame:
        """Decode an ``EncodedTable`` or dense rows (n, width) - e.g. generator output - to a DataFrame."""
        self._check_fitted()
        if isinstance(data, EncodedTable):
            scalars, codes = data.scalars, data.codes
        else:
            data = np.asarray(data, dtype=np.float32)
            if data.ndim != 2 or data.shape[1] != self.layout_.width:
                raise SchemaError(
                    f"expected encoded rows of width {self.layout_.width}, got shape {data.shape}"
                )
            scalars, codes = self.layout_.decode(data)
        n = scalars.shape[0]
        uniforms = row_uniforms(
            scalars
        )  # (n, n_scalar): where values beyond a bound land, per row and column
        columns, s_idx, c_idx = {}, 0, 0
        for spec in self.schema_.columns:
            enc, extra = self.encoders_.get(spec.name), self.extras_.get(spec.name, {})
            if isinstance(enc, NumericEncoder):
                values = enc.inverse(scalars[:, s_idx], codes[:, c_idx], uniforms[:, s_idx])
                columns[spec.name] = restore_numeric(values, spec, extra)
                s_idx, c_idx = s_idx + 1, c_idx + 1
            elif isinstance(enc, CategoryEncoder):
                levels = enc.inverse(np.arange(len(enc.levels) + 1))  # every level, then the missing one
                columns[spec.name] = _cast_by_code(
                    levels, np.minimum(codes[:, c_idx], len(enc.levels)), spec, extra
                )
                c_idx += 1
            elif spec.kind == CONSTANT:
                value = extra["value"] if extra["value"] is not None else np.nan
                columns[spec.name] = _cast_by_code(
                    np.array([value], dtype=object), np.zeros(n, dtype=np.int64), spec, extra
                )
            elif spec.kind == IDENTIFIER:
                columns[spec.name] = _fresh_keys(n, spec.dtype)
        return pd.DataFrame(
            columns, index=pd.RangeIndex(n), copy=False
        )  # no copy into 2-D blocks: 10 ms per 100k rows

    # ---- state ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-able fitted state: schema, per-column encoders and extras. Holds no row of the data."""
        self._check_fitted()
        return {
            "version": STATE_VERSION,
            "max_fit_rows": self.max_fit_rows,
            "min_count": self.min_count,
            "schema": self.schema_.to_dict(),
            "encoders": {
                name: {"type": "numeric" if isinstance(e, NumericEncoder) else "category", **e.to_dict()}
                for name, e in self.encoders_.items()
            },
            "extras": self.extras_,
        }

    @classmethod
    def from_dict(cls, data: dict) -> TableTransformer:
        if data.get("version") not in READABLE_VERSIONS:
            raise SchemaError(
                f"transformer state version {data.get('version')!r} is not supported (expected one of "
                f"{list(READABLE_VERSIONS)}); it was written by another synthgan version"
            )
        tt = cls(max_fit_rows=int(data["max_fit_rows"]), min_count=int(data.get("min_count", MIN_COUNT)))
        tt.schema_ = Schema.from_dict(data["schema"])
        tt.encoders_ = {
            name: (NumericEncoder if e["type"] == "numeric" else CategoryEncoder).from_dict(e)
            for name, e in data["encoders"].items()
        }
        tt.extras_ = {name: dict(v) for name, v in data["extras"].items()}
        tt.layout_ = tt._build_layout()
        return tt

    def _check_fitted(self) -> None:
        if not hasattr(self, "layout_"):
            raise NotFittedError("this TableTransformer is not fitted yet; call fit(data) first")


def refuse_undeclared(frame: pd.DataFrame, schema: Schema) -> None:
    """Raise for a column inferred (not declared) as an identifier or a free-text-like category."""
    for spec in schema.columns:
        if spec.declared:
            continue
        if spec.kind == IDENTIFIER:
            raise SchemaError(
                f"column {spec.name!r} looks like an identifier (unique per row); declare it to go on: "
                f"schema={{{spec.name!r}: 'identifier'}} (not learned, fresh keys) or 'categorical', or drop "
                "the column"
            )
        if spec.kind == CATEGORICAL and looks_like_free_text(frame[spec.name]):
            raise SchemaError(
                f"column {spec.name!r} looks like free text or an identifier ({frame[spec.name].nunique()} "
                "levels in "
                f"{len(frame)} rows); drop it, or declare it: schema={{{spec.name!r}: 'categorical'}} (rare "
                "levels are "
                "merged) or 'identifier'"
            )


def _stored_categories(series: pd.Series, encoder: CategoryEncoder, k: int) -> dict:
    """A pandas category column's declared categories, less those seen 1..k-1 times, plus the merged level."""
    state = category_dtype_state(series)
    if "categories" in state:
        counts = series.value_counts()
        stored = set(encoder.levels)
        state["categories"] = [c for c in state["categories"] if counts.get(c, 0) == 0 or c in stored]
        if encoder.absorb == "other":
            state["categories"].append(OTHER)
    return state


def _fresh_keys(n: int, dtype: str) -> pd.Series:
    """New, meaningless keys for an identifier column: 1..n for numbers, 'syn-000001'... for text."""
    if dtype.startswith(("int", "uint", "Int", "UInt", "float", "Float")):
        return pd.Series(np.arange(1, n + 1)).astype(dtype)
    width = max(6, len(str(n)))
    keys = np.char.add("syn-", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    return pd.Series(keys.astype(object), dtype=object).astype(dtype)


def _cast_by_code(levels: np.ndarray, codes: np.ndarray, spec, extra: dict) -> pd.Series:
    """``levels[codes]`` in the column's dtype, casting each level that occurs once instead of every row.

    Only levels that occur join the cast, so the dtype is exactly what casting ``levels[codes]`` gives
    (e.g. int64 without a generated gap, Int64 with one).
    """
    seen = np.bincount(codes, minlength=len(levels)) > 0
    position = np.cumsum(seen) - 1
    restored = restore_levels(levels[seen], spec, extra)
    values = restored.to_numpy() if isinstance(restored.dtype, np.dtype) else restored.array
    return pd.Series(values.take(position[codes]), dtype=restored.dtype)
