"""The balance: rows the rules reject or rewrite do not move the shares of the rule columns' levels."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd

from synthgan import CTGAN
from synthgan.constraints import FixedCombinations, IfThen
from synthgan.constraints.calibration import fit_balance, keep_probability
from synthgan.constraints.plan import ConstraintPlan
from synthgan.constraints.sampling import sample_constrained
from synthgan.schema import Schema


def real_rows(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """'med' is 'none' on 30% of rows, and a dose only where it is not; 'x' is noise."""
    rng = np.random.default_rng(seed)
    med = rng.choice(["none", "some"], n, p=[0.3, 0.7])
    dose = np.where(med == "none", "zero", rng.choice(["low", "high"], n))
    return pd.DataFrame({"med": med, "dose": dose, "x": rng.normal(size=n)})


def generated_rows(n: int, rng: np.random.Generator, zero_elsewhere: float = 0.15 / 0.7) -> pd.DataFrame:
    """A model that keeps 'med' at 30% 'none' but gives a dose to half its 'none' rows and 'zero' to a
    share ``zero_elsewhere`` of the others (the rest 'low' or 'high' alike). By default 'zero' keeps its
    real 30%; rejecting the rows with a dose where 'med' is 'none' or 'zero' where it is not leaves
    'none' at 0.15 / 0.70 = 21% of the kept rows."""
    med = rng.choice(["none", "some"], n, p=[0.3, 0.7])
    other = (1 - zero_elsewhere) / 2
    dose = np.where(
        med == "none",
        rng.choice(["zero", "low"], n),
        rng.choice(["zero", "low", "high"], n, p=[zero_elsewhere, other, other]),
    )
    return pd.DataFrame({"med": med, "dose": dose, "x": rng.normal(size=n)})


def plan_with(rules) -> ConstraintPlan:
    real = real_rows()
    schema = Schema.infer(real)
    return ConstraintPlan.fit(real, replace(schema, constraints=tuple(rules)), min_count=5)


def test_the_weights_give_the_kept_rows_the_models_own_shares():
    plan = plan_with([FixedCombinations(["med", "dose"])])  # kept by rejection
    generated = generated_rows(20_000, np.random.default_rng(0))
    balance = fit_balance(plan, generated)
    assert set(balance["columns"]) == {"dose", "med"}
    kept = generated[~plan.violations(generated)["only seen combinations of (med, dose)"]]
    assert abs((kept.med == "none").mean() - 0.214) < 0.01  # what rejection alone gives
    p = keep_probability(balance, kept)
    assert ((p > 0) & (p <= 1)).all()
    for column in ("med", "dose"):  # the expected shares of the rows that stay: the generated rows' shares
        stay = pd.Series(p).groupby(kept[column].to_numpy()).sum() / p.sum()
        before = generated[column].value_counts(normalize=True)
        assert np.allclose(stay.reindex(before.index).fillna(0), before, atol=0.01), column
    assert np.mean(p) > 0.5  # the price: a share of the kept rows drawn again
    again = ConstraintPlan.from_dict(json.loads(json.dumps({**plan.to_dict(), "balance": balance})))
    assert again.balance == balance and again.rejects


def test_no_balance_when_the_rules_move_no_share_or_touch_no_level():
    plan = plan_with([FixedCombinations(["med", "dose"])])
    rng = np.random.default_rng(1)
    assert fit_balance(plan, real_rows(20_000, seed=1)) == {}  # nothing to reject: shares as they were
    assert fit_balance(plan_with([]), generated_rows(5000, rng)) == {}
    old = plan.to_dict()
    old.pop("balance")  # a model file from before the balance
    assert ConstraintPlan.from_dict(json.loads(json.dumps(old))).balance == {}


def test_a_balance_too_costly_to_sample_keeps_a_minimum_share_of_the_rows():
    """Rows weighing 100 on 2% of the rows: under the 99th-percentile cap ~3% of the rows would stay; the
    cap is lowered until MIN_KEPT of them do, the heavy ones all."""
    from synthgan.constraints.calibration import MIN_KEPT, _cap

    weight = np.where(np.arange(10_000) < 200, 100.0, 1.0)
    assert np.minimum(weight / np.quantile(weight, 0.99), 1).mean() < 0.03
    p = np.minimum(weight / _cap(weight), 1.0)
    assert abs(p.mean() - MIN_KEPT) < 1e-6 and (p[:200] == 1).all()
    even = np.ones(1000)
    assert _cap(even) == 1.0  # equal weights: every row stays


def test_custom_rules_are_not_balanced_since_a_loaded_model_no_longer_rejects_for_them():
    from synthgan.constraints import Custom

    rule = Custom("few none", lambda f: (f.med != "none") | (f.x < -2.05), ("med", "x"))
    real = real_rows()
    real.loc[real.med == "none", "x"] = -3.0  # the real rows obey it
    plan = ConstraintPlan.fit(real, replace(Schema.infer(real), constraints=(rule,)), min_count=5)
    assert fit_balance(plan, generated_rows(20_000, np.random.default_rng(5))) == {}


def test_a_level_the_rules_remove_leaves_its_share_to_the_others():
    """10% of the generated doses are 'huge', a level no real row has: rejection removes it entirely; the
    other levels keep the generated shares among themselves (no drift into the weight limits)."""
    plan = plan_with([FixedCombinations(["med", "dose"])])
    generated = generated_rows(20_000, np.random.default_rng(7))
    generated.loc[np.random.default_rng(8).random(len(generated)) < 0.1, "dose"] = "huge"
    balance = fit_balance(plan, generated)
    kept = generated[~plan.violations(generated)["only seen combinations of (med, dose)"]]
    assert "huge" not in set(kept.dose)
    p = keep_probability(balance, kept)
    stay = pd.Series(p).groupby(kept.dose.to_numpy()).sum() / p.sum()
    before = generated.dose[generated.dose != "huge"].value_counts(normalize=True)
    assert np.allclose(stay.reindex(before.index), before, atol=0.01)
    assert all(0.1 - 1e-9 <= w <= 10 + 1e-9 for ws in balance["columns"].values() for w in ws.values())


def test_a_level_made_by_construction_is_not_steered():
    """The model never emits 'zero'; the if-then rule makes it on every 'none' row. Nothing else moves, so
    the balance keeps (nearly) every row instead of fighting the new level."""
    plan = plan_with([IfThen("med", "none", "dose", "zero")])
    rng = np.random.default_rng(9)
    generated = generated_rows(20_000, rng)
    generated["dose"] = rng.choice(["low", "high"], len(generated))
    balance = fit_balance(plan, generated)
    rows = plan.inverse(generated)
    assert (rows.dose == "zero").mean() > 0.25
    assert keep_probability(balance, rows).mean() > 0.9 if balance else True


def test_if_then_construction_is_balanced_too():
    """Construction sets the dose of every generated 'none' row to 'zero': 'zero' would gain the 15% the
    model gave 'low' there (0.40 -> 0.55); the balance keeps 'zero' at the model's share."""
    plan = plan_with([IfThen("med", "none", "dose", "zero")])
    generated = generated_rows(20_000, np.random.default_rng(2), zero_elsewhere=0.25 / 0.7)
    balance = fit_balance(plan, generated)
    rows = plan.inverse(generated)
    assert abs((rows.dose == "zero").mean() - 0.55) < 0.01  # constructed, unbalanced
    p = keep_probability(balance, rows)
    for column in ("med", "dose"):
        stay = pd.Series(p).groupby(rows[column].to_numpy()).sum() / p.sum()
        before = generated[column].value_counts(normalize=True)
        assert np.allclose(stay.reindex(before.index).fillna(0), before, atol=0.01), column


def test_sampling_keeps_the_shares_without_conditions_and_not_with_them():
    """Sampling through the model's own path with a fixed stand-in generator: 20,000 rows, so the share
    is within sampling error (se ~0.003) of its target for any seed."""
    real = real_rows(400)
    rules = [FixedCombinations(["med", "dose"])]
    model = CTGAN(steps=20, random_state=0, verbose=False).fit(real, constraints=rules)
    plan = model.constraints_
    plan.balance = fit_balance(plan, generated_rows(20_000, np.random.default_rng(3)))

    def draw(k, conds, rng):
        return generated_rows(k, rng)

    for seed in range(3):
        rows = sample_constrained(plan, model.transformer_, 20_000, None, np.random.default_rng(seed), draw)
        assert not plan.violations(rows)["only seen combinations of (med, dose)"].any()
        assert abs((rows.med == "none").mean() - 0.30) < 0.015
    # with a condition no balance (conditions move shares on purpose; this stand-in ignores them)
    rows = sample_constrained(
        plan, model.transformer_, 20_000, {"dose": "low"}, np.random.default_rng(0), draw
    )
    assert abs((rows.med == "none").mean() - 0.214) < 0.015


def test_a_fitted_model_stores_its_balance_and_samples_the_same_rows_after_a_save(tmp_path):
    real = real_rows(600)
    model = CTGAN(steps=60, random_state=0, verbose=False).fit(
        real, constraints=[IfThen("med", "none", "dose", "zero")]
    )
    assert isinstance(model.constraints_.balance, dict)
    model.constraints_.balance = fit_balance(
        model.constraints_, generated_rows(20_000, np.random.default_rng(0))
    )
    assert model.constraints_.balance  # this stand-in's rows need one
    pd.testing.assert_frame_equal(model.sample(500, random_state=4), model.sample(500, random_state=4))
    model.save(tmp_path / "m.synthgan")
    loaded = CTGAN.load(tmp_path / "m.synthgan")
    assert loaded.constraints_.balance == model.constraints_.balance
    pd.testing.assert_frame_equal(model.sample(500, random_state=4), loaded.sample(500, random_state=4))
