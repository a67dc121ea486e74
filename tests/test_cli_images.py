"""Image folders through the CLI: fit -> sample (gate, Parquet or PNG folder) -> evaluate, and errors.

A small TorchScript feature extractor made here (``--features``) keeps the gate fast; the InceptionV3
path is covered in test_images.py."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits
from synthgan.cli.app import app
from typer.testing import CliRunner

from synthgan.io.export import read_metadata
from synthgan.io.images import ImageSet, load_images

runner = CliRunner()


class PixelFeatures(torch.nn.Module):
    """Average-pools the image to 8x8 and flattens it: a transparent stand-in for a feature network."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.nn.functional.adaptive_avg_pool2d(x[:, :1], 8)
        return (pooled.flatten(1) + 1) / 2


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    data = load_digits()
    keep = np.isin(data.target, [0, 1, 7])
    images = ImageSet.from_array((data.images[keep] * 255 / 16).round().astype(np.uint8), data.target[keep])
    for i, (image, label) in enumerate(zip(images.images, images.labels)):
        (folder / "digits" / label).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image[..., 0]).save(folder / "digits" / label / f"{i}.png")
    torch.jit.script(PixelFeatures()).save(str(folder / "features.pt"))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = runner.invoke(
            app, ["fit", "digits", "--epochs", "200", "--image-size", "8", "-o", "digits.synthgan", "--quiet"]
        )
        assert result.exit_code == 0, result.output
        assert "training images" in result.output
        yield folder
    finally:
        os.chdir(cwd)


def test_sample_condition_gate_and_parquet(workdir):
    os.chdir(workdir)
    result = runner.invoke(
        app,
        [
            "sample",
            "-m",
            "digits.synthgan",
            "-n",
            "120",
            "--condition",
            "label=7",
            "-o",
            "sevens.parquet",
            "--features",
            "features.pt",
            "--eval-images",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "120 images written to sevens.parquet (gate passed" in result.output
    frame = pd.read_parquet("sevens.parquet")
    assert list(frame.columns) == ["image", "label"] and len(frame) == 120 and set(frame["label"]) == {"7"}
    back = ImageSet.from_frame(frame)
    assert back.shape == (120, 8, 8, 1)
    meta = read_metadata("sevens.parquet")
    assert meta["kind"] == "images" and meta["gate"]["passed"] and meta["conditions"] == {"label": "7"}
    report = json.loads((workdir / "sevens.report.json").read_text())
    assert report["reference"]["source"] == "holdout" and "kid" in report["fidelity"]


def test_png_folder_export_and_evaluate(workdir):
    os.chdir(workdir)
    result = runner.invoke(
        app, ["sample", "-m", "digits.synthgan", "-n", "60", "--format", "png", "-o", "pngs", "--no-gate"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (workdir / "pngs").iterdir() if p.is_dir()) <= ["0", "1", "7"]
    assert json.loads((workdir / "pngs" / "synthgan.json").read_text())["gate"]["skipped"]
    assert len(load_images(workdir / "pngs")) == 60
    again = runner.invoke(
        app, ["sample", "-m", "digits.synthgan", "-n", "5", "--format", "png", "-o", "pngs", "--no-gate"]
    )
    assert again.exit_code == 1 and "not an empty folder" in again.output
    evaluated = runner.invoke(
        app, ["evaluate", "digits", "pngs", "--features", "features.pt", "--json", "r.json"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert (
        "fidelity.kid" in evaluated.output
        and json.loads((workdir / "r.json").read_text())["meta"]["kind"] == "images"
    )


def test_gate_refusal_writes_nothing_and_exits_3(workdir):
    os.chdir(workdir)
    (workdir / "strict.toml").write_text('[[check]]\nmetric = "fidelity.kid"\nmax = -1\n')
    result = runner.invoke(
        app,
        [
            "sample",
            "-m",
            "digits.synthgan",
            "-n",
            "40",
            "-o",
            "refused.parquet",
            "--features",
            "features.pt",
            "--policy",
            "strict.toml",
        ],
    )
    assert result.exit_code == 3 and not (workdir / "refused.parquet").exists()
    assert (workdir / "refused.report.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit", "digits", "--model", "ctgan"], "ctgan learns tables"),
        (["fit", "digits", "--image-size", "30"], "multiple of 4"),
        (["fit", "digits", "--pack-conditions"], "applies to tables only"),
        (["fit", "digits", "--condition-modes"], "applies to tables only"),
        (["fit", "empty_dir"], "no images found"),
        (["sample", "-m", "digits.synthgan", "-n", "5", "--condition", "label=cat"], "classes: 0, 1, 7"),
        (
            ["sample", "-m", "digits.synthgan", "-n", "5", "--format", "gif", "--no-gate"],
            "'gif' is not one of 'parquet', 'png'",
        ),
        (
            ["sample", "-m", "digits.synthgan", "-n", "5", "--features", "missing.pt"],
            "no such feature-extractor file",
        ),
    ],
)
def test_image_errors_are_one_line(workdir, args, message):
    os.chdir(workdir)
    (workdir / "empty_dir").mkdir(exist_ok=True)
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output
