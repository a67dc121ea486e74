"""A drop-in for the reference ``ctgan`` package: change ``from ctgan import CTGAN`` to
``from synthgan.compat.ctgan import CTGAN`` and keep the rest of the code.

Same constructor parameters, ``fit(train_data, discrete_columns=(), epochs=None)`` on a DataFrame
or a numpy array (then discrete columns are integer indices and ``sample`` returns an array),
``sample(n, condition_column=None, condition_value=None)``, ``set_random_state``, ``save``/``load``
and ``loss_values`` (columns ``Epoch``, ``Generator Loss``, ``Discriminator Loss``). Differences:
missing values in continuous columns are modelled instead of rejected; a condition holds on every
returned row; model files hold no pickled objects. It trains the paper's configuration
(``CTGAN.classic``: no weight averaging, no auxiliary loss), the model the reference trains.

Example:
    >>> from synthgan.compat.ctgan import CTGAN
    >>> from synthgan.data import load_heart_disease
    >>> df = load_heart_disease()
    >>> model = CTGAN(epochs=1, batch_size=100)
    >>> model.set_random_state(0)
    >>> model.fit(df, discrete_columns=["sex", "cp", "num"])
    >>> model.sample(4, condition_column="cp", condition_value=4)["cp"].tolist()
    [4, 4, 4, 4]
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import torch

from ..exceptions import ConditionError, SynthganError
from ..schema import whole_numbers
from ..synthesizers.ctgan import CTGAN as _CTGAN


class InvalidDataError(SynthganError, ValueError):
    """The training data cannot be used (not a table, no rows...)."""


class CTGAN:
    """The reference package's ``CTGAN`` interface on synthgan's implementation."""

    def __init__(
        self,
        embedding_dim=128,
        generator_dim=(256, 256),
        discriminator_dim=(256, 256),
        generator_lr=2e-4,
        generator_decay=1e-6,
        discriminator_lr=2e-4,
        discriminator_decay=1e-6,
        batch_size=500,
        discriminator_steps=1,
        log_frequency=True,
        verbose=False,
        epochs=300,
        pac=10,
        enable_gpu=True,
    ):
        self._params = dict(
            embedding_dim=embedding_dim,
            generator_dim=tuple(generator_dim),
            discriminator_dim=tuple(discriminator_dim),
            generator_lr=generator_lr,
            generator_decay=generator_decay,
            discriminator_lr=discriminator_lr,
            discriminator_decay=discriminator_decay,
            batch_size=batch_size,
            discriminator_steps=discriminator_steps,
            log_frequency=log_frequency,
            verbose=verbose,
            epochs=epochs,
            pac=pac,
        )
        self._enable_gpu = enable_gpu
        self._random_state = None
        self._model = None
        self._array_input = False
        self.loss_values = None

    def set_random_state(self, random_state):
        """Seed fitting and sampling: an int, or None for fresh randomness."""
        if random_state is not None and (
            isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral)
        ):
            raise TypeError(f"`random_state` {random_state} expected to be an int or None.")
        self._random_state = random_state
        if self._model is not None:
            self._model._sampling_rng = np.random.default_rng(random_state)

    def set_device(self, device):
        """Move the trained generator to ``device`` ("cpu" or "cuda")."""
        if self._model is not None:
            self._model.generator_.to(device)
            self._model.heads_ = type(self._model.heads_)(self._model.transformer_.layout_, device)
            self._model.device_ = torch.device(device)

    def fit(self, train_data, discrete_columns=(), epochs=None):
        """Fit on a DataFrame or a 2-D numpy array; non-discrete numeric columns are continuous."""
        frame, names = self._frame(train_data, discrete_columns)
        params = dict(self._params, epochs=epochs if epochs is not None else self._params["epochs"])
        device = "cuda" if self._enable_gpu and torch.cuda.is_available() else "cpu"
        self._model = _CTGAN.classic(**params, device=device, random_state=self._random_state).fit(
            frame, discrete_columns=names, schema=_continuous_kinds(frame, names)
        )
        self.loss_values = _loss_frame(self._model)

    def _frame(self, train_data, discrete_columns):
        if isinstance(train_data, pd.DataFrame):
            invalid = set(discrete_columns) - set(train_data.columns)
            self._array_input = False
            if invalid:
                raise ValueError(f"Invalid columns found: {invalid}")
            frame, names = train_data, [str(c) for c in discrete_columns]
        elif isinstance(train_data, np.ndarray):
            if train_data.ndim != 2:
                raise InvalidDataError(f"train_data must be 2-dimensional, got {train_data.ndim} dimensions")
            invalid = [c for c in discrete_columns if c < 0 or c >= train_data.shape[1]]
            if invalid:
                raise ValueError(f"Invalid columns found: {invalid}")
            self._array_input = True
            frame = pd.DataFrame(train_data, columns=[str(i) for i in range(train_data.shape[1])])
            names = [str(c) for c in discrete_columns]
        else:
            raise TypeError("``train_data`` should be either pd.DataFrame or np.array.")
        if len(frame) == 0:
            raise InvalidDataError("train_data has no rows")
        return _numbers_as_numbers(frame, names), names

    def sample(self, n, condition_column=None, condition_value=None):
        """``n`` rows; with a condition, every row has ``condition_column == condition_value``."""
        if self._model is None:
            raise InvalidDataError("this CTGAN is not fitted yet; call fit(train_data) first")
        conditions = None
        if condition_column is not None and condition_value is not None:
            column = str(condition_column)
            if column not in self._model.schema_.names:
                raise ValueError(f"The column_name `{condition_column}` doesn't exist in the data.")
            conditions = {column: condition_value}
        try:
            rows = self._model.sample(n, conditions=conditions)
        except ConditionError as exc:
            if "is not a level" in str(exc):
                raise ValueError(
                    f"The value `{condition_value}` doesn't exist in the column `{condition_column}`."
                ) from None
            raise
        return rows.to_numpy() if self._array_input else rows

    def save(self, path):
        """Write the model (weights + JSON, no pickle)."""
        if self._model is None:
            raise InvalidDataError("this CTGAN is not fitted yet; nothing to save")
        extra = {
            "compat": {
                "array_input": self._array_input,
                "enable_gpu": self._enable_gpu,
                "params": _jsonable(self._params),
            }
        }
        self._model.save(path, metadata=extra)

    @classmethod
    def load(cls, path):
        """Load a model written by ``save``; executes no code from the file."""
        model = _CTGAN.load(path)
        compat = model.metadata_.get("compat", {})
        params = compat.get("params") or {}
        obj = cls(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()},
            enable_gpu=compat.get("enable_gpu", True),
        )
        obj._model, obj._array_input = model, bool(compat.get("array_input", False))
        obj.loss_values = _loss_frame(model)
        return obj


def _numbers_as_numbers(frame: pd.DataFrame, discrete: list[str]) -> pd.DataFrame:
    """The reference's contract: a column not named discrete is continuous. Numbers stored as objects (what
    ``DataFrame.to_numpy()`` gives for mixed columns) are converted; text there is an error, not a guess."""
    converted = {}
    for name in frame.columns:
        col = frame[name]
        if str(name) in discrete or not (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
            continue  # numbers, booleans, datetimes, categories: as they are
        numbers_ = pd.to_numeric(col, errors="coerce")
        text = int((numbers_.isna() & col.notna()).sum())
        if text:
            raise InvalidDataError(
                f"column {name!r} is not in discrete_columns, so it is continuous, but {text} of its values "
                "are not numbers; list it in discrete_columns"
            )
        converted[name] = numbers_.astype(np.float64)
    if not converted:
        return frame
    frame = frame.copy()
    for name, values in converted.items():
        frame[name] = values
    return frame


def _continuous_kinds(frame: pd.DataFrame, discrete: list[str]) -> dict[str, str]:
    """The reference treats every non-discrete column as continuous; keep whole numbers as integers."""
    kinds = {}
    for name in frame.columns:
        col = frame[name]
        if name in discrete or not pd.api.types.is_numeric_dtype(col) or col.nunique(dropna=False) <= 1:
            continue
        kinds[name] = "integer" if whole_numbers(col.dropna().to_numpy(dtype=np.float64)) else "continuous"
    return kinds


def _loss_frame(model: _CTGAN) -> pd.DataFrame:
    """The reference's loss table: 0-based ``Epoch``, ``Generator Loss``, ``Discriminator Loss``."""
    losses = model.loss_values_
    return pd.DataFrame(
        {
            "Epoch": losses["epoch"] - 1,
            "Generator Loss": losses["generator_loss"],
            "Discriminator Loss": losses["critic_loss"],
        }
    )


def _jsonable(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
