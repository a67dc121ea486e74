"""The HTML reports in a real headless browser (Debian's chromium; ``.ci/run`` installs it when missing):
the page loads with no error, every image decodes, and the first screen is not blank (the verdict on top).

A probe is added to a copy of each page: it records error events and ``console.error`` calls from the
start, and on load writes the count of images and of images that failed to decode into the title, which
``--dump-dom`` prints."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from synthgan import evaluate
from synthgan.data import load_heart_disease
from synthgan.evaluation.html_images import render_images
from synthgan.evaluation.images import evaluate_images
from synthgan.gate import Policy, decide
from synthgan.io.images import ImageSet

BROWSER = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no chromium on this machine (.ci/run installs it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
PROBE_HEAD = (
    "<script>window.__errors=[];"
    "window.addEventListener('error',function(e){window.__errors.push(String(e.message||"
    "(e.target&&e.target.src&&e.target.src.slice(0,40))||'error'))},true);"
    "var __ce=console.error;console.error=function(){window.__errors.push('console.error: '+"
    "Array.from(arguments).join(' '));__ce.apply(console,arguments)};</script>"
)
PROBE_TAIL = (
    "<script>window.addEventListener('load',function(){var im=Array.from(document.images);"
    "var bad=im.filter(function(i){return !(i.complete&&i.naturalWidth>0)}).length;"
    "document.title='CHECK '+JSON.stringify({images:im.length,bad:bad,errors:window.__errors})});</script>"
)


def probe(page, tmp_path) -> dict:
    text = page.read_text(encoding="utf-8")
    probed = tmp_path / f"probe-{page.name}"
    probed.write_text(
        text.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL + "</body>", 1),
        encoding="utf-8",
    )
    out = subprocess.run(
        [BROWSER, *FLAGS, "--virtual-time-budget=5000", "--dump-dom", probed.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    match = re.search(r"<title>CHECK (.*?)</title>", out.stdout)
    assert match, out.stdout[:500] + out.stderr[-500:]
    return json.loads(match.group(1).replace("&quot;", '"'))


def first_screen(page, tmp_path) -> np.ndarray:
    shot = tmp_path / f"{page.stem}.png"
    subprocess.run(
        [BROWSER, *FLAGS, f"--screenshot={shot}", "--window-size=1280,900", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    return np.asarray(Image.open(shot).convert("RGB"), dtype=np.int16)


def has_colour(pixels: np.ndarray, rgb: tuple[int, int, int], share: float = 0.01) -> bool:
    return bool((np.abs(pixels - np.array(rgb)).sum(axis=2) < 12).mean() > share)


def test_the_probe_catches_a_broken_image(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        "<!doctype html><html><head><title>x</title></head>"
        "<body><img src='data:image/png;base64,AAAA'></body></html>"
    )
    assert probe(page, tmp_path)["bad"] == 1


def test_table_report_in_a_browser(tmp_path):
    frame = load_heart_disease()
    train, holdout = frame.iloc[:240].reset_index(drop=True), frame.iloc[240:].reset_index(drop=True)
    shuffled = pd.DataFrame(
        {c: train[c].sample(frac=1, random_state=i).to_numpy() for i, c in enumerate(train)}
    )
    report = evaluate(train, shuffled, holdout, detection=False)
    policy = Policy.default()
    history = pd.DataFrame(
        {"epoch": [1, 2, 3], "generator_loss": [1.0, 0.5, 0.2], "critic_loss": [-1.0, -0.6, -0.4]}
    )
    page = report.to_html(
        tmp_path / "table.html",
        train,
        shuffled,
        holdout,
        decision=decide(report, policy),
        policy=policy,
        history=history,
    )
    text = page.read_text()
    assert "Refused." in text and "fidelity.dependence_kept" in text and "Training losses" in text
    result = probe(page, tmp_path)
    assert result["errors"] == [] and result["bad"] == 0 and result["images"] >= 4
    pixels = first_screen(page, tmp_path)
    assert pixels.std() > 10  # not blank
    assert has_colour(pixels, (0xFB, 0xE4, 0xE1))  # the refusal banner is on the first screen


def pixel_features(images: np.ndarray) -> np.ndarray:
    """A transparent stand-in for a feature network: the 8x8 pixels, scaled to [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float64) / 255.0


def test_image_report_in_a_browser(tmp_path):
    digits = load_digits()
    keep = np.isin(digits.target, [0, 1, 7])
    images = ImageSet.from_array(
        (digits.images[keep] * 255 / 16).round().astype(np.uint8), digits.target[keep]
    )
    real, synthetic = images.subset(slice(0, 300)), images.subset(slice(300, None))
    report = evaluate_images(real, synthetic, extractor=pixel_features, max_images=100)
    policy = Policy.default("image")
    decision = decide(report, policy)
    private = tmp_path / "private.html"
    private.write_text(render_images(report, real, synthetic, decision, policy), encoding="utf-8")
    shown = tmp_path / "shown.html"
    shown.write_text(render_images(report, real, synthetic, decision, policy, True, True), encoding="utf-8")
    assert "shown on request" not in private.read_text() and "mean of" in private.read_text()
    assert "nearest training image" in shown.read_text()
    for page, least in ((private, 3 + 3 * 8), (shown, 3 + 6 * 8 + 16)):
        result = probe(page, tmp_path)
        assert result["errors"] == [] and result["bad"] == 0 and result["images"] >= least
        pixels = first_screen(page, tmp_path)
        assert pixels.std() > 10
        banner = (0xE3, 0xF4, 0xE1) if decision.passed else (0xFB, 0xE4, 0xE1)
        assert has_colour(pixels, banner)
