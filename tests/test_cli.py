"""The command line: help, inspect, demo, and one-line errors with the right exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from synthgan.cli.app import app
from typer.testing import CliRunner

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_help_lists_commands_and_version():
    result = invoke("--help")
    assert result.exit_code == 0 and "inspect" in result.output and "demo" in result.output
    assert invoke("--version").output.startswith("synthgan ")


def test_inspect_prints_kinds_and_writes_schema(tmp_path):
    data = tmp_path / "p.csv"
    data.write_text(
        "age,ward,score\n" + "".join(f"{20 + i},{'AB'[i % 2]},{i * 0.37:.2f}\n" for i in range(40))
    )
    out = tmp_path / "schema.json"
    result = invoke("inspect", str(data), "--discrete", "age", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert (
        "age" in result.output and "categorical" in result.output and "40 rows x 3 columns" in result.output
    )
    kinds = {c["name"]: c["kind"] for c in json.loads(out.read_text())["columns"]}
    assert kinds == {"age": "categorical", "ward": "categorical", "score": "continuous"}


@pytest.mark.parametrize(
    "content, args, fragment",
    [
        (None, [], "no such file"),
        ("", [], "empty"),
        ("a,b\n", [], "no data rows"),
        ("a,b\n1,2\n", ["--discrete", "zz"], "unknown column 'zz'"),
        ("a,b\n1,2\n", ["--discrete", "a,,b"], "comma-separated"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path, content, args, fragment):
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_text(content)
    result = invoke("inspect", str(path), *args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0]
    assert "Traceback" not in result.output


def test_usage_error_is_exit_2():
    assert invoke("inspect").exit_code == 2
    assert invoke("no-such-command").exit_code == 2


def test_unwritable_json_output(tmp_path):
    data = tmp_path / "p.csv"
    data.write_text("a,b\n1,x\n2,y\n")
    result = invoke("inspect", str(data), "--json", str(tmp_path / "missing-dir" / "s.json"))
    assert result.exit_code == 1 and "does not exist" in result.output
    assert not (tmp_path / "missing-dir").exists()


def test_demo_as_a_real_process(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "synthgan.cli", "demo", "--quiet", "-o", str(tmp_path / "demo.parquet")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert "303 rows x 14 columns" in out.stdout and (tmp_path / "demo.parquet").exists()
    assert (
        "100 rows asked with sex=0 -> 100 have sex=0" in out.stdout
        and "pass  privacy.exact_match_rate" in out.stdout
    )
    missing = subprocess.run(
        [sys.executable, "-m", "synthgan.cli", "inspect", "/no/such.csv"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (
        missing.returncode == 1
        and missing.stderr.strip() == "error: /no/such.csv: no such file; check the path"
    )


def test_evaluate_prints_summary_and_writes_reports(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)

    def table(n):
        return pd.DataFrame(
            {
                "x": rng.normal(size=n).round(3),
                "c": rng.choice(["a", "b", "c"], n),
                "y": rng.integers(0, 50, n),
            }
        )

    table(400).to_csv(tmp_path / "train.csv", index=False)
    table(400).to_parquet(tmp_path / "syn.parquet")
    table(200).to_csv(tmp_path / "hold.csv", index=False)
    result = invoke(
        "evaluate",
        str(tmp_path / "train.csv"),
        str(tmp_path / "syn.parquet"),
        "--holdout",
        str(tmp_path / "hold.csv"),
        "--target",
        "c",
        "--json",
        str(tmp_path / "r.json"),
        "--html",
        str(tmp_path / "r.html"),
    )
    assert result.exit_code == 0, result.output
    assert "fidelity.column_shapes" in result.output and "privacy.membership_inference_auc" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["meta"]["target"] == "c"
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


def test_evaluate_bad_input(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n3,4\n")
    (tmp_path / "b.csv").write_text("x,z\n1,2\n3,4\n")
    result = invoke("evaluate", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"))
    assert result.exit_code == 1 and "missing columns ['y']" in result.output
    result = invoke(
        "evaluate",
        str(tmp_path / "a.csv"),
        str(tmp_path / "a.csv"),
        "--json",
        str(tmp_path / "no" / "r.json"),
    )
    assert result.exit_code == 1 and "does not exist" in result.output


def test_outputs_are_not_overwritten_without_force(tmp_path, monkeypatch):
    from synthgan.data import heart_disease_path

    monkeypatch.chdir(tmp_path)
    assert invoke("inspect", str(heart_disease_path()), "--json", "s.json").exit_code == 0
    before = (tmp_path / "s.json").read_bytes()
    again = invoke("inspect", str(heart_disease_path()), "--json", "s.json")
    assert again.exit_code == 1 and "s.json exists; pass --force to overwrite it" in again.output
    assert (tmp_path / "s.json").read_bytes() == before
    assert invoke("inspect", str(heart_disease_path()), "--json", "s.json", "--force").exit_code == 0


def test_fit_refuses_to_overwrite_an_earlier_runs_checkpoint_without_force(tmp_path, monkeypatch):
    """A checkpoint beside the model path is an earlier run's state: a new fit says how to continue it
    instead of overwriting it, before training anything; with --force a bad input still keeps it."""
    from synthgan.data import heart_disease_path

    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.synthgan.ckpt").write_bytes(b"a stopped run")
    result = invoke("fit", str(heart_disease_path()), "--epochs", "1", "-q")
    assert result.exit_code == 1
    assert "model.synthgan.ckpt exists (an earlier run's training checkpoint); continue it" in result.output
    assert (tmp_path / "model.synthgan.ckpt").read_bytes() == b"a stopped run"
    assert not (tmp_path / "model.synthgan").exists()
    bad = invoke("fit", "missing.csv", "--epochs", "1", "-q", "--force")
    assert bad.exit_code == 1 and (tmp_path / "model.synthgan.ckpt").exists()
    assert invoke("fit", str(heart_disease_path()), "--epochs", "1", "-q", "--force").exit_code == 0
    assert (tmp_path / "model.synthgan").exists() and not (tmp_path / "model.synthgan.ckpt").exists()


def test_a_refused_run_with_force_removes_the_earlier_output(tmp_path, monkeypatch):
    from synthgan.data import load_heart_disease

    monkeypatch.chdir(tmp_path)
    frame = load_heart_disease()
    train, holdout = frame.iloc[:240], frame.iloc[240:]
    train.to_csv("train.csv", index=False)
    holdout.to_csv("holdout.csv", index=False)
    train.to_csv("copies.csv", index=False)  # the training rows themselves: the gate refuses them
    (tmp_path / "release.parquet").write_bytes(b"an earlier passing release")
    refused = invoke(
        "export", "copies.csv", "--real", "train.csv", "--holdout", "holdout.csv", "-o", "release.parquet"
    )
    assert refused.exit_code == 1 and "pass --force" in refused.output
    assert (tmp_path / "release.parquet").exists()
    refused = invoke(
        "export",
        "copies.csv",
        "--real",
        "train.csv",
        "--holdout",
        "holdout.csv",
        "-o",
        "release.parquet",
        "--force",
    )
    assert refused.exit_code == 3
    assert not (tmp_path / "release.parquet").exists()  # no stale file beside the refusal report
    assert (tmp_path / "release.report.json").exists()


def test_outputs_follow_the_umask_and_checkpoints_stay_private(tmp_path):
    import os

    import torch

    from synthgan.io.artifacts import save_artifact
    from synthgan.io.atomic import atomic_write_text
    from synthgan.training.checkpoint import save_checkpoint

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "release.json", "{}")
        save_artifact(tmp_path / "m.synthgan", {"class": "Demo"}, {"w": torch.ones(2)})
        save_checkpoint(tmp_path / "m.ckpt", {"class": "Demo"}, {"w": torch.ones(2)})
        os.umask(0o077)
        atomic_write_text(tmp_path / "private.json", "{}")
    finally:
        os.umask(old)
    mode = lambda name: (tmp_path / name).stat().st_mode & 0o777  # noqa: E731
    assert mode("release.json") == 0o644 and mode("m.synthgan") == 0o644
    assert mode("m.ckpt") == 0o600 and mode("private.json") == 0o600


def test_help_answers_without_loading_the_heavy_libraries():
    """`synthgan --help` (and every command's --help) imports neither torch, pandas nor scikit-learn."""
    code = (
        "import sys\n"
        "from synthgan.cli.app import app\n"
        "from typer.testing import CliRunner\n"
        "commands = ['fit', 'sample', 'evaluate', 'export', 'augment', 'inspect', 'demo']\n"
        "for args in ([], *([c] for c in commands)):\n"
        "    assert CliRunner().invoke(app, [*args, '--help']).exit_code == 0\n"
        "print(sorted(m for m in ('torch', 'pandas', 'sklearn', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_typed_choices_and_new_options(tmp_path, monkeypatch):
    from synthgan.data import heart_disease_path
    from synthgan.synthesizers import load_model

    monkeypatch.chdir(tmp_path)
    for args, fragment in (
        (["fit", "x.csv", "--device", "tpu"], "'tpu' is not one of 'auto', 'cpu', 'cuda'"),
        (["fit", "x.csv", "--precision", "half"], "'half' is not one of 'auto', 'float32', 'bfloat16'"),
        (["sample", "-n", "5", "--device", "gpu"], "'gpu' is not one of 'auto', 'cpu', 'cuda'"),
    ):
        result = invoke(*args)
        assert result.exit_code == 2 and fragment in result.output
    bad = invoke("fit", str(heart_disease_path()), "--condition-focus", "sex", "--steps", "5", "-q")
    assert bad.exit_code == 1 and "use COLUMN=SHARE" in bad.output
    result = invoke(
        "fit",
        str(heart_disease_path()),
        "--steps",
        "20",
        "--precision",
        "float32",
        "--condition-focus",
        "sex=0.5",
        "--pack-conditions",
        "--condition-modes",
        "-q",
    )
    assert result.exit_code == 0, result.output
    model = load_model("model.synthgan")
    params = model.get_params()
    assert params["precision"] == "float32" and params["condition_focus"] == {"sex": 0.5}
    assert params["pack_conditions"] is True
    assert params["condition_modes"] is True and model.condition_modes_ is True
    categorical = len(model.transformer_.layout_.category_spans)
    assert model.sampler_.n_columns > categorical  # the categorical columns, then numeric columns' modes
    result = invoke("sample", "-n", "50", "--device", "cpu", "--no-gate", "-q")
    assert result.exit_code == 0, result.output
    for flag, value in (([], None), (["--no-pack-conditions"], False)):  # no flag: decided by the batch
        result = invoke("fit", str(heart_disease_path()), "--steps", "2", *flag, "--force", "-q")
        assert result.exit_code == 0, result.output
        assert load_model("model.synthgan").get_params()["pack_conditions"] is value


def test_help_is_plain_text_with_conventional_flags():
    out = invoke("fit", "--help").output
    assert "Usage: synthgan fit [OPTIONS] {DATA}" in out
    assert "-q, --quiet " in out and "<bool>" not in out and "│" not in out
    assert "--model [ctgan|wgan|ctgan-classic|wgan-classic|imagegan]" in out or "<ctgan|wgan|" in out


def test_json_summaries_on_stdout(tmp_path, monkeypatch):
    import pandas as pd

    from synthgan.data import heart_disease_path, load_heart_disease

    monkeypatch.chdir(tmp_path)
    frame = load_heart_disease()
    train, holdout = frame.iloc[:240], frame.iloc[240:]
    train.to_csv("train.csv", index=False)
    holdout.to_csv("holdout.csv", index=False)
    shuffled = pd.DataFrame(
        {c: train[c].sample(frac=1, random_state=i).to_numpy() for i, c in enumerate(train)}
    )
    shuffled.to_csv("shuffled.csv", index=False)
    (tmp_path / "valid.toml").write_text('[[check]]\nmetric = "validity.unknown_categories"\nmax = 0\n')
    passed = invoke(
        "export",
        "shuffled.csv",
        "--real",
        "train.csv",
        "--holdout",
        "holdout.csv",
        "-o",
        "a.parquet",
        "--policy",
        "valid.toml",
        "--json",
    )
    assert passed.exit_code == 0, passed.output
    data = json.loads(passed.stdout)
    assert data["command"] == "export" and data["exit_code"] == 0 and data["rows"] == 240
    assert data["output"] == "a.parquet" and data["gate"]["passed"] and data["report"] == "a.report.json"
    refused = invoke(
        "export", "train.csv", "--real", "train.csv", "--holdout", "holdout.csv", "-o", "b.parquet", "--json"
    )
    assert refused.exit_code == 3
    data = json.loads(refused.stdout)
    assert data["exit_code"] == 3 and data["output"] is None and not data["gate"]["passed"]
    assert "privacy.unique_copies_excess" in {c["metric"] for c in data["gate"]["checks"] if not c["passed"]}
    evaluated = invoke("evaluate", "train.csv", "shuffled.csv", "--holdout", "holdout.csv", "--json", "-")
    assert evaluated.exit_code == 0
    assert set(json.loads(evaluated.stdout)) >= {"validity", "fidelity", "privacy", "reference", "meta"}
    assert invoke("fit", str(heart_disease_path()), "--steps", "20", "-q").exit_code == 0
    sampled = invoke("sample", "-n", "30", "--no-gate", "--json")
    assert sampled.exit_code == 0
    data = json.loads(sampled.stdout)
    assert data["rows"] == 30 and data["gate"] is None and data["output"] == "synthetic.parquet"


def test_augment_json_summary_counts_the_rows(tmp_path, monkeypatch):
    from synthgan.data import load_heart_disease

    monkeypatch.chdir(tmp_path)
    load_heart_disease().to_csv("heart.csv", index=False)
    (tmp_path / "valid.toml").write_text('[[check]]\nmetric = "validity.unknown_categories"\nmax = 0\n')
    result = invoke(
        "augment",
        "heart.csv",
        "--target",
        "sex",
        "--balance",
        "--include-real",
        "-o",
        "aug.parquet",
        "--epochs",
        "2",
        "--policy",
        "valid.toml",
        "-q",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["command"] == "augment" and data["rows"] == data["synthetic_rows"] + data["real_rows"]
    assert data["synthetic_rows"] > 0 and data["gate"]["passed"]


def test_an_output_that_is_also_an_input_is_refused_even_with_force(tmp_path, monkeypatch):
    from synthgan.data import load_heart_disease

    monkeypatch.chdir(tmp_path)
    load_heart_disease().to_csv("heart.csv", index=False)
    before = (tmp_path / "heart.csv").read_bytes()
    result = invoke("export", "heart.csv", "--real", "heart.csv", "-o", "heart.csv", "--force")
    assert result.exit_code == 1 and "heart.csv is also an input of this command" in result.output
    assert (tmp_path / "heart.csv").read_bytes() == before
