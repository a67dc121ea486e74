"""synthgan: synthetic tabular and medical data with conditional and Wasserstein GANs, gated before export.

The names below load on first use, so ``import synthgan`` (and ``synthgan --help``) does not pull in
torch, pandas or scikit-learn until something needs them.

Example:
    >>> from synthgan import load_table, Schema, TableTransformer
    >>> from synthgan.data import load_heart_disease
    >>> df = load_heart_disease()
    >>> Schema.infer(df)["age"].kind
    'integer'
"""

from __future__ import annotations

import importlib

from ._version import __version__

#: Public name -> the module that defines it.
_LAZY = {
    "CTGAN": ".synthesizers",
    "WGAN": ".synthesizers",
    "ImageGAN": ".synthesizers",
    "ImageSet": ".io.images",
    "load_images": ".io.images",
    "SyntheticOversampler": ".augment",
    "ColumnSpec": ".schema",
    "Report": ".evaluation",
    "Schema": ".schema",
    "TableTransformer": ".transform",
    "evaluate": ".evaluation",
    "load_table": ".io.tabular",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'synthgan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
