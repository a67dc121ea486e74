"""Image sets: read a folder (one sub-folder per class, or flat), an array or an exported Parquet file
into one ``ImageSet`` of equal-sized uint8 images; write them back as PNG bytes or a class folder.

Grayscale or RGB is decided for the whole set (RGB only if some image has colour), and every image
is resized to one square size (default: the median side rounded to a multiple of 4, at most 64).
DICOM files (``.dcm``) are read by ``dicom.py``: rescaled, windowed and resized at full depth, then
scaled to 8 bits; multi-frame files give one image per frame; no header element is read.

Example:
    >>> import numpy as np
    >>> images = ImageSet.from_array(np.zeros((3, 8, 8), np.uint8), labels=["a", "b", "a"])
    >>> images.shape, images.classes, images.channels
    ((3, 8, 8, 1), ('a', 'b'), 1)
"""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from ..exceptions import DataLoadError, InvalidParameterError

#: File endings read from a folder (Pillow decodes them).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm")
#: Image sides the convolutional models accept: multiples of 4 in this range.
MIN_SIDE, MAX_SIDE = 8, 64


@dataclass
class ImageSet:
    """``images``: (N, H, W, C) uint8 with C 1 or 3; ``labels``: N class names (str) or None."""

    images: np.ndarray
    labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.shape[3] not in (1, 3) or self.images.dtype != np.uint8:
            raise InvalidParameterError(
                f"images must be (N, H, W, 1|3) uint8, got {self.images.shape} {self.images.dtype}"
            )
        if self.labels is not None:
            self.labels = np.asarray([str(v) for v in self.labels], dtype=object)
            if len(self.labels) != len(self.images):
                raise InvalidParameterError(
                    f"labels has {len(self.labels)} entries for {len(self.images)} images"
                )

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.images.shape)

    @property
    def channels(self) -> int:
        return int(self.images.shape[3])

    @property
    def classes(self) -> tuple[str, ...]:
        return () if self.labels is None else tuple(sorted(set(self.labels)))

    def subset(self, index) -> "ImageSet":
        return ImageSet(self.images[index], None if self.labels is None else self.labels[index])

    @classmethod
    def from_array(cls, array, labels=None) -> "ImageSet":
        """(N, H, W) or (N, H, W, C) uint8 array, or floats in [0, 1]."""
        array = np.asarray(array)
        if array.ndim == 3:
            array = array[..., None]
        if array.ndim != 4 or array.shape[3] not in (1, 3, 4):
            raise InvalidParameterError(
                f"an image array must be (N, H, W) or (N, H, W, 1|3|4), got shape {array.shape}"
            )
        if array.dtype != np.uint8:
            if not np.issubdtype(array.dtype, np.number) or not np.isfinite(array).all():
                raise InvalidParameterError("image arrays must be uint8, or finite floats in [0, 1]")
            array = np.clip(np.rint(array.astype(np.float64) * 255), 0, 255).astype(np.uint8)
        return cls(np.ascontiguousarray(array[..., :3]), labels)

    # ---- export ----------------------------------------------------------------------------------
    def png_bytes(self) -> list[bytes]:
        out = []
        for image in self.images:
            buffer = io.BytesIO()
            Image.fromarray(image[..., 0] if image.shape[2] == 1 else image).save(buffer, format="PNG")
            out.append(buffer.getvalue())
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per image: ``image`` (PNG bytes) and, when labelled, ``label``."""
        frame = pd.DataFrame({"image": self.png_bytes()})
        if self.labels is not None:
            frame["label"] = self.labels
        return frame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, image_size: int | None = None) -> "ImageSet":
        """The inverse of ``to_frame`` (an exported Parquet file read back)."""
        if "image" not in frame.columns:
            raise DataLoadError(
                f"the table has no 'image' column (columns: {list(frame.columns)[:10]}); not an image export"
            )
        decoded, bad = [], []
        for i, blob in enumerate(frame["image"]):
            try:
                decoded.append(Image.open(io.BytesIO(blob)))
                decoded[-1].load()
            except (UnidentifiedImageError, OSError, TypeError):
                bad.append(f"row {i}")
        if bad:
            raise DataLoadError(f"{len(bad)} image cells cannot be decoded (first: {', '.join(bad[:3])})")
        labels = frame["label"].astype(str).to_numpy() if "label" in frame.columns else None
        return cls(_stack(decoded, image_size), labels)

    def write_folder(self, folder: str | os.PathLike, extra_files: dict[str, str] | None = None) -> Path:
        """PNG files, one sub-folder per class (plus ``extra_files`` name -> text); written to a temporary
        folder, then renamed into place, so a crash never leaves a half-written output folder."""
        folder = Path(folder)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise InvalidParameterError(
                f"{folder} exists and is not an empty folder; choose a new output folder"
            )
        tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            for i, (blob, label) in enumerate(
                zip(self.png_bytes(), self.labels if self.labels is not None else [None] * len(self))
            ):
                target = tmp / label if label is not None else tmp
                target.mkdir(parents=True, exist_ok=True)
                (target / f"{i:06d}.png").write_bytes(blob)
            tmp.mkdir(parents=True, exist_ok=True)
            for name, text in (extra_files or {}).items():
                (tmp / name).write_text(text, encoding="utf-8")
            if folder.exists():
                folder.rmdir()
            os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return folder


def load_images(source, labels=None, image_size: int | None = None, window=None) -> ImageSet:
    """An ``ImageSet`` from a folder, an ``ImageSet``, an array or a Parquet export; resized to
    ``image_size``. ``window`` (centre, width) overrides the DICOM files' own windows."""
    if isinstance(source, ImageSet):
        images = source if labels is None else ImageSet(source.images, labels)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_file() and path.suffix.lower() == ".parquet":
            images = ImageSet.from_frame(pd.read_parquet(path), image_size)
        else:
            images = _read_folder(path, image_size, window)
        if labels is not None:
            images = ImageSet(images.images, labels)
    else:
        images = ImageSet.from_array(source, labels)
    if len(images) == 0:
        raise DataLoadError("the image set is empty")
    side = check_side(image_size) if image_size is not None else None
    if side is not None and images.images.shape[1:3] != (side, side):
        images = ImageSet(
            _stack([Image.fromarray(_squeeze(im)) for im in images.images], side), images.labels
        )
    return images


def is_image_source(path: str | os.PathLike) -> bool:
    """A folder, or a Parquet file with a binary ``image`` column (an image export)."""
    path = Path(path)
    if path.is_dir():
        return True
    if path.is_file() and path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(path)
        except (OSError, ValueError):
            return False
        return "image" in schema.names and str(schema.field("image").type) in ("binary", "large_binary")
    return False


def check_side(value) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not MIN_SIDE <= value <= MAX_SIDE
        or value % 4
    ):
        raise InvalidParameterError(
            f"image_size={value!r} must be a multiple of 4 from {MIN_SIDE} to {MAX_SIDE}, e.g. 28, 32 or 64"
        )
    return int(value)


def default_side(sizes: list[tuple[int, int]]) -> int:
    """The median of the images' longer sides, rounded to a multiple of 4 within [8, 64]."""
    median = float(np.median([max(s) for s in sizes]))
    return int(min(MAX_SIDE, max(MIN_SIDE, 4 * round(median / 4))))


def _read_folder(path: Path, image_size: int | None, window=None) -> ImageSet:
    if not path.exists():
        raise DataLoadError(f"{path}: no such folder")
    if not path.is_dir():
        raise DataLoadError(
            f"{path}: not a folder of images (give a folder with one sub-folder per class, or a flat folder)"
        )
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    classes = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if files and classes:
        raise DataLoadError(f"{path}: has both image files and class sub-folders; use one layout")
    if classes:
        per_class = {
            c.name: sorted(p for p in c.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            for c in classes
        }
        empty = [name for name, found in per_class.items() if not found]
        if empty:
            raise DataLoadError(
                f"{path}: class folders without images: {', '.join(empty[:5])} ({len(empty)} of "
                f"{len(classes)})"
            )
        files = [p for found in per_class.values() for p in found]
        labels = [name for name, found in per_class.items() for _ in found]
    elif not files:
        raise DataLoadError(f"{path}: no images found (looked for {', '.join(IMAGE_SUFFIXES)})")
    else:
        labels = None
    opened, kept, bad, dicom_errors = [], [], [], []
    for p, label in zip(files, labels if labels is not None else [None] * len(files)):
        if p.suffix.lower() == ".dcm":
            from .dicom import read_dicom

            try:
                frames = read_dicom(p, window)
            except DataLoadError as exc:
                dicom_errors.append(str(exc))
                continue
            opened += frames
            kept += [label] * len(frames)
            continue
        try:
            with Image.open(p) as image:
                image.load()
                opened.append(image.copy())
                kept.append(label)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            bad.append(p.relative_to(path).as_posix())
    if dicom_errors:
        raise DataLoadError(
            f"{path}: {len(dicom_errors)} DICOM files cannot be used (first: {dicom_errors[0]})"
        )
    if bad:
        raise DataLoadError(
            f"{path}: {len(bad)} unreadable image files (first: {', '.join(bad[:3])}); remove or fix them"
        )
    return ImageSet(_stack(opened, image_size), None if labels is None else kept)


def _stack(images: list[Image.Image], image_size: int | None) -> np.ndarray:
    """Equal-sized uint8 array: one colour mode for all (L unless some image has colour), one square side."""
    side = check_side(image_size) if image_size is not None else default_side([im.size for im in images])
    rgb = [_rgb(im, side) for im in images]
    array = np.stack(rgb)
    colour = bool((array[..., 0] != array[..., 1]).any() or (array[..., 1] != array[..., 2]).any())
    return np.ascontiguousarray(array if colour else array[..., :1])


def _rgb(image: Image.Image, side: int) -> np.ndarray:
    """(side, side, 3) uint8; a float image (mode ``F``, values 0-255: DICOM) is resized before it is
    rounded to 8 bits, so its depth is kept until this last scaling."""
    if image.mode == "F":
        if image.size != (side, side):
            image = image.resize((side, side), Image.Resampling.BICUBIC)
        gray = np.clip(np.rint(np.asarray(image, dtype=np.float64)), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    image = image.convert("RGB")
    if image.size != (side, side):
        image = image.resize((side, side), Image.Resampling.BICUBIC)
    return np.asarray(image)


def _squeeze(image: np.ndarray) -> np.ndarray:
    return image[..., 0] if image.shape[2] == 1 else image
