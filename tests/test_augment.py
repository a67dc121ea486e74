"""Augmentation: SyntheticOversampler (imbalanced-learn protocol, pipelines, strategies, dtypes),
``synthgan augment`` (exit codes, balance, include-real, report) and the examples/ci recipe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from synthgan.cli.app import app
from typer.testing import CliRunner

from synthgan import CTGAN, SyntheticOversampler
from synthgan.augment import class_targets
from synthgan.data import heart_disease_path, load_heart_disease
from synthgan.exceptions import InvalidParameterError
from synthgan.io.export import read_metadata

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def heart():
    df = load_heart_disease()
    return df.drop(columns="num"), (df["num"] > 0).map({True: "disease", False: "healthy"}).rename(
        "diagnosis"
    )


def test_class_targets_follow_imbalanced_learn_semantics():
    counts = pd.Series({"a": 100, "b": 30, "c": 10})
    assert class_targets(counts, "auto") == {"b": 70, "c": 90}
    assert class_targets(counts, "minority") == {"c": 90}
    assert class_targets(counts, {"b": 50}) == {"b": 20}
    assert class_targets(pd.Series({"x": 80, "y": 20}), 0.5) == {"y": 20}
    for bad, message in [
        ("most", "use one of"),
        (0.5, "exactly two classes"),
        ({"b": 10}, "over-sampling only adds"),
        ({"z": 5}, "not in y"),
    ]:
        with pytest.raises(InvalidParameterError, match=message):
            class_targets(counts, bad)


def test_oversampler_balances_with_exact_labels_dtypes_and_real_rows_first(heart):
    X, y = heart
    sampler = SyntheticOversampler(model=CTGAN(epochs=30, batch_size=100, verbose=False), random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert y_res.value_counts().to_dict() == {"healthy": 164, "disease": 164}
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    assert (X_res.dtypes == X.dtypes).all()
    assert sampler.n_synthetic_ == 164 - 139 and y_res.name == "diagnosis"
    synthetic = X_res.iloc[len(X) :]
    assert synthetic["sex"].isin(X["sex"].unique()).all()
    assert clone(sampler).get_params()["sampling_strategy"] == "auto"


def test_oversampler_in_an_imblearn_pipeline_with_arrays(heart):
    from imblearn.pipeline import Pipeline
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = heart
    pipe = Pipeline(
        [
            (
                "balance",
                SyntheticOversampler(
                    model=CTGAN(epochs=5, batch_size=100, verbose=False),
                    sampling_strategy={"disease": 150},
                    random_state=1,
                ),
            ),
            ("clf", HistGradientBoostingClassifier(random_state=0)),
        ]
    )
    pipe.fit(X.fillna(0).to_numpy(dtype=float), y.to_numpy())
    assert set(pipe.predict(X.fillna(0).to_numpy(dtype=float)[:20])) <= {"healthy", "disease"}
    X_res, y_res = clone(pipe.named_steps["balance"]).fit_resample(
        X.fillna(0).to_numpy(dtype=float), y.to_numpy()
    )
    assert (
        isinstance(X_res, np.ndarray)
        and X_res.shape == (303 + 11, X.shape[1])
        and (y_res == "disease").sum() == 150
    )


def test_oversampler_per_class_models_learn_each_class_alone():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "x": np.r_[rng.normal(0, 1, 600), rng.normal(6, 1, 120)],
            "kind": np.r_[
                rng.choice(["u", "v"], 600, p=[0.9, 0.1]), rng.choice(["u", "v"], 120, p=[0.1, 0.9])
            ],
        }
    )
    y = pd.Series(["a"] * 600 + ["b"] * 120, name="label")
    sampler = SyntheticOversampler(
        model=CTGAN(epochs=300, batch_size=60, verbose=False), per_class=True, random_state=0
    )
    X_res, y_res = sampler.fit_resample(X, y)
    assert y_res.value_counts().to_dict() == {"a": 600, "b": 600} and sampler.n_synthetic_ == 480
    assert (
        list(sampler.models_) == ["b"] and sampler.models_["b"].sampler_.counts.sum() == 120
    )  # class b alone
    new = X_res.iloc[len(X) :]
    # class b's values only, none of class a's (around 0); the mean of a 120-row GAN moves ~0.5 with the seed
    assert abs(new["x"].mean() - 6) < 1.0 and new["x"].min() > 1.5
    assert (new["kind"] == "v").mean() > 0.75
    assert (X_res.dtypes == X.dtypes).all() and X_res.iloc[: len(X)].equals(X)
    again, _ = clone(sampler).fit_resample(X, y)
    assert again.equals(X_res)  # same seed, same rows
    with pytest.raises(InvalidParameterError, match="class_focus applies to the joint"):
        SyntheticOversampler(per_class=True, class_focus=0.5).fit_resample(X, y)


class WidePool(BaseEstimator):
    """A stand-in generator with a known flaw: it learns a class's mean and spread and samples the spread
    three times too wide (what an undertrained GAN does), so the filter's effect is fixed, not a seed's
    luck."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, frame, discrete_columns=None):
        self.mean_, self.std_, self.kind_ = frame["x"].mean(), frame["x"].std(), frame["kind"].mode()[0]
        return self

    def sample(self, n, conditions=None, random_state=None):
        rng = np.random.default_rng(random_state)
        return pd.DataFrame({"x": rng.normal(self.mean_, 3 * self.std_, n), "kind": [self.kind_] * n})


def test_oversampler_realism_filter_keeps_the_rows_most_like_the_class():
    """From a pool three times too wide, the filter keeps the rows most like the real class."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {"x": np.r_[rng.normal(0, 1, 600), rng.normal(6, 1, 120)], "kind": ["u"] * 600 + ["v"] * 120}
    )
    y = pd.Series(["a"] * 600 + ["b"] * 120, name="label")
    rows = {}
    for f in (None, 3):
        sampler = SyntheticOversampler(model=WidePool(), per_class=True, realism_filter=f, random_state=1)
        X_res, y_res = sampler.fit_resample(X, y)
        assert y_res.value_counts().to_dict() == {"a": 600, "b": 600}
        rows[f] = X_res.iloc[len(X) :]["x"]
    real = X["x"][y == "b"]
    assert abs(rows[None].std() / real.std() - 3) < 0.4  # the pool as drawn
    assert (
        abs(rows[3].std() - real.std()) < 0.5 * abs(rows[None].std() - real.std())
        and abs(rows[3].mean() - real.mean()) < 0.4
    )
    for bad in (0.5, True, "3"):
        with pytest.raises(InvalidParameterError, match="realism_filter"):
            SyntheticOversampler(realism_filter=bad).fit_resample(X, y)


def test_oversampler_input_errors(heart):
    X, y = heart
    sampler = SyntheticOversampler(model=CTGAN(epochs=1, verbose=False))
    with pytest.raises(InvalidParameterError, match="X has 303 rows but y has 10"):
        sampler.fit_resample(X, y[:10])
    with pytest.raises(InvalidParameterError, match="single class"):
        sampler.fit_resample(X, pd.Series(["a"] * len(X)))


@pytest.fixture()
def workdir(tmp_path):
    shutil.copy(heart_disease_path(), tmp_path / "heart.csv")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(cwd)


def test_augment_balance_include_real_passes_the_gate(workdir):
    """Balancing writes exact class counts after the real rows, with the gate's decision recorded. The policy
    checks what any generated set must hold (valid types and categories), so the outcome is fixed: how a
    97-row model fares against the default policy swings with the seed, and is the calibration's business."""
    (workdir / "valid.toml").write_text(
        '[[check]]\nmetric = "validity.dtype_mismatches"\nmax = 0\n\n'
        '[[check]]\nmetric = "validity.unknown_categories"\nmax = 0\n'
    )
    result = runner.invoke(
        app,
        [
            "augment",
            "heart.csv",
            "--target",
            "sex",
            "--balance",
            "--include-real",
            "-o",
            "aug.parquet",
            "--epochs",
            "150",
            "--batch-size",
            "100",
            "--seed",
            "1",
            "--quiet",
            "--policy",
            "valid.toml",
            "--holdout",
            "0.4",
        ],
    )
    assert result.exit_code == 0, result.output
    out = pd.read_parquet(workdir / "aug.parquet")
    real = pd.read_csv(workdir / "heart.csv")
    assert out["sex"].value_counts().tolist() == [206, 206] and len(out) == 412
    assert (out.iloc[: len(real)]["age"].to_numpy() == real["age"].to_numpy()).all()
    meta = read_metadata(workdir / "aug.parquet")
    assert (
        meta["gate"]["passed"]
        and meta["synthetic_rows"] == 206 - 97
        and meta["generated_per_class"] == {"0": 109}
    )
    assert json.loads((workdir / "aug.report.json").read_text())["gate"]["passed"]


def test_augment_per_class_with_realism_filter(workdir):
    """--per-class --realism-filter: a model per class to grow, the most realistic of twice the rows kept;
    exact class counts, real rows first; both flags need --balance."""
    result = runner.invoke(
        app,
        [
            "augment",
            "heart.csv",
            "--target",
            "sex",
            "--balance",
            "--include-real",
            "--per-class",
            "--realism-filter",
            "2",
            "-o",
            "pc.parquet",
            "--epochs",
            "100",
            "--batch-size",
            "20",
            "--no-gate",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    out, real = pd.read_parquet(workdir / "pc.parquet"), pd.read_csv(workdir / "heart.csv")
    assert out["sex"].value_counts().tolist() == [206, 206] and len(out) == 412
    assert (
        out.iloc[: len(real)][["age", "chol", "oldpeak"]].to_numpy()
        == real[["age", "chol", "oldpeak"]].to_numpy()
    ).all()
    new = out.iloc[len(real) :]
    assert (new["sex"] == 0).all() and new["age"].between(real["age"].min(), real["age"].max()).all()
    assert read_metadata(workdir / "pc.parquet")["generated_per_class"] == {"0": 109}
    for flag in (["--per-class"], ["--realism-filter", "2"]):
        refused = runner.invoke(
            app,
            [
                "augment",
                "heart.csv",
                "--target",
                "sex",
                "-n",
                "5",
                *flag,
                "-o",
                "y.parquet",
                "--epochs",
                "1",
                "--quiet",
            ],
        )
        assert (
            refused.exit_code != 0
            and "apply to --balance" in refused.output
            and "Traceback" not in refused.output
        )
    bad = runner.invoke(
        app,
        [
            "augment",
            "heart.csv",
            "--target",
            "sex",
            "--balance",
            "--realism-filter",
            "0.5",
            "-o",
            "y.parquet",
            "--epochs",
            "1",
            "--quiet",
        ],
    )
    assert (
        bad.exit_code != 0
        and "realism_filter=0.5 is not accepted" in bad.output
        and not (workdir / "y.parquet").exists()
    )


def test_augment_refusal_exit_3_and_input_errors(workdir):
    (workdir / "strict.toml").write_text('[[check]]\nmetric = "fidelity.column_shapes"\nmin = 1.01\n')
    refused = runner.invoke(
        app,
        [
            "augment",
            "heart.csv",
            "--target",
            "sex",
            "-n",
            "50",
            "--policy",
            "strict.toml",
            "-o",
            "r.parquet",
            "--epochs",
            "2",
            "--quiet",
        ],
    )
    assert (
        refused.exit_code == 3
        and not (workdir / "r.parquet").exists()
        and (workdir / "r.report.json").exists()
    )
    for args, message in [
        (["--target", "nope", "-n", "5"], "--target 'nope' is not a column"),
        (["--target", "sex"], "exactly one of --balance or -n"),
        (["--target", "sex", "-n", "0"], "not a positive number"),
    ]:
        result = runner.invoke(
            app, ["augment", "heart.csv", *args, "--epochs", "1", "-o", "x.parquet", "--quiet"]
        )
        assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output, (
            result.output
        )
        assert not (workdir / "x.parquet").exists()


def test_examples_ci_script_runs_the_recipe(workdir):
    """The script's mechanics: arguments, environment, exit codes, output. Its policy checks validity only,
    so the outcome is fixed (whether one seed's model passes the default policy is the calibration's
    business)."""
    (workdir / "valid.toml").write_text('[[check]]\nmetric = "validity.unknown_categories"\nmax = 0\n')
    env = {
        **os.environ,
        "SYNTHGAN_EPOCHS": "300",
        "SYNTHGAN_POLICY": "valid.toml",
        "SYNTHGAN_HOLDOUT": "0.4",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        ["bash", str(ROOT / "examples" / "ci" / "augment.sh"), "heart.csv", "sex", "build/train.parquet"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "augmented training data: build/train.parquet" in done.stdout
    assert pd.read_parquet(workdir / "build" / "train.parquet")["sex"].value_counts().tolist() == [206, 206]
    usage = subprocess.run(
        ["bash", str(ROOT / "examples" / "ci" / "augment.sh")], capture_output=True, text=True, env=env
    )
    assert usage.returncode == 2 and "usage:" in usage.stderr
    only = subprocess.run(
        ["bash", str(ROOT / "examples" / "ci" / "augment.sh"), "heart.csv", "sex", "build/syn.parquet"],
        cwd=workdir,
        env={**env, "SYNTHGAN_INCLUDE_REAL": "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert only.returncode == 0, only.stderr
    synthetic = pd.read_parquet(workdir / "build" / "syn.parquet")
    from synthgan.io.export import read_metadata

    full = read_metadata(workdir / "build" / "train.parquet")
    assert len(synthetic) == full["synthetic_rows"] > 0 and set(synthetic["sex"]) == {0}  # no real row


def test_the_ci_workflow_keeps_real_rows_out_of_artifacts_and_pins_versions():
    text = (ROOT / "examples" / "ci" / "github-actions.yml").read_text()
    upload = text[text.index("actions/upload-artifact") :]
    assert "synthetic_rows.parquet" in upload and "data/train.csv" not in upload
    assert 'SYNTHGAN_INCLUDE_REAL: "0"' in text and "--include-real" not in text
    assert 'TORCH_VERSION: "2.13.0"' in text and "synthgan==${SYNTHGAN_VERSION}" in text
    assert "actions/cache@v4" in text and "~/.cache/pip" in text
