"""What each column is: inferred from a DataFrame or declared by the user, and stored as JSON with models.

Kinds: ``continuous``, ``integer`` (whole numbers, modelled as continuous, restored as integers),
``categorical``, ``datetime`` (modelled as numbers, restored with the original dtype or text format),
``constant`` (passed through) and ``identifier`` (a unique key per row: not learned, synthetic rows
get fresh keys). Missing values are allowed in every kind.

Example:
    >>> import pandas as pd
    >>> from synthgan.schema import Schema
    >>> df = pd.DataFrame({"age": [30, 41, 52, 63] * 5, "sex": ["F", "M"] * 10})
    >>> [c.kind for c in Schema.infer(df).columns]
    ['categorical', 'categorical']
    >>> Schema.from_json(Schema.infer(df).to_json()) == Schema.infer(df)
    True
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from .exceptions import SchemaError

CONTINUOUS, INTEGER, CATEGORICAL, DATETIME, CONSTANT, IDENTIFIER = (
    "continuous",
    "integer",
    "categorical",
    "datetime",
    "constant",
    "identifier",
)
KINDS = (CONTINUOUS, INTEGER, CATEGORICAL, DATETIME, CONSTANT, IDENTIFIER)
#: Numeric columns with at most this many distinct values (each seen at least twice on average) are
#: categorical.
MAX_NUMERIC_LEVELS = 10
#: Unique-per-row columns are only called identifiers from this many rows on (tiny tables are ambiguous).
MIN_ROWS_FOR_IDENTIFIER = 20
SCHEMA_VERSION = 1
_ID_NAME = re.compile(r"(^|[^a-z])(id|key|uuid|guid)$|^(id|uuid|guid)([^a-z]|$)", re.IGNORECASE)
_DATE_HINT = re.compile(r"\d{1,4}[-/.:T ]\d{1,2}")


class SchemaWarning(UserWarning):
    """A column was treated in a way the user may not expect (identifier skipped, very many levels...)."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its name, kind, original pandas dtype, and the text format of string-typed datetimes."""

    name: str
    kind: str
    dtype: str
    datetime_format: str | None = None
    declared: bool = field(default=False, compare=False)  # the kind was given by the user, not inferred

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SchemaError(f"column {self.name!r}: kind {self.kind!r} is not one of {list(KINDS)}")


@dataclass(frozen=True)
class Schema:
    """An ordered tuple of column specs and the rules rows obey (``synthgan.constraints``); immutable,
    comparable, and round-trips through JSON."""

    columns: tuple[ColumnSpec, ...]
    constraints: tuple = ()

    def __post_init__(self) -> None:
        if self.constraints:
            from .constraints.declare import check_rules

            object.__setattr__(self, "constraints", check_rules(self.constraints, self))

    def with_constraints(self, rules) -> Schema:
        """This schema with ``rules`` added to its constraints (rule objects or their JSON dicts)."""
        return Schema(self.columns, (*self.constraints, *(rules or ())))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise SchemaError(f"no column {name!r} in the schema; columns are {_preview(self.names)}")

    def of_kind(self, *kinds: str) -> list[ColumnSpec]:
        return [c for c in self.columns if c.kind in kinds]

    # ---- JSON --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {"version": SCHEMA_VERSION, "columns": [asdict(c) for c in self.columns]}
        if self.constraints:
            out["constraints"] = [rule.to_dict() for rule in self.constraints]
        return out

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """Serialise to a JSON string, and write it to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, data: Mapping) -> Schema:
        cols = data.get("columns") if isinstance(data, Mapping) else None
        if not isinstance(cols, list):
            raise SchemaError('a full schema needs a "columns" list of {"name", "kind", "dtype"} objects')
        try:
            specs = tuple(
                ColumnSpec(
                    str(c["name"]),
                    str(c["kind"]),
                    str(c.get("dtype", "object")),
                    c.get("datetime_format"),
                    bool(c.get("declared", False)),
                )
                for c in cols
            )
        except (KeyError, TypeError):
            raise SchemaError('every schema column needs at least "name" and "kind"') from None
        _check_unique([c.name for c in specs])
        rules = data.get("constraints") or []
        if not isinstance(rules, list):
            raise SchemaError('"constraints" must be a list of rule objects such as {"type": "range", ...}')
        return cls(specs, tuple(rules))

    @classmethod
    def from_json(cls, source: str | os.PathLike) -> Schema:
        """Load from a JSON string or a path to a JSON file."""
        return cls.from_dict(_read_json(source))

    # ---- inference ---------------------------------------------------------------------------
    @classmethod
    def infer(
        cls,
        frame: pd.DataFrame,
        discrete_columns: Iterable[str] | None = None,
        declared: Schema | Mapping | str | os.PathLike | None = None,
    ) -> Schema:
        """Infer every column's kind; ``discrete_columns`` forces categorical, ``declared`` overrides kinds.

        ``declared`` is a full ``Schema``, a mapping ``{"column": "kind"}``, or a JSON file/string of either;
        a declared schema's ``constraints`` carry over.
        """
        names = [str(c) for c in frame.columns]
        if isinstance(declared, (str, os.PathLike)):
            declared = _read_json(declared)
        rules = _declared_rules(declared)
        overrides = _overrides(declared, names)
        for name in _as_list(discrete_columns, "discrete_columns"):
            if name not in names:
                raise SchemaError(
                    f"discrete_columns names an unknown column {name!r}; the table has {_preview(names)}"
                )
            overrides[name] = CATEGORICAL
        specs = []
        for name in names:
            series = frame[name]
            kind = overrides.get(name) or infer_kind(series)
            specs.append(_spec_for(series, name, kind, declared=name in overrides))
        return cls(tuple(specs), rules)

    def check_frame(self, frame: pd.DataFrame, label: str = "the data") -> None:
        """Raise ``SchemaError`` unless ``frame`` has exactly this schema's columns (order may differ)."""
        have = [str(c) for c in frame.columns]
        missing = [n for n in self.names if n not in have]
        extra = [n for n in have if n not in self.names]
        if missing or extra:
            raise SchemaError(
                f"{label} does not match the schema: missing columns {_preview(missing)}, unexpected "
                f"{_preview(extra)}"
            )


def infer_kind(series: pd.Series) -> str:
    """The kind synthgan infers for one column (see the module docstring for the rules)."""
    values = series.dropna()
    n = len(series)
    if values.empty or series.nunique(dropna=False) == 1:
        return CONSTANT
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return CATEGORICAL
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return DATETIME
    if pd.api.types.is_timedelta64_dtype(dtype):
        raise SchemaError(f"column {series.name!r} holds time spans; convert it to seconds (numbers) first")
    nunique = values.nunique()
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = values.to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(numbers)):
            raise SchemaError(
                f"column {series.name!r} holds infinite values; replace them with missing values or finite "
                "numbers"
            )
        whole = whole_numbers(numbers)
        if whole and _looks_like_integer_key(series, numbers, nunique):
            return IDENTIFIER
        if nunique <= MAX_NUMERIC_LEVELS and 2 * nunique <= n:
            return CATEGORICAL
        return INTEGER if whole else CONTINUOUS
    if datetime_format(values) is not None:
        return DATETIME
    if nunique == n and n >= MIN_ROWS_FOR_IDENTIFIER:
        return IDENTIFIER
    return CATEGORICAL


def whole_numbers(values: np.ndarray) -> bool:
    """True when every value (finite floats, NaN already dropped) is a whole number."""
    return bool(values.size) and bool(np.all(values == np.round(values)))


def _looks_like_integer_key(series: pd.Series, numbers: np.ndarray, nunique: int) -> bool:
    n = len(series)
    if nunique != n or n < MIN_ROWS_FOR_IDENTIFIER:
        return False
    contiguous = numbers.max() - numbers.min() + 1 == n
    return contiguous or bool(_ID_NAME.search(str(series.name)))


def datetime_format(values: pd.Series) -> str | None:
    """The strftime format that parses every sampled string in ``values``, or None if they are not dates."""
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return None
    sample = values.iloc[:200].astype(str)
    if not sample.str.contains(_DATE_HINT).all():
        return None
    formats = []
    with warnings.catch_warnings():  # pandas warns when it reads the day first; both readings are tried
        warnings.simplefilter("ignore", UserWarning)
        for dayfirst in (False, True):  # "01-02-1985" reads either way: the first format that parses all
            fmt = guess_datetime_format(sample.iloc[0], dayfirst=dayfirst)
            if fmt is not None and fmt not in formats:
                formats.append(fmt)
    for fmt in formats:
        if pd.to_datetime(values, format=fmt, errors="coerce").notna().all():
            return fmt
    return None


def looks_like_free_text(series: pd.Series) -> bool:
    """A categorical column with more levels than ``max(50, rows / 2)``: identifiers or free text, not
    groups."""
    return series.dropna().nunique() > max(50, len(series) // 2)


def _spec_for(series: pd.Series, name: str, kind: str, declared: bool = False) -> ColumnSpec:
    dtype = str(series.dtype)
    fmt = None
    if kind == DATETIME and not pd.api.types.is_datetime64_any_dtype(series.dtype):
        fmt = datetime_format(series.dropna())
        if fmt is None:
            raise SchemaError(f"column {name!r} is declared datetime but its values are not parseable dates")
    if kind in (CONTINUOUS, INTEGER) and not pd.api.types.is_numeric_dtype(series.dtype):
        raise SchemaError(f"column {name!r} is declared {kind} but holds text; declare it categorical")
    if kind == CATEGORICAL and looks_like_free_text(series):
        warnings.warn(
            f"column {name!r} has {series.dropna().nunique()} levels in {len(series)} rows: it looks like an "
            "identifier or free text rather than a category; consider dropping it",
            SchemaWarning,
            stacklevel=3,
        )
    if kind == IDENTIFIER:
        warnings.warn(
            f"column {name!r} looks like an identifier (unique per row): it is not learned and synthetic "
            "rows "
            "get new keys; declare it categorical to override",
            SchemaWarning,
            stacklevel=3,
        )
    return ColumnSpec(name, kind, dtype, fmt, declared)


def _declared_rules(declared) -> tuple:
    if isinstance(declared, Schema):
        return tuple(declared.constraints)
    if isinstance(declared, Mapping) and "constraints" in declared:
        rules = declared["constraints"]
        if not isinstance(rules, list):
            raise SchemaError('"constraints" must be a list of rule objects such as {"type": "range", ...}')
        return tuple(rules)
    return ()


def _overrides(declared, names: list[str]) -> dict[str, str]:
    if declared is None:
        return {}
    if isinstance(declared, (str, os.PathLike)):
        declared = _read_json(declared)
    if isinstance(declared, Mapping) and isinstance(declared.get("columns"), (list, Mapping)):
        declared = declared["columns"]
    elif isinstance(declared, Mapping) and "constraints" in declared:
        declared = {k: v for k, v in declared.items() if k not in ("constraints", "version")}
    if isinstance(declared, Schema):
        Schema.check_frame(declared, pd.DataFrame(columns=names), "the table")
        mapping = {c.name: c.kind for c in declared.columns}
    elif isinstance(declared, list):
        mapping = {c.name: c.kind for c in Schema.from_dict({"columns": declared}).columns}
    elif isinstance(declared, Mapping):
        mapping = {str(k): str(v) for k, v in declared.items()}
    else:
        raise SchemaError(
            "a declared schema must be a Schema, a {column: kind} mapping or a JSON file of either"
        )
    unknown = [n for n in mapping if n not in names]
    if unknown:
        raise SchemaError(
            f"the declared schema names unknown columns {_preview(unknown)}; the table has {_preview(names)}"
        )
    bad = {k: v for k, v in mapping.items() if v not in KINDS}
    if bad:
        raise SchemaError(f"unknown kinds {bad} in the declared schema; use one of {list(KINDS)}")
    return mapping


def _read_json(source: str | os.PathLike) -> dict:
    text = str(source)
    path = Path(source)
    if not text.lstrip().startswith(("{", "[")):
        if not path.is_file():
            raise SchemaError(f"schema file {text!r} does not exist")
        text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(
            f"the schema is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def _as_list(value, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        raise SchemaError(f"{name} must be a list of column names, not a single string; use [{value!r}]")
    return [str(v) for v in value]


def _check_unique(names: list[str]) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SchemaError(f"the schema lists columns more than once: {dupes}")


def _preview(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return f"[{shown}{more}]"
