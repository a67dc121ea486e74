"""The image GAN networks: DCGAN-style conv nets for 8-64 px squares with 1 or 3 channels.

Generator: noise (+ a learned class embedding) -> Linear to a small (s0 x s0) map -> transposed
convs that double the side (BatchNorm, ReLU) -> 3x3 conv -> tanh pixels. Critic: strided convs that
halve the side (LeakyReLU 0.2, no batch norm, as WGAN-GP needs) -> flat features -> a score plus, with
classes, the projection term <embed(y), features> (Miyato & Koyama 2018). Randomness at
initialisation comes only from the ``torch.Generator`` passed to ``init_conv_weights``.
"""

from __future__ import annotations

import torch
from torch import nn


def stages(side: int) -> tuple[int, int]:
    """(start side s0, doublings k) with s0 * 2**k == side and s0 >= 4: 28 -> (7, 2), 64 -> (4, 4)."""
    start, k = side, 0
    while start % 2 == 0 and start // 2 >= 4:
        start, k = start // 2, k + 1
    return start, k


def widths(width: int, k: int) -> list[int]:
    """Channels from the small map up to the full image: halving per stage, at most 8 x width."""
    return [min(8 * width, width * 2 ** (k - i)) for i in range(k + 1)]


class ImageGenerator(nn.Module):
    """(B, noise_dim) noise and (B,) class codes -> (B, channels, side, side) pixels in [-1, 1]."""

    def __init__(
        self,
        noise_dim: int,
        side: int,
        channels: int,
        n_classes: int = 0,
        width: int = 32,
        embed_dim: int = 32,
    ) -> None:
        super().__init__()
        self.start, k = stages(side)
        self.chans = widths(width, k)
        self.embed = nn.Embedding(n_classes, embed_dim) if n_classes else None
        in_dim = noise_dim + (embed_dim if n_classes else 0)
        self.project = nn.Sequential(
            nn.Linear(in_dim, self.chans[0] * self.start**2, bias=False),
            nn.BatchNorm1d(self.chans[0] * self.start**2),
            nn.ReLU(),
        )
        self.up = nn.Sequential(
            *[
                nn.Sequential(
                    nn.ConvTranspose2d(a, b, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU()
                )
                for a, b in zip(self.chans[:-1], self.chans[1:])
            ]
        )
        self.to_pixels = nn.Conv2d(self.chans[-1], channels, 3, padding=1)

    def forward(self, noise: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = noise if self.embed is None else torch.cat([noise, self.embed(labels)], dim=1)
        x = self.project(z).view(-1, self.chans[0], self.start, self.start)
        return torch.tanh(self.to_pixels(self.up(x)))


class ImageCritic(nn.Module):
    """(B, channels, side, side) pixels and (B,) class codes -> (B, 1) Wasserstein scores and (B, features)
    flat features (what feature-matching objectives compare)."""

    def __init__(self, side: int, channels: int, n_classes: int = 0, width: int = 32) -> None:
        super().__init__()
        start, k = stages(side)
        chans = widths(width, k)[::-1]  # full image -> small map
        layers, previous = [nn.Conv2d(channels, chans[0], 3, padding=1), nn.LeakyReLU(0.2)], chans[0]
        for c in chans[1:]:
            layers += [nn.Conv2d(previous, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            previous = c
        self.features = nn.Sequential(*layers, nn.Flatten())
        flat = previous * start**2
        self.score = nn.Linear(flat, 1)
        self.project = nn.Embedding(n_classes, flat) if n_classes else None

    def forward(
        self,
        pixels: torch.Tensor,
        labels: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``generator`` is unused (no dropout), accepted like the tabular critic's."""
        h = self.features(pixels)
        out = self.score(h)
        if self.project is not None:
            out = out + (self.project(labels) * h).sum(dim=1, keepdim=True)
        return out, h


def init_conv_weights(module: nn.Module, generator: torch.Generator) -> None:
    """DCGAN initialisation (weights N(0, 0.02), norms N(1, 0.02), biases 0), drawn from ``generator``."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
                layer.weight.normal_(0.0, 0.02, generator=generator)
            elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
                layer.weight.normal_(1.0, 0.02, generator=generator)
            bias = getattr(layer, "bias", None)
            if isinstance(bias, torch.Tensor):
                bias.zero_()
