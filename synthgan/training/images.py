"""What the engine needs to train an image GAN: batches of real images (scaled to [-1, 1]) with their
class codes, and fakes for the same codes (so fakes follow the data's class mix)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn


@dataclass
class ImageBatch:
    inputs: torch.Tensor  # (B, C, H, W) pixels in [-1, 1]
    context: torch.Tensor | None  # (B,) class codes, or None for an unlabelled set
    rows: torch.Tensor | None = None
    index: torch.Tensor | None = None


@dataclass
class ImageFake:
    inputs: torch.Tensor
    rows: torch.Tensor | None = None
    raw: torch.Tensor | None = None


class ImageTask:
    """``images``: uint8 (N, C, H, W) on the training device; ``codes``: (N,) class codes or None."""

    pac = 1

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        images: torch.Tensor,
        codes: torch.Tensor | None,
        *,
        noise_dim: int,
        batch_size: int,
    ) -> None:
        self.generator, self.critic, self.images, self.codes = generator, critic, images, codes
        self.noise_dim, self.batch_size = noise_dim, min(batch_size, len(images))
        self.steps_per_epoch = max(1, len(images) // self.batch_size)
        self.forward: Callable = generator

    @property
    def device(self) -> torch.device:
        return self.images.device

    def draw(self, rng: np.random.Generator) -> ImageBatch:
        rows = torch.as_tensor(rng.integers(0, len(self.images), self.batch_size), device=self.device)
        real = self.images.index_select(0, rows).float().div_(127.5).sub_(1.0)
        return ImageBatch(real, None if self.codes is None else self.codes.index_select(0, rows))

    def generate(self, batch: ImageBatch, generator: torch.Generator) -> ImageFake:
        noise = torch.randn(self.batch_size, self.noise_dim, generator=generator, device=self.device)
        return ImageFake(self.forward(noise, batch.context).float())
