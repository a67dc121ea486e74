"""synthgan.compat.ctgan behaves like the reference package's public CTGAN (a one-line import change)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgan.compat.ctgan import CTGAN, InvalidDataError


def frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"x": rng.normal(10, 2, n), "k": rng.integers(0, 3, n), "c": rng.choice(["a", "b"], n)}
    )


def test_constructor_parameters_match_the_reference():
    import inspect

    params = list(inspect.signature(CTGAN).parameters)
    assert params == [
        "embedding_dim",
        "generator_dim",
        "discriminator_dim",
        "generator_lr",
        "generator_decay",
        "discriminator_lr",
        "discriminator_decay",
        "batch_size",
        "discriminator_steps",
        "log_frequency",
        "verbose",
        "epochs",
        "pac",
        "enable_gpu",
    ]


def test_dataframe_fit_sample_and_loss_values(tmp_path):
    model = CTGAN(epochs=2, batch_size=50)
    model.set_random_state(1)
    assert model.fit(frame(), discrete_columns=["c"]) is None  # the reference's fit returns None
    assert list(model.loss_values.columns) == ["Epoch", "Generator Loss", "Discriminator Loss"]
    assert model.loss_values["Epoch"].tolist() == [0, 1]
    rows = model.sample(30, condition_column="c", condition_value="b")
    assert isinstance(rows, pd.DataFrame) and (rows["c"] == "b").all()
    assert (
        rows["k"].dtype == np.int64 and rows["k"].nunique() >= 1
    )  # non-discrete whole numbers stay integers
    model.save(tmp_path / "m.pkl")
    loaded = CTGAN.load(tmp_path / "m.pkl")
    model.set_random_state(5)
    loaded.set_random_state(5)
    pd.testing.assert_frame_equal(model.sample(20), loaded.sample(20))


def test_numpy_input_uses_indices_and_returns_arrays():
    data = frame()[["x", "k"]].to_numpy()
    model = CTGAN(epochs=1, batch_size=50)
    model.fit(data, discrete_columns=[1])
    out = model.sample(15, condition_column=1, condition_value=2)
    assert isinstance(out, np.ndarray) and out.shape == (15, 2) and (out[:, 1] == 2).all()


def test_reference_error_messages():
    model = CTGAN(epochs=1, batch_size=50)
    with pytest.raises(ValueError, match=r"^Invalid columns found: \{'nope'\}$"):
        model.fit(frame(), discrete_columns=["nope"])
    with pytest.raises(ValueError, match=r"^Invalid columns found: \[5\]$"):
        model.fit(frame()[["x"]].to_numpy(), discrete_columns=[5])
    with pytest.raises(TypeError, match="pd.DataFrame or np.array"):
        model.fit([[1, 2]], discrete_columns=[])
    model.fit(frame(), discrete_columns=["c"])
    with pytest.raises(ValueError, match=r"^The column_name `zz` doesn't exist in the data.$"):
        model.sample(3, condition_column="zz", condition_value="a")
    with pytest.raises(ValueError, match="The value `q` doesn't exist in the column `c`"):
        model.sample(3, condition_column="c", condition_value="q")
    with pytest.raises(InvalidDataError):
        CTGAN().sample(3)


def test_missing_values_in_continuous_columns_are_modelled():
    data = frame()
    data.loc[::5, "x"] = np.nan
    model = CTGAN(epochs=1, batch_size=50)
    model.set_random_state(0)
    model.fit(data, discrete_columns=["c"])
    rows = model.sample(400)
    assert 0.05 < rows["x"].isna().mean() < 0.5


def test_numbers_inside_an_object_array_are_learned_as_numbers():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"dose": rng.normal(50, 10, 400).round(2), "ward": rng.choice(["a", "b"], 400)})
    array = frame.to_numpy()  # mixed columns: an object array, the floats stored as Python objects
    assert array.dtype == object
    model = CTGAN(epochs=20, batch_size=100)
    model.set_random_state(0)
    model.fit(array, discrete_columns=[1])
    rows = model.sample(500)
    doses = rows[:, 0].astype(float)  # numbers, not syn-000001 keys
    assert 35 < doses.mean() < 65 and doses.std() > 2
    assert set(rows[:, 1]) <= {"a", "b"}


def test_text_in_a_column_not_named_discrete_is_an_error_naming_it():
    frame = pd.DataFrame({"x": np.arange(50.0), "ward": ["a", "b"] * 25})
    with pytest.raises(ValueError, match="column 'ward' is not in discrete_columns, so it is continuous"):
        CTGAN(epochs=1).fit(frame)


def test_datetime_columns_are_not_turned_into_numbers():
    from synthgan.compat.ctgan import _numbers_as_numbers

    frame = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=30), "x": np.arange(30.0)})
    assert _numbers_as_numbers(frame, []).equals(frame)
