"""The gradient penalty's pieces (random interpolates, the norm penalty), differentiable by autograd; the
Wasserstein terms themselves are objectives (``synthgan.training.objectives``).

Example:
    >>> import torch
    >>> critic = lambda x: x.sum(dim=1, keepdim=True)  # gradient norm sqrt(2) everywhere
    >>> real, fake = torch.zeros(4, 2), torch.ones(4, 2)
    >>> mixed = interpolate(real, fake, packs=4).requires_grad_(True)
    >>> (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    >>> round(norm_penalty(grad, weight=1.0).item(), 4)  # (sqrt(2) - 1)^2
    0.1716
"""

from __future__ import annotations

import torch


def interpolate(
    real: torch.Tensor, fake: torch.Tensor, packs: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Random points between real and fake, one mix ratio per pack (rows of a PacGAN pack, or one image):
    ``real`` and ``fake`` hold ``packs`` packs of equal size, in any shape."""
    alpha = torch.rand(packs, 1, generator=generator, device=real.device, dtype=real.dtype)
    return torch.lerp(fake.reshape(packs, -1), real.reshape(packs, -1), alpha).view_as(real)


def norm_penalty(grad: torch.Tensor, weight: float) -> torch.Tensor:
    """weight * mean((||g|| - 1)^2) over the rows of ``grad``, (packs, features): the WGAN-GP term.
    Norms in float32 whatever ``grad``'s dtype."""
    norms = torch.linalg.vector_norm(grad.float(), dim=1)
    return weight * (norms - 1.0).square().mean()
