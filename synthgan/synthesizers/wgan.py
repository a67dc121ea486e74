"""WGAN: the same networks and loss as CTGAN, trained without a conditional vector."""

from __future__ import annotations

from .base import TabularGAN


class WGAN(TabularGAN):
    """Unconditional Wasserstein GAN with gradient penalty on synthgan's transformer.

    Same parameters as ``CTGAN`` (``log_frequency`` has no effect: there is no conditional vector).
    Conditions at sampling time are met by keeping only matching rows.

    Example:
        >>> from synthgan import WGAN
        >>> from synthgan.data import load_heart_disease
        >>> model = WGAN(epochs=1, batch_size=100, random_state=0, verbose=False).fit(load_heart_disease())
        >>> model.sample(5).shape
        (5, 14)
    """

    conditional = False
