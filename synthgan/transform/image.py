"""The reversible encoding of images for the conv models: uint8 (N, H, W, C) <-> float (N, C, H, W)
in [-1, 1] (the generator's tanh range), and class names <-> integer codes.

Example:
    >>> import numpy as np
    >>> x = np.array([[[[0], [255]]]], np.uint8)          # one 1x2 grayscale image
    >>> t = to_tensor(x); t.shape, t.min().item(), t.max().item()
    (torch.Size([1, 1, 1, 2]), -1.0, 1.0)
    >>> bool((from_tensor(t) == x).all())
    True
"""

from __future__ import annotations

import numpy as np
import torch

from ..exceptions import ConditionError


def to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 (N, H, W, C) -> float32 (N, C, H, W) in [-1, 1]."""
    return torch.as_tensor(images, device=device).permute(0, 3, 1, 2).float().div(127.5).sub(1.0).contiguous()


def from_tensor(pixels: torch.Tensor) -> np.ndarray:
    """float (N, C, H, W) in [-1, 1] -> uint8 (N, H, W, C), rounded and clipped."""
    scaled = pixels.detach().float().add(1.0).mul(127.5).round().clamp(0, 255)
    return scaled.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy().copy()


class LabelCodes:
    """Class names <-> codes 0..K-1 (sorted names, so the coding does not depend on file order)."""

    def __init__(self, classes) -> None:
        self.classes = tuple(str(c) for c in classes)
        self._index = {c: i for i, c in enumerate(self.classes)}

    def encode(self, labels) -> np.ndarray:
        return np.asarray([self._index[str(v)] for v in labels], dtype=np.int64)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes, dtype=object)[np.asarray(codes, dtype=np.int64)]

    def code_of(self, value) -> int:
        """The code of one requested class; unknown ones are refused with the accepted names."""
        key = str(value)
        if key not in self._index:
            shown = ", ".join(self.classes[:20]) + (" ..." if len(self.classes) > 20 else "")
            raise ConditionError(f"label {key!r} is not a class of the training images; classes: {shown}")
        return self._index[key]
