"""``SyntheticOversampler``: class balancing with a conditional GAN, in the imbalanced-learn protocol
(``fit_resample(X, y)``), so it drops into an ``imblearn.pipeline.Pipeline`` before any classifier.

By default one conditional model learns X and y together and rows of the classes to grow are
generated through the conditional vector; with ``per_class=True`` each class to grow gets a model of
its own rows alone. Either way every row carries exactly the requested label, and the real rows come
first in the output, with the original columns and dtypes.

Example:
    >>> from synthgan.data import load_heart_disease
    >>> df = load_heart_disease()
    >>> X, y = df.drop(columns="num"), df["num"]          # heart disease grade 0-4: 164/55/36/35/13 rows
    >>> sampler = SyntheticOversampler(model=CTGAN(epochs=2, verbose=False), random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> y_res.value_counts().tolist(), list(X_res.columns) == list(X.columns), bool(
    ...     (X_res.dtypes == X.dtypes).all()
    ... )
    ([164, 164, 164, 164, 164], True, True)
"""

from __future__ import annotations

import math
import numbers
from typing import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from .exceptions import InvalidParameterError
from .realism import realism_order
from .synthesizers import CTGAN

STRATEGIES = ("auto", "not majority", "minority", "not minority", "all")


def class_targets(counts: pd.Series, sampling_strategy) -> dict:
    """How many rows to generate per class: imbalanced-learn's over-sampling semantics.

    ``"auto"``/``"not majority"``: every class up to the majority's count; ``"minority"``: the smallest
    class only; ``"not minority"``, ``"all"``; a float (two classes only): minority / majority ratio
    after resampling; a dict: the wanted total per class (never below the current count).
    """
    majority, minority = counts.idxmax(), counts.idxmin()
    top = int(counts.max())
    if isinstance(sampling_strategy, str):
        if sampling_strategy not in STRATEGIES:
            raise InvalidParameterError(
                f"sampling_strategy={sampling_strategy!r} is not accepted; use one of {list(STRATEGIES)}, a "
                "float or a dict"
            )
        chosen = {
            "auto": [c for c in counts.index if c != majority],
            "not majority": [c for c in counts.index if c != majority],
            "minority": [minority],
            "not minority": [c for c in counts.index if c != minority],
            "all": list(counts.index),
        }[sampling_strategy]
        return {c: top - int(counts[c]) for c in chosen if top > counts[c]}
    if isinstance(sampling_strategy, numbers.Real) and not isinstance(sampling_strategy, bool):
        if len(counts) != 2:
            raise InvalidParameterError(
                f"a float sampling_strategy needs exactly two classes, y has {len(counts)}; use a dict"
            )
        if not 0 < sampling_strategy <= 1 or counts[minority] / top > sampling_strategy:
            raise InvalidParameterError(
                f"sampling_strategy={sampling_strategy} must be in ({counts[minority] / top:.3f}, 1]: the "
                "minority/majority ratio after over-sampling"
            )
        return {minority: int(round(sampling_strategy * top)) - int(counts[minority])}
    if isinstance(sampling_strategy, Mapping):
        unknown = [k for k in sampling_strategy if k not in counts.index]
        if unknown:
            raise InvalidParameterError(
                f"sampling_strategy names classes not in y: {unknown}; classes are {list(counts.index)}"
            )
        lower = [k for k, v in sampling_strategy.items() if v < counts[k]]
        if lower:
            raise InvalidParameterError(
                f"sampling_strategy asks fewer rows than exist for {lower}; over-sampling only adds rows"
            )
        return {k: int(v) - int(counts[k]) for k, v in sampling_strategy.items() if v > counts[k]}
    raise InvalidParameterError(
        f"sampling_strategy={sampling_strategy!r} is not accepted; use one of {list(STRATEGIES)}, a float or "
        "a dict"
    )


class SyntheticOversampler(BaseEstimator):
    """Balance classes with rows from a GAN; ``fit_resample(X, y) -> (X_res, y_res)``.

    ``model``: an unfitted synthesizer to clone (default ``CTGAN(epochs=100)``).
    ``class_focus``: the share of training rows conditioned on the class (CTGAN's ``condition_focus``
    for y), so the minority classes are learned against their own real rows; None leaves the model's.
    ``per_class``: fit one model per class to grow, on that class's rows only, instead of one
    conditional model of all rows: all of the model's capacity goes to the rows it will imitate.
    A class of n rows makes n / batch_size steps per epoch (one step under 200 rows, where the batch is
    all n rows), so give such models more epochs.
    ``realism_filter``: generate this many times (>= 1) the rows each class needs and keep those a
    classifier, cross-fitted against that class's real rows, finds least recognisably synthetic
    (``synthgan.realism``). The kept rows are still generated, but they are the ones most like real
    records: check them with the privacy evaluation before sharing them beyond training.
    On diabetes-130, CTGAN(epochs=3000) per class with realism_filter=3 beats SMOTE-NC on balanced
    accuracy and F1 and matches it on ROC AUC (5 splits: benchmarks/results/augment_diabetes_per_class.md;
    measured when critic packs mixed conditions, ``pack_conditions=False``).
    ``discrete_columns``: columns of X every model learns as categories (integer codes, say).
    """

    def __init__(
        self,
        model=None,
        sampling_strategy="auto",
        class_focus=None,
        per_class=False,
        realism_filter=None,
        random_state=None,
        discrete_columns=None,
    ) -> None:
        self.model = model
        self.sampling_strategy = sampling_strategy
        self.class_focus = class_focus
        self.per_class = per_class
        self.realism_filter = realism_filter
        self.random_state = random_state
        self.discrete_columns = discrete_columns

    def fit_resample(self, X, y):
        """Fit the model(s), then return the real rows followed by the generated ones.

        Sets ``models_`` (class -> the fitted model that generated its rows; one shared model unless
        ``per_class``), ``sampling_strategy_`` (rows generated per class) and ``n_synthetic_``.
        """
        frame, target, array_input = _as_frame(X)
        labels = pd.Series(np.asarray(y), name=getattr(y, "name", None))
        self._check(frame, labels)
        self.sampling_strategy_ = class_targets(labels.value_counts(sort=False), self.sampling_strategy)
        grow = {cls: n for cls, n in self.sampling_strategy_.items() if n > 0}
        rng = np.random.default_rng(self.random_state)
        members = {cls: (labels == cls).to_numpy() for cls in grow}
        discrete = list(self.discrete_columns or [])
        if self.per_class:
            self.models_ = {
                cls: self._new_model().fit(
                    frame[members[cls]].reset_index(drop=True), discrete_columns=discrete
                )
                for cls in grow
            }
            conditions = dict.fromkeys(grow)
        else:
            model = self._new_model(target).fit(
                frame.assign(**{target: labels.to_numpy()}), discrete_columns=[target, *discrete]
            )
            self.models_ = dict.fromkeys(grow, model)
            conditions = {cls: {target: cls} for cls in grow}
        parts = [
            self._generate(self.models_[cls], conditions[cls], n, frame[members[cls]], rng)[frame.columns]
            for cls, n in grow.items()
        ]
        synthetic = pd.concat(parts, ignore_index=True) if parts else frame.iloc[:0]
        X_new = pd.concat(
            [frame, synthetic.astype(frame.dtypes.to_dict(), errors="ignore")], ignore_index=True
        )
        generated = [
            np.full(n, cls, dtype=labels.dtype) for cls, n in grow.items()
        ]  # exact labels, the input's dtype
        y_new = pd.concat(
            [
                labels,
                pd.Series(
                    np.concatenate(generated) if generated else [], dtype=labels.dtype, name=labels.name
                ),
            ],
            ignore_index=True,
        )
        self.n_synthetic_ = len(synthetic)
        if array_input:
            return X_new.to_numpy(), y_new.to_numpy()
        return X_new, (y_new if isinstance(y, pd.Series) else y_new.to_numpy())

    def _check(self, frame: pd.DataFrame, labels: pd.Series) -> None:
        if len(labels) != len(frame):
            raise InvalidParameterError(f"X has {len(frame)} rows but y has {len(labels)}")
        if labels.isna().any():
            raise InvalidParameterError("y has missing values; every row needs a class")
        if labels.nunique() < 2:
            raise InvalidParameterError("y has a single class; there is nothing to balance")
        if self.per_class and self.class_focus is not None:
            raise InvalidParameterError(
                "class_focus applies to the joint conditional model; per_class=True models see one class each"
            )
        f = self.realism_filter
        if f is not None and (isinstance(f, bool) or not isinstance(f, numbers.Real) or not f >= 1):
            raise InvalidParameterError(
                f"realism_filter={f!r} is not accepted; use None or a pool size factor >= 1 (e.g. 3)"
            )

    def _generate(
        self, model, conditions: dict | None, n: int, real: pd.DataFrame, rng: np.random.Generator
    ) -> pd.DataFrame:
        """``n`` generated rows of one class: the first n drawn, or the n most realistic of a larger pool."""
        if self.realism_filter is None:
            return model.sample(n, conditions=conditions, random_state=rng)
        pool = model.sample(
            max(n, math.ceil(self.realism_filter * n)), conditions=conditions, random_state=rng
        )
        return pool.iloc[np.sort(realism_order(real, pool)[:n])].reset_index(drop=True)

    def _new_model(self, target: str | None = None):
        """A fresh clone of ``model`` with this sampler's random_state (and class_focus on ``target``)."""
        model = clone(self.model) if self.model is not None else CTGAN(epochs=100, verbose=False)
        if self.random_state is not None and "random_state" in model.get_params():
            model.set_params(random_state=self.random_state)
        if self.class_focus is not None:
            if "condition_focus" not in model.get_params():
                raise InvalidParameterError(
                    f"class_focus needs a model with condition_focus (CTGAN); {type(model).__name__} has none"
                )
            model.set_params(
                condition_focus={**(model.get_params()["condition_focus"] or {}), target: self.class_focus}
            )
        return model


def _as_frame(X) -> tuple[pd.DataFrame, str, bool]:
    """X as a DataFrame, a free column name for the target, and whether X was an array."""
    if isinstance(X, pd.DataFrame):
        frame, array_input = X.reset_index(drop=True), False
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise InvalidParameterError(f"X must be 2-D (rows x columns), got shape {array.shape}")
        frame, array_input = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])]), True
    target = "target"
    while target in frame.columns:
        target = "_" + target
    return frame, target, array_input
