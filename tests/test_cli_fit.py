"""``synthgan fit`` as a long job: checkpoints on a schedule, SIGTERM (a preempted job) writes one and exits
143, and ``--resume CKPT --epochs N`` continues to N epochs in all: the same model as an uninterrupted
run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from synthgan.cli.app import app
from typer.testing import CliRunner

from synthgan import CTGAN
from synthgan.data import load_heart_disease

runner = CliRunner()


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    load_heart_disease().to_csv(tmp_path / "heart.csv", index=False)
    return tmp_path


def fit(*args):
    result = runner.invoke(app, ["fit", "heart.csv", "-q", *args])
    assert result.exit_code == 0, result.output
    return result


def test_resume_continues_to_the_total_and_equals_an_uninterrupted_run(workdir):
    fit("--epochs", "2", "--checkpoint-every", "1", "-o", "half.synthgan")
    assert (workdir / "half.synthgan.ckpt").exists()
    fit("--resume", "half.synthgan.ckpt", "--epochs", "4", "-o", "resumed.synthgan")
    fit("--epochs", "4", "-o", "straight.synthgan")
    assert not (
        workdir / "straight.synthgan.ckpt"
    ).exists()  # no checkpoint unless asked for (it holds the critic)
    resumed, straight = CTGAN.load("resumed.synthgan"), CTGAN.load("straight.synthgan")
    assert len(resumed.loss_values_) == 4
    pd.testing.assert_frame_equal(resumed.sample(200, random_state=1), straight.sample(200, random_state=1))
    assert resumed.metadata_["training_data"]["holdout_seed"] == 0


def test_classic_models_take_a_step_budget_and_a_wgan_resumes_without_naming_its_model(workdir):
    fit("--model", "ctgan-classic", "--steps", "3", "-o", "classic.synthgan")
    classic = CTGAN.load("classic.synthgan")
    assert classic.get_params()["epochs"] is None and classic.get_params()["steps"] == 3
    fit("--model", "wgan", "--epochs", "1", "--checkpoint-every", "1", "-o", "w.synthgan")
    fit("--resume", "w.synthgan.ckpt", "--epochs", "2", "-o", "w2.synthgan")
    from synthgan.synthesizers import load_model

    resumed = load_model("w2.synthgan")
    assert type(resumed).__name__ == "WGAN" and len(resumed.loss_values_) == 2


def test_resume_refuses_other_data_and_changed_settings(workdir):
    fit("--epochs", "1", "--checkpoint-every", "1", "-o", "m.synthgan")
    other = load_heart_disease().iloc[::-1]
    other.to_csv(workdir / "other.csv", index=False)
    cases = [
        (["fit", "other.csv", "--resume", "m.synthgan.ckpt"], "not the file the checkpoint was trained on"),
        (
            ["fit", "heart.csv", "--resume", "m.synthgan.ckpt", "--ema", "0.9"],
            "--ema 0.9 differs from the checkpoint's",
        ),
        (
            ["fit", "heart.csv", "--resume", "m.synthgan.ckpt", "--pack-conditions"],
            "--pack-conditions True differs from the checkpoint's (False); drop it",
        ),
        (
            ["fit", "heart.csv", "--resume", "m.synthgan.ckpt", "--condition-modes"],
            "--condition-modes True differs from the checkpoint's (False); drop it",
        ),
        (
            ["fit", "heart.csv", "--resume", "m.synthgan", "--epochs", "2"],
            "is a synthgan model file, not a synthgan training checkpoint",
        ),
        (["fit", "heart.csv", "--checkpoint-every", "soon"], "give a number of epochs (10) or minutes (5m)"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)


def test_sigterm_writes_a_checkpoint_and_exits_143(workdir):
    """A preempted job: SIGTERM during training writes MODEL.ckpt at the next step boundary and exits 143 with
    the command to continue; the checkpoint resumes."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "synthgan.cli",
            "fit",
            "heart.csv",
            "--epochs",
            "100000",
            "-q",
            "--checkpoint-every",
            "1",
            "-o",
            "long.synthgan",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while (
        not (workdir / "long.synthgan.ckpt").exists() and time.monotonic() < deadline and job.poll() is None
    ):
        time.sleep(0.1)
    job.send_signal(signal.SIGTERM)
    _, err = job.communicate(timeout=120)
    assert job.returncode == 143, err
    assert (
        "interrupted by SIGTERM; checkpoint written to long.synthgan.ckpt" in err
        and "--resume long.synthgan.ckpt" in err
    )
    assert "Traceback" not in err and not (workdir / "long.synthgan").exists()
    done = CTGAN.load_checkpoint(workdir / "long.synthgan.ckpt")._resume[1]["step"]
    fit("--resume", "long.synthgan.ckpt", "--steps", str(done + 3), "-o", "long.synthgan")
    assert CTGAN.load("long.synthgan").loss_values_["step"].iloc[-1] == done + 3
