"""Write synthetic rows: Parquet (row group per chunk, dtypes kept, provenance in the file metadata)
or CSV when the path says so. Always atomic: a temporary file in the target folder, renamed at the
end; an interrupted run leaves no file at the target path. Chunks stream, so memory does not grow
with the number of rows.

Example:
    >>> import tempfile, pathlib, pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.parquet"
    >>> chunks = (pd.DataFrame({"x": [i, i + 1]}) for i in (0, 2))
    >>> _ = write_rows(path, chunks, {"rows": 4})
    >>> pd.read_parquet(path)["x"].tolist(), read_metadata(path)["rows"]
    ([0, 1, 2, 3], 4)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..exceptions import ModelFileError
from .atomic import atomic_path

METADATA_KEY = b"synthgan"


def write_rows(
    path: str | os.PathLike, chunks: Iterable[pd.DataFrame], metadata: dict, private: bool = False
) -> Path:
    """Stream ``chunks`` to ``path`` (Parquet, or CSV for a .csv suffix) with ``metadata``; returns the
    path. ``private`` (mode 0600) for a file that holds real rows."""
    path = Path(path)
    with atomic_path(path, private=private) as tmp:
        if path.suffix.lower() == ".csv":
            for i, chunk in enumerate(chunks):
                chunk.to_csv(tmp, mode="w" if i == 0 else "a", header=i == 0, index=False)
        else:
            _write_parquet(tmp, chunks, metadata)
    return path


def _write_parquet(tmp: Path, chunks: Iterable[pd.DataFrame], metadata: dict) -> None:
    writer = None
    try:
        for chunk in chunks:
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                meta = dict(table.schema.metadata or {})
                meta[METADATA_KEY] = json.dumps(metadata, ensure_ascii=False, default=str).encode("utf-8")
                schema = table.schema.with_metadata(meta)
                writer = pq.ParquetWriter(tmp, schema)
            writer.write_table(table.cast(schema))
    finally:
        if writer is not None:
            writer.close()


def read_metadata(path: str | os.PathLike) -> dict:
    """The synthgan provenance stored in a Parquet file written by ``write_rows``."""
    meta = pq.read_schema(path).metadata or {}
    if METADATA_KEY not in meta:
        raise ModelFileError(f"{path}: has no synthgan metadata")
    return json.loads(meta[METADATA_KEY].decode("utf-8"))
