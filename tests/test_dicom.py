"""DICOM folders: rescale and windowing at full depth, frames split, compression handled or refused with a
clear error, and no header element (patient name, IDs, dates, institution) in any output."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402
from synthgan.cli.app import app  # noqa: E402

from synthgan.exceptions import DataLoadError  # noqa: E402
from synthgan.io.dicom import read_dicom, window_to_unit  # noqa: E402
from synthgan.io.images import load_images  # noqa: E402

runner = CliRunner()
#: Identifiers planted in every header; none may appear in any file synthgan writes.
PLANTED = {
    "PatientName": "Zqxname^Planted",
    "PatientID": "ZQX-ID-000417",
    "PatientBirthDate": "19070623",
    "StudyDate": "19990101",
    "InstitutionName": "Zqx Planted General Hospital",
    "ReferringPhysicianName": "Zqxdoctor^Planted",
    "AccessionNumber": "ZQXACC9931",
}


class PixelFeatures(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (torch.nn.functional.adaptive_avg_pool2d(x[:, :1], 8).flatten(1) + 1) / 2


def planted_copy(source: str, target, rng: np.random.Generator) -> None:
    """A copy of a bundled test file with identifiers planted and its pixels jittered (a new 'patient')."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(source)
        pixels = ds.pixel_array.astype(np.int32)
        jitter = rng.integers(-20, 21, size=pixels.shape)
        info = np.iinfo(ds.pixel_array.dtype)
        ds.PixelData = np.clip(pixels + jitter, info.min, info.max).astype(ds.pixel_array.dtype).tobytes()
        for key, value in PLANTED.items():
            setattr(ds, key, value)
        ds.save_as(target)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("dicom")
    rng = np.random.default_rng(0)
    for label, name in (("ct", "CT_small.dcm"), ("mr", "MR_small.dcm")):
        (root / "scans" / label).mkdir(parents=True)
        for i in range(24):
            planted_copy(get_testdata_file(name), root / "scans" / label / f"{i:03d}.dcm", rng)
    torch.jit.script(PixelFeatures()).save(str(root / "features.pt"))
    return root


def test_rescale_and_window_at_full_depth():
    path = get_testdata_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    (image,) = read_dicom(path, window=(40.0, 400.0))
    assert image.mode == "F"  # float: the depth is kept until the final scaling
    assert np.allclose(np.asarray(image), window_to_unit(hu, 40.0, 400.0) * 255, atol=1e-3)
    values = np.asarray(image)
    assert (values != np.round(values)).any()  # not yet quantised to 8 bits
    (own,) = read_dicom(get_testdata_file("MR_small.dcm"))  # the file's WindowCenter / WindowWidth
    mr = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    expected = window_to_unit(mr.pixel_array.astype(float), float(mr.WindowCenter), float(mr.WindowWidth))
    assert np.allclose(np.asarray(own), expected * 255, atol=1e-3)


def test_frames_colour_and_compression():
    (colour,) = read_dicom(get_testdata_file("SC_rgb_rle.dcm"))  # RLE: decoded by pydicom itself
    assert colour.mode == "RGB" and np.asarray(colour).max() > 200
    with pytest.raises(DataLoadError, match=r"a multi-frame file \(2 frames of one patient\)"):
        read_dicom(get_testdata_file("SC_rgb_rle_2frame.dcm"))
    with pytest.raises(DataLoadError, match=r"JPEG Extended .* no installed decoder reads"):
        read_dicom(get_testdata_file("JPEG-lossy.dcm"))


def test_a_folder_of_scans_loads_as_classes(folder):
    images = load_images(folder / "scans", window=(40.0, 400.0))
    assert images.classes == ("ct", "mr") and len(images) == 48 and images.channels == 1
    assert images.images.dtype == np.uint8 and images.shape[1] == images.shape[2]


def test_a_broken_file_is_one_line_naming_it(folder, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "bad.dcm").write_bytes(b"DICM not really")
    with pytest.raises(DataLoadError, match="bad.dcm: not a readable DICOM file"):
        load_images(tmp_path)


def test_no_header_element_reaches_any_output(folder):
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        fit = runner.invoke(
            app, ["fit", "scans", "--epochs", "3", "--image-size", "16", "--window", "40,400", "-q"]
        )
        assert fit.exit_code == 0, fit.output
        sample = runner.invoke(
            app,
            [
                "sample",
                "-n",
                "40",
                "-o",
                "synthetic.parquet",
                "--features",
                "features.pt",
                "--eval-images",
                "40",
            ],
        )
        assert sample.exit_code in (0, 3), sample.output  # passed or refused: either way files are written
        evaluated = runner.invoke(
            app,
            [
                "evaluate",
                "scans",
                "synthetic.parquet" if (folder / "synthetic.parquet").exists() else "scans",
                "--features",
                "features.pt",
                "--eval-images",
                "40",
                "--json",
                "report.json",
            ],
        )
        assert evaluated.exit_code == 0, evaluated.output
        outputs = [
            p for p in folder.iterdir() if p.is_file() and p.suffix in (".synthgan", ".parquet", ".json")
        ]
        assert any(p.suffix == ".synthgan" for p in outputs) and any(
            p.name.endswith("report.json") for p in outputs
        )
        for path in outputs:
            blob = path.read_bytes()
            for value in PLANTED.values():
                for form in {value, value.replace("^", " "), value.split("^")[0]}:
                    assert form.encode() not in blob, (path.name, form)
    finally:
        os.chdir(cwd)


def test_burned_in_annotation_is_refused(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds.BurnedInAnnotation = "YES"
    ds.save_as(tmp_path / "annotated.dcm")
    with pytest.raises(DataLoadError, match="BurnedInAnnotation is YES"):
        read_dicom(tmp_path / "annotated.dcm")
