"""``evaluate_images(real, synthetic, holdout=None) -> Report`` for image sets.

Fidelity: FID and KID of the synthetic images against the training images, per-class FID, each beside
the same figure for a fresh real sample of the same size (the holdout; without one, a split of the
training images) - FID is biased by sample size, so only that comparison is meaningful.
Privacy: ``memorisation_share``, the share of synthetic images whose nearest training image (feature
space) is closer than the 5% quantile of training images' distances to each other - the image
analogue of DCR, beside the same share for holdout images; ``memorisation_share_pixels``, the same in
pixel space against up to 20,000 training images (features are too costly for all of them on a CPU,
and a near-copy is near in pixels too); and pixel-exact copies of training images.

Example:
    >>> import numpy as np
    >>> from synthgan.io.images import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> def toy(n): return ImageSet(rng.integers(0, 255, (n, 8, 8, 1), dtype=np.uint8))
    >>> flat = lambda images: images.reshape(len(images), -1).astype(float)   # any (N, H, W, C) -> (N, D) map
    >>> report = evaluate_images(toy(60), toy(30), holdout=toy(30), extractor=flat)
    >>> report.get("privacy.exact_copies"), report.get("fidelity.kid") < 0.05
    (0, True)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .._random import make_rng
from .._version import __version__
from ..defaults import DEFAULT_MAX_IMAGES  # noqa: F401  (re-exported)
from ..exceptions import DataLoadError
from ..io.images import ImageSet, load_images
from .distance import nearest
from .fid import FeatureExtractor, fid, kid
from .report import Report

#: Per-class FID needs at least this many images of the class on each side.
MIN_CLASS_IMAGES = 10
MEMORISATION_QUANTILE = 0.05
#: Pixel-space memorisation compares with at most this many training images (all of them, usually).
PIXEL_TRAIN_CAP = 20_000


def evaluate_images(
    real,
    synthetic,
    holdout=None,
    *,
    extractor: FeatureExtractor | Callable | str | None = None,
    max_images: int = DEFAULT_MAX_IMAGES,
    random_state: int = 0,
) -> Report:
    """Compare ``synthetic`` images with the ``real`` ones they were trained on (folders, arrays,
    ``ImageSet``s or Parquet exports); ``holdout`` (real images kept out of training) is the baseline."""
    real = load_images(real)
    synthetic = load_images(synthetic, image_size=real.shape[1])
    holdout = load_images(holdout, image_size=real.shape[1]) if holdout is not None else None
    synthetic, holdout = _as_channels(synthetic, real.channels), _as_channels(holdout, real.channels)
    net = extractor if callable(extractor) and not isinstance(extractor, str) else FeatureExtractor(extractor)
    embed = net.features if isinstance(net, FeatureExtractor) else net
    rng = make_rng(random_state)
    n = min(max_images, len(synthetic), len(holdout) if holdout is not None else max(len(real) // 2, 2))
    synth = synthetic.subset(rng.permutation(len(synthetic))[:n])
    order = rng.permutation(len(real))
    if holdout is not None:
        fresh, pool = holdout.subset(rng.permutation(len(holdout))[:n]), real.subset(order[:PIXEL_TRAIN_CAP])
        source = "holdout"
    else:  # a split of the training images stands in for a fresh sample
        fresh, pool = real.subset(order[:n]), real.subset(order[n : n + PIXEL_TRAIN_CAP])
        source = "training split"
    train = pool.subset(slice(0, 2 * max_images))
    if len(train) < 2 or n < 2:
        raise DataLoadError("image evaluation needs at least 2 synthetic, 2 reference and 2 training images")
    f_train, f_synth, f_fresh = (np.asarray(embed(s.images), np.float64) for s in (train, synth, fresh))
    kid_rng = np.random.default_rng(rng.integers(2**32))
    threshold = _memorisation_threshold(f_train)
    p_pool = _pixels(
        pool
    )  # near-copies in pixel space, against many more training images than features allow
    p_threshold = _memorisation_threshold(p_pool)
    synth_fid = _fidelity(f_train, f_synth, train.labels, synth.labels, kid_rng)
    fresh_fid = _fidelity(f_train, f_fresh, train.labels, fresh.labels, kid_rng)
    data = {
        "fidelity": synth_fid,
        "privacy": {
            **_memorisation(f_synth, f_train, threshold),
            **_memorisation(_pixels(synth), p_pool, p_threshold, "_pixels"),
            **_copies(synthetic, real),
        },
        "reference": {
            "source": source,
            "fidelity": fresh_fid,
            "privacy": {
                **_memorisation(f_fresh, f_train, threshold),
                **_memorisation(_pixels(fresh), p_pool, p_threshold, "_pixels"),
                **(_copies(holdout, real) if holdout is not None else {}),
            },
        },
        "meta": {
            "synthgan_version": __version__,
            "kind": "images",
            "images": {
                "real": len(real),
                "synthetic": len(synthetic),
                "holdout": None if holdout is None else len(holdout),
                "evaluated": n,
                "training_reference": len(train),
            },
            "image_size": real.shape[1],
            "channels": real.channels,
            "features": net.describe()
            if isinstance(net, FeatureExtractor)
            else {"extractor": getattr(net, "__name__", type(net).__name__)},
            "random_state": random_state,
        },
    }
    return Report(data)


def _as_channels(images: ImageSet | None, channels: int) -> ImageSet | None:
    """Grayscale output of a colour training set is compared as colour (a new set; the input is left
    alone)."""
    if images is None or images.channels == channels or channels != 3:
        return images
    return ImageSet(np.repeat(images.images, 3, axis=3), images.labels)


def _fidelity(f_train, f_other, train_labels, other_labels, rng) -> dict:
    kid_mean, kid_std = kid(f_train, f_other, rng)
    out = {"fid": fid(f_train, f_other), "kid": kid_mean, "kid_std": kid_std, "images": len(f_other)}
    if train_labels is None or other_labels is None:
        out["fid_per_class"] = {"not_evaluated": "the images have no class labels"}
        return out
    per_class = {}
    for label in sorted(set(other_labels)):
        a, b = f_train[train_labels == label], f_other[other_labels == label]
        per_class[str(label)] = (
            fid(a, b)
            if min(len(a), len(b)) >= MIN_CLASS_IMAGES
            else {
                "not_evaluated": f"needs {MIN_CLASS_IMAGES} images of the class on each side "
                f"({len(a)} and {len(b)})"
            }
        )
    out["fid_per_class"] = per_class
    return out


def _memorisation_threshold(f_train: np.ndarray) -> float:
    """The 5% quantile of each training image's distance to its nearest other training image."""
    dists, _ = nearest(f_train, f_train, k=2)
    return float(np.quantile(dists[:, 1], MEMORISATION_QUANTILE))


def _memorisation(f_query: np.ndarray, f_train: np.ndarray, threshold: float, suffix: str = "") -> dict:
    dists, _ = nearest(f_query, f_train, k=1)
    return {
        f"memorisation_share{suffix}": float(np.mean(dists[:, 0] < threshold)),
        f"memorisation_threshold{suffix}": threshold,
        f"nearest_train_distance_median{suffix}": float(np.median(dists[:, 0])),
    }


def _pixels(images: ImageSet) -> np.ndarray:
    return images.images.reshape(len(images), -1).astype(np.float32) / 255


def _copies(query: ImageSet, train: ImageSet) -> dict:
    """Pixel-exact copies of training images (compared by hashing every image's bytes)."""
    if query.images.shape[1:] != train.images.shape[1:]:
        return {"exact_copies": 0, "exact_copy_rate": 0.0}
    seen = {image.tobytes() for image in train.images}
    copies = sum(image.tobytes() in seen for image in query.images)
    return {"exact_copies": int(copies), "exact_copy_rate": copies / len(query)}
