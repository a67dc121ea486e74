"""CTGAN: the conditional tabular GAN of Xu et al. (2019) on synthgan's transformer."""

from __future__ import annotations

from .base import TabularGAN


class CTGAN(TabularGAN):
    """Conditional tabular GAN: conditional vector over categorical columns, training-by-sampling
    (log-frequency), residual generator, PacGAN critic, WGAN-GP loss plus a condition cross-entropy.

    Parameters (keyword-only). The budget: ``epochs`` or ``steps`` (default: 300 epochs' worth of steps, at
    least 3,000 and at most 10,000, within a time budget of about 100 s on a 2-core CPU per 10,000 training
    rows - for which the every-column term goes first, then steps, down to 1,000 - ``budget_`` says what set
    them), ``batch_size`` (default: 500 rows, or a quarter of the table if fewer - all of it under 200 rows -
    a multiple of ``pac``), ``pac=10`` (rows per critic pack; ``None`` sizes it to the batch - 10, or fewer so
    a batch holds 50 packs, except under 200 rows: more dependence kept, rows nearer their training rows),
    ``max_time=None`` (seconds; stops after the epoch that passes it). The loss and networks: ``objectives``
    (default: Wasserstein, gradient penalty, condition cross-entropy and the every-column term at weight 0.2),
    ``ema=0.999`` (averaged generator weights), ``embedding_dim=128``, ``generator_dim=(256, 256)``,
    ``discriminator_dim=(256, 256)``, learning rates 2e-4 and weight decays 1e-6 with Adam (betas 0.5, 0.9),
    ``discriminator_steps=1``, ``log_frequency=True``, ``condition_focus=None`` (e.g. ``{"diagnosis": 0.5}``:
    half the training rows are conditioned on that column, so its classes - a rare one too - are learned with
    the critic comparing like with like), ``condition_modes=False`` (True: training conditions pick numeric
    columns' modes too - a count's high values, a tail - as CTAB-GAN does, so the critic compares a rare
    mode's rows with the real rows in it; ``conditions=`` still take categorical columns; a continued fit
    keeps it), ``pack_conditions=None`` (True: the ``pac`` rows of each critic pack share one condition
    and their real rows hold it, so the critic compares conditional distributions pack by pack - on Adult,
    rows asked for with a condition kept the real conditional distribution far better; False: each row of
    a pack has its own, as in the paper and ``classic()``; None: True when a batch holds at least 20 packs -
    from 800 training rows at ``pac=10`` - and False below, where few packs a step see few conditions;
    ``pack_conditions_`` says what a fit used; see README; no effect with ``pac=1``; a continued fit keeps
    the setting it started with), ``validation=None`` (a share of rows held out to select the best
    weights), ``device="auto"``, ``precision="auto"`` (bfloat16 only where native), ``random_state=None``,
    ``verbose=True``. ``CTGAN.classic()`` is the paper's configuration.

    Example:
        >>> from synthgan import CTGAN
        >>> from synthgan.data import load_heart_disease
        >>> model = CTGAN(epochs=2, batch_size=100, random_state=0, verbose=False).fit(load_heart_disease())
        >>> rows = model.sample(20, conditions={"sex": 0})
        >>> rows.shape, set(rows["sex"])
        ((20, 14), {0})
    """

    conditional = True
