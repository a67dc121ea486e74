"""Fidelity: column shapes, column pair trends (as SDMetrics' QualityReport computes them, but for one
binning choice below), missingness, and per-column distances.

Agreement notes (SDMetrics 0.32): KS on values rounded to 14 decimals after dropping NaN; TV over
the union of levels after dropping NaN; pairs count only where the real data shows a trend
(|Pearson| > 0.5, or uncorrected Cramer's V > 0.3 on the contingency table with NaN as a cell);
a number paired with a category is cut into 10 ``histogram_bin_edges`` bins with ``np.digitize`` (NaN
falls in the top bin). SDMetrics takes each table's bins from its own range; synthgan takes both tables'
from the real one's (``bins="real"``, the default), so the two tables' cells mean the same values. A
synthetic column that never emits one patient's extreme (``transform/bounds.py``) otherwise has every
bin shifted: on a default diabetes-130 model the gate's kept dependence (``dependence.py``; seed 0 of
``benchmarks/calibrate_gate.py``, ``results/gate_calibration_diabetes*.reports.json``) was -0.10, below
independently shuffled columns' -0.04, where the real bins give 0.36 against -0.02, with a 12th of the
noise. As in SDMetrics, a value at or above the top edge shares the top code with NaN and one below the
bottom edge gets a code of its own (synthgan's rows never leave the real range; a holdout's rows may).
``bins="own"`` is SDMetrics' choice, to 1e-3 (``tests/test_evaluation.py``). synthgan adds what SDMetrics
leaves out: missing-rate similarity, constant / all-missing columns, the plain mean over all pairs and the
worst pair.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, wasserstein_distance

from ..transform.bounds import MIN_COUNT
from .columns import Columns, as_labels

PEARSON_TREND = 0.5
CRAMER_TREND = 0.3
_ROUND = 14


def ks_complement(real: np.ndarray, synthetic: np.ndarray) -> float:
    """1 - two-sample KS statistic on the non-missing values; NaN when either side is empty."""
    a, b = np.round(real[~np.isnan(real)], _ROUND), np.round(synthetic[~np.isnan(synthetic)], _ROUND)
    if a.size == 0 or b.size == 0:
        return float("nan")
    return float(1.0 - ks_2samp(a, b).statistic)


def tv_complement(real: pd.Series, synthetic: pd.Series) -> float:
    """1 - total variation distance between level frequencies (missing dropped); NaN when empty."""
    p, q = real.dropna().value_counts(normalize=True), synthetic.dropna().value_counts(normalize=True)
    if p.empty or q.empty:
        return float("nan")
    return _total_variation_complement(p, q)


def _total_variation_complement(p: pd.Series, q: pd.Series) -> float:
    """1 - half the L1 distance between two frequency tables over the union of their keys."""
    keys = p.index.union(q.index, sort=False)  # keys may mix text and NaN: never sort them
    return float(
        1.0
        - 0.5
        * np.abs(
            p.reindex(keys, fill_value=0.0).to_numpy() - q.reindex(keys, fill_value=0.0).to_numpy()
        ).sum()
    )


def missing_similarity(real: pd.Series, synthetic: pd.Series) -> float:
    return float(1.0 - abs(real.isna().mean() - synthetic.isna().mean()))


def column_shapes(real: pd.DataFrame, synthetic: pd.DataFrame, cols: Columns) -> dict[str, float]:
    """Per scored column: KS complement (numbers, datetimes) or TV complement (categories)."""
    out = {c: ks_complement(cols.numbers(real, c), cols.numbers(synthetic, c)) for c in cols.numeric}
    out.update({c: tv_complement(as_labels(real[c]), as_labels(synthetic[c])) for c in cols.categorical})
    return {c: out[c] for c in cols.scored}


def _bin_edges(values: np.ndarray) -> np.ndarray:
    present = values[~np.isnan(values)]
    return np.histogram_bin_edges(present) if present.size else np.array([0.0, 1.0])


def _binned(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.digitize(values, edges).astype(float)


def _shared_codes(
    real: np.ndarray | pd.Series, synthetic: np.ndarray | pd.Series
) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes over both tables' values of one discrete view (missing is a code of its own)."""
    both = pd.concat(
        [pd.Series(np.asarray(real, dtype=object)), pd.Series(np.asarray(synthetic, dtype=object))],
        ignore_index=True,
    )
    codes, uniques = pd.factorize(both, use_na_sentinel=False)
    codes = codes.astype(np.int64)
    return codes[: len(real)], codes[len(real) :], max(len(uniques), 1)


def pair_scores(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    cols: Columns,
    pairs: list[tuple[str, str]] | None = None,
    bins: str = "real",
) -> pd.DataFrame:
    """One row per column pair (every pair of scored columns, or ``pairs``): metric, score, and whether the
    real data shows a trend there. ``bins``: where a number paired with a category takes its 10 bins from,
    ``"real"`` (both tables, the real one's range) or ``"own"`` (each table its own: SDMetrics 0.32).

    Discrete views (categories; numbers binned) become shared integer codes once, so each pair is a
    few numpy passes over the rows, not a pandas group-by (1,000+ pairs on a 47-column table).
    """
    if bins not in ("real", "own"):
        raise ValueError(f"bins must be 'real' or 'own', got {bins!r}")
    nums = {
        name: {c: cols.numbers(frame, c) for c in cols.numeric}
        for name, frame in (("real", real), ("synthetic", synthetic))
    }
    discrete = {}
    for c in cols.numeric:
        real_edges = _bin_edges(nums["real"][c])
        synthetic_edges = real_edges if bins == "real" else _bin_edges(nums["synthetic"][c])
        discrete[c] = _shared_codes(
            _binned(nums["real"][c], real_edges), _binned(nums["synthetic"][c], synthetic_edges)
        )
    discrete.update({c: _shared_codes(as_labels(real[c]), as_labels(synthetic[c])) for c in cols.categorical})
    rows = []
    for c1, c2 in itertools.combinations(cols.scored, 2) if pairs is None else pairs:
        if c1 in cols.numeric and c2 in cols.numeric:
            score, trend = _correlation_pair(nums["real"], nums["synthetic"], c1, c2)
            metric = "correlation"
        else:
            score, trend = _contingency_pair(discrete[c1], discrete[c2])
            metric = "contingency"
        rows.append({"column_1": c1, "column_2": c2, "metric": metric, "score": score, "real_trend": trend})
    return pd.DataFrame(rows, columns=["column_1", "column_2", "metric", "score", "real_trend"])


def _correlation_pair(real: dict, synthetic: dict, c1: str, c2: str) -> tuple[float, bool]:
    def pearson(d: dict) -> float:
        a, b = d[c1], d[c2]
        keep = ~(np.isnan(a) | np.isnan(b))
        if keep.sum() < 2 or np.std(a[keep]) == 0 or np.std(b[keep]) == 0:
            return float("nan")
        return float(np.corrcoef(a[keep], b[keep])[0, 1])

    r, s = pearson(real), pearson(synthetic)
    score = 1.0 - abs(r - s) / 2.0 if not (np.isnan(r) or np.isnan(s)) else float("nan")
    return score, bool(not np.isnan(r) and abs(r) > PEARSON_TREND)


def _contingency_pair(a: tuple, b: tuple) -> tuple[float, bool]:
    """1 - total variation between the real and synthetic joint frequencies of two discrete views,
    and whether the real pair is associated (Cramer's V above ``CRAMER_TREND``)."""
    (real_a, synth_a, _), (real_b, synth_b, width_b) = a, b
    if not len(real_a) or not len(synth_a):
        return float("nan"), False
    real_cells, real_counts = np.unique(real_a * width_b + real_b, return_counts=True)
    synth_cells, synth_counts = np.unique(synth_a * width_b + synth_b, return_counts=True)
    cells, inverse = np.unique(np.concatenate([real_cells, synth_cells]), return_inverse=True)
    weights = np.concatenate([real_counts / real_counts.sum(), -synth_counts / synth_counts.sum()])
    score = 1.0 - 0.5 * float(np.abs(np.bincount(inverse, weights=weights, minlength=len(cells))).sum())
    return score, _cramers_v(real_cells // width_b, real_cells % width_b, real_counts) > CRAMER_TREND


def _cramers_v(row: np.ndarray, col: np.ndarray, counts: np.ndarray) -> float:
    """Cramer's V of a contingency table given by its non-empty cells (no continuity correction):
    phi^2 = sum O^2 / (R_i C_j) - 1 over the observed cells; 0 when a side has a single level."""
    _, row = np.unique(row, return_inverse=True)
    _, col = np.unique(col, return_inverse=True)
    levels = min(row.max(initial=0), col.max(initial=0)) + 1
    if levels < 2:
        return 0.0
    counts = counts.astype(float)
    phi2 = (
        float(
            (
                counts**2 / (np.bincount(row, weights=counts)[row] * np.bincount(col, weights=counts)[col])
            ).sum()
        )
        - 1.0
    )
    return float(np.sqrt(max(phi2, 0.0) / (levels - 1)))


def pair_trends(scores: pd.DataFrame) -> dict:
    """Mean over pairs with a real trend (SDMetrics' score), plain mean, and the worst pair."""
    valid = scores.dropna(subset=["score"])
    trending = valid[valid["real_trend"]]
    worst = valid.loc[valid["score"].idxmin()] if len(valid) else None
    return {
        "trend_mean": float(trending["score"].mean()) if len(trending) else float("nan"),
        "all_pairs_mean": float(valid["score"].mean()) if len(valid) else float("nan"),
        "trend_pairs": int(len(trending)),
        "worst_pair": None
        if worst is None
        else {"columns": [worst["column_1"], worst["column_2"]], "score": float(worst["score"])},
    }


def per_column(real: pd.DataFrame, synthetic: pd.DataFrame, cols: Columns) -> dict[str, dict]:
    """Distances and coverage per column; numbers normalised by the real range."""
    out: dict[str, dict] = {}
    for c in cols.numeric:
        a, b = cols.numbers(real, c), cols.numbers(synthetic, c)
        a_, b_ = a[~np.isnan(a)], b[~np.isnan(b)]
        span = float(a_.max() - a_.min()) if a_.size else 0.0
        entry = {
            "missing_rate_real": float(np.isnan(a).mean()),
            "missing_rate_synthetic": float(np.isnan(b).mean()),
        }
        if a_.size and b_.size:
            entry["wasserstein_normalised"] = float(wasserstein_distance(a_, b_) / span) if span > 0 else 0.0
            edges = np.histogram_bin_edges(a_, bins=20)
            pa, _ = np.histogram(np.clip(a_, edges[0], edges[-1]), edges)
            pb, _ = np.histogram(np.clip(b_, edges[0], edges[-1]), edges)
            entry["jensen_shannon"] = float(jensenshannon(pa, pb, base=2))
            inside = (b_ >= a_.min()) & (b_ <= a_.max())
            entry["range_coverage"] = (
                float((min(b_.max(), a_.max()) - max(b_.min(), a_.min())) / span) if span > 0 else 1.0
            )
            entry["share_within_real_range"] = float(inside.mean())
        out[c] = entry
    for c in cols.categorical:
        a, b = as_labels(real[c]), as_labels(synthetic[c])
        p = a.value_counts(normalize=True, dropna=False)
        q = b.value_counts(normalize=True, dropna=False)
        keys = p.index.union(q.index, sort=False)
        p_, q_ = p.reindex(keys, fill_value=0.0), q.reindex(keys, fill_value=0.0)
        out[c] = {
            "missing_rate_real": float(a.isna().mean()),
            "missing_rate_synthetic": float(b.isna().mean()),
            "jensen_shannon": float(jensenshannon(p_.to_numpy(), q_.to_numpy(), base=2)),
            "category_coverage": _coverage(set(a.dropna()), set(b.dropna())),
            "new_categories": int((~b.dropna().isin(set(a.dropna()))).sum()),
        }
    for c, entry in out.items():
        entry["missing_rate_difference"] = abs(entry["missing_rate_real"] - entry["missing_rate_synthetic"])
    return out


def _coverage(real_levels: set, synthetic_levels: set) -> float:
    """Share of the real levels that the synthetic data contains."""
    return len(real_levels & synthetic_levels) / len(real_levels) if real_levels else 1.0


def missingness(real: pd.DataFrame, synthetic: pd.DataFrame, cols: Columns) -> dict:
    """Mean missing-rate similarity over scored columns, plus all-missing columns named."""
    sims = {c: missing_similarity(real[c], synthetic[c]) for c in cols.scored}
    return {
        "mean_similarity": float(np.mean(list(sims.values()))) if sims else float("nan"),
        "worst_column": min(sims, key=sims.get) if sims else None,
        "all_missing_in_synthetic": [c for c in cols.scored if synthetic[c].isna().all()],
    }


def collapsed_columns(real: pd.DataFrame, synthetic: pd.DataFrame, cols: Columns) -> list[str]:
    """Columns with two or more values in the real data - for a categorical column, two or more levels
    each held by at least k = ``MIN_COUNT`` rows (levels a model may emit: rarer ones are never stored) - but
    at most one value in the synthetic data."""

    def several(c: str) -> bool:
        if c in cols.categorical:
            return int((real[c].value_counts() >= MIN_COUNT).sum()) >= 2
        return real[c].nunique() >= 2

    return [c for c in cols.scored if several(c) and synthetic[c].nunique() <= 1]
