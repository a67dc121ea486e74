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
from scipy.stats import binom

from ..defaults import DEFAULT_HOLDOUT  # noqa: F401  (re-exported)
from ..exceptions import DataLoadError, InvalidParameterError


def split_holdout(
    data, fraction: float, seed: int, stratify: list[str] | None = None, single_rows: str = "refuse"
):
    """(train, holdout) by a seeded permutation of a DataFrame's rows or an ``ImageSet``'s images;
    ``fraction`` 0 gives (data, None). ``stratify``: columns whose level mix the holdout keeps (each
    combination contributes its share of rows; one with a single row is refused, or with
    ``single_rows="train"`` kept in training)."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
        raise InvalidParameterError(f"holdout={fraction!r} must be a fraction in [0, 1), e.g. 0.2")
    take = (
        (lambda index: data.iloc[index].reset_index(drop=True))
        if isinstance(data, pd.DataFrame)
        else data.subset
    )
    if fraction == 0:
        return take(np.arange(len(data))), None
    n_hold = round(len(data) * fraction)
    if n_hold < 1 or len(data) - n_hold < 2:
        raise InvalidParameterError(
            f"holdout={fraction} leaves too few rows of {len(data)} for training and holdout"
        )
    rng = np.random.default_rng(seed)
    if not stratify:
        order = rng.permutation(len(data))
        return take(np.sort(order[n_hold:])), take(np.sort(order[:n_hold]))
    groups = _strata(data, stratify, rng, refuse_single=single_rows == "refuse")
    held = np.concatenate([group[: round(len(group) * fraction)] for group in groups])
    keep = np.setdiff1d(np.arange(len(data)), held)
    return take(keep), take(np.sort(held))


def _strata(
    frame: pd.DataFrame, columns: list[str], rng: np.random.Generator, refuse_single: bool = True
) -> list[np.ndarray]:
    """Shuffled row positions of each combination of ``columns``' levels (missing is a level)."""
    unknown = [c for c in columns if c not in frame.columns]
    if unknown:
        raise InvalidParameterError(
            f"--stratify names unknown columns {unknown}; columns are {list(frame.columns)[:20]}"
        )
    codes = (
        frame[columns].astype(str).agg("\x1f".join, axis=1)
        if len(columns) > 1
        else frame[columns[0]].astype(str)
    )
    groups = []
    for label, rows in pd.Series(np.arange(len(frame))).groupby(codes.to_numpy(), sort=True):
        if len(rows) < 2 and refuse_single:
            shown = label.replace("\x1f", ", ")
            raise InvalidParameterError(
                f"--stratify {','.join(columns)}: the level ({shown}) has {len(rows)} row; each needs at "
                "least 2 "
                "- merge rare levels or stratify on fewer columns"
            )
        groups.append(rng.permutation(rows.to_numpy()))
    return groups


def holdout_sha256(holdout) -> str | None:
    """SHA-256 over the sorted row hashes of a holdout table: its identity, with no row in it."""
    if not isinstance(holdout, pd.DataFrame):
        return None
    keys = np.sort(pd.util.hash_pandas_object(holdout.astype(str), index=False).to_numpy())
    return hashlib.sha256(keys.tobytes()).hexdigest()


def check_holdout(record: dict | None, holdout) -> None:
    """Refuse a re-derived holdout whose size or rows differ from the one recorded at fit."""
    if not record or "holdout_sha256" not in record or holdout is None:
        return
    if len(holdout) != record.get("holdout_rows") or holdout_sha256(holdout) != record["holdout_sha256"]:
        raise DataLoadError(
            f"the holdout re-derived from the training data ({len(holdout)} rows) is not the one kept out at "
            "fit "
            f"({record.get('holdout_rows')} rows; sha256 differs); pass the original training file with "
            "--real"
        )


def check_disjoint(train: pd.DataFrame, holdout: pd.DataFrame) -> None:
    """Refuse a holdout that shares more rows with ``train`` than the table's own duplicates explain."""
    t = pd.util.hash_pandas_object(train.astype(str), index=False).to_numpy()
    h = pd.util.hash_pandas_object(holdout.astype(str), index=False).to_numpy()
    shared = int(np.isin(h, t).sum())
    _, inverse, counts = np.unique(t, return_inverse=True, return_counts=True)
    duplicate_rate = float((counts[inverse] > 1).mean())
    allowed = int(binom.ppf(0.95, len(h), duplicate_rate)) if duplicate_rate > 0 else 0
    if shared > allowed:
        raise InvalidParameterError(
            f"--holdout shares {shared} of its {len(h)} rows with --real (at most {allowed} expected from "
            "the table's "
            "own duplicates); the holdout must be real rows kept out of training"
        )


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
    return (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        if path.is_dir()
        else path.stat().st_size
    )


def provenance(
    path: str | os.PathLike,
    fraction: float,
    seed: int,
    rows: int,
    holdout=None,
    stratify: list[str] | None = None,
) -> dict:
    """What the model file records about its training data: no rows, only where and how, and the
    holdout's size and identity (a hash of its row hashes) so ``sample`` can check it re-derives it."""
    path = Path(path).resolve()
    record = {
        "path": str(path),
        "size": _size(path),
        "sha256": sha256_of(path),
        "rows": rows,
        "holdout_fraction": fraction,
        "holdout_seed": seed,
        "holdout_stratify": list(stratify or []),
    }
    if isinstance(holdout, pd.DataFrame):
        record.update({"holdout_rows": len(holdout), "holdout_sha256": holdout_sha256(holdout)})
    return record


def locate_training_file(record: dict | None, override: str | os.PathLike | None) -> Path:
    """The real file to re-derive train/holdout from: ``override``, or the recorded path if unchanged."""
    if override is not None:
        path = Path(override)
        if (
            record
            and "sha256" in record
            and path.exists()
            and (_size(path) != record.get("size") or sha256_of(path) != record["sha256"])
        ):
            raise DataLoadError(
                f"--real {path} is not the file this model was trained on (size or sha256 differs); pass "
                "that file"
            )
        return path
    if not record or "path" not in record:
        raise DataLoadError(
            "this model does not record its training file; pass the real data with --real FILE"
        )
    path = Path(record["path"])
    if not path.exists():
        raise DataLoadError(f"the training data {path} has moved or been deleted; pass it with --real PATH")
    if _size(path) != record.get("size") or sha256_of(path) != record.get("sha256"):
        raise DataLoadError(
            f"the training data {path} changed since fit (sha256 differs); pass the original with --real PATH"
        )
    return path
