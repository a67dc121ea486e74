"""Where the real data for the gate comes from: a seeded holdout split at fit time, and provenance
(path, size, sha256, how the holdout was drawn) stored in the model file - never the rows.

Example:
    >>> import pandas as pd
    >>> train, holdout = split_holdout(pd.DataFrame({"x": range(10)}), 0.2, seed=0)
    >>> len(train), len(holdout), sorted([*train.x, *holdout.x]) == list(range(10))
    (8, 2, True)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataLoadError, InvalidParameterError

#: Share of rows kept out of training by ``synthgan fit`` (the privacy baseline of the gate).
DEFAULT_HOLDOUT = 0.2


def split_holdout(data, fraction: float, seed: int):
    """(train, holdout) by a seeded permutation of a DataFrame's rows or an ``ImageSet``'s images;
    ``fraction`` 0 gives (data, None)."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
        raise InvalidParameterError(f"holdout={fraction!r} must be a fraction in [0, 1), e.g. 0.2")
    take = (lambda index: data.iloc[index].reset_index(drop=True)) if isinstance(data, pd.DataFrame) else data.subset
    if fraction == 0:
        return take(np.arange(len(data))), None
    n_hold = int(round(len(data) * fraction))
    if n_hold < 1 or len(data) - n_hold < 2:
        raise InvalidParameterError(f"holdout={fraction} leaves too few rows of {len(data)} for training and holdout")
    order = np.random.default_rng(seed).permutation(len(data))
    return take(np.sort(order[n_hold:])), take(np.sort(order[:n_hold]))


def sha256_of(path: str | os.PathLike) -> str:
    """SHA-256 of a file; of a folder, over every file's relative path and contents (sorted)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode("utf-8") + b"\0")
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def provenance(path: str | os.PathLike, fraction: float, seed: int, rows: int) -> dict:
    """What the model file records about its training data: no rows, only where and how."""
    path = Path(path).resolve()
    return {"path": str(path), "size": _size(path), "sha256": sha256_of(path), "rows": rows,
            "holdout_fraction": fraction, "holdout_seed": seed}


def locate_training_file(record: dict | None, override: str | os.PathLike | None) -> Path:
    """The real file to re-derive train/holdout from: ``override``, or the recorded path if unchanged."""
    if override is not None:
        return Path(override)
    if not record or "path" not in record:
        raise DataLoadError("this model does not record its training file; pass the real data with --real FILE")
    path = Path(record["path"])
    if not path.exists():
        raise DataLoadError(f"the training data {path} has moved or been deleted; pass it with --real PATH")
    if _size(path) != record.get("size") or sha256_of(path) != record.get("sha256"):
        raise DataLoadError(f"the training data {path} changed since fit (sha256 differs); pass the original with --real PATH")
    return path
