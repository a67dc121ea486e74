"""Synthesizers with the scikit-learn estimator contract; ``REGISTRY`` maps names to classes."""

from .base import TabularGAN
from .ctgan import CTGAN
from .wgan import WGAN

REGISTRY = {"ctgan": CTGAN, "wgan": WGAN}

__all__ = ["CTGAN", "REGISTRY", "TabularGAN", "WGAN"]
