"""One adversarial step for images (WGAN-GP, optionally class-conditional), driven by the shared
epoch loop in ``loop.py`` (progress bar, history, time budget, NaN stop)."""

from __future__ import annotations


import numpy as np
import torch

from .._device import autocast
from ..losses import critic_loss, generator_loss, gradient_penalty
from ..models.image import ImageCritic, ImageGenerator
from .loop import History, TrainConfig, run_epochs


def train_images(
    generator: ImageGenerator,
    critic: ImageCritic,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    images: torch.Tensor,
    codes: torch.Tensor | None,
    config: TrainConfig,
    rng: np.random.Generator,
    torch_gen: torch.Generator,
) -> History:
    """``images``: uint8 (N, C, H, W) on the training device; ``codes``: (N,) class codes or None."""
    opt_g, opt_c = optimizers
    device, n = images.device, images.shape[0]
    size = min(config.batch_size, n)
    precision = autocast(device, config.autocast_dtype)

    def draw() -> tuple[torch.Tensor, torch.Tensor | None]:
        rows = torch.as_tensor(rng.integers(0, n, size), device=device)
        real = images[rows].float().div_(127.5).sub_(1.0)
        return real, None if codes is None else codes[rows]

    def step() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        for _ in range(config.critic_steps):
            real, labels = draw()  # fakes get the real batch's labels: the class mix of the data
            noise = torch.randn(size, config.noise_dim, generator=torch_gen, device=device)
            with precision:
                with torch.no_grad():
                    fake = generator(noise, labels).float()
                scores = critic(torch.cat([real, fake]), None if labels is None else torch.cat([labels, labels]))
                loss_c = critic_loss(scores[:size], scores[size:])
                penalty = gradient_penalty(
                    lambda x, generator=None: critic(x, labels), real, fake, pac=1, weight=config.penalty_weight, generator=torch_gen
                )
            opt_c.zero_grad(set_to_none=True)
            (loss_c + penalty).backward()
            opt_c.step()
        noise = torch.randn(size, config.noise_dim, generator=torch_gen, device=device)
        critic.requires_grad_(False)
        with precision:
            loss_g = generator_loss(critic(generator(noise, labels), labels))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        critic.requires_grad_(True)
        return loss_g, loss_c, penalty

    return run_epochs(step, max(1, n // size), config)
