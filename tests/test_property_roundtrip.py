"""Property: any DataFrame of every kind, with gaps, unicode names, constant and single-level columns,
survives transform -> inverse with exact categories and gaps, numbers within resolution, same dtypes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from frames import within_bounds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthgan.exceptions import SchemaError
from synthgan.schema import Schema, SchemaWarning
from synthgan.transform import TableTransformer

NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8
)


@st.composite
def column(draw, n: int):
    kind = draw(
        st.sampled_from(["float", "int", "nullable_int", "text", "bool", "category", "datetime", "constant"])
    )
    with_gaps = draw(st.booleans())
    if kind == "float":
        values = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), min_size=n, max_size=n))
        series = pd.Series(values, dtype="float64")
    elif kind in ("int", "nullable_int"):
        values = draw(st.lists(st.integers(-10_000, 10_000), min_size=n, max_size=n))
        series = pd.Series(values, dtype="int64" if kind == "int" and not with_gaps else "Int64")
    elif kind == "text":
        levels = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
        series = pd.Series(draw(st.lists(st.sampled_from(levels), min_size=n, max_size=n)), dtype=object)
    elif kind == "bool":
        series = pd.Series(
            draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype="boolean" if with_gaps else "bool"
        )
    elif kind == "category":
        series = pd.Series(
            pd.Categorical(draw(st.lists(st.sampled_from(["lo", "mid", "hi"]), min_size=n, max_size=n)))
        )
    elif kind == "datetime":
        days = draw(st.lists(st.integers(0, 20_000), min_size=n, max_size=n))
        series = pd.Series(pd.to_datetime("1970-01-01") + pd.to_timedelta(days, unit="D"))
    else:
        series = pd.Series([draw(st.sampled_from(["x", 3, 2.5]))] * n, dtype=object)
    if with_gaps:
        gaps = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        series = series.mask(pd.Series(gaps)) if not all(gaps) else series
    return series


@st.composite
def frames(draw):
    n = draw(st.integers(2, 40))
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    return pd.DataFrame({name: draw(column(n)) for name in names})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(frame=frames(), seed=st.integers(0, 2**32 - 1))
def test_transform_inverse_round_trip(frame, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        schema = Schema.infer(
            frame, declared={c.name: c.kind for c in Schema.infer(frame).columns}
        )  # as declared
        try:
            tt = TableTransformer().fit(frame, schema, random_state=seed)
        except SchemaError as exc:  # a column too sparse to store without one patient's value: say which
            (name,) = [c for c in frame.columns if f"column {c!r}" in str(exc)]
            present = frame[name].dropna()
            assert "too few to learn without storing a single patient" in str(exc)
            assert len(present) < 10 or present.astype(object).value_counts().max() < 5, (name, present)
            return
    back = tt.inverse_transform(tt.transform(frame, random_state=seed).dense())
    assert list(back.columns) == list(frame.columns)
    wanted = within_bounds(frame, tt, back)  # numbers inside the bounds exact, past them tail draws
    for spec in schema.columns:
        a, b = back[spec.name], wanted[spec.name]
        assert a.dtype == frame[spec.name].dtype or spec.dtype == "category", (spec, a.dtype, b.dtype)
        if spec.kind == "identifier":
            continue
        assert (a.isna().to_numpy() == b.isna().to_numpy()).all(), spec
        present = b.notna().to_numpy()
        if spec.kind in ("continuous", "integer"):
            # float32 scalars resolve about 2**-23 of a mode's 4-sigma span, at most the column's range
            expected = b[present].astype(float).to_numpy()
            span = float(np.ptp(expected)) if expected.size else 0.0
            tolerance = (
                1e-6 * span
                + 1e-7 * float(np.abs(expected).max(initial=0))
                + (0.5 if spec.kind == "integer" else 1e-9)
            )
            np.testing.assert_allclose(a[present].astype(float), expected, rtol=0, atol=tolerance)
        elif spec.kind == "datetime":
            assert (a[present] == b[present]).all()
        else:
            assert a[present].astype(object).tolist() == b[present].astype(object).tolist()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(frame=frames(), seed=st.integers(0, 2**31 - 1))
def test_fit_sample_export_read_back(frame, seed, tmp_path_factory):
    """Any table through fit(epochs=1) -> sample -> Parquet export -> read back: same columns and
    dtypes, categories only from the training data, gaps only where the training data had them."""
    from hypothesis import assume

    from synthgan import CTGAN
    from synthgan.evaluation.columns import as_labels
    from synthgan.exceptions import SchemaError
    from synthgan.io.export import write_rows

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = CTGAN(epochs=1, batch_size=10, verbose=False, random_state=seed).fit(frame)
        except SchemaError:  # nothing learnable (only constants / identifiers): refused with a typed error
            assume(False)
    synthetic = model.sample(25, random_state=seed)
    path = write_rows(tmp_path_factory.mktemp("prop") / "s.parquet", iter([synthetic]), {"rows": 25})
    back = pd.read_parquet(path)
    assert list(back.columns) == list(frame.columns) == list(synthetic.columns)
    for spec in model.schema_.columns:
        real, out = frame[spec.name], back[spec.name]
        if isinstance(real.dtype, pd.CategoricalDtype):  # categories seen fewer than 5 times are not kept
            assert set(synthetic[spec.name].cat.categories) <= set(real.cat.categories) | {"(other)"}, spec
            continue
        assert synthetic[spec.name].dtype == real.dtype, (spec, synthetic[spec.name].dtype, real.dtype)
        if (
            real.dtype != object or real.dropna().map(type).eq(str).all()
        ):  # Parquet keeps every dtype but mixed objects
            assert out.dtype == real.dtype, (spec, out.dtype, real.dtype)
        if real.notna().all() and spec.kind != "identifier":
            assert out.notna().all(), spec
        if spec.kind in ("categorical", "constant") and real.notna().any():
            # 3 and 3.0 are one level; text levels seen fewer than 5 times come back merged as "(other)"
            assert set(as_labels(out).dropna()) <= set(as_labels(real).dropna()) | {"(other)"}, spec
