"""A self-contained HTML report for images: the gate's decision on top, FID / KID and memorisation beside
the real-vs-real reference, and per class the synthetic images beside the class's mean real image.

Real images are patients' images. By default the page shows none of them: each class's real side is the
mean of its images (the mean of at least k = 5 images singles out nobody; a class with fewer shows no real
image). ``show_real=True`` adds a grid of real images per class, and ``show_neighbours=True`` the synthetic
images closest to a training image beside that image (pixel distance) - both only when the user asks.

Example:
    >>> import numpy as np
    >>> from synthgan.io.images import ImageSet
    >>> tiles = ImageSet.from_array(np.zeros((6, 8, 8), np.uint8), labels=["a"] * 6)
    >>> "<img" in class_grids(tiles, tiles, show_real=False)
    True
"""

from __future__ import annotations

import base64
import html

import numpy as np

from ..io.images import ImageSet
from ..transform.bounds import MIN_COUNT
from .html import _fmt, head, verdict

SCORES = {
    "fidelity.fid": "Fréchet distance between feature distributions (lower = closer to the real images).",
    "fidelity.kid": "Kernel inception distance (unbiased; lower = closer).",
    "privacy.memorisation_share": "Share of synthetic images nearer a training image than real ones are.",
    "privacy.memorisation_share_pixels": "The same, measured on pixels.",
    "privacy.exact_copies": "Synthetic images identical to a training image.",
}
#: Images per class in each grid.
PER_CLASS = 8
#: Closest synthetic-training pairs shown with ``show_neighbours``.
PAIRS = 8


def render_images(
    report,
    real: ImageSet,
    synthetic: ImageSet,
    decision=None,
    policy=None,
    show_real: bool = False,
    show_neighbours: bool = False,
) -> str:
    """The whole HTML document as a string."""
    rows = [
        f"<tr><td><code>{key}</code></td><td>{_fmt(report.get(key, None))}</td>"
        f"<td>{_fmt(report.get('reference.' + key, None))}</td><td>{html.escape(meaning)}</td></tr>"
        for key, meaning in SCORES.items()
    ]
    parts = [
        head("synthgan image evaluation"),
        "<h1>synthgan image evaluation report</h1>",
        *verdict(decision, policy, "images"),
        "<h2>Scores</h2><table><tr><th>metric</th><th>synthetic</th><th>real reference</th>"
        "<th>meaning</th></tr>",
        *rows,
        "</table>",
        "<h2>Per class: synthetic images beside the mean real image</h2>",
        class_grids(real, synthetic, show_real),
    ]
    if show_neighbours:
        parts += [
            "<h2>Synthetic images closest to a training image "
            "(shown on request: these are training images)</h2>",
            neighbour_pairs(real, synthetic),
        ]
    parts.append("</body></html>")
    return "\n".join(parts)


def class_grids(real: ImageSet, synthetic: ImageSet, show_real: bool) -> str:
    classes = real.classes or ("(all)",)
    out = ["<table><tr><th>class</th><th>mean real image</th><th>synthetic</th>"]
    if show_real:
        out.append("<th>real (shown on request)</th>")
    out.append("</tr>")
    for label in classes:
        r = real.images if not real.classes else real.images[real.labels == label]
        s = synthetic.images if not synthetic.classes else synthetic.images[synthetic.labels == label]
        mean = (
            _tag(np.rint(r.astype(np.float64).mean(axis=0)).astype(np.uint8), f"mean of {len(r)} real images")
            if len(r) >= MIN_COUNT
            else f"<i>fewer than {MIN_COUNT} images: not shown</i>"
        )
        cells = [
            f"<tr><td>{html.escape(label)}</td><td>{mean}</td><td>{_strip(s[:PER_CLASS], 'synthetic')}</td>"
        ]
        if show_real:
            cells.append(f"<td>{_strip(r[:PER_CLASS], 'real')}</td>")
        out.append("".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def neighbour_pairs(real: ImageSet, synthetic: ImageSet) -> str:
    """The ``PAIRS`` synthetic images nearest (pixel L2) to a training image, each beside that image."""
    a = synthetic.images.reshape(len(synthetic), -1).astype(np.float32) / 255.0
    b = real.images.reshape(len(real), -1).astype(np.float32) / 255.0
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    nearest = d2.argmin(axis=1)
    distance = np.sqrt(np.maximum(d2[np.arange(len(a)), nearest], 0.0))
    rows = ["<table><tr><th>synthetic</th><th>nearest training image</th><th>pixel distance</th></tr>"]
    for i in np.argsort(distance)[:PAIRS]:
        rows.append(
            f"<tr><td>{_tag(synthetic.images[i], 'synthetic')}</td>"
            f"<td>{_tag(real.images[nearest[i]], 'training')}</td><td>{distance[i]:.3f}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _strip(images: np.ndarray, alt: str) -> str:
    return " ".join(_tag(image, alt) for image in images) if len(images) else "<i>none</i>"


def _tag(image: np.ndarray, alt: str) -> str:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.shape[2] == 1 else image).save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode()
    return (
        f"<img alt='{html.escape(alt)}' width='64' height='64' style='image-rendering:pixelated' "
        f"src='data:image/png;base64,{data}'>"
    )
