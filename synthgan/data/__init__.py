"""Small real data sets shipped inside the package (see README.md in this folder for sources and licenses).

Example:
    >>> from synthgan.data import load_heart_disease
    >>> load_heart_disease().shape
    (303, 14)
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from ..io.tabular import load_table

HEART_DISEASE_FILE = "heart_cleveland.csv"


def heart_disease_path() -> Path:
    """Path of the shipped UCI Heart Disease (Cleveland) CSV, CC BY 4.0."""
    return Path(str(resources.files(__package__).joinpath(HEART_DISEASE_FILE)))


def load_heart_disease() -> pd.DataFrame:
    """The UCI Heart Disease (Cleveland) table: 303 rows x 14 columns, 6 missing cells, CC BY 4.0."""
    return load_table(heart_disease_path())
