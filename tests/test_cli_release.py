"""fit -> sample -> Parquet through the CLI, export of other generators' files, exit codes, kill -9."""

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

from synthgan.data import heart_disease_path
from synthgan.io.export import read_metadata
from synthgan.io.tabular import load_table
from synthgan.workflow.holdout import split_holdout

runner = CliRunner()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flow")
    data = folder / "heart.csv"
    data.write_bytes(heart_disease_path().read_bytes())
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        # the default budget: a 100-epoch model keeps no dependence between columns, and the gate refuses it
        result = runner.invoke(app, ["fit", "heart.csv", "--quiet"])
        assert result.exit_code == 0, result.output
        yield folder
    finally:
        os.chdir(cwd)


def test_default_paths_flow(workdir):
    os.chdir(workdir)
    assert (workdir / "model.synthgan").exists()
    result = runner.invoke(app, ["sample", "-n", "400"])
    assert result.exit_code == 0, result.output
    assert "400 rows written to synthetic.parquet (gate passed" in result.output
    frame = pd.read_parquet(workdir / "synthetic.parquet")
    assert len(frame) == 400 and list(frame.columns)[:3] == ["age", "sex", "cp"]
    meta = read_metadata(workdir / "synthetic.parquet")
    assert meta["gate"]["passed"] and len(meta["model_sha256"]) == 64
    assert (workdir / "synthetic.report.json").exists()


def test_conditions_no_gate_and_csv(workdir):
    os.chdir(workdir)
    result = runner.invoke(
        app, ["sample", "-n", "50", "--condition", "sex=0", "--no-gate", "-o", "women.csv"]
    )
    assert result.exit_code == 0, result.output
    assert (pd.read_csv(workdir / "women.csv")["sex"] == 0).all()
    bad = runner.invoke(app, ["sample", "-n", "5", "--condition", "sex", "-o", "x.parquet"])
    assert bad.exit_code == 1 and "COLUMN=VALUE" in bad.output and not (workdir / "x.parquet").exists()
    unknown = runner.invoke(app, ["sample", "-n", "5", "--condition", "nope=1", "-o", "x.parquet"])
    assert unknown.exit_code == 1 and "unknown condition column 'nope'" in unknown.output


def test_moved_training_file_asks_for_real(workdir, tmp_path):
    os.chdir(workdir)
    model = workdir / "model.synthgan"
    (workdir / "heart.csv").rename(workdir / "moved.csv")
    try:
        result = runner.invoke(app, ["sample", "-n", "10", "-o", str(tmp_path / "a.parquet")])
        assert result.exit_code == 1 and "--real" in result.output
        ok = runner.invoke(
            app,
            [
                "sample",
                "-n",
                "400",
                "--real",
                "moved.csv",
                "-o",
                str(tmp_path / "a.parquet"),
                "-m",
                str(model),
            ],
        )
        assert ok.exit_code == 0, ok.output
    finally:
        (workdir / "moved.csv").rename(workdir / "heart.csv")


def test_export_refuses_copies_and_passes_real_output(workdir, tmp_path):
    os.chdir(workdir)
    frame = pd.read_csv(workdir / "heart.csv")
    frame.iloc[:240].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[240:].to_csv(tmp_path / "holdout.csv", index=False)
    frame.iloc[:240].to_csv(tmp_path / "copies.csv", index=False)
    out = tmp_path / "release.parquet"
    result = runner.invoke(
        app,
        [
            "export",
            str(tmp_path / "copies.csv"),
            "--real",
            str(tmp_path / "train.csv"),
            "--holdout",
            str(tmp_path / "holdout.csv"),
            "-o",
            str(out),
        ],
    )
    assert (
        result.exit_code == 3
        and "gate: refused" in result.output
        and "FAIL  privacy.exact_match_rate" in result.output
    )
    assert not out.exists() and (tmp_path / "release.report.json").exists()
    train, holdout = split_holdout(load_table(workdir / "heart.csv"), 0.2, 0)  # the split `fit` used (seed 0)
    train.to_csv(tmp_path / "fit_train.csv", index=False)
    holdout.to_csv(tmp_path / "fit_holdout.csv", index=False)
    pd.read_parquet(workdir / "synthetic.parquet").to_csv(tmp_path / "good.csv", index=False)
    passed = runner.invoke(
        app,
        [
            "export",
            str(tmp_path / "good.csv"),
            "--real",
            str(tmp_path / "fit_train.csv"),
            "--holdout",
            str(tmp_path / "fit_holdout.csv"),
            "-o",
            str(tmp_path / "ok.parquet"),
        ],
    )
    assert passed.exit_code == 0, passed.output
    assert (
        read_metadata(tmp_path / "ok.parquet")["gate"]["passed"]
        and len(pd.read_parquet(tmp_path / "ok.parquet")) == 400
    )
    no_baseline = runner.invoke(
        app, ["export", str(tmp_path / "good.csv"), "--real", "heart.csv", "-o", str(tmp_path / "nb.parquet")]
    )
    assert (
        no_baseline.exit_code == 3 and "needs a real holdout" in no_baseline.output
    )  # no holdout: no privacy baseline
    assert not (tmp_path / "nb.parquet").exists()


def test_policy_errors_and_usage(workdir, tmp_path):
    os.chdir(workdir)
    policy = tmp_path / "p.toml"
    policy.write_text("[[check]]\nmetric = 'privacy.exact_match_rate'\nmaximum = 0\n")
    result = runner.invoke(
        app, ["sample", "-n", "5", "--policy", str(policy), "-o", str(tmp_path / "p.parquet")]
    )
    assert result.exit_code == 1 and "unknown keys ['maximum']" in result.output
    assert runner.invoke(app, ["sample"]).exit_code == 2
    assert runner.invoke(app, ["sample", "-n", "abc"]).exit_code == 2
    zero = runner.invoke(app, ["sample", "-n", "0"])
    assert zero.exit_code == 2 and "positive" in zero.output


def test_kill_during_large_sample_leaves_no_file(workdir):
    out = workdir / "big.parquet"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "synthgan.cli",
            "sample",
            "-n",
            "5000000",
            "--no-gate",
            "-o",
            str(out),
            "-m",
            str(workdir / "model.synthgan"),
        ],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not any(p.name.startswith(".big.parquet.") for p in workdir.iterdir()):
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert not out.exists()
    for leftover in workdir.glob(".big.parquet.*"):
        leftover.unlink()


def test_two_processes_sample_one_model_at_once(workdir):
    """Model files are read-only for sampling: two concurrent processes both finish, each with its file."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "synthgan.cli",
                "sample",
                "-n",
                "30000",
                "--no-gate",
                "--seed",
                str(seed),
                "-o",
                f"p{seed}.parquet",
            ],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for seed in (1, 2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    a, b = pd.read_parquet(workdir / "p1.parquet"), pd.read_parquet(workdir / "p2.parquet")
    assert len(a) == len(b) == 30000 and not a.equals(b)
