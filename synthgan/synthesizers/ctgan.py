"""CTGAN: the conditional tabular GAN of Xu et al. (2019) on synthgan's transformer."""

from __future__ import annotations

from .base import TabularGAN


class CTGAN(TabularGAN):
    """Conditional tabular GAN: conditional vector over categorical columns, training-by-sampling
    (log-frequency), residual generator, PacGAN critic, WGAN-GP loss plus a condition cross-entropy.

    Parameters (keyword-only; defaults as in the paper): ``epochs=300``, ``batch_size=500`` (rounded
    to a multiple of ``pac``), ``embedding_dim=128``, ``generator_dim=(256, 256)``,
    ``discriminator_dim=(256, 256)``, learning rates 2e-4 and weight decays 1e-6 with Adam
    (betas 0.5, 0.9), ``discriminator_steps=1``, ``log_frequency=True``, ``pac=10``,
    ``condition_focus=None`` (e.g. ``{"diagnosis": 0.5}``: half the training rows are conditioned on
    that column, so its classes - a rare one too - are learned with the critic comparing like with like),
    ``max_time=None`` (seconds; stops after the epoch that passes it), ``device="auto"``,
    ``precision="auto"`` (bfloat16 only where native), ``random_state=None``, ``verbose=True``.

    Example:
        >>> from synthgan import CTGAN
        >>> from synthgan.data import load_heart_disease
        >>> model = CTGAN(epochs=2, batch_size=100, random_state=0, verbose=False).fit(load_heart_disease())
        >>> rows = model.sample(20, conditions={"sex": 0})
        >>> rows.shape, set(rows["sex"])
        ((20, 14), {0})
    """

    conditional = True
