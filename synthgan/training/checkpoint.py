"""Training checkpoints: a trainer's whole state (both networks, optimizers, step, RNG states, EMA,
history, stateful callbacks) plus what the estimator needs to rebuild it, in one file.

The file is a synthgan artifact of its own kind ("synthgan-checkpoint"): tensors and one JSON
document, loaded with ``torch.load(weights_only=True)`` and checked by SHA-256, so it runs no code.
Nested state becomes JSON with each tensor replaced by a reference into the tensor table. It holds
no training row, but it holds the critic, which is a membership oracle: keep checkpoints private.

Example:
    >>> import tempfile, pathlib, torch
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.ckpt"
    >>> _ = save_checkpoint(path, {"class": "Demo"}, {"step": 3, "net": {"w": torch.ones(2)}, "rng": [1, 2]})
    >>> meta, state = load_checkpoint(path)
    >>> meta["class"], state["step"], state["net"]["w"].tolist(), state["rng"]
    ('Demo', 3, [1.0, 1.0], [1, 2])
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..exceptions import ModelFileError
from ..io.artifacts import load_artifact, save_artifact

FORMAT = "synthgan-checkpoint"
_REF = "__tensor__"


def save_checkpoint(path: str | os.PathLike, meta: dict, state: dict) -> Path:
    """Write ``meta`` (JSON-able) and the nested ``state`` (dicts, lists, numbers, tensors) atomically."""
    tensors: dict[str, torch.Tensor] = {}
    tree = _split(state, tensors)
    return save_artifact(path, {**meta, "state": tree}, tensors, fmt=FORMAT)


def load_checkpoint(path: str | os.PathLike) -> tuple[dict, dict]:
    """(meta, state) of a checkpoint from ``save_checkpoint``; a one-line ``ModelFileError`` otherwise."""
    meta, tensors = load_artifact(path, fmt=FORMAT)
    try:
        state = _join(meta.pop("state"), tensors)
    except (KeyError, TypeError) as exc:
        raise ModelFileError(
            f"{path}: the checkpoint is inconsistent ({type(exc).__name__}); it cannot be resumed"
        ) from None
    return meta, state


def _split(node, tensors: dict):
    """JSON-able copy of ``node`` with every tensor moved into ``tensors`` (by a reference key)."""
    if isinstance(node, torch.Tensor):
        key = str(len(tensors))
        tensors[key] = node.detach().cpu()
        return {_REF: key}
    if isinstance(node, dict):
        return {"__dict__": [[_split(k, tensors), _split(v, tensors)] for k, v in node.items()]}
    if isinstance(node, (list, tuple)):
        return [_split(v, tensors) for v in node]
    return node


def _join(node, tensors: dict):
    if isinstance(node, dict):
        if _REF in node:
            return tensors[node[_REF]]
        return {_join(k, tensors): _join(v, tensors) for k, v in node["__dict__"]}
    if isinstance(node, list):
        return [_join(v, tensors) for v in node]
    return node
