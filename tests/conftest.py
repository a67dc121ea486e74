"""Shared fixtures. Real data from ../shared/datasets is optional: tests that need it skip cleanly."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

# Hypothesis runs derandomised (the same examples every run, in CI and locally); another profile can be
# chosen with HYPOTHESIS_PROFILE=default.
settings.register_profile("derandomized", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "derandomized"))

SHARED = (
    Path(os.environ.get("SYNTHGAN_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
    / "datasets"
)
ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]


def shared_file(*parts: str) -> Path:
    """Path of a file in ../shared/datasets, or skip the test when that folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data set not available: {path}")
    return path


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    """The real UCI Adult training table (32,561 rows; '?' = missing)."""
    path = shared_file("adult", "adult.data")
    return pd.read_csv(path, header=None, names=ADULT_COLUMNS, skipinitialspace=True, na_values="?")


@pytest.fixture(scope="session")
def heart() -> pd.DataFrame:
    from synthgan.data import load_heart_disease

    return load_heart_disease()
