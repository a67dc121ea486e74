"""Bad input through the CLI: every case exits non-zero with one short actionable line on stderr, no
traceback, no output file, and leaves its inputs untouched. Then the same classes of input through
the Python API raise the typed exceptions, and no message carries values of the real data."""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from synthgan.cli.app import app
from typer.testing import CliRunner

from synthgan import CTGAN, ImageGAN, load_images, load_table
from synthgan.data import heart_disease_path
from synthgan.exceptions import (
    ConditionError,
    DataLoadError,
    DuplicateColumnError,
    EmptyTableError,
    InvalidParameterError,
    ModelFileError,
    NoUsableColumnError,
    PolicyError,
    SchemaError,
    UnreadableFileError,
)
from synthgan.gate import Policy

runner = CliRunner()
SECRET = 987654.321  # a value only the real data holds: it must never appear in a message


def write(path: Path, content) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return path


class Payload:
    """Unpickling this would create the file named in it."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> Path:
    """A folder of inputs: good ones (a table, a model, images) and every kind of broken one."""
    root = tmp_path_factory.mktemp("bad")
    heart = pd.read_csv(heart_disease_path())
    heart["chol"] = heart["chol"].astype(float)
    heart.loc[0, "chol"] = SECRET
    heart.to_csv(root / "good.csv", index=False)
    model = CTGAN(epochs=1, batch_size=100, verbose=False, random_state=0).fit(heart)
    model.save(root / "model.synthgan", metadata={"training_data": {"path": str(root / "good.csv")}})
    raw = (root / "model.synthgan").read_bytes()
    write(root / "truncated.synthgan", raw[: len(raw) // 2])
    write(
        root / "tampered.synthgan",
        _edit_zip(raw, lambda name, data: data.replace(b'"epochs": 1,', b'"epochs": 9,')),
    )
    future = {**torch.load(root / "model.synthgan", weights_only=True), "format_version": 99}
    torch.save(future, root / "future.synthgan")
    torch.save(
        {"format": "synthgan-model", "payload": Payload(str(root / "PWNED"))}, root / "pickle.synthgan"
    )
    (root / "folder.synthgan").mkdir()
    write(root / "empty.csv", "")
    write(root / "header_only.csv", "a,b,c\n")
    write(root / "garbage.csv", bytes(range(256)) * 40)
    write(root / "ragged.csv", "a,b\n1,2\n3,4,5,6\n7\n")
    write(root / "huge_field.csv", "a,b\n1,x\n2," + "y" * 1_200_000 + "\n")
    write(root / "latin1.csv", "name,city\nJos\xe9,M\xfcnchen\n".encode("latin-1") + b"x,y\n")
    write(root / "all_nan.csv", "a,b\n,\n,\n,\n")
    write(root / "constant.csv", "a\n" + "5\n" * 50)
    write(root / "single_row.csv", "a,b\n1,x\n")
    write(root / "duplicate_names.csv", "a,a,b\n1,2,3\n4,5,6\n")
    write(root / "inf.csv", "a,b\n" + "".join(f"{i},{i * 1.5}\n" for i in range(30)) + "5,inf\n")
    write(root / "levels.csv", "code,v\n" + "".join(f"L{i},{i % 7}\n" for i in range(10_000)))
    write(
        root / "unknown_keys.toml",
        '[[check]]\nmetric = "privacy.exact_match_rate"\nmax = 0\ncolour = "red"\n',
    )
    write(root / "bad_syntax.toml", "[[check]\nmetric = \n")
    (root / "no_images").mkdir()
    write(root / "corrupt_images" / "a.png", b"\x89PNG\r\n\x1a\n broken")
    write(root / "corrupt_images" / "b.png", b"not an image")
    (root / "empty_class" / "cats").mkdir(parents=True)
    digits = root / "digits"
    for i in range(12):
        (digits / str(i % 2)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((8, 8), i * 20, np.uint8)).save(digits / str(i % 2) / f"{i}.png")
    return root


def _edit_zip(raw: bytes, change) -> bytes:
    """A copy of a zip archive with one member's bytes changed (same names, valid zip)."""
    source, out = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info.filename)))
    return out.getvalue()


OUT = "out.parquet"
CASES = [
    # (id, arguments; "{d}" is the inputs folder, "{o}" the output path; expected stderr fragment)
    ("missing_file", ["fit", "{d}/nope.csv", "-o", "{o}"], "no such file"),
    ("empty_file", ["fit", "{d}/empty.csv", "-o", "{o}"], "empty"),
    ("header_only", ["fit", "{d}/header_only.csv", "-o", "{o}"], "no data rows"),
    ("binary_garbage", ["fit", "{d}/garbage.csv", "-o", "{o}"], "binary"),
    ("ragged_rows", ["fit", "{d}/ragged.csv", "-o", "{o}"], "fields"),
    ("huge_field", ["fit", "{d}/huge_field.csv", "-o", "{o}"], "1,200,000 characters"),
    ("wrong_encoding", ["fit", "{d}/latin1.csv", "-o", "{o}"], "not valid utf-8"),
    ("all_nan_columns", ["fit", "{d}/all_nan.csv", "-o", "{o}"], "all values missing"),
    ("constant_column", ["fit", "{d}/constant.csv", "-o", "{o}", "--epochs", "1"], "constant"),
    ("single_row", ["fit", "{d}/single_row.csv", "-o", "{o}"], "too few rows"),
    ("duplicate_names", ["fit", "{d}/duplicate_names.csv", "-o", "{o}"], "duplicate column names"),
    ("infinite_values", ["fit", "{d}/inf.csv", "-o", "{o}"], "infinite values"),
    (
        "ten_thousand_levels",
        ["fit", "{d}/levels.csv", "--discrete", "code", "-o", "{o}"],
        "more than 5,000 levels",
    ),
    ("discrete_unknown", ["fit", "{d}/good.csv", "--discrete", "nope", "-o", "{o}"], "unknown column 'nope'"),
    ("discrete_malformed", ["fit", "{d}/good.csv", "--discrete", "sex,,cp", "-o", "{o}"], "comma-separated"),
    ("epochs_zero", ["fit", "{d}/good.csv", "--epochs", "0", "-o", "{o}"], "epochs=0"),
    ("epochs_text", ["fit", "{d}/good.csv", "--epochs", "many", "-o", "{o}"], "--epochs"),
    ("batch_size_zero", ["fit", "{d}/good.csv", "--batch-size", "0", "-o", "{o}"], "batch_size=0"),
    ("holdout_out_of_range", ["fit", "{d}/good.csv", "--holdout", "1.5", "-o", "{o}"], "holdout=1.5"),
    ("max_time_negative", ["fit", "{d}/good.csv", "--max-time", "-1", "-o", "{o}"], "max_time=-1.0"),
    (
        "unknown_model",
        ["fit", "{d}/good.csv", "--model", "vae", "-o", "{o}"],
        "'vae' is not one of 'ctgan', 'wgan'",
    ),
    ("model_out_is_folder", ["fit", "{d}/good.csv", "-o", "{d}/folder.synthgan"], "is a folder"),
    ("unwritable_output", ["fit", "{d}/good.csv", "-o", "{d}/good.csv/m.synthgan"], "good.csv"),
    (
        "n_zero",
        ["sample", "-m", "{d}/model.synthgan", "-n", "0", "-o", "{o}", "--no-gate"],
        "not a positive number",
    ),
    (
        "n_negative",
        ["sample", "-m", "{d}/model.synthgan", "-n", "-5", "-o", "{o}", "--no-gate"],
        "not a positive number",
    ),
    ("n_text", ["sample", "-m", "{d}/model.synthgan", "-n", "ten", "-o", "{o}", "--no-gate"], "-n"),
    (
        "condition_unknown_column",
        ["sample", "-m", "{d}/model.synthgan", "-n", "5", "--condition", "nope=1", "-o", "{o}", "--no-gate"],
        "unknown condition column",
    ),
    (
        "condition_malformed",
        ["sample", "-m", "{d}/model.synthgan", "-n", "5", "--condition", "sex", "-o", "{o}", "--no-gate"],
        "COLUMN=VALUE",
    ),
    (
        "condition_unknown_value",
        ["sample", "-m", "{d}/model.synthgan", "-n", "5", "--condition", "sex=7", "-o", "{o}", "--no-gate"],
        "is not a level of 'sex'",
    ),
    ("model_missing", ["sample", "-m", "{d}/nope.synthgan", "-n", "5", "-o", "{o}"], "no such model file"),
    ("model_is_folder", ["sample", "-m", "{d}/folder.synthgan", "-n", "5", "-o", "{o}"], "is a folder"),
    ("model_truncated", ["sample", "-m", "{d}/truncated.synthgan", "-n", "5", "-o", "{o}"], "damaged"),
    (
        "model_tampered",
        ["sample", "-m", "{d}/tampered.synthgan", "-n", "5", "-o", "{o}"],
        "checksum mismatch",
    ),
    (
        "model_future_version",
        ["sample", "-m", "{d}/future.synthgan", "-n", "5", "-o", "{o}"],
        "newer synthgan",
    ),
    (
        "model_pickle_payload",
        ["sample", "-m", "{d}/pickle.synthgan", "-n", "5", "-o", "{o}"],
        "refused without running",
    ),
    (
        "sample_unwritable",
        ["sample", "-m", "{d}/model.synthgan", "-n", "5", "-o", "{d}/good.csv/x.parquet", "--no-gate"],
        "good.csv",
    ),
    (
        "policy_unknown_keys",
        ["sample", "-m", "{d}/model.synthgan", "-n", "5", "-o", "{o}", "--policy", "{d}/unknown_keys.toml"],
        "unknown keys ['colour']",
    ),
    (
        "policy_bad_syntax",
        ["sample", "-m", "{d}/model.synthgan", "-n", "5", "-o", "{o}", "--policy", "{d}/bad_syntax.toml"],
        "not valid TOML",
    ),
    (
        "policy_missing",
        ["sample", "-m", "{d}/model.synthgan", "-n", "5", "-o", "{o}", "--policy", "{d}/nope.toml"],
        "does not exist",
    ),
    ("images_corrupt", ["fit", "{d}/corrupt_images", "-o", "{o}"], "2 unreadable image files"),
    ("images_none", ["fit", "{d}/no_images", "-o", "{o}"], "no images found"),
    ("images_empty_class", ["fit", "{d}/empty_class", "-o", "{o}"], "class folders without images: cats"),
    ("image_size_bad", ["fit", "{d}/digits", "--image-size", "30", "-o", "{o}"], "multiple of 4"),
    (
        "evaluate_missing_synthetic",
        ["evaluate", "{d}/good.csv", "{d}/nope.parquet", "--json", "{o}"],
        "no such file",
    ),
    ("evaluate_other_columns", ["evaluate", "{d}/good.csv", "{d}/inf.csv", "--json", "{o}"], "column"),
    (
        "augment_unknown_target",
        ["augment", "{d}/good.csv", "--target", "nope", "-n", "5", "-o", "{o}"],
        "--target 'nope' is not a column",
    ),
    (
        "augment_no_mode",
        ["augment", "{d}/good.csv", "--target", "sex", "-o", "{o}"],
        "exactly one of --balance or -n",
    ),
    ("inspect_folder", ["inspect", "{d}/folder.synthgan"], "not a table file"),
]


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case, args, fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_one_line_no_output_inputs_untouched(bad, tmp_path, case, args, fragment):
    out = tmp_path / OUT
    before = _snapshot(bad)
    result = runner.invoke(app, [a.format(d=bad, o=out) for a in args])
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("warning: ")]
    assert result.exit_code in (1, 2), (case, result.exit_code, result.output)
    assert len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) < 400, result.stderr
    assert fragment.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists() and not list(tmp_path.glob(".*tmp*"))
    assert _snapshot(bad) == before
    assert not (bad / "PWNED").exists()  # the pickle payload never ran
    assert str(SECRET) not in result.output + result.stderr and "987654" not in result.stderr


def test_mixed_sizes_and_modes_are_normalised_not_refused(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.new("L", (20, 24), 10).save(folder / "a.png")
    Image.new("RGB", (64, 48), (30, 30, 30)).save(folder / "b.jpg")
    Image.new("P", (28, 28)).save(folder / "c.bmp")
    Image.new("RGBA", (32, 32), (5, 5, 5, 255)).save(folder / "d.tiff")
    images = load_images(folder)
    assert images.shape == (4, 32, 32, 1)  # one size (median 30 -> 32), grayscale: no image has colour


# ---- the same classes through the Python API ---------------------------------------------------
@pytest.mark.parametrize(
    "name, error",
    [
        ("nope.csv", DataLoadError),
        ("empty.csv", EmptyTableError),
        ("header_only.csv", EmptyTableError),
        ("garbage.csv", UnreadableFileError),
        ("huge_field.csv", UnreadableFileError),
        ("latin1.csv", UnreadableFileError),
        ("all_nan.csv", NoUsableColumnError),
        ("duplicate_names.csv", DuplicateColumnError),
    ],
)
def test_python_api_raises_typed_errors_for_files(bad, name, error):
    with pytest.raises(error):
        load_table(bad / name)


def test_python_api_raises_typed_errors_for_models_conditions_and_policies(bad):
    heart = load_table(bad / "good.csv")
    for path in (
        "nope.synthgan",
        "folder.synthgan",
        "truncated.synthgan",
        "tampered.synthgan",
        "future.synthgan",
        "pickle.synthgan",
    ):
        with pytest.raises(ModelFileError):
            CTGAN.load(bad / path)
    assert not (bad / "PWNED").exists()
    model = CTGAN.load(bad / "model.synthgan")
    with pytest.raises(ConditionError):
        model.sample(5, conditions={"sex": 7})
    with pytest.raises(InvalidParameterError):
        model.sample(0)
    with pytest.raises(InvalidParameterError):
        CTGAN(epochs=0).fit(heart)
    with pytest.raises(SchemaError, match="infinite"):
        CTGAN(epochs=1).fit(bad / "inf.csv")
    with pytest.raises(SchemaError, match="5,000 levels"):
        CTGAN(epochs=1, verbose=False).fit(bad / "levels.csv", discrete_columns=["code"])
    with pytest.raises(PolicyError):
        Policy.from_file(bad / "unknown_keys.toml")
    with pytest.raises(DataLoadError):
        ImageGAN(epochs=1).fit(bad / "corrupt_images")


def test_pickle_payload_is_real(bad, tmp_path):
    """The payload used above does create its file when unpickled, so 'not created' proves it never ran."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(str(marker))))
    assert marker.exists()
