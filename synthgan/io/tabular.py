"""Read the tables users have: CSV (sniffed delimiter, UTF-8 with or without BOM), TSV, Parquet, DataFrame.

Every failure is a typed ``DataLoadError`` with a one-line message; nothing here prints row values.

Example:
    >>> import pandas as pd
    >>> from synthgan.io.tabular import load_table
    >>> load_table(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})).shape
    (2, 2)
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import (
    DataLoadError,
    DuplicateColumnError,
    EmptyTableError,
    FileMissingError,
    NoUsableColumnError,
    UnreadableFileError,
)
from ..schema import whole_numbers

#: Tokens read as missing, besides pandas' defaults ("", "NA", "NaN", "null", ...). UCI data uses "?".
EXTRA_NA_VALUES = ("?",)
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
_PARQUET_MAGIC = b"PAR1"

PathLike = str | os.PathLike


def load_table(
    source: PathLike | pd.DataFrame,
    *,
    sep: str | None = None,
    header: bool | None = None,
    encoding: str = "utf-8",
    label: str = "the DataFrame",
) -> pd.DataFrame:
    """Load a CSV/TSV/Parquet file or validate a DataFrame, returning a DataFrame ready for schema inference.

    ``sep=None`` sniffs the delimiter; ``header=None`` guesses whether the first line is a header.
    Text files: fields are whitespace-trimmed, ``?`` and pandas' usual tokens mean missing, and
    whole-number columns with gaps become nullable ``Int64``. ``label`` names an in-memory table in errors.
    """
    if isinstance(source, pd.DataFrame):
        return validate_frame(source, label)
    if not isinstance(source, (str, os.PathLike)):
        raise DataLoadError(
            f"cannot load a {type(source).__name__}; pass a pandas DataFrame or a path to a CSV, TSV or "
            "Parquet file"
        )
    path = Path(source)
    if not path.exists():
        raise FileMissingError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise FileMissingError(f"{path}: is a folder or special file, not a table file")
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise UnreadableFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not head.strip():
        raise EmptyTableError(f"{path}: the file is empty; a table needs a header line and data rows")
    if head.startswith(_PARQUET_MAGIC) or path.suffix.lower() == ".parquet":
        frame = _read_parquet(path)
    else:
        frame = _read_text(path, head, sep=sep, header=header, encoding=encoding)
    return validate_frame(frame, str(path))


#: A text field longer than this is not a record value (a broken quote or a file pasted into a cell).
MAX_FIELD_CHARS = 1_000_000


def validate_frame(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Check that a table has rows, unique column names and at least one non-empty column."""
    if not isinstance(frame, pd.DataFrame):
        raise DataLoadError(f"{label}: expected a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(frame.columns, pd.MultiIndex):
        raise DataLoadError(f"{label}: has multi-level column names; flatten them first")
    names = [str(c) for c in frame.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DuplicateColumnError(f"{label}: duplicate column names {dupes}; rename them so each is unique")
    if frame.shape[1] == 0:
        raise NoUsableColumnError(f"{label}: has no columns")
    if frame.shape[0] == 0:
        raise EmptyTableError(f"{label}: has a header but no data rows")
    if bool(frame.isna().all(axis=0).all()):
        raise NoUsableColumnError(f"{label}: every column is empty (all values missing); nothing to learn")
    for column in frame.columns:
        if frame[column].dtype == object:
            try:
                longest = frame[column].str.len().max()
            except AttributeError:  # no text in the column
                continue
            if longest > MAX_FIELD_CHARS:
                raise UnreadableFileError(
                    f"{label}: column {str(column)!r} has a field of {longest:,} characters (limit "
                    f"{MAX_FIELD_CHARS:,}); "
                    "not a table of records - check the delimiter and quoting"
                )
    if any(not isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise UnreadableFileError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None


def _decode(path: Path, head: bytes, encoding: str) -> str:
    if b"\x00" in head:
        raise UnreadableFileError(f"{path}: looks binary (NUL bytes); expected a CSV, TSV or Parquet file")
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return path.read_bytes().decode(codec)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            f"{path}: is not valid {encoding} (byte {exc.start}); re-save it as UTF-8 or pass the right "
            "encoding"
        ) from None
    except LookupError:
        raise DataLoadError(f"encoding={encoding!r} is not a known text encoding") from None


def _sniff_delimiter(path: Path, sample: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() != ""


def _guess_header(rows: list[list[str]]) -> bool:
    """A first line is data, not a header, when a field in it is numeric and its column is numeric below."""
    if len(rows) < 2:
        return True
    first, rest = rows[0], rows[1:]
    for j, field in enumerate(first):
        below = [r[j] for r in rest if j < len(r) and r[j].strip()]
        if _is_number(field) and below and all(_is_number(v) for v in below):
            return False
    return True


def _read_text(
    path: Path, head: bytes, *, sep: str | None, header: bool | None, encoding: str
) -> pd.DataFrame:
    text = _decode(path, head, encoding)
    if not text.strip():
        raise EmptyTableError(f"{path}: the file is empty; a table needs a header line and data rows")
    sample = text[:_SNIFF_BYTES]
    delimiter = sep or _sniff_delimiter(path, sample)
    try:
        first_rows = [r for _, r in zip(range(20), csv.reader(io.StringIO(sample), delimiter=delimiter))]
    except csv.Error as exc:
        raise UnreadableFileError(f"{path}: not a delimited text table ({exc})") from None
    first_rows = [r for r in first_rows if r]
    has_header = _guess_header(first_rows) if header is None else header
    if has_header and first_rows:
        names = [n.strip() for n in first_rows[0]]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DuplicateColumnError(
                f"{path}: duplicate column names {dupes}; rename them so each is unique"
            )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=0 if has_header else None,
            skipinitialspace=True,
            na_values=list(EXTRA_NA_VALUES),
            low_memory=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise EmptyTableError(
            f"{path}: the file is empty; a table needs a header line and data rows"
        ) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "malformed rows"
        raise UnreadableFileError(f"{path}: rows do not line up with the header ({detail})") from None
    except (ValueError, OverflowError, csv.Error) as exc:
        raise UnreadableFileError(f"{path}: cannot be parsed as a table ({type(exc).__name__})") from None
    if not has_header:
        frame.columns = [f"col_{i}" for i in range(frame.shape[1])]
    frame.columns = [str(c).strip() for c in frame.columns]
    return _tidy_text_columns(frame)


def _tidy_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Trim stray whitespace in string fields, map "?" to NaN, and give whole-number columns with gaps
    Int64."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        if col.dtype == object:
            is_text = pd.api.types.infer_dtype(col, skipna=True) == "string"
            stripped = col.str.strip() if is_text else col
            stripped = stripped.mask(stripped.isin(("", *EXTRA_NA_VALUES)))
            numeric = pd.to_numeric(stripped, errors="coerce")
            if stripped.notna().any() and numeric.notna().sum() == stripped.notna().sum():
                col = numeric  # numbers that were stored with stray whitespace or tokens
            else:
                col = stripped
        if col.dtype.kind == "f" and col.isna().any():
            finite = col.dropna().to_numpy()
            if np.all(np.isfinite(finite)) and whole_numbers(finite) and np.abs(finite).max() < 2**53:
                col = col.astype("Int64")
        out[name] = col
    return pd.DataFrame(out, index=frame.index)
