"""Gate (pure decision on a report + policy), policies, and atomic Parquet export with provenance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from synthgan import CTGAN, evaluate
from synthgan.exceptions import GateFailedError, InvalidParameterError, PolicyError
from synthgan.gate import Policy, decide
from synthgan.io.export import read_metadata, write_rows
from synthgan.workflow.holdout import split_holdout
from synthgan.workflow.release import export_table, release_samples, report_path_for

POLICY = """
[[check]]
metric = "privacy.exact_match_rate"
max = "reference + 0.01"
fallback = 0.02

[[check]]
metric = "fidelity.ml_efficacy"
min = 0.8
optional = true

[[check]]
metric = "fidelity.column_shapes"
min = 0.5
"""


def report(**values) -> dict:
    data = {"privacy": {}, "fidelity": {}, "reference": {"privacy": {"exact_match_rate": 0.0}}}
    for key, value in values.items():
        section, name = key.split("__")
        data[section][name] = value
    return data


def test_decision_is_pure_and_explains_each_check():
    policy = Policy.from_toml(POLICY)
    ok = decide(
        report(
            privacy__exact_match_rate=0.005,
            fidelity__column_shapes=0.9,
            fidelity__ml_efficacy={"not_evaluated": "no target"},
        ),
        policy,
    )
    assert ok.passed and [c.passed for c in ok.checks] == [True, True, True]
    assert ok.checks[0].threshold == pytest.approx(0.01) and "waived" in ok.checks[1].note
    bad = decide(report(privacy__exact_match_rate=0.5, fidelity__column_shapes=0.9), policy)
    assert not bad.passed and [c.metric for c in bad.failed] == ["privacy.exact_match_rate"]
    assert "FAIL  privacy.exact_match_rate = 0.5000  (required <= 0.0100)" == bad.failed[0].line()


def test_missing_metric_or_reference_fails_unless_waived():
    policy = Policy.from_toml(POLICY)
    no_shapes = decide(report(privacy__exact_match_rate=0.0), policy)
    assert not no_shapes.passed and "not in the report" in no_shapes.failed[0].note
    data = report(privacy__exact_match_rate=0.015, fidelity__column_shapes=0.9)
    del data["reference"]
    fallback = decide(data, policy)
    assert (
        fallback.passed and fallback.checks[0].threshold == 0.02
    )  # no holdout: the absolute fallback applies


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[[check]\nmetric=", "not valid TOML"),
        ('[[check]]\nmetric = "privacy.x"\nmaxx = 1\n', "unknown keys ['maxx']"),
        ('[[check]]\nmetric = "speed.x"\nmax = 1\n', "starting with one of"),
        ('[[check]]\nmetric = "privacy.x"\nmax = "ref + 1"\n', "not a number or 'reference"),
        ('[[check]]\nmetric = "privacy.x"\nmax = 1\nmin = 0\n', "exactly one of min or max"),
        ("threshold = 3\n", "unknown top-level keys"),
        ("", "at least one [[check]]"),
    ],
)
def test_bad_policies_are_refused_with_one_line(text, fragment):
    with pytest.raises(PolicyError) as info:
        Policy.from_toml(text)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_default_policy_loads_with_reasons():
    policy = Policy.default()
    assert policy.name == "default" and len(policy.checks) >= 10
    assert all(c.reason for c in policy.checks)
    assert {c.metric.split(".")[0] for c in policy.checks} == {"validity", "fidelity", "privacy"}


def test_parquet_keeps_dtypes_and_metadata(tmp_path):
    frame = pd.DataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "c": pd.Categorical(["a", "b", "a"]),
            "t": pd.to_datetime(["2020-01-01", None, "2021-05-06"]),
            "b": [True, False, True],
            "s": ["x", None, "z"],
        }
    )
    path = write_rows(tmp_path / "out.parquet", iter([frame, frame]), {"seed": 3, "gate": {"passed": True}})
    back = pd.read_parquet(path)
    assert (back.dtypes == frame.dtypes).all() and len(back) == 6
    assert pq.ParquetFile(path).num_row_groups == 2
    assert read_metadata(path) == {"seed": 3, "gate": {"passed": True}}
    write_rows(tmp_path / "out.csv", iter([frame]), {})
    assert (tmp_path / "out.csv").read_text().startswith("n,c,t,b,s")


def test_interrupted_write_leaves_no_file(tmp_path):
    def chunks():
        yield pd.DataFrame({"x": [1]})
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_rows(tmp_path / "out.parquet", chunks(), {})
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def heart_split(heart):
    return split_holdout(heart, 0.2, seed=0)


def test_copies_are_refused_and_nothing_is_written(heart_split, tmp_path):
    train, holdout = heart_split
    out = tmp_path / "release.parquet"
    with pytest.raises(GateFailedError) as info:
        export_table(train.copy(), out, train=train, holdout=holdout, policy=Policy.default())
    failed = {c.metric for c in info.value.decision.failed}
    assert {
        "privacy.unique_copies_excess",
        "privacy.exact_match_rate",
        "privacy.near_copy_excess",
        "privacy.nndr_ratio",
    } <= failed
    assert not out.exists() and report_path_for(out).exists()  # the report says why


def test_trained_model_release_and_provenance(heart_split, tmp_path):
    train, holdout = heart_split
    model = CTGAN(epochs=100, batch_size=100, random_state=0, verbose=False).fit(train)
    out = tmp_path / "synthetic.parquet"
    # the flow, not the model's quality, is under test: validity checks only (they hold for any trained model)
    valid_only = Policy(
        tuple(c for c in Policy.default().checks if c.metric.startswith("validity.")), "validity"
    )
    result = release_samples(
        model,
        700,
        out,
        train=train,
        holdout=holdout,
        policy=valid_only,
        seed=5,
        provenance={"model_sha256": "abc"},
    )
    assert result.decision.passed, [c.line() for c in result.decision.failed]
    back = pd.read_parquet(out)
    assert len(back) == 700 and (back.dtypes == train.dtypes).all()
    meta = read_metadata(out)
    assert (
        meta["gate"]["passed"] and meta["seed"] == 5 and meta["model_sha256"] == "abc" and meta["rows"] == 700
    )
    assert set(meta["metrics"]) >= {"privacy.exact_match_rate", "fidelity.column_shapes"}
    again = tmp_path / "again.parquet"
    release_samples(model, 700, again, train=train, holdout=holdout, policy=None, seed=5)
    pd.testing.assert_frame_equal(pd.read_parquet(again), back)  # same seed, same rows, gate or not
    assert read_metadata(again)["gate"] == {"skipped": True, "reason": "--no-gate"}
    women = release_samples(
        model,
        50,
        tmp_path / "w.parquet",
        train=train,
        holdout=holdout,
        policy=None,
        conditions={"sex": 0},
        seed=1,
    )
    assert (pd.read_parquet(women.path)["sex"] == 0).all()


def test_holdout_split_is_seeded():
    frame = pd.DataFrame({"x": np.arange(100)})
    a, b = split_holdout(frame, 0.25, 7), split_holdout(frame, 0.25, 7)
    assert a[1]["x"].tolist() == b[1]["x"].tolist() and len(a[1]) == 25
    assert split_holdout(frame, 0, 7)[1] is None


CONFIDENT = """
[[check]]
metric = "fidelity.column_shapes"
min = "reference - 0.1"
confidence = 0.95
"""


def test_confidence_refuses_only_past_the_noise():
    policy = Policy.from_toml(CONFIDENT)
    base = {"reference": {"fidelity": {"column_shapes": 0.9}}}
    within = decide({**base, "fidelity": {"column_shapes": 0.78, "column_shapes_se": 0.02}}, policy)
    assert within.passed  # 0.02 under the threshold, 1 se: not confidently under it (1.645 se needed)
    assert (
        within.checks[0].line()
        == "pass  fidelity.column_shapes = 0.7800 +- 0.0200 (se)  (required >= 0.8000 at 95% confidence)"
    )
    beyond = decide({**base, "fidelity": {"column_shapes": 0.75, "column_shapes_se": 0.02}}, policy)
    assert not beyond.passed  # 2.5 se under it
    no_se = decide({**base, "fidelity": {"column_shapes": 0.95}}, policy)
    assert (
        not no_se.passed
        and "no uncertainty" in no_se.checks[0].note
        and "column_shapes_se" in no_se.checks[0].note
    )


def test_crafted_reports_meet_every_default_privacy_rule():
    """Each privacy rule of the default policy refuses its crafted report and passes the clean one."""
    policy = Policy.default()
    clean = {
        "unique_copies_excess": 0,
        "exact_match_rate": 0.0,
        "near_copy_excess": -0.01,
        "dcr_closer_to_train_gain": 0.5,
        "dcr_closer_to_train_gain_se": 0.05,
        "nndr_ratio": 0.9,
        "membership_inference_auc": 0.52,
        "membership_inference_auc_se": 0.03,
    }
    broken = {
        "unique_copies_excess": 1,
        "exact_match_rate": 0.02,
        "near_copy_excess": 0.001,
        "dcr_closer_to_train_gain": 0.6,
        "nndr_ratio": 0.4,
        "membership_inference_auc": 0.65,
    }
    privacy_checks = [c for c in policy.checks if c.metric.startswith("privacy.")]
    assert {c.metric.split(".")[1] for c in privacy_checks} == {k for k in clean if not k.endswith("_se")}
    for check in privacy_checks:
        name = check.metric.split(".")[1]
        for values, expected in ((clean, True), ({**clean, name: broken[name]}, False)):
            data = {"privacy": values, "reference": {"privacy": {"exact_match_rate": 0.0}}}
            result = next(r for r in decide(data, policy).checks if r.metric == check.metric)
            assert result.passed is expected, (check.metric, values[name])


@pytest.mark.parametrize(
    "value, se, expected",
    [
        (0.9951, 0.0007, True),  # credit default's trained model, seed 0: past 0.995 by less than its noise
        (0.9943, 0.0001, True),
        (0.9998, 0.0001, False),  # one-epoch model / shuffled columns on credit default
        (0.9970, 0.0003, False),  # a collapsed column on credit default
        (0.9960, 0.0, False),  # no spread over the repeats: the value itself is judged
    ],
)
def test_default_detection_backstop_refuses_past_its_noise(value, se, expected):
    """The default detection backstop (max 0.995 at 95% confidence) on figures like the calibration's."""
    data = {"fidelity": {"detection_auc": value, "detection_auc_se": se}}
    result = next(r for r in decide(data, Policy.default()).checks if r.metric == "fidelity.detection_auc")
    assert result.passed is expected and result.threshold == pytest.approx(0.995)


@pytest.mark.parametrize("value", ["high", 1.0, 0.2, True])
def test_bad_confidence_is_one_line_naming_the_key(value):
    text = f'[[check]]\nmetric = "fidelity.column_shapes"\nmin = 0.5\nconfidence = {value!r}\n'.replace(
        "'", '"'
    ).replace("True", "true")
    with pytest.raises(PolicyError) as info:
        Policy.from_toml(text)
    assert "confidence must be a number in [0.5, 1)" in str(info.value) and "\n" not in str(info.value)


def test_old_policy_files_still_load():
    old = (
        '[[check]]\nmetric = "privacy.membership_inference_auc_upper"\n'
        'max = "reference + 0.05"\nfallback = 0.6\n'
    )
    check = Policy.from_toml(old).checks[0]
    assert check.confidence is None and check.z == 0.0 and check.threshold(0.55) == pytest.approx(0.6)


def test_stratified_holdout_keeps_every_level_and_refuses_tiny_strata():
    frame = pd.DataFrame({"x": np.arange(200), "y": ["rare"] * 10 + ["common"] * 190})
    train, holdout = split_holdout(frame, 0.2, 3, stratify=["y"])
    assert (holdout["y"] == "rare").sum() == 2 and (train["y"] == "rare").sum() == 8 and len(holdout) == 40
    with pytest.raises(InvalidParameterError) as info:
        split_holdout(frame.assign(y=["alone"] + ["common"] * 199), 0.2, 3, stratify=["y"])
    assert "the level (alone) has 1 row; each needs at least 2" in str(info.value) and "\n" not in str(
        info.value
    )
    lone = frame.assign(y=["alone"] + ["common"] * 199)
    train, holdout = split_holdout(lone, 0.2, 3, stratify=["y"], single_rows="train")  # as augment splits
    assert (train["y"] == "alone").sum() == 1 and len(holdout) == 40 and (holdout["y"] == "common").all()


def test_holdout_identity_and_overlap_are_checked(heart_split):
    from synthgan.exceptions import DataLoadError
    from synthgan.workflow.holdout import check_disjoint, check_holdout, holdout_sha256

    train, holdout = heart_split
    record = {"holdout_rows": len(holdout), "holdout_sha256": holdout_sha256(holdout)}
    check_holdout(record, holdout.sample(frac=1.0, random_state=1))  # same rows, any order
    with pytest.raises(DataLoadError, match="not the one kept out at fit"):
        check_holdout(record, split_holdout(pd.concat([train, holdout]), 0.2, seed=9)[1])
    with pytest.raises(InvalidParameterError, match="shares 20 of its 81 rows with --real"):
        check_disjoint(train, pd.concat([holdout, train.iloc[:20]], ignore_index=True))
    check_disjoint(train, holdout)


def test_dependence_rule_refuses_shuffled_like_figures_and_waives_what_it_cannot_measure():
    policy = Policy.default()

    def verdict(value):
        data = {"fidelity": {"dependence_kept": value}}
        return next(r for r in decide(data, policy).checks if r.metric == "fidelity.dependence_kept")

    assert verdict(0.45).passed and not verdict(0.05).passed and not verdict(-0.3).passed
    waived = verdict({"not_evaluated": "the data's dependencies cannot be judged at this size"})
    assert waived.passed and "waived" in waived.note


def test_dependence_kept_puts_shuffled_columns_near_0_and_real_rows_near_1(heart_split):
    """Fixed inputs (the shipped table, seeded draws): independent columns score near 0 at every seed,
    training rows themselves near or above 1, and the real trends are measurable on this holdout."""
    train, holdout = heart_split
    shuffled = [
        pd.DataFrame(
            {
                c: train[c].sample(2000, replace=True, random_state=s * 100 + i).to_numpy()
                for i, c in enumerate(train.columns)
            }
        )
        for s in range(3)
    ]
    for seed, frame in enumerate(shuffled):
        figure = evaluate(train, frame, holdout=holdout, random_state=seed, detection=False).data["fidelity"]
        assert abs(figure["dependence_kept"]) < 0.2 and figure["dependence_real_gain"] > 0.04
    copies = evaluate(
        train, train.sample(2000, replace=True, random_state=0), holdout=holdout, detection=False
    )
    assert copies.data["fidelity"]["dependence_kept"] > 0.8
    tiny = evaluate(train, shuffled[0], holdout=holdout.iloc[:30], detection=False).data["fidelity"]
    assert "cannot be judged at this size" in tiny["dependence_kept"]["not_evaluated"]
