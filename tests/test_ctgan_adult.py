"""CTGAN on the real Adult table: a condition holds on every row and the other columns follow the real
conditional distribution (women are almost never 'Husband', as in the real data)."""

from __future__ import annotations

import numpy as np
import pytest

from synthgan import CTGAN


@pytest.mark.slow
def test_condition_carries_the_real_dependency(adult):
    data = adult.dropna().reset_index(drop=True)
    model = CTGAN(epochs=25, random_state=0, verbose=False).fit(data)
    women = model.sample(4000, conditions={"sex": "Female"}, random_state=1)
    assert (women["sex"] == "Female").all()
    real_rate = (data.loc[data["sex"] == "Female", "relationship"] == "Husband").mean()
    base_rate = (data["relationship"] == "Husband").mean()
    synthetic_rate = (women["relationship"] == "Husband").mean()
    assert real_rate < 0.001 and base_rate > 0.4
    # 0.047-0.059 over sampling seeds 1-6 from this 25-epoch model; the base rate is 0.41
    assert synthetic_rate < 0.08, synthetic_rate
    men = model.sample(4000, conditions={"sex": "Male", "income": ">50K"}, random_state=2)
    assert (men["sex"] == "Male").all() and (men["income"] == ">50K").all()
    unconditional = model.sample(20000, random_state=3)
    # unconditional rows follow the real marginals: mean total variation over the categorical columns
    # (0.09-0.10 for seeds 0-1 at 25 epochs; one column alone, e.g. sex, swings 0.00-0.11 between seeds)
    categorical = [c for c in data.columns if data[c].dtype == object]
    tvd = [
        0.5
        * unconditional[c]
        .value_counts(normalize=True)
        .sub(data[c].value_counts(normalize=True), fill_value=0)
        .abs()
        .sum()
        for c in categorical
    ]
    assert np.mean(tvd) < 0.15, dict(zip(categorical, tvd))


def test_bfloat16_precision_trains_and_samples():
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(["a", "b"], 200)})
    model = CTGAN(epochs=2, batch_size=50, precision="bfloat16", random_state=0, verbose=False).fit(frame)
    rows = model.sample(50, conditions={"c": "b"}, random_state=0)
    assert (rows["c"] == "b").all() and rows["x"].between(frame["x"].min(), frame["x"].max()).all()
    assert model.autocast_dtype_ is not None
