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
            "visit": (pd.to_datetime("2021-03-01") + pd.to_timedelta(rng.integers(0, 99, n), unit="D")).strftime("%Y-%m-%d"),
            "site": ["Leeds"] * n,
            "patient_id": np.arange(1000, 1000 + n),
            "mrn": [f"MRN{i:05d}" for i in rng.permutation(n)],
        }
    )
