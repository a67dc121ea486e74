"""How much of the real data's dependence between columns the synthetic rows keep, on a scale where
independently shuffled columns score 0 and a fresh real sample scores 1.

Column shapes cannot see it and pair trends alone cannot judge it: how far a fresh real sample's pair
trends sit above those of independent columns depends on the table and the sample size (0.06 on a
61-row heart-disease holdout, 0.20 on 2,000 Adult rows). So the figure is measured like for like, at
the holdout's size, on the column pairs with a real trend (SDMetrics' ``column_pair_trends``, numbers
binned on the real table's range: ``fidelity.py``), against all training rows:

    kept = (trends(synthetic) - trends(independent)) / (trends(holdout) - trends(independent))

where ``independent`` takes each column from a different random training row. The synthetic and the
independent figures are means over ``REPEATS`` subsamples each. When the holdout's gain over independent
columns is not at least ``MEASURABLE`` times the noise of the numerator, a holdout of that size cannot
measure the data's dependencies and the figure is not evaluated (with the reason): the gate then
cannot tell shuffled columns from a faithful model, and says so instead of guessing.

Example:
    >>> import numpy as np, pandas as pd
    >>> from synthgan.evaluation.columns import Columns
    >>> from synthgan.schema import Schema
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=4000)
    >>> real = pd.DataFrame({"x": x, "y": x + rng.normal(scale=0.5, size=4000)})
    >>> cols = Columns.from_schema(Schema.infer(real))
    >>> train, holdout = real.iloc[:3000], real.iloc[3000:].reset_index(drop=True)
    >>> shuffled = pd.DataFrame({"x": rng.permutation(x[:3000]), "y": rng.permutation(real["y"][:3000])})
    >>> kept_real = dependence_kept(train, holdout, holdout, cols, np.random.default_rng(1))
    >>> kept_shuffled = dependence_kept(train, shuffled, holdout, cols, np.random.default_rng(1))
    >>> round(kept_real["dependence_kept"], 2), abs(kept_shuffled["dependence_kept"]) < 0.05
    (1.0, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import fidelity as F
from .columns import Columns
from .streams import draw_rows

#: Subsamples averaged for the synthetic and for the independent figure.
REPEATS = 30
#: The holdout's gain over independent columns must be this many times the figure's noise to be measured.
MEASURABLE = 10.0


def dependence_kept(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    cols: Columns,
    rng: np.random.Generator,
) -> dict:
    """``dependence_kept`` (0 = independent columns, 1 = a fresh real sample), its standard error and the
    holdout's gain it is measured against; ``{"dependence_kept": {"not_evaluated": reason}}`` when the real
    data shows no trend or a holdout this small cannot measure it."""
    if len(cols.scored) < 2:
        return {"dependence_kept": {"not_evaluated": "fewer than two comparable columns"}}
    n = min(len(holdout), len(synthetic))
    first = F.pair_scores(real, holdout, cols)
    trending = first[first["real_trend"] & first["score"].notna()]
    if trending.empty:
        return {"dependence_kept": {"not_evaluated": "no column pair shows a trend in the real data"}}
    pairs = list(zip(trending["column_1"], trending["column_2"]))

    def trends(other: pd.DataFrame) -> float:
        return float(F.pair_scores(real, other, cols, pairs)["score"].mean())

    if len(holdout) == n:  # the whole holdout: its trend-pair scores are the ones just computed
        reference = float(trending["score"].mean())
    else:  # a holdout larger than the synthetic set: as many real rows as synthetic ones, averaged
        reference = float(
            np.mean([trends(holdout.iloc[draw_rows(len(holdout), n, rng)]) for _ in range(REPEATS)])
        )
    synthetic_runs = [
        trends(synthetic.iloc[draw_rows(len(synthetic), n, rng)].reset_index(drop=True))
        for _ in range(REPEATS)
    ]
    independent_runs = [trends(independent_rows(real, n, rng)) for _ in range(REPEATS)]
    synth, indep = float(np.mean(synthetic_runs)), float(np.mean(independent_runs))
    noise = float(np.sqrt((np.var(synthetic_runs, ddof=1) + np.var(independent_runs, ddof=1)) / REPEATS))
    gain = reference - indep
    out = {"dependence_real_gain": gain, "dependence_noise": noise, "dependence_pairs": len(pairs)}
    if not gain > MEASURABLE * noise:
        reason = (
            f"a fresh real sample of {n} rows keeps {gain:+.4f} of pair trends over independent columns, "
            f"not measurable against noise {noise:.4f}: the data's dependencies cannot be judged at this size"
        )
        return {"dependence_kept": {"not_evaluated": reason}, **out}
    return {"dependence_kept": (synth - indep) / gain, "dependence_kept_se": noise / gain, **out}


def independent_rows(real: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rows whose every column comes from its own random training row (drawn with replacement, so its
    marginals vary as a fresh sample's would): the real marginals, no dependence between columns."""
    return pd.DataFrame(
        {c: real[c].iloc[rng.integers(0, len(real), n)].reset_index(drop=True) for c in real.columns}
    )
