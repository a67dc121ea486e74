"""DICOM files as images: pixel data only, rescaled and windowed, at full depth until the final scaling.

Reading needs ``pydicom`` (``pip install "synthgan[dicom]"``). Per file:

- the stored values go through the modality rescale (``RescaleSlope`` / ``RescaleIntercept``: CT in
  Hounsfield units) in float64;
- then the window: ``window=(centre, width)`` when given (``synthgan fit --window C,W``), else the file's
  first ``WindowCenter`` / ``WindowWidth``, else the image's own range; values map linearly onto [0, 1]
  (``MONOCHROME1`` inverted, so bright is dense as in ``MONOCHROME2``);
- the result is a float image (Pillow mode ``F``), resized in float and only then scaled to 8 bits, so a
  16-bit image keeps its depth until the final scaling;
- a multi-frame file is refused (its frames are one patient's, and as separate images they would count as
  several patients in the holdout split and in the reports' k-threshold); export one frame per file;
- a file whose ``BurnedInAnnotation`` is ``YES`` (text such as a name burned into the pixels) is refused;
- colour (``RGB``; ``YBR_*`` converted to RGB) is kept as colour, without windowing;
- compressed transfer syntaxes are decoded when an installed handler can (RLE always; JPEG with Pillow,
  pylibjpeg or GDCM); otherwise the file is refused naming its compression.

Nothing from the header - patient name, IDs, dates, institution, any other element - is read into the
image set, so none of it reaches a model file, a report or an output.

Example:
    >>> import numpy as np
    >>> window_to_unit(np.array([-1000.0, 40.0, 1000.0]), centre=40.0, width=400.0).round(2).tolist()
    [0.0, 0.5, 1.0]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from ..exceptions import DataLoadError, InvalidParameterError

SUFFIX = ".dcm"


def parse_window(text: str | None) -> tuple[float, float] | None:
    """``"40,400"`` -> ``(40.0, 400.0)`` (centre, width); the width must be positive."""
    if text is None:
        return None
    try:
        centre, width = (float(v) for v in str(text).split(","))
    except ValueError:
        raise InvalidParameterError(f"--window {text!r}: give CENTRE,WIDTH, e.g. --window 40,400") from None
    if not width > 0:
        raise InvalidParameterError(f"--window {text!r}: the width must be positive")
    return centre, width


def window_to_unit(values: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Linear window onto [0, 1]: ``centre - width / 2`` -> 0, ``centre + width / 2`` -> 1, clipped."""
    low = centre - width / 2.0
    return np.clip((values - low) / width, 0.0, 1.0)


def read_dicom(path: str | os.PathLike, window: tuple[float, float] | None = None) -> list[Image.Image]:
    """The frames of one DICOM file as Pillow images: mode ``F`` (values 0-255 as floats) for grayscale,
    ``RGB`` for colour. Raises ``DataLoadError`` naming the file and the reason when it cannot be read."""
    pydicom = _pydicom()
    path = Path(path)
    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:  # pydicom raises many kinds for a damaged file
        raise DataLoadError(f"{path.name}: not a readable DICOM file ({type(exc).__name__})") from None
    if "PixelData" not in ds:
        raise DataLoadError(f"{path.name}: a DICOM file without pixel data (not an image)")
    try:
        pixels = ds.pixel_array
    except Exception as exc:
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        name = getattr(syntax, "name", "an unknown transfer syntax")
        raise DataLoadError(
            f"{path.name}: its pixel data uses {name}, which no installed decoder reads "
            f"({type(exc).__name__}); install pylibjpeg or python-gdcm, or convert the files to an "
            "uncompressed transfer syntax"
        ) from None
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2")).upper()
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if frames > 1:
        raise DataLoadError(
            f"{path.name}: a multi-frame file ({frames} frames of one patient); export one frame per file"
        )
    if str(getattr(ds, "BurnedInAnnotation", "NO")).upper() == "YES":
        raise DataLoadError(
            f"{path.name}: BurnedInAnnotation is YES (text burned into the pixels may identify the "
            "patient); remove the annotation or leave the file out"
        )
    colour = int(getattr(ds, "SamplesPerPixel", 1) or 1) == 3
    if colour:
        if photometric.startswith("YBR"):
            from pydicom.pixels import convert_color_space

            pixels = convert_color_space(pixels, photometric, "RGB")
        elif photometric != "RGB":
            raise DataLoadError(f"{path.name}: colour images in {photometric} are not supported")
        stack = pixels if frames > 1 else pixels[None]
        bits = int(getattr(ds, "BitsStored", 8) or 8)
        return [Image.fromarray(_to_uint8(frame, bits)) for frame in stack]
    if not photometric.startswith("MONOCHROME"):
        raise DataLoadError(f"{path.name}: photometric interpretation {photometric} is not supported")
    stack = (pixels if frames > 1 else pixels[None]).astype(np.float64)
    slope = float(getattr(ds, "RescaleSlope", 1.0) or 1.0)
    intercept = float(getattr(ds, "RescaleIntercept", 0.0) or 0.0)
    out = []
    for frame in stack:
        values = frame * slope + intercept
        centre, width = window or _file_window(ds) or _range_window(values)
        unit = window_to_unit(values, centre, width)
        if photometric == "MONOCHROME1":
            unit = 1.0 - unit
        out.append(Image.fromarray((unit * 255.0).astype(np.float32), mode="F"))
    return out


def _file_window(ds) -> tuple[float, float] | None:
    centre, width = getattr(ds, "WindowCenter", None), getattr(ds, "WindowWidth", None)
    if centre is None or width is None:
        return None
    try:
        centre, width = _first(centre), _first(width)
    except (TypeError, ValueError, IndexError):
        return None
    return (centre, width) if width > 0 else None


def _first(value) -> float:
    """A window element's first value (the element may hold several windows)."""
    if isinstance(value, str) or not hasattr(value, "__len__"):
        return float(value)
    return float(value[0])


def _range_window(values: np.ndarray) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    return (low + high) / 2.0, max(high - low, 1e-9)


def _to_uint8(frame: np.ndarray, bits: int) -> np.ndarray:
    """Colour samples of ``bits`` stored bits scaled to 8 bits (12-bit data by 4095, not 65535)."""
    if frame.dtype == np.uint8 and bits <= 8:
        return frame
    top = float(2**bits - 1)
    return np.clip(np.rint(frame.astype(np.float64) / top * 255.0), 0, 255).astype(np.uint8)


def _pydicom():
    try:
        import pydicom
    except ImportError:
        raise DataLoadError(
            'reading DICOM files needs pydicom: pip install "synthgan[dicom]" (or pip install pydicom)'
        ) from None
    return pydicom
