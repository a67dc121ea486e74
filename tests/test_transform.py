"""The reversible transformer: exact categories and gaps, numbers within resolution, dtypes kept."""

from __future__ import annotations

import json
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from frames import mixed_frame, within_bounds

from synthgan.exceptions import NotFittedError, SchemaError
from synthgan.schema import Schema, SchemaWarning
from synthgan.transform import TableTransformer
from synthgan.transform.layout import CATEGORY, MODE, SCALAR


def round_trip(frame: pd.DataFrame, seed: int = 0, schema: Schema | None = None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        tt = TableTransformer().fit(frame, schema, random_state=seed)
    encoded = tt.transform(frame, random_state=seed)
    return tt, encoded, tt.inverse_transform(encoded.dense())


def with_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for i, name in enumerate(out.columns):
        rows = out.index[i % 5 :: 9]
        if out[name].dtype == bool:
            out[name] = out[name].astype("boolean")
        out.loc[rows, name] = None
    return out


def assert_same(back: pd.DataFrame, frame: pd.DataFrame, skip=()):
    assert list(back.columns) == list(frame.columns)
    for name in frame.columns:
        assert back[name].dtype == frame[name].dtype, name
        if name in skip:
            continue
        assert (back[name].isna().to_numpy() == frame[name].isna().to_numpy()).all(), name
        if pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name]):
            a = back[name].astype("float64").to_numpy()
            b = frame[name].astype("float64").to_numpy()
            np.testing.assert_allclose(a[~np.isnan(b)], b[~np.isnan(b)], rtol=1e-6, atol=1e-6, err_msg=name)
        else:
            assert (
                back[name]
                .astype(object)
                .where(back[name].notna())
                .equals(frame[name].astype(object).where(frame[name].notna()))
            ), name


def test_round_trip_every_kind_with_gaps():
    base = mixed_frame(200).drop(columns=["site"])
    frame = with_gaps(base).assign(patient_id=base["patient_id"], mrn=base["mrn"])
    frame["admitted"] = frame["admitted"].dt.tz_localize("Europe/London")
    frame["stage"] = frame["stage"].cat.add_categories(["IV"])  # declared but unseen
    frame["Größe 身長"] = np.round(np.random.default_rng(1).normal(170, 9, 200), 1)
    declared = Schema.infer(frame, declared={"patient_id": "identifier", "mrn": "identifier"})
    tt, encoded, back = round_trip(frame, schema=declared)
    assert_same(back, within_bounds(frame, tt, back), skip=("patient_id", "mrn"))
    assert list(back["stage"].cat.categories) == ["I", "II", "IV"]
    assert back["patient_id"].tolist()[:3] == [1, 2, 3] and back["mrn"].iloc[0] == "syn-000001"  # fresh keys
    kinds = {(s.column, s.kind) for s in encoded.layout.spans}
    assert ("weight", SCALAR) in kinds and ("weight", MODE) in kinds and ("ward", CATEGORY) in kinds
    assert not any(s.column in ("patient_id", "mrn") for s in encoded.layout.spans)


def test_constant_and_all_missing_columns_pass_through():
    frame = pd.DataFrame({"x": np.arange(30) * 1.5, "k": ["same"] * 30, "z": [np.nan] * 30, "n": [7] * 30})
    tt, encoded, back = round_trip(frame)
    assert_same(back, within_bounds(frame, tt, back))
    assert {s.column for s in encoded.layout.spans} == {"x"}


def test_datetime_resolution_and_text_format_are_kept():
    days = pd.Series(pd.to_datetime(["2020-01-01", "2020-03-05", None, "2021-07-09"] * 10)).astype(
        "datetime64[s]"
    )
    texts = pd.Series(["03/01/2021 10:15", "04/02/2021 11:45", None, "05/12/2022 08:00"] * 10)
    frame = pd.DataFrame({"day": days, "stamp": texts})
    tt, _, back = round_trip(frame)
    assert back["day"].dtype == days.dtype
    assert (back["day"].dropna().dt.normalize() == back["day"].dropna()).all()
    assert_same(back, within_bounds(frame, tt, back))


def test_numbers_sampled_from_generator_output_stay_in_range_and_step():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"age": rng.integers(20, 80, 500), "bmi": np.round(rng.normal(27, 4, 500), 1)})
    tt, _, _ = round_trip(frame)
    noise = rng.uniform(-1.5, 1.5, (1000, tt.layout_.width)).astype(np.float32)
    out = tt.inverse_transform(noise)
    age, bmi = tt.encoders_["age"], tt.encoders_["bmi"]
    assert out["age"].between(*age.reach).all() and out["age"].dtype == np.int64
    assert (age.low, age.high) == (
        np.sort(frame["age"])[4],
        np.sort(frame["age"])[-5],
    )  # 5th smallest / largest, not the extremes
    # ~8 rows a year: rows tie at each bound, fewer than 4 lie past it - no tail (its mean would be too few's)
    assert (age.tail_low, age.tail_high) == (0.0, 0.0) and age.reach == (age.low, age.high)
    bmis = np.sort(
        frame["bmi"]
    )  # the tails' scales: the mean distance past the bound of the 4 values past it
    assert (bmis[:4] < bmis[4]).all() and (bmis[-4:] > bmis[-5]).all()
    assert bmi.tail_low == pytest.approx((bmis[4] - bmis[:4]).mean())
    assert bmi.tail_high == pytest.approx((bmis[-4:] - bmis[-5]).mean())
    assert bmi.reach == pytest.approx(  # one scale, on the 0.1 grid
        (bmi.low - np.floor(bmi.tail_low * 10) / 10, bmi.high + np.floor(bmi.tail_high * 10) / 10)
    )
    assert out["bmi"].between(*bmi.reach).all()
    for column in ("age", "bmi"):  # tails never pass the real extremes (the gate's range check)
        assert out[column].between(frame[column].min(), frame[column].max()).all(), column
    assert (out["bmi"] > bmi.high).any() and (out["bmi"] < bmi.low).any()  # but do pass the bounds
    # noise past +-1 puts ~40% of rows beyond the reach: they spread over the band inside it instead of
    # onto its edge
    assert out["age"].value_counts(normalize=True).max() < 0.15
    assert np.allclose(out["bmi"] * 10, np.round(out["bmi"] * 10))


def test_same_seed_same_encoding_and_json_state():
    frame = mixed_frame(120).drop(columns=["patient_id", "mrn"])
    tt, enc1, _ = round_trip(frame, seed=5)
    enc2 = tt.transform(frame, random_state=5)
    assert np.array_equal(enc1.scalars, enc2.scalars) and np.array_equal(enc1.codes, enc2.codes)
    tt2 = TableTransformer().fit(frame, random_state=5)
    assert json.dumps(tt.to_dict()) == json.dumps(tt2.to_dict())
    restored = TableTransformer.from_dict(json.loads(json.dumps(tt.to_dict())))
    pd.testing.assert_frame_equal(restored.inverse_transform(enc1), tt.inverse_transform(enc1))


def test_errors():
    frame = pd.DataFrame({"c": ["a", "b"] * 10, "x": np.random.default_rng(0).normal(size=20)})
    with pytest.raises(NotFittedError, match="fit"):
        TableTransformer().transform(frame)
    tt = TableTransformer().fit(frame, random_state=0)
    with pytest.raises(SchemaError, match="not seen in training"):
        tt.transform(pd.DataFrame({"c": ["a", "zzz"], "x": [1.0, 2.0]}))
    with pytest.raises(SchemaError, match="width"):
        tt.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(SchemaError, match="missing columns"):
        tt.transform(frame[["c"]])


def test_high_cardinality_columns_stay_compact():
    rng = np.random.default_rng(0)
    n = 100_000
    frame = pd.DataFrame({f"diag_{i}": rng.integers(0, 800, n).astype(str) for i in range(3)})
    frame["los"] = rng.integers(1, 15, n)
    tracemalloc.start()
    start = time.perf_counter()
    tt = TableTransformer().fit(frame, random_state=0)
    encoded = tt.transform(frame, random_state=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert encoded.layout.width > 2400  # a dense one-hot would be 100k x 2400 floats = ~1 GB
    assert encoded.codes.dtype == np.int32 and encoded.codes.nbytes + encoded.scalars.nbytes < 3_000_000
    assert peak < 200_000_000, peak
    assert encoded.dense(np.arange(500)).shape == (500, encoded.layout.width)
    assert time.perf_counter() - start < 60


def test_adult_round_trip(adult):
    tt, encoded, back = round_trip(adult)
    assert_same(back, within_bounds(adult, tt, back))
    for name, enc in tt.encoders_.items():  # no stored level stands for fewer than 5 rows
        if hasattr(enc, "levels"):
            counts = adult[name].value_counts()
            assert all(counts.get(level, 5) >= 5 for level in enc.levels), name
    assert encoded.layout.width < 200


def test_heart_round_trip(heart):
    tt, _, back = round_trip(heart)
    assert_same(back, within_bounds(heart, tt, back))
    assert (heart["restecg"] == 1).sum() == 4 and set(back["restecg"]) == {
        0,
        2,
    }  # 4 patients: merged into the nearest level


def test_values_beyond_a_bound_many_patients_share_are_clipped_onto_it():
    """A zero-inflated column's lower bound is its zeros, held by hundreds of rows: a generated value just
    below it is clipped to 0 (a value redrawn inside the bounds would empty the column's point mass). A bound
    only a few patients reach is still never piled onto: values beyond it are redrawn inside it."""
    import numpy as np

    from synthgan.transform.continuous import NumericEncoder

    rng = np.random.default_rng(0)
    x = np.r_[np.zeros(900), rng.exponential(500.0, 100)].round()
    enc = NumericEncoder.fit(x, rng, step=1.0)
    assert enc.low == 0.0 and enc.low_mass and not enc.high_mass
    zero = int(np.argmin(np.abs(enc.means * enc.scale + enc.loc)))  # the mode of the zeros
    alpha = np.full(200, -0.5)  # all below the mode's centre, i.e. below 0
    assert (enc.inverse(alpha, np.full(200, zero)) == 0).all()
    top = int(np.argmax(enc.means))
    beyond = enc.inverse(np.full(200, 0.99), np.full(200, top))  # far above the high bound
    assert enc.tail_low == 0 and enc.tail_high > 0  # no tail below a point mass
    assert (beyond <= enc.reach[1]).all() and (beyond == enc.reach[1]).mean() < 0.1
    again = NumericEncoder.from_dict(enc.to_dict())
    assert again.low_mass and not again.high_mass
    old = {
        k: v for k, v in enc.to_dict().items() if not k.endswith("_mass")
    }  # files written before the flags
    assert NumericEncoder.from_dict(old).low_mass and NumericEncoder.from_dict(old).high_mass
    untailed = {k: v for k, v in enc.to_dict().items() if not k.startswith("tail_")}  # files before the tails
    assert NumericEncoder.from_dict(untailed).reach == (enc.low, enc.high)


def test_point_masses_are_modes_of_their_own_and_come_back_exactly():
    """A zero-inflated column (90% zeros) and a heaped integer (40 hours for half the rows): each value many
    rows hold is a mode of its own, encoded with scalar 0, and any scalar in that mode gives the exact value;
    values a few rows hold stay in the mixture, and clipping at a bound makes no mass."""
    from synthgan.transform.continuous import NumericEncoder

    rng = np.random.default_rng(0)
    gains = np.r_[np.zeros(900), rng.exponential(3000.0, 100).round()]
    hours = np.r_[np.full(500, 40.0), rng.integers(1, 99, 500)]
    for values, mass in ((gains, [0.0]), (hours, [40.0])):
        enc = NumericEncoder.fit(values, rng, step=1.0)
        assert enc.points.tolist() == mass and enc.n_modes == len(enc.means) + 1 + len(enc.tails)
        alpha, mode = enc.transform(values, rng)
        at = values == mass[0]
        past = (values < enc.low) | (values > enc.high)  # the tails' rows: modes after the point's
        assert (
            (mode[at] == len(enc.means)).all()
            and (alpha[at] == 0).all()
            and (mode[~at & ~past] < len(enc.means)).all()
            and (mode[past] > len(enc.means)).all()
        )
        noisy = rng.uniform(-1, 1, at.sum()).astype(np.float32)  # whatever the generator puts in the scalar
        assert (enc.inverse(noisy, mode[at]) == mass[0]).all()
        back = NumericEncoder.from_dict(enc.to_dict())
        assert back.points.tolist() == mass and np.array_equal(
            back.inverse(alpha, mode), enc.inverse(alpha, mode)
        )
    clipped = NumericEncoder.fit(np.r_[np.arange(100.0), [500.0] * 4], rng, step=1.0)  # 4 beyond the bound
    assert clipped.points.size == 0  # the bound holds 5 values only after clipping: not a mass


def test_tails_past_the_bounds_come_from_k_rows_together_never_from_one():
    """Past each bound a column has an exponential tail: its scale is the k most extreme values' distance
    past the bound over k - 1, its rows are a mode of their own with a random scalar (so a training row's
    own extreme value is never encoded), and the tail's mode decodes to an exponential of that scale, capped
    at TAIL_REACH scales."""
    from synthgan.transform.bounds import TAIL_REACH
    from synthgan.transform.continuous import NumericEncoder

    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(100, 10, 400).round(1), [160.0, 170.0, 180.0, 400.0]]
    enc = NumericEncoder.fit(x, rng, step=0.1)
    top = np.sort(x)[-5:]
    assert enc.high == top[0] and enc.tail_high == pytest.approx((top - top[0]).sum() / 4)
    assert enc.n_modes == len(enc.means) + len(enc.tails) and len(enc.tails) == 2
    wilder = x.copy()
    wilder[-1] = 4000.0  # one patient's extreme changes nothing the generator is shown
    a1, m1 = enc.transform(x, np.random.default_rng(1))
    a2, m2 = enc.transform(wilder, np.random.default_rng(1))
    assert np.array_equal(a1, a2) and np.array_equal(m1, m2)
    past = x > enc.high
    assert (m1[past] == len(enc.means) + 1).all() and (m1[x < enc.low] == len(enc.means)).all()
    alpha = np.linspace(-0.99, 0.99, 20_001).astype(np.float32)
    out = enc.inverse(alpha, np.full(alpha.size, len(enc.means) + 1))
    excess = (out - enc.high) / enc.tail_high
    assert excess.min() >= 0 and excess.max() <= TAIL_REACH
    truncated_mean = 1 - TAIL_REACH * np.exp(-TAIL_REACH) / -np.expm1(-TAIL_REACH)
    assert excess.mean() == pytest.approx(truncated_mean, abs=0.01)  # an exponential truncated at the reach
    assert (excess == excess.max()).mean() < 0.001  # nothing piles up at the reach
    assert np.allclose(out * 10, np.round(out * 10)) and out.max() <= enc.reach[1]
    state = json.dumps(enc.to_dict())
    assert "400.0" not in state and "180.0" not in state
    saturated = enc.inverse(
        np.ones(500, np.float32), np.full(500, len(enc.means) + 1), u=np.linspace(0, 1, 500)
    )
    assert (
        np.unique(saturated).size > 100
    )  # a saturated scalar takes the row's uniform: no pile-up at the reach
    tied = NumericEncoder.fit(np.r_[np.arange(200.0) % 10, [10.0] * 6, 57.0], rng, step=1.0)
    assert (
        tied.tail_high == 0 and tied.reach[1] == tied.high
    )  # one value past the bound: no tail, 57 not kept


def test_transformer_state_of_version_1_loads_as_written():
    """Files written before the tails (state version 1, no tail_low / tail_high) load and decode as before."""
    frame = pd.DataFrame(
        {"x": np.r_[np.arange(300.0), [900.0, 950.0, 990.0, 999.0]], "c": ["a", "b", "c", "d"] * 76}
    )
    tt = TableTransformer().fit(frame, random_state=0)
    old = json.loads(json.dumps(tt.to_dict()))
    old["version"] = 1
    for state in old["encoders"].values():
        for key in ("tail_low", "tail_high"):
            state.pop(key, None)
    loaded = TableTransformer.from_dict(old)
    assert loaded.encoders_["x"].reach == (loaded.encoders_["x"].low, loaded.encoders_["x"].high)
    assert loaded.layout_.width == tt.layout_.width - len(tt.encoders_["x"].tails)
    with pytest.raises(SchemaError, match="state version 3 is not supported"):
        TableTransformer.from_dict({**old, "version": 3})
