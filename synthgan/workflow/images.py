"""Release synthetic images: sample, evaluate against the real train/holdout images, gate, and only then
write them atomically - a Parquet file (``image`` PNG bytes, ``label``, provenance metadata) or a
folder of PNGs with one sub-folder per class (provenance in ``synthgan.json``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from .._random import make_rng
from ..evaluation.images import DEFAULT_MAX_IMAGES, evaluate_images
from ..exceptions import InvalidParameterError
from ..gate import Policy
from ..io.atomic import check_writable
from ..io.export import write_rows
from ..io.images import ImageSet
from .release import Release, _metadata, judge

FORMATS = ("parquet", "png")
SUMMARY_METRICS = ("fidelity.fid", "fidelity.kid", "privacy.memorisation_share", "privacy.exact_copies")
#: The provenance file written inside an exported PNG folder.
FOLDER_METADATA = "synthgan.json"


def release_images(
    model,
    n: int,
    out: str | os.PathLike,
    *,
    train: ImageSet | None,
    holdout: ImageSet | None,
    policy: Policy | None,
    conditions: Mapping | None = None,
    seed: int | None = None,
    provenance: Mapping | None = None,
    fmt: str = "parquet",
    extractor=None,
    max_images: int = DEFAULT_MAX_IMAGES,
) -> Release:
    """Sample ``n`` images from ``model`` and write them to ``out`` if the gate passes (``policy=None``
    skips it)."""
    if fmt not in FORMATS:
        raise InvalidParameterError(f"format={fmt!r} is not accepted; use one of {list(FORMATS)}")
    out = Path(out)
    if fmt == "parquet":
        out = check_writable(out)
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidParameterError(f"{out} exists and is not an empty folder; choose a new output folder")
    images = model.sample(n, conditions=conditions, random_state=make_rng(seed))
    report = decision = report_path = None
    if policy is not None:
        label = (conditions or {}).get("label")
        real, hold = _matching(train, label), None if holdout is None else _matching(holdout, label)
        report = evaluate_images(real, images, hold, extractor=extractor, max_images=max_images)
        decision, report_path = judge(report, policy, out, "synthetic images")
    metadata = _metadata(
        n, policy, decision, None, provenance, seed=seed, conditions=dict(conditions or {}), kind="images"
    )
    if report is not None:
        metadata["metrics"] = {k: report.get(k, None) for k in SUMMARY_METRICS}
    if fmt == "png":
        path = images.write_folder(
            out, extra_files={FOLDER_METADATA: json.dumps(metadata, indent=2, default=str)}
        )
    else:
        path = write_rows(out, iter([images.to_frame()]), metadata)
    return Release(path, report_path, decision, report)


def _matching(images: ImageSet, label) -> ImageSet:
    """The real images of the requested class (all of them without a condition)."""
    if label is None or images.labels is None:
        return images
    keep = images.labels == str(label)
    if keep.sum() < 2:
        raise InvalidParameterError(
            f"the real data has {int(keep.sum())} images of label {label!r}; too few to judge the output"
        )
    return images.subset(keep)
