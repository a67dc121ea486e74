"""Declared constraints: their meaning, JSON, construction in sampling, conditions, inference and checks."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from synthgan.cli.app import app
from typer.testing import CliRunner

from synthgan import CTGAN, Schema, evaluate
from synthgan.constraints import (
    Custom,
    FixedCombinations,
    IfThen,
    Inequality,
    Range,
    Sum,
    rule_from_dict,
    suggest_constraints,
)
from synthgan.constraints.plan import ConstraintPlan
from synthgan.exceptions import ConditionError, ConstraintError, SchemaError
from synthgan.gate import Policy, decide

runner = CliRunner()


def hospital(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A table with real rules: dates in order, blood pressures, a sum, wards and specialties..."""
    rng = np.random.default_rng(seed)
    admission = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    sex = rng.choice(["M", "F"], n)
    drug = rng.choice(["none", "a", "b"], n)
    ward = rng.choice(["cardio", "neuro", "onco"], n)
    onco = rng.choice(["blood", "lung"], n)
    sbp = rng.normal(130, 15, n).round()
    a, b = rng.integers(0, 50, n), rng.integers(0, 50, n)
    return pd.DataFrame(
        {
            "admission": admission,
            "discharge": admission + pd.to_timedelta(rng.integers(0, 20, n), unit="D"),
            "sex": sex,
            "pregnant": np.where(sex == "M", "No", rng.choice(["Yes", "No"], n, p=[0.2, 0.8])),
            "drug": drug,
            "dose": np.where(drug == "none", 0, rng.integers(5, 50, n)).astype(float),
            "a": a,
            "b": b,
            "total": a + b,
            "ward": ward,
            "specialty": np.where(ward == "cardio", "heart", np.where(ward == "neuro", "brain", onco)),
            "sbp": sbp,
            "dbp": (sbp - rng.uniform(20, 50, n)).round(),
            "age": rng.integers(18, 90, n),
        }
    )


RULES = [
    Inequality("admission", "discharge"),
    Inequality("dbp", "sbp", strict=True),
    Range("age", 0, 120),
    FixedCombinations(["ward", "specialty"]),
    IfThen("sex", "M", "pregnant", "No"),
    IfThen("drug", "none", "dose", 0),
    Sum(["a", "b"], "total"),
]


@pytest.fixture(scope="module")
def fitted() -> CTGAN:
    return CTGAN(steps=300, random_state=0, verbose=False).fit(hospital(), constraints=RULES)


# ---- what a rule means -------------------------------------------------------------------------
def test_each_rule_flags_exactly_the_breaking_rows_and_missing_is_no_violation():
    frame = pd.DataFrame(
        {
            "lo": [1.0, 5.0, np.nan, 2.0],
            "hi": [2.0, 4.0, 3.0, 2.0],
            "x": [0, 130, 50, -1],
            "sex": ["M", "M", "F", None],
            "preg": ["No", "Yes", "Yes", "Yes"],
            "p1": [1, 2, 3, 4],
            "p2": [1, 1, 1, 1],
            "t": [2, 3, 5, np.nan],
        }
    )
    assert Inequality("lo", "hi").violations(frame).tolist() == [False, True, False, False]
    assert Inequality("lo", "hi", strict=True).violations(frame).tolist() == [False, True, False, True]
    assert Inequality("lo", "hi", offset=1).violations(frame).tolist() == [False, True, False, True]
    assert Range("x", 0, 120).violations(frame).tolist() == [False, True, False, True]
    assert Range("x", 0, 120, low_inclusive=False).violations(frame).tolist() == [True, True, False, True]
    assert IfThen("sex", "M", "preg", "No").violations(frame).tolist() == [False, True, False, False]
    assert Sum(["p1", "p2"], "t").violations(frame).tolist() == [False, False, True, False]
    combos = FixedCombinations(["sex", "preg"], allowed=(("M", "No"), ("F", "Yes")))
    assert combos.violations(frame).tolist() == [False, True, False, True]


def test_datetime_inequality_with_a_duration_offset():
    frame = pd.DataFrame(
        {"in": pd.to_datetime(["2020-01-01", "2020-01-05"]), "out": pd.to_datetime(["2020-01-03"] * 2)}
    )
    assert Inequality("in", "out", offset="1D").violations(frame).tolist() == [False, True]
    assert Inequality("in", "out", offset="3D").violations(frame).tolist() == [True, True]


@pytest.mark.parametrize("rule", [*RULES, FixedCombinations(["ward", "specialty"], as_one_column=True)])
def test_rules_round_trip_through_json(rule):
    assert rule_from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


def test_combination_keys_equal_the_per_value_keys_on_every_kind_of_column():
    from synthgan.constraints.values import _key, combination_keys

    frame = pd.DataFrame(
        {
            "text": ["x", "y", None, np.nan, "x"],
            "number": [1, 2, 3, np.nan, 1.0],
            "category": pd.Categorical(["x", "y", None, "x", "y"]),
            "flag": [True, False, None, True, np.bool_(True)],
            "mixed": np.array([True, 1, 1.0, "a", None], dtype=object),  # True is not 1 to a rule
            "nullable": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "string": pd.array(["u", None, "v", "u", "v"], dtype="string"),
        }
    )
    expected = list(zip(*[[_key(v) for v in frame[c].tolist()] for c in frame.columns]))
    assert combination_keys(frame, list(frame.columns)) == expected
    assert expected[0][4] == ("bool", True) and expected[1][4] == 1.0


def test_fixed_combinations_are_kept_by_rejection_unless_learned_as_one_column():
    assert RULES[3].to_dict() == {"type": "fixed_combinations", "columns": ["ward", "specialty"]}
    merged = rule_from_dict(
        {"type": "fixed_combinations", "columns": ["ward", "specialty"], "as_one_column": True}
    )
    assert merged.as_one_column and merged != RULES[3]


def test_schema_json_carries_constraints_and_checks_them():
    frame = hospital(100)
    schema = Schema.infer(frame).with_constraints(RULES)
    back = Schema.from_json(schema.to_json())
    assert back == schema and len(back.constraints) == len(RULES)
    assert Schema.infer(frame, declared=json.loads(schema.to_json())).constraints == schema.constraints
    assert "constraints" not in Schema.infer(frame).to_dict()  # schemas without rules are unchanged


@pytest.mark.parametrize(
    "rule, fragment",
    [
        ({"type": "inequality", "low": "nope", "high": "sbp"}, "unknown column 'nope'"),
        (
            {"type": "inequality", "low": "sex", "high": "sbp"},
            "both columns must be numbers or both datetimes",
        ),
        ({"type": "range", "column": "age"}, "needs a low or a high bound"),
        ({"type": "range", "column": "age", "low": 5, "high": 1}, "is not below high"),
        ({"type": "range", "column": "sex", "low": 0}, "ranges apply to continuous and integer columns"),
        ({"type": "fixed_combinations", "columns": ["ward"]}, "two or more different columns"),
        ({"type": "fixed_combinations", "columns": ["ward", "age"]}, "are not categorical"),
        (
            {"type": "fixed_combinations", "columns": ["ward", "sex"], "as_one_column": "yes"},
            "as_one_column must be true or false, not 'yes'",
        ),
        ({"type": "sum", "parts": ["a", "sex"], "total": "total"}, "are not number or date columns"),
        (
            {"type": "inequality", "low": "admission", "high": "discharge", "offset": "soon"},
            "is not a duration",
        ),
        ({"type": "between"}, "unknown constraint type 'between'"),
        ({"type": "if_then", "if": {"column": "sex"}}, "lacks a field"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(rule, fragment):
    with pytest.raises(SchemaError, match=fragment):
        Schema.infer(hospital(50)).with_constraints([rule])


def test_a_rule_declared_twice_is_refused():
    with pytest.raises(SchemaError, match="declared twice"):
        Schema.infer(hospital(50)).with_constraints([Range("age", 0, 120), Range("age", 0, 120)])


def test_real_data_breaking_a_declared_rule_is_an_error_naming_rule_and_count():
    frame = hospital(200)
    frame.loc[:2, "dbp"] = frame.loc[:2, "sbp"] + 1
    with pytest.raises(SchemaError, match=r"breaks the declared constraint 'sbp > dbp' in 3 of 200 rows"):
        CTGAN(steps=5, verbose=False).fit(frame, constraints=[Inequality("dbp", "sbp", strict=True)])


# ---- sampling ----------------------------------------------------------------------------------
def test_every_sampled_row_obeys_every_rule(fitted):
    rows = fitted.sample(3000, random_state=1)
    assert {k: int(v.sum()) for k, v in fitted.constraints_.violations(rows).items()} == dict.fromkeys(
        [r.describe() for r in RULES], 0
    )
    real = hospital()
    assert list(rows.columns) == list(real.columns)
    assert rows.dtypes.astype(str).to_dict() == real.dtypes.astype(str).to_dict()
    # rebuilt columns are still learned: the stay's spread and the blood pressures' gap look real
    stay = (rows.discharge - rows.admission).dt.days
    assert stay.min() >= 0 and 3 < stay.std() < 9
    assert 20 <= (rows.sbp - rows.dbp).median() <= 50
    # values come from the real grid: whole days, integer totals within the real range
    assert (rows.discharge.dt.normalize() == rows.discharge).all()
    assert rows.total.between(real.total.min(), real.total.max()).all()


def test_conditions_on_constrained_columns(fitted):
    blood = fitted.sample(200, conditions={"specialty": "blood"}, random_state=2)
    assert set(blood.specialty) == {"blood"} and set(blood.ward) == {"onco"}
    pregnant = fitted.sample(200, conditions={"pregnant": "Yes"}, random_state=2)
    assert set(pregnant.pregnant) == {"Yes"} and set(pregnant.sex) == {"F"}
    onco = fitted.sample(300, conditions={"ward": "onco"}, random_state=2)
    assert set(onco.specialty) == {"blood", "lung"}  # both kept combinations
    with pytest.raises(ConstraintError, match="sex='M' and pregnant='Yes' contradict the constraint"):
        fitted.sample(10, conditions={"sex": "M", "pregnant": "Yes"})
    with pytest.raises(ConstraintError, match="ward='cardio', specialty='blood' match no combination"):
        fitted.sample(10, conditions={"ward": "cardio", "specialty": "blood"})
    with pytest.raises(ConditionError, match="unknown condition column 'nope'"):
        fitted.sample(10, conditions={"nope": 1})


def test_same_seed_same_rows_and_the_model_file_keeps_the_rules(fitted, tmp_path):
    path = fitted.save(tmp_path / "m.synthgan")
    loaded = CTGAN.load(path)
    assert loaded.sample(500, random_state=3).equals(fitted.sample(500, random_state=3))
    assert [r.describe() for r in loaded.schema_.constraints] == [r.describe() for r in RULES]
    state = loaded.constraints_.to_dict()["state"]
    real = hospital()
    # bounds stored for rebuilt columns are top- and bottom-coded: at least k = 5 real rows at or beyond each
    for rule, entry in zip(RULES, state):
        if "bounds" in entry:
            column = rule.high if isinstance(rule, Inequality) else rule.total
            if column in ("sbp", "total"):
                low, high = entry["bounds"]
                assert (real[column] <= low).sum() >= 5 and (real[column] >= high).sum() >= 5
    # a missing low value's reference is a round number, not a patient's value
    assert state[1]["reference"] == float(f"{real.dbp.median():.2g}")
    # the group is kept by rejection: only combinations at least k = 5 real rows share are stored
    seen = real.groupby(["ward", "specialty"]).size()
    assert state[3]["how"] == "reject" and set(state[3]) == {"how", "combinations"}
    assert all(seen[tuple(combo)] >= 5 for combo in state[3]["combinations"])


@pytest.mark.parametrize(
    "one_column, how", [(False, "rejected when generated"), (True, "learned as the nearest kept combination")]
)
def test_rare_combinations_are_not_stored_or_emitted(one_column, how):
    frame = hospital(400)
    frame.loc[:1, ["ward", "specialty"]] = [["neuro", "lung"], ["neuro", "lung"]]  # seen twice: below k=5
    rule = FixedCombinations(["ward", "specialty"], as_one_column=one_column)
    with pytest.warns(UserWarning, match=f"combinations seen fewer than 5 times \\(2 rows\\) are {how}"):
        model = CTGAN(steps=100, random_state=0, verbose=False).fit(frame, constraints=[rule])
    assert [s["how"] for s in model.constraints_.state] == ["construct" if one_column else "reject"]
    assert ["neuro", "lung"] not in model.constraints_.state[0]["combinations"]
    kept = {("cardio", "heart"), ("neuro", "brain"), ("onco", "blood"), ("onco", "lung")}
    assert set(map(tuple, model.constraints_.state[0]["combinations"])) == kept
    rows = model.sample(2000, random_state=0)
    assert set(zip(rows.ward, rows.specialty)) <= kept


def test_a_group_learned_as_one_column_takes_conditions_and_survives_a_save(tmp_path):
    rules = [
        FixedCombinations(["ward", "specialty"], as_one_column=True),
        IfThen("sex", "M", "pregnant", "No"),
    ]
    model = CTGAN(steps=150, random_state=0, verbose=False).fit(hospital(400), constraints=rules)
    assert [s["how"] for s in model.constraints_.state] == ["construct", "construct"]
    assert "ward|specialty" in model.transformer_.encoders_  # one learned column for the group
    loaded = CTGAN.load(model.save(tmp_path / "m.synthgan"))
    assert loaded.schema_.constraints[0].as_one_column
    for m in (model, loaded):
        rows = m.sample(300, conditions={"specialty": "lung"}, random_state=1)
        assert set(rows.specialty) == {"lung"} and set(rows.ward) == {"onco"}
        with pytest.raises(ConstraintError, match="ward='cardio', specialty='blood' match no combination"):
            m.sample(10, conditions={"ward": "cardio", "specialty": "blood"})
    # a model file written before the option (its rule has no flag; the state says how the group is held)
    older = model.constraints_.to_dict()
    older["rules"] = [{k: v for k, v in r.items() if k != "as_one_column"} for r in older["rules"]]
    plan = ConstraintPlan.from_dict(older)
    assert plan.constructed(FixedCombinations) == [0] and plan.rules[0].as_one_column
    assert plan.derived_schema() == model.constraints_.derived_schema()
    model.constraints_ = plan
    rows = model.sample(300, conditions={"ward": "onco"}, random_state=1)
    assert set(rows.ward) == {"onco"} and set(rows.specialty) <= {"blood", "lung"}


def test_a_group_and_an_if_then_on_its_member_hold_together_in_either_order():
    group, rule = FixedCombinations(["ward", "specialty"]), IfThen("sex", "M", "specialty", "brain")
    frame = hospital(400)
    frame.loc[frame.sex == "M", ["ward", "specialty"]] = ["neuro", "brain"]
    for rules, how in (([group, rule], ["reject", "construct"]), ([rule, group], ["construct", "reject"])):
        model = CTGAN(steps=100, random_state=0, verbose=False).fit(frame, constraints=rules)
        assert [s["how"] for s in model.constraints_.state] == how
        rows = model.sample(500, conditions={"specialty": "brain"}, random_state=0)
        assert set(rows.specialty) == {"brain"} and set(rows.ward) == {"neuro"}
        assert not any(v.any() for v in model.constraints_.violations(model.sample(500)).values())
    merged = FixedCombinations(["ward", "specialty"], as_one_column=True)
    model = CTGAN(steps=5, random_state=0, verbose=False).fit(frame, constraints=[rule, merged])
    assert [s["how"] for s in model.constraints_.state] == ["reject", "construct"]  # the group rewrites both
    overlapping = FixedCombinations(["ward", "sex"], as_one_column=True)
    with pytest.warns(UserWarning, match=r"\['ward'\] already belong to a group learned as one column"):
        model = CTGAN(steps=5, verbose=False).fit(frame, constraints=[merged, overlapping])
    assert [s["how"] for s in model.constraints_.state] == ["construct", "reject"]


def test_one_group_declared_twice_is_refused_however_it_is_held():
    with pytest.raises(SchemaError, match="declared twice"):
        Schema.infer(hospital(50)).with_constraints(
            [FixedCombinations(["ward", "specialty"]), FixedCombinations(["ward", "specialty"], True)]
        )


def test_a_group_too_sparse_for_rejection_fails_early_and_points_to_one_column():
    rng = np.random.default_rng(0)
    code = rng.integers(0, 10, 500).astype(str)  # four columns always equal: 10 of 10,000 combinations
    frame = pd.DataFrame({c: code for c in "abcd"} | {"x": rng.normal(size=500)})
    sparse = FixedCombinations(list("abcd"))
    model = CTGAN(steps=5, random_state=0, verbose=False).fit(frame, constraints=[sparse])
    with pytest.raises(
        ConstraintError, match=r"break 'only seen combinations of \(a, b, c, d\)'.*as_one_column=True"
    ):
        model.sample(1000, random_state=0)
    merged = FixedCombinations(list("abcd"), as_one_column=True)
    rows = CTGAN(steps=5, random_state=0, verbose=False).fit(frame, constraints=[merged]).sample(1000)
    assert (rows.a == rows.b).all() and (rows.b == rows.c).all() and (rows.c == rows.d).all()


def test_missing_low_values_keep_high_learned():
    frame = hospital(500)
    frame.loc[::4, "dbp"] = np.nan
    model = CTGAN(steps=200, random_state=0, verbose=False).fit(
        frame, constraints=[Inequality("dbp", "sbp", strict=True)]
    )
    rows = model.sample(2000, random_state=0)
    assert 0.0 < rows.dbp.isna().mean() < 0.6  # low is still missing sometimes (a quarter of real rows)
    assert rows.sbp.notna().all() and (rows.sbp[rows.dbp.notna()] > rows.dbp.dropna()).all()


def test_text_dates_keep_their_format():
    frame = hospital(300)
    frame["admission"] = frame.admission.dt.strftime("%Y/%m/%d")
    frame["discharge"] = frame.discharge.dt.strftime("%Y/%m/%d")
    model = CTGAN(steps=100, random_state=0, verbose=False).fit(
        frame, constraints=[Inequality("admission", "discharge")]
    )
    rows = model.sample(500, random_state=0)
    a, d = (pd.to_datetime(rows[c], format="%Y/%m/%d") for c in ("admission", "discharge"))
    assert (d >= a).all() and rows.discharge.str.fullmatch(r"\d{4}/\d\d/\d\d").all()


def test_custom_rules_are_kept_by_rejection_and_never_stored(tmp_path):
    frame = hospital(400)
    rule = Custom("weekday admissions", lambda f: f.admission.dt.dayofweek < 5, ("admission",))
    frame = frame[rule.predicate(frame)].reset_index(drop=True)
    model = CTGAN(steps=150, random_state=0, verbose=False).fit(frame, constraints=[rule])
    rows = model.sample(1000, random_state=0)
    assert len(rows) == 1000 and (rows.admission.dt.dayofweek < 5).all()
    with pytest.warns(UserWarning, match="not stored in the model file"):
        path = model.save(tmp_path / "c.synthgan")
    with pytest.warns(UserWarning, match="were not stored"):
        CTGAN.load(path)


def test_rejection_too_low_to_finish_fails_early_naming_the_rule():
    frame = hospital(300)
    frame["code"] = 7919 * np.arange(len(frame)) % 104_729  # a number no generator hits exactly
    rule = Custom("code is prime-coded", lambda f: f.code.isin(frame.code), ("code",))
    model = CTGAN(steps=50, random_state=0, verbose=False).fit(frame.drop(columns=[]), constraints=[rule])
    with pytest.raises(
        ConstraintError, match=r"obey every constraint; .* break \"custom rule 'code is prime-coded'\""
    ):
        model.sample(10_000, random_state=0)


def test_a_rule_on_a_column_another_rule_rewrites_is_kept_by_rejection():
    frame = hospital(400)
    model = CTGAN(steps=150, random_state=0, verbose=False).fit(
        frame, constraints=[Inequality("dbp", "sbp", strict=True), Range("sbp", 60, 250)]
    )
    assert [s["how"] for s in model.constraints_.state] == ["construct", "reject"]
    rows = model.sample(1000, random_state=0)
    assert (rows.sbp > rows.dbp).all() and rows.sbp.between(60, 250).all()


def test_checkpoint_resume_keeps_the_rules(tmp_path):
    frame = hospital(300)
    model = CTGAN(steps=40, random_state=0, verbose=False).fit(frame, constraints=RULES[:2])
    model.save_checkpoint(tmp_path / "m.ckpt")
    resumed = CTGAN.load_checkpoint(tmp_path / "m.ckpt").set_params(steps=60).fit(frame)
    assert len(resumed.schema_.constraints) == 2
    rows = resumed.sample(500, random_state=0)
    assert (rows.sbp > rows.dbp).all() and (rows.discharge >= rows.admission).all()


# ---- evaluation and gate -----------------------------------------------------------------------
def test_evaluation_counts_violations_per_rule_and_the_gate_refuses_any():
    real = hospital(300)
    synthetic = hospital(300, seed=1)
    synthetic.loc[:9, "dbp"] = synthetic.loc[:9, "sbp"] + 5
    synthetic.loc[:3, ["ward", "specialty"]] = [["cardio", "lung"]] * 4
    schema = Schema.infer(real).with_constraints(
        [Inequality("dbp", "sbp", strict=True), FixedCombinations(["ward", "specialty"])]
    )
    report = evaluate(real, synthetic, schema=schema, detection=False).to_dict()
    assert report["validity"]["constraint_violations"] == 14
    assert report["validity"]["details"]["constraint_violations_by_rule"] == {
        "sbp > dbp": 10,
        "only seen combinations of (ward, specialty)": 4,
    }
    decision = decide(report, Policy.default())
    failed = {c.metric for c in decision.checks if not c.passed}
    assert "validity.constraint_violations" in failed
    report["validity"]["constraint_violations"] = 0
    assert "validity.constraint_violations" not in {
        c.metric for c in decide(report, Policy.default()).checks if not c.passed
    }


# ---- inference ---------------------------------------------------------------------------------
def test_suggestions_find_the_planted_rules():
    found = {r.describe() for r in suggest_constraints(hospital())}
    assert found == {
        "sbp > dbp",
        "discharge >= admission",
        "a + b == total",
        "if drug == 'none' then dose == 0.0",
        "only seen combinations of (ward, specialty)",
        "only seen combinations of (sex, pregnant)",
    }


def test_no_suggestions_on_independent_columns():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=500),
            "y": rng.normal(size=500),
            "k": rng.integers(0, 100, 500),
            "c": rng.choice(list("abc"), 500),
            "d": rng.choice(list("uvw"), 500),
        }
    )
    assert suggest_constraints(frame) == []


def test_cli_suggests_writes_and_applies_constraints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hospital().to_csv("h.csv", index=False)
    result = runner.invoke(app, ["inspect", "h.csv", "--suggest-constraints", "--json", "schema.json"])
    assert result.exit_code == 0, result.output
    assert "6 suggested constraints" in result.output and "  sbp > dbp" in result.output
    written = json.loads((tmp_path / "schema.json").read_text())
    assert len(written["constraints"]) == 6
    result = runner.invoke(app, ["fit", "h.csv", "--schema", "schema.json", "--steps", "300", "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["sample", "-n", "1000", "-q"])
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet("synthetic.parquet")
    assert (rows.sbp > rows.dbp).all() and (rows.a + rows.b == rows.total).all()
    report = json.loads((tmp_path / "synthetic.report.json").read_text())
    section = report.get("validity") or report["report"]["validity"]
    assert (
        section["constraint_violations"] == 0
        and len(section["details"]["constraint_violations_by_rule"]) == 6
    )


def test_cli_fit_refuses_a_rule_the_data_breaks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = hospital(200)
    frame.loc[0, "age"] = 130
    frame.to_csv("h.csv", index=False)
    (tmp_path / "s.json").write_text(
        json.dumps({"constraints": [{"type": "range", "column": "age", "low": 0, "high": 120}]})
    )
    result = runner.invoke(app, ["fit", "h.csv", "--schema", "s.json", "--steps", "5", "-q"])
    assert result.exit_code == 1
    assert "breaks the declared constraint '0 <= age <= 120' in 1 of 200 rows" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "model.synthgan").exists()


def test_warnings_are_quiet_without_constraints():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Schema.infer(hospital(100)).constraints == ()


def test_if_then_rules_on_one_if_column_share_their_then_column():
    rng = np.random.default_rng(0)
    grade = rng.choice(["A", "B", "C"], 300)
    frame = pd.DataFrame(
        {"grade": grade, "points": pd.Series(grade).map({"A": 3, "B": 2, "C": 1}), "x": rng.normal(size=300)}
    )
    rules = [IfThen("grade", g, "points", p) for g, p in (("A", 3), ("B", 2), ("C", 1))]
    model = CTGAN(steps=60, random_state=0, verbose=False).fit(frame, constraints=rules)
    assert [s["how"] for s in model.constraints_.state] == ["construct"] * 3
    rows = model.sample(1000, random_state=0)
    assert (rows.points == rows.grade.map({"A": 3, "B": 2, "C": 1})).all()


def test_a_fixed_combination_kept_by_rejection_still_holds_and_survives_a_save(tmp_path):
    rules = [IfThen("ward", "cardio", "specialty", "heart"), FixedCombinations(["ward", "specialty"])]
    model = CTGAN(steps=100, random_state=0, verbose=False).fit(hospital(400), constraints=rules)
    assert [s["how"] for s in model.constraints_.state] == ["construct", "reject"]
    loaded = CTGAN.load(model.save(tmp_path / "m.synthgan"))
    for m in (model, loaded):
        rows = m.sample(2000, random_state=0)
        pairs = set(zip(rows.ward, rows.specialty))
        assert pairs <= {("cardio", "heart"), ("neuro", "brain"), ("onco", "blood"), ("onco", "lung")}


def test_conditions_that_fix_one_side_of_an_inequality(fitted):
    real = hospital()
    stays = (real.discharge - real.admission).dt.days
    admitted = fitted.sample(300, conditions={"admission": "2020-03-01"}, random_state=4)
    assert (admitted.admission == pd.Timestamp("2020-03-01")).all()
    stay = (admitted.discharge - admitted.admission).dt.days
    assert stay.min() >= 0 and abs(stay.mean() - stays.mean()) < 3  # the learned gap, not a constant
    leaving = fitted.sample(300, conditions={"discharge": "2020-06-15"}, random_state=4)
    assert (leaving.discharge == pd.Timestamp("2020-06-15")).all() and (
        leaving.admission <= leaving.discharge
    ).all()
    assert leaving.admission.between(real.admission.min(), real.admission.max()).all()
    pressure = fitted.sample(300, conditions={"dbp": 80}, random_state=4)
    assert (pressure.dbp == 80).all() and (pressure.sbp > 80).all()
    assert fitted.constraints_.violations(pressure)["sbp > dbp"].sum() == 0
    with pytest.raises(
        ConstraintError, match="the conditions on 'dbp' and 'sbp' contradict the constraint 'sbp > dbp'"
    ):
        fitted.sample(10, conditions={"dbp": 100, "sbp": 95})
    with pytest.raises(ConditionError, match="condition dbp='high' is not a number"):
        fitted.sample(10, conditions={"dbp": "high"})
    with pytest.raises(ConditionError, match="outside the range the model learned for 'admission'"):
        fitted.sample(10, conditions={"admission": "2035-01-01"})
    with pytest.raises(ConditionError, match="cannot condition on 'age'"):
        fitted.sample(10, conditions={"age": 40})


def test_review_regressions_integer_sides_small_requests_and_text_date_formats():
    rng = np.random.default_rng(0)
    n = 400
    dose = rng.uniform(1, 50, n).round(1)
    frame = pd.DataFrame({"dose": dose, "maxdose": np.ceil(dose + rng.integers(0, 5, n)).astype(int)})
    model = CTGAN(steps=80, random_state=0, verbose=False).fit(
        frame, constraints=[Inequality("dose", "maxdose")]
    )
    rows = model.sample(2000, random_state=0)
    assert rows.maxdose.dtype == np.int64 and (rows.maxdose >= rows.dose).all()  # no truncation below dose
    half = Custom("half", lambda f: f.dose > f.dose.median(), ("dose",))
    frame2 = frame[half.predicate(frame)].reset_index(drop=True)
    coin = Custom("coin", lambda f: (f.maxdose % 2) == (f.maxdose % 2), ("maxdose",))
    model = CTGAN(steps=40, random_state=0, verbose=False).fit(frame2, constraints=[coin])
    assert all(len(model.sample(1, random_state=s)) == 1 for s in range(20))  # one row at a time
    days = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 300, 60), unit="D")
    text = pd.DataFrame(
        {"a": days.strftime("%d/%m/%Y"), "b": (days - pd.Timedelta("1D")).strftime("%d/%m/%Y")}
    )
    from synthgan.schema import ColumnSpec

    schema = Schema(tuple(ColumnSpec(c, "datetime", "object", "%d/%m/%Y") for c in ("a", "b")))
    assert Inequality("a", "b").violations(text, schema).all()  # every b is a day before its a


def test_minute_resolution_dates_keep_their_minutes():
    from synthgan.constraints.state import fit_inequality

    rng = np.random.default_rng(1)
    start = pd.Timestamp("2021-05-01 08:00") + pd.to_timedelta(rng.integers(0, 10_000, 200), unit="min")
    frame = pd.DataFrame(
        {"start": start, "end": start + pd.to_timedelta(rng.integers(1, 90, 200), unit="min")}
    )
    state = fit_inequality(Inequality("start", "end"), frame, Schema.infer(frame))
    assert state["unit"] == 60.0


# ---- dates in a sum: start + duration == end -----------------------------------------------------
def stays(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Admission and discharge as day-first text (the first admission, 01-02-2020, reads either way), the
    stay in days between them, and a follow-up in hours after discharge."""
    rng = np.random.default_rng(seed)
    admission = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    admission = admission.where(np.arange(n) > 0, pd.Timestamp("2020-02-01"))
    stay = rng.integers(1, 30, n)
    discharge = admission + pd.to_timedelta(stay, unit="D")
    hours = rng.integers(2, 200, n)
    return pd.DataFrame(
        {
            "admission": admission.strftime("%d-%m-%Y"),
            "stay_days": stay,
            "discharge": discharge.strftime("%d-%m-%Y"),
            "follow_up_hours": hours,
            "follow_up": (discharge + pd.to_timedelta(hours, unit="h")).strftime("%d-%m-%Y %H:%M"),
            "age": rng.integers(18, 90, n),
        }
    )


def test_day_first_dates_are_dates_even_when_the_first_value_reads_either_way():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas' "parsing dates in %d-%m-%Y format" warning stays inside
        schema = Schema.infer(stays())
    assert stays()["admission"][0] == "01-02-2020"
    assert schema["admission"].kind == "datetime" and schema["admission"].datetime_format == "%d-%m-%Y"
    assert schema["follow_up"].datetime_format == "%d-%m-%Y %H:%M"


def test_a_date_sum_means_start_plus_duration_and_round_trips_through_json():
    frame = pd.DataFrame(
        {
            "in": pd.to_datetime(["2020-01-01", "2020-01-01", None]),
            "days": [2, 3, 1],
            "out": pd.to_datetime(["2020-01-03", "2020-01-03", "2020-01-02"]),
        }
    )
    rule = Sum(["in", "days"], "out", unit="D")
    assert rule.describe() == "in + days == out (numbers in 'D')"
    assert rule.violations(frame).tolist() == [False, True, False]
    assert Sum(["in", "days"], "out", unit="h").violations(frame).tolist() == [True, True, False]
    assert rule_from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    assert Sum(["a", "b"], "total").to_dict() == {"type": "sum", "parts": ["a", "b"], "total": "total"}


@pytest.mark.parametrize(
    "rule, fragment",
    [
        (Sum(["admission", "stay_days"], "discharge"), "a date total needs unit='D'"),
        (Sum(["age", "stay_days"], "follow_up_hours", unit="D"), "only for a date total"),
        (Sum(["admission", "discharge"], "stay_days", unit="D"), "exactly one date part"),
        (Sum(["admission", "discharge", "stay_days"], "follow_up", unit="D"), "exactly one date part"),
    ],
)
def test_bad_date_sums_are_refused_with_the_reason(rule, fragment):
    with pytest.raises(SchemaError, match=fragment):
        Schema.infer(stays(50)).with_constraints([rule])
    with pytest.raises(SchemaError, match="unit 'month' is not one of 'D', 'h', 'min' or 's'"):
        Sum(["admission", "stay_days"], "discharge", unit="month")


def test_suggestions_find_durations_between_dates_in_their_unit():
    found = {r.describe() for r in suggest_constraints(stays())}
    assert "admission + stay_days == discharge (numbers in 'D')" in found
    assert "discharge + follow_up_hours == follow_up (numbers in 'h')" in found


def test_date_sums_hold_on_every_row_beside_an_inequality_on_the_same_end(tmp_path):
    frame = stays()
    rules = [
        Inequality("admission", "discharge", strict=True),  # declared first: the sum still builds discharge
        Sum(["admission", "stay_days"], "discharge", unit="D"),
        Sum(["discharge", "follow_up_hours"], "follow_up", unit="h"),
    ]
    model = CTGAN(steps=150, random_state=0, verbose=False).fit(frame, constraints=rules)
    assert [s["how"] for s in model.constraints_.state] == ["reject", "construct", "construct"]
    rows = model.sample(2000, random_state=0)
    admission = pd.to_datetime(rows.admission, format="%d-%m-%Y")
    discharge = pd.to_datetime(rows.discharge, format="%d-%m-%Y")
    follow_up = pd.to_datetime(rows.follow_up, format="%d-%m-%Y %H:%M")
    assert ((discharge - admission).dt.days == rows.stay_days).all()
    assert ((follow_up - discharge) / pd.Timedelta(hours=1) == rows.follow_up_hours).all()
    assert (discharge > admission).all() and rows.stay_days.nunique() > 5
    model.save(tmp_path / "m.synthgan")
    assert (
        CTGAN.load(tmp_path / "m.synthgan")
        .sample(300, random_state=3)
        .equals(model.sample(300, random_state=3))
    )
    # conditions fix columns (dates in the column's own day-first format); the free column follows, whichever
    # column the fit chose to derive (set here by hand, both ways)
    plan = model.constraints_
    for derived in ("admission", "discharge"):
        plan.state[1]["derived"], plan.state[2]["derived"] = derived, "follow_up"
        plan.reorder()
        rows = model.sample(300, conditions={"admission": "10-03-2020", "stay_days": 4}, random_state=0)
        assert (rows.admission == "10-03-2020").all() and (rows.discharge == "14-03-2020").all()
    assert (rows.admission == "10-03-2020").all() and (rows.discharge == "14-03-2020").all()
    rows = model.sample(300, conditions={"follow_up_hours": 30}, random_state=0)
    follow_up = pd.to_datetime(rows.follow_up, format="%d-%m-%Y %H:%M")
    assert (follow_up - pd.to_datetime(rows.discharge, format="%d-%m-%Y") == pd.Timedelta(hours=30)).all()
    with pytest.raises(ConditionError, match="admission='1900-01-01' is outside the range the model learned"):
        model.sample(50, conditions={"admission": "1900-01-01"}, random_state=0)
    fixed_all = {"admission": "10-03-2020", "stay_days": 4, "discharge": "14-03-2020"}
    with pytest.raises(ConditionError, match="leave one of its columns free"):
        model.sample(50, conditions=fixed_all, random_state=0)


def test_a_sum_takes_its_total_before_an_inequality_on_it_for_numbers_too():
    frame = hospital(300)
    model = CTGAN(steps=100, random_state=0, verbose=False).fit(
        frame, constraints=[Inequality("a", "total"), Sum(["a", "b"], "total")]
    )
    assert [s["how"] for s in model.constraints_.state] == ["reject", "construct"]
    rows = model.sample(1000, random_state=0)
    assert (rows.a + rows.b == rows.total).all() and (rows.total >= rows.a).all()


def test_rules_that_contradict_each_other_are_refused_at_fit_even_on_a_value_the_data_lacks():
    frame = hospital(50)
    schema = Schema.infer(frame)

    def fit(rules):
        return ConstraintPlan.fit(frame, schema.with_constraints(rules))  # declared: a schema takes them

    with pytest.raises(
        SchemaError,
        match=r"specialty == 'heart'\" and \"if ward == 'icu' then specialty == 'lung'\" contradict",
    ):
        fit([IfThen("ward", "icu", "specialty", "heart"), IfThen("ward", "icu", "specialty", "lung")])
    with pytest.raises(
        SchemaError, match=r"then dose == 0\" and '5 <= dose <= 50' contradict each other: 0 is outside"
    ):
        fit([IfThen("drug", "x", "dose", 0), Range("dose", 5, 50)])
    with pytest.raises(SchemaError, match="contradict each other"):  # "7" and 7 name one value
        fit([IfThen("age", "7", "sex", "M"), IfThen("age", 7, "sex", "F")])
    kept = [
        IfThen("ward", "icu", "specialty", "heart"),
        IfThen("ward", "icu", "sex", "M"),
        Range("dose", 0, 50),
        IfThen("drug", "x", "dose", 0),
    ]
    assert len(fit(kept).rules) == 4


def test_a_sum_derives_the_column_whose_derived_values_fit_best():
    """Fixed inputs: the 'generated' rows keep end and days together (as a model keeps two columns it
    learns well) but shuffle the start, as a model that misses the censoring would: the start rebuilt
    from end - days is then exact, the end rebuilt from start + days is not."""
    from synthgan.constraints.sums import choose, derive

    rng = np.random.default_rng(0)
    start = rng.uniform(0, 100, 2000).round()
    days = np.floor(rng.uniform(0, 1, 2000) * (200 - start))  # follow-up ends at 200: days shrink with start
    real = pd.DataFrame({"start": start, "days": days, "end": start + days})
    generated = real.copy()
    generated["start"] = rng.permutation(start)
    schema = Schema.infer(real)
    rule = Sum(["start", "days"], "end")
    state = {"tz": None, "tz_parts": {}}
    assert choose(rule, state, generated, real, schema, taken=set()) == "start"
    assert choose(rule, state, generated, real, schema, taken={"start"}) in ("end", "days")
    for column in ("start", "days", "end"):
        trial = generated.copy()
        trial[column] = derive(rule, column, generated, schema)
        assert not rule.violations(trial, schema).any()


def test_a_condition_on_the_derived_column_derives_another_and_old_plans_derive_the_total():
    frame = hospital(300)
    model = CTGAN(steps=100, random_state=0, verbose=False).fit(frame, constraints=[Sum(["a", "b"], "total")])
    plan = model.constraints_
    plan.state[0]["derived"] = "a"  # as if the choice had fallen on a part
    plan.reorder()
    rows = model.sample(500, conditions={"a": 7}, random_state=0)
    assert (rows.a == 7).all() and (rows.a + rows.b == rows.total).all()
    old = plan.to_dict()
    for key in ("derived", "column_bounds", "tz_parts", "tz"):
        old["state"][0].pop(key, None)  # a model file from before these fields
    again = ConstraintPlan.from_dict(json.loads(json.dumps(old)))
    assert again.derived(0) == "total" and again.writes(0) == {"total"}
    low, high = old["state"][0]["bounds"]  # the total's robust bounds, as before
    assert (again.violations(frame)["a + b == total"] == ~frame.total.between(low, high)).all()


def test_evaluation_reads_day_first_text_dates_as_the_schema_does():
    from synthgan.evaluation.columns import Columns
    from synthgan.evaluation.copies import exact_match_rate

    real = stays()
    cols = Columns.from_schema(Schema.infer(real))
    assert cols.formats["admission"] == "%d-%m-%Y" and cols.formats["follow_up"] == "%d-%m-%Y %H:%M"
    dates = ["admission", "discharge", "follow_up"]
    ambiguous = real[np.logical_and.reduce([real[c].str[:2].astype(int) <= 12 for c in dates])]
    assert len(ambiguous) >= 20  # copies whose every date reads either way: still read day first
    expected = pd.to_datetime(ambiguous.admission, format="%d-%m-%Y").astype("datetime64[ns]")
    assert (cols.numbers(ambiguous, "admission") == expected.to_numpy().view(np.int64)).all()
    assert exact_match_rate(ambiguous, real, cols) == 1.0
    report = evaluate(real, real.iloc[::-1].reset_index(drop=True), detection=False).to_dict()
    assert report["validity"]["out_of_range"] == 0


def test_cli_day_first_dates_with_a_date_sum_and_a_condition_no_real_row_has(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stays().to_csv("s.csv", index=False)
    result = runner.invoke(app, ["inspect", "s.csv", "--suggest-constraints", "--json", "schema.json"])
    assert result.exit_code == 0 and "admission + stay_days == discharge (numbers in 'D')" in result.output
    result = runner.invoke(app, ["fit", "s.csv", "--schema", "schema.json", "--steps", "50", "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["sample", "-n", "300", "--no-gate", "-o", "rows.csv", "-q"])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv("rows.csv")
    gap = pd.to_datetime(rows.discharge, format="%d-%m-%Y") - pd.to_datetime(
        rows.admission, format="%d-%m-%Y"
    )
    assert (gap.dt.days == rows.stay_days).all()
    seen = set(pd.read_csv("s.csv").admission)  # a date inside the range that no row has
    absent = next(d for d in pd.date_range("2020-03-01", "2020-10-01").strftime("%d-%m-%Y") if d not in seen)
    result = runner.invoke(app, ["sample", "-n", "300", "--condition", f"admission={absent}", "-o", "x.csv"])
    assert result.exit_code != 0 and not (tmp_path / "x.csv").exists()
    assert f"no training row has admission='{absent}'" in result.output and "Traceback" not in result.output


def test_a_condition_that_moves_a_sums_derived_column_reorders_the_rules_reading_it():
    frame = hospital(300)
    frame["c"] = frame.a + frame.b + 5  # c >= a on every row
    schema = Schema.infer(frame).with_constraints([Inequality("a", "c"), Sum(["a", "b"], "total")])
    plan = ConstraintPlan.fit(frame, schema)
    assert plan.derived(1) == "total" and plan.order == [0, 1]
    assert plan.derived(1, {"total": 60.0}) == "a" and plan.order_for({"total": 60.0}) == [1, 0]
    rows = plan.inverse(plan.forward(frame), fixed={"total": 60.0})
    assert (rows.total == 60).all() and (rows.a + rows.b == 60).all() and (rows.c >= rows.a).all()
    with pytest.raises(ConditionError, match="leave one of its columns free"):
        plan.order_for({"total": 60.0, "a": 1.0, "b": 2.0})


def test_a_sum_in_a_cycle_derives_another_column_instead_of_falling_back_to_rejection():
    frame = hospital(300)
    frame.loc[:29, ["a", "b", "total"]] = 0  # total == 0 only where a == b == 0
    schema = Schema.infer(frame).with_constraints([IfThen("total", 0, "a", 0), Sum(["a", "b"], "total")])
    plan = ConstraintPlan.fit(frame, schema)  # the if-then reads total and writes a; the sum read a for total
    assert [s["how"] for s in plan.state] == ["construct", "construct"] and plan.derived(1) == "b"
    rng = np.random.default_rng(0)
    generated = plan.forward(frame).apply(lambda c: rng.permutation(c.to_numpy()))
    assert ((generated.total == 0) & (generated.a != 0)).any()  # columns shuffled: both rules broken
    rows = plan.inverse(generated)
    assert (rows.a + rows.b == rows.total).all() and (rows.a[rows.total == 0] == 0).all()
