"""Small synthetic frames with every column kind, shared by the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def mixed_frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "weight": rng.normal(70, 12, n),
            "age": rng.integers(18, 90, n),
            "ward": rng.choice(["A", "B", "C"], n),
            "smoker": rng.choice([True, False], n),
            "stage": pd.Categorical(rng.choice(["I", "II"], n)),
            "grade": rng.integers(1, 4, n),
            "admitted": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
            "visit": (
                pd.to_datetime("2021-03-01") + pd.to_timedelta(rng.integers(0, 99, n), unit="D")
            ).strftime("%Y-%m-%d"),
            "site": ["Leeds"] * n,
            "patient_id": np.arange(1000, 1000 + n),
            "mrn": [f"MRN{i:05d}" for i in rng.permutation(n)],
        }
    )


def within_bounds(frame: pd.DataFrame, tt, back: pd.DataFrame) -> pd.DataFrame:
    """What a transformer's round trip ``back`` should be: numbers and datetimes inside their robust bounds
    as they were; one past a bound a draw from that bound's tail (asserted past it, on the same side, within
    the tail's reach, then taken from ``back``; onto the bound when it has no tail); levels seen fewer than
    k times merged as its encoders merge them."""
    from synthgan.transform.continuous import NumericEncoder
    from synthgan.transform.values import restore_levels, restore_numeric, to_float

    out = frame.copy()
    for name, enc in tt.encoders_.items():
        spec, extra = tt.schema_[name], tt.extras_[name]
        if isinstance(enc, NumericEncoder):
            x, _ = to_float(frame[name], spec, extra.get("origin_ns"))
            got, _ = to_float(back[name], spec, extra.get("origin_ns"))
            lowest, highest = enc.reach
            tol = 1e-6 * (enc.high - enc.low) + 1e-7 * max(abs(enc.low), abs(enc.high))  # float32 scalars
            below, above = (x < enc.low) & (enc.tail_low > 0), (x > enc.high) & (enc.tail_high > 0)
            assert (got[below] <= enc.low + tol).all() and (got[below] >= lowest - tol).all(), name
            assert (got[above] >= enc.high - tol).all() and (got[above] <= highest + tol).all(), name
            wanted = np.where(below | above, got, np.clip(x, enc.low, enc.high))  # no tail: onto the bound
            out[name] = restore_numeric(wanted, spec, extra).set_axis(frame.index)
        else:
            out[name] = restore_levels(enc.inverse(enc.transform(frame[name])), spec, extra).set_axis(
                frame.index
            )
    return out
