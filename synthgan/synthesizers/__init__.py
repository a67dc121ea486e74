"""Synthesizers with the scikit-learn estimator contract; ``REGISTRY`` maps names to classes, ``MODELS``
adds the paper's configurations by name."""

from __future__ import annotations

import os

from ..exceptions import ModelFileError
from ..io.artifacts import load_artifact
from .base import TabularGAN
from .ctgan import CTGAN
from .image_gan import ImageGAN
from .wgan import WGAN

REGISTRY = {"ctgan": CTGAN, "wgan": WGAN, "imagegan": ImageGAN}
#: Model names the command line accepts: the classes, and the paper's configurations by name.
MODELS = {**REGISTRY, "ctgan-classic": CTGAN.classic, "wgan-classic": WGAN.classic}


def load_model(path: str | os.PathLike, device: str = "cpu") -> TabularGAN | ImageGAN:
    """Load any synthgan model file, whatever its class, reading the file once."""
    meta, tensors = load_artifact(path)
    cls = REGISTRY.get(str(meta.get("class", "")).lower())
    if cls is None:
        raise ModelFileError(
            f"{path}: holds an unknown model class {meta.get('class')!r}; known: {sorted(REGISTRY)}"
        )
    return cls._from_artifact(meta, tensors, path, device)


__all__ = ["CTGAN", "ImageGAN", "MODELS", "REGISTRY", "TabularGAN", "WGAN", "load_model"]
