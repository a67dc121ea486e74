"""Loaders for the real benchmark tables in ../shared/datasets (benchmarks use the public API only)."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pandas as pd

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


def require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (set SYNTHGAN_SHARED to the shared folder)")
    return path


def adult(complete_rows_only: bool = True) -> pd.DataFrame:
    """UCI Adult training table; the reference ctgan cannot take NaN in numbers, so complete rows by default."""
    df = pd.read_csv(
        require(SHARED / "adult" / "adult.data"),
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values="?",
    )
    return df.dropna().reset_index(drop=True) if complete_rows_only else df


HEART_COLUMNS = [
    "age",
    "sex",
    "cp",
    "trestbps",
    "chol",
    "fbs",
    "restecg",
    "thalach",
    "exang",
    "oldpeak",
    "slope",
    "ca",
    "thal",
    "num",
]


def heart() -> pd.DataFrame:
    """UCI heart disease, Cleveland (303 x 14; '?' is missing), as the harness and the calibration read it."""
    path = require(SHARED / "heart_disease" / "processed.cleveland.data")
    return pd.read_csv(path, header=None, names=HEART_COLUMNS, na_values="?")


def diabetes() -> pd.DataFrame:
    """Diabetes 130-US hospitals (101,766 x 50); 'None' is a value ('test not done'), '?' is missing."""
    with zipfile.ZipFile(require(SHARED / "diabetes_130" / "dataset_diabetes.zip")) as zf:
        with zf.open("dataset_diabetes/diabetic_data.csv") as fh:
            return pd.read_csv(fh, keep_default_na=False, na_values="?")


def credit() -> pd.DataFrame:
    """Default of credit card clients, Taiwan (30,000 x 24 without its ``ID`` column)."""
    return pd.read_csv(require(SHARED / "credit_default" / "UCI_Credit_Card.csv")).drop(columns=["ID"])


def discrete_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if df[c].dtype == object]


def mnist():
    """MNIST test split: 10,000 28x28 uint8 digits and their labels (IDX files, gzip)."""
    import gzip

    import numpy as np

    folder = require(SHARED / "mnist")
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz") as fh:
        images = np.frombuffer(fh.read()[16:], np.uint8).reshape(-1, 28, 28).copy()
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz") as fh:
        labels = np.frombuffer(fh.read()[8:], np.uint8).copy()
    return images, labels
