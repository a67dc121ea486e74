"""Dropout drawn from a ``torch.Generator`` passed in (``nn.Dropout`` draws from the global RNG, which
would make fits depend on what ran before them).

Example:
    >>> import torch
    >>> f = dropout_factors(torch.Size([1000]), 0.5, torch.Generator().manual_seed(0), torch.empty(0))
    >>> sorted(set(f.tolist())), 0.4 < float((f == 0).float().mean()) < 0.6
    ([0.0, 2.0], True)
"""

from __future__ import annotations

import sys

import torch

from .._random import random_bits


def dropout_factors(
    shape: torch.Size, rate: float, generator: torch.Generator | None, like: torch.Tensor
) -> torch.Tensor:
    """Inverted-dropout factors (0 or 1 / (1 - rate)) in ``like``'s dtype and device, from random bytes:
    one 64-bit draw per 8 entries (``torch.rand`` spends a 32-bit draw per entry). ``rate`` is rounded to
    a multiple of 1/256. At rate 0.5 the factor is written as a bit: 2.0's high byte is 0x40 in every
    IEEE float format, so a random byte's bit 6 in the high byte of a zeroed buffer is 2.0 or 0.0."""
    bits = random_bits(shape, torch.uint8, generator, like.device)
    drop = min(round(rate * 256), 255)
    if (
        drop == 128
        and sys.byteorder == "little"
        and like.dtype in (torch.float32, torch.bfloat16, torch.float16)
    ):
        factors = torch.zeros(shape, dtype=like.dtype, device=like.device)
        high = factors.view(torch.uint8).view(*shape, -1)[..., -1]  # little-endian: each entry's last byte
        torch.bitwise_and(bits, 0x40, out=high)
        return factors
    return (bits >= drop).to(like.dtype) * (256.0 / (256 - drop))
