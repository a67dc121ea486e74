"""Model files: tensors plus one JSON document, loaded without executing code.

A file is a torch zip archive holding ``{"format", "format_version", "meta" (JSON text),
"checksum", "tensors"}``. Loading uses ``torch.load(weights_only=True)``, which refuses pickled
objects, so a file carrying a code payload is rejected without running it. A SHA-256 over the JSON
and every tensor's bytes detects damaged or edited files. Nothing here stores rows of data.

Example:
    >>> import tempfile, torch, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.synthgan"
    >>> _ = save_artifact(path, {"class": "Demo"}, {"w": torch.ones(2)})
    >>> meta, tensors = load_artifact(path)
    >>> meta["class"], tensors["w"].tolist()
    ('Demo', [1.0, 1.0])
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import torch

from .._version import __version__
from ..exceptions import ModelFileError
from .atomic import atomic_path

FORMAT = "synthgan-model"
FORMAT_VERSION = 1
#: The file kinds written here, by their "format" field, as errors name them.
KINDS = {FORMAT: "synthgan model file", "synthgan-checkpoint": "synthgan training checkpoint"}


def _checksum(meta_text: str, tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256(meta_text.encode("utf-8"))
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        digest.update(name.encode("utf-8"))
        digest.update(str(t.dtype).encode() + str(tuple(t.shape)).encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def _plain(value):
    """A numpy scalar (e.g. ``batch_size=np.int64(500)``) as the Python number JSON writes; anything else
    JSON cannot write stays an error."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def save_artifact(
    path: str | os.PathLike, meta: dict, tensors: dict[str, torch.Tensor], fmt: str = FORMAT
) -> Path:
    """Write ``meta`` (JSON-able) and ``tensors`` atomically to ``path``; returns the path. ``fmt`` names the
    kind of file (a model file, or a training checkpoint)."""
    meta = {**meta, "synthgan_version": __version__}
    meta_text = json.dumps(meta, ensure_ascii=False, allow_nan=False, default=_plain)
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    payload = {
        "format": fmt,
        "format_version": FORMAT_VERSION,
        "meta": meta_text,
        "checksum": _checksum(meta_text, tensors),
        "tensors": tensors,
    }
    with atomic_path(path, private=fmt != FORMAT) as tmp:  # checkpoints stay private to their owner
        torch.save(payload, tmp)
    return Path(path)


def load_artifact(path: str | os.PathLike, fmt: str = FORMAT) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read a model file (or, with ``fmt``, another kind of synthgan file) safely; any problem is a one-line
    ``ModelFileError``."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file; train one with `synthgan fit DATA -o {path}`")
    if not path.is_file():
        raise ModelFileError(f"{path}: is a folder, not a model file")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a synthgan model file (damaged, truncated or another format)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)  # plain tensors and containers only
    except Exception as exc:  # weights_only refusals, truncated zips, bad records
        kind = (
            "holds objects that are not plain data (refused without running them)"
            if "weights_only" in str(exc) or "Unsupported global" in str(exc)
            else "is damaged or truncated"
        )
        raise ModelFileError(f"{path}: {kind}; not a usable synthgan model file") from None
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        kind = KINDS.get(payload.get("format") if isinstance(payload, dict) else None)
        wanted = KINDS.get(fmt, fmt)
        raise ModelFileError(f"{path}: is a {kind}, not a {wanted}" if kind else f"{path}: not a {wanted}")
    version = payload.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: made by a newer synthgan (model format {version}, this is {__version__} reading format "
            f"{FORMAT_VERSION}); upgrade synthgan to load it"
        )
    meta_text, tensors = payload.get("meta"), payload.get("tensors")
    if not isinstance(meta_text, str) or not isinstance(tensors, dict):
        raise ModelFileError(f"{path}: the model file is incomplete")
    if payload.get("checksum") != _checksum(meta_text, tensors):
        raise ModelFileError(f"{path}: checksum mismatch: the model file was damaged or modified")
    return json.loads(meta_text), tensors
