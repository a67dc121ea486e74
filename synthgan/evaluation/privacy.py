"""Privacy: copies, near-copies, closest records and a membership attack, each judged against what real
held-out rows show by chance, with its uncertainty. Whole-set figures only; no per-row distance leaves
this module. Every draw comes from the metric's own stream (``streams.metric_rng``).

- closest record: for each synthetic row, is its nearest real row (all training and holdout rows) a
  training row? Under no memorisation that happens with probability |T| / (|T| + |H|) (ties count at
  that rate); ``dcr_closer_to_train_limit`` is the one-sided 95% binomial limit of the share,
  ``_excess`` = share - limit (above 0: significantly closer to training rows than chance).
  ``dcr_closer_to_train_gain`` = (share - null) / (1 - null) is the effect size: the share of rows that
  chance would put nearest a held-out row but that sit nearest a training row (1 for copies, 0 for a
  fresh real sample); ``_gain_se`` its standard error. With 20,000 synthetic rows any gain is
  significant, so the gate judges its size.
- near-copies: rows nearer their closest training row than the 1% quantile of held-out rows' nearest
  distances. A fresh real sample's share there follows a beta-binomial law (the quantile is an order
  statistic of |H| draws); ``near_copy_limit`` is its 99% quantile (``streams.CHANCE_CONFIDENCE``: a limit
  of chance alone), ``near_copy_excess`` = share - limit.
- nndr_ratio: 5th percentile of nearest/second-nearest distance ratios among the distinct training
  rows (duplicated training rows cannot hide a copy), synthetic over held-out, at the holdout's size.
- membership_inference_auc: a density-ratio attack in the spirit of DOMIAS (van Breugel et al. 2023):
  score(x) = log r_ref(x) - log r_syn(x), 1-NN radii among the synthetic rows and a real reference half
  of the holdout; ROC AUC of telling training rows from the other held-out half (0.5 = no leakage),
  averaged over repeated holdout splits; ``_se`` its Hanley-McNeil standard error, ``_upper`` = AUC +
  1.645 se, ``_spread`` the sd over the splits.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import betabinom, binom
from sklearn.metrics import roc_auc_score

from .columns import Columns
from .copies import CopyGuard, exact_match_rate, row_keys
from .distance import RowEmbedding, nearest
from .streams import CHANCE_CONFIDENCE, CONFIDENCE, REPEATS, draw_rows, metric_rng, summarise

NNDR_QUANTILE = 0.05
NEAR_COPY_QUANTILE = 0.01
TIE = 1e-6
MIN_HOLDOUT = 4
#: Holdout splits the membership attack averages, within a budget of reference distance pairs.
MIA_REPEATS = 20
MIA_PAIR_BUDGET = 200_000_000
Z = 1.6448536269514722  # one-sided 95%

__all__ = ["auc_upper", "privacy_metrics", "row_keys", "subsample", "wilson_upper"]


def wilson_upper(share: float, n: int, z: float = Z) -> float:
    """One-sided upper confidence bound of a proportion (Wilson score interval)."""
    if n == 0:
        return float("nan")
    centre = share + z * z / (2 * n)
    spread = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return min(1.0, (centre + spread) / (1 + z * z / n))


def auc_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley-McNeil standard error of an AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (
        n_pos * n_neg
    )
    return math.sqrt(max(var, 0.0))


def auc_upper(auc: float, n_pos: int, n_neg: int, z: float = Z) -> float:
    """AUC plus z Hanley-McNeil standard errors."""
    return min(1.0, auc + z * auc_se(auc, n_pos, n_neg))


def subsample(data, n: int, rng: np.random.Generator):
    """A seeded subsample of at most ``n`` rows (arrays or DataFrames), order kept."""
    if len(data) <= n:
        return data
    rows = np.sort(rng.choice(len(data), size=n, replace=False))
    return data.iloc[rows].reset_index(drop=True) if isinstance(data, pd.DataFrame) else data[rows]


def closest_record(d_train: np.ndarray, d_holdout: np.ndarray, n_train: int, n_holdout: int) -> dict:
    """Share of candidates whose nearest real row is a training row, against its null |T| / (|T| + |H|)."""
    null = n_train / (n_train + n_holdout)
    tie = np.abs(d_train - d_holdout) <= TIE
    closer = np.where(tie, null, (d_train < d_holdout).astype(float))
    m = len(closer)
    share = float(closer.mean())
    limit = float(binom.ppf(CONFIDENCE, m, null)) / m
    se = math.sqrt(max(share * (1 - share), null * (1 - null)) / m) / (1 - null)
    return {
        "dcr_closer_to_train_share": share,
        "dcr_closer_to_train_null": null,
        "dcr_closer_to_train_limit": limit,
        "dcr_closer_to_train_excess": share - limit,
        "dcr_closer_to_train_share_upper": wilson_upper(share, m),
        "dcr_closer_to_train_gain": (share - null) / (1 - null),
        "dcr_closer_to_train_gain_se": se,
    }


def near_copies(d_candidates: np.ndarray, d_holdout: np.ndarray) -> tuple[dict, float]:
    """Share of candidates at or under the 1% quantile of held-out rows' nearest training distances, and
    the 99% limit (``CHANCE_CONFIDENCE``) of that share for a fresh real sample (beta-binomial: the
    quantile is an order statistic)."""
    order = np.sort(d_holdout)
    k = max(1, math.ceil(NEAR_COPY_QUANTILE * len(order)))
    q = float(order[k - 1])
    at_or_under = int((order <= q).sum())  # ties: the quantile is then the at_or_under-th order statistic
    m = len(d_candidates)
    share = float((d_candidates <= q).mean())
    limit = float(betabinom.ppf(CHANCE_CONFIDENCE, m, at_or_under, len(order) + 1 - at_or_under)) / m
    return {
        "near_copy_share": share,
        "near_copy_limit": limit,
        "near_copy_excess": share - limit,
    }, at_or_under / len(order)


def nndr_quantile(d: np.ndarray) -> float:
    """5th percentile of nearest / second-nearest distance ratios (1 where both are 0)."""
    ratio = np.where(d[:, 1] > 0, d[:, 0] / np.maximum(d[:, 1], 1e-12), 1.0)
    return float(np.quantile(ratio, NNDR_QUANTILE))


def attack_repeats(n_members: int, n_holdout: int) -> int:
    """Holdout splits the membership attack averages: ``MIA_REPEATS``, fewer once the reference distances
    (every member and held-out row against half the holdout, per split) would pass ``MIA_PAIR_BUDGET``
    (at least one).

    Example:
        >>> attack_repeats(242, 61), attack_repeats(20_000, 5_000), attack_repeats(40_000, 10_000)
        (20, 3, 1)
    """
    per_split = max(1, (n_members + n_holdout) * n_holdout // 2)
    return int(max(1, min(MIA_REPEATS, MIA_PAIR_BUDGET // per_split)))


def membership_auc(
    syn: np.ndarray, members: np.ndarray, holdout: np.ndarray, rng: np.random.Generator
) -> dict:
    """Cross-fitted density-ratio attack: members should look likelier under the synthetic data than real.

    The holdout is split in halves (one half scored, the other the reference, then the other way round);
    which rows land in which half moves a single split's AUC by about 0.02 on a 60-row holdout, so the
    AUC is averaged over ``attack_repeats`` seeded splits (``_spread``: their sd). The standard error is
    Hanley-McNeil's for the members and held-out rows scored, which covers the sampling of those rows
    (a split average varies less than one split, so it errs towards passing). One split (a large table):
    ``_spread`` is not evaluated."""
    r_syn_members = nearest(members, syn, k=1)[0][:, 0]
    r_syn_holdout = nearest(holdout, syn, k=1)[0][:, 0]
    aucs = []
    for _ in range(attack_repeats(len(members), len(holdout))):
        halves = np.array_split(rng.permutation(len(holdout)), 2)
        member_halves = np.array_split(rng.permutation(len(members)), 2)
        scores, labels = [], []
        for side in (0, 1):
            reference = holdout[halves[1 - side]]
            for source, rows, r_syn, label in (
                (members, member_halves[side], r_syn_members, 1.0),
                (holdout, halves[side], r_syn_holdout, 0.0),
            ):
                r_ref = nearest(source[rows], reference, k=1)[0][:, 0]
                scores.append(np.log(r_ref + 1e-6) - np.log(r_syn[rows] + 1e-6))
                labels.append(np.full(len(rows), label))
        aucs.append(float(roc_auc_score(np.concatenate(labels), np.concatenate(scores))))
    auc, n_pos, n_neg = float(np.mean(aucs)), len(members), len(holdout)
    return {
        "membership_inference_auc": auc,
        "membership_inference_auc_se": auc_se(auc, n_pos, n_neg),
        "membership_inference_auc_upper": auc_upper(auc, n_pos, n_neg),
        "membership_inference_auc_spread": float(np.std(aucs, ddof=1))
        if len(aucs) > 1
        else {"not_evaluated": "one split of the holdout (a large table: the attack's distance budget)"},
    }


def _not_evaluated(keys, reason: str) -> dict:
    return {k: {"not_evaluated": reason} for k in keys}


NEEDS_HOLDOUT = (
    "dcr_holdout_median",
    "dcr_closer_to_train_share",
    "dcr_closer_to_train_null",
    "dcr_closer_to_train_limit",
    "dcr_closer_to_train_excess",
    "dcr_closer_to_train_share_upper",
    "dcr_closer_to_train_gain",
    "dcr_closer_to_train_gain_se",
    "near_copy_share",
    "near_copy_limit",
    "near_copy_excess",
    "nndr_ratio",
    "nndr_ratio_spread",
    "membership_inference_auc",
    "membership_inference_auc_se",
    "membership_inference_auc_upper",
    "membership_inference_auc_spread",
)


def privacy_metrics(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    cols: Columns,
    seed: int,
    cap: int,
) -> tuple[dict, dict | None, dict]:
    """(synthetic figures, reference figures or None, sample sizes). All training and holdout rows are
    used; the synthetic side is a seeded subsample of at most ``cap`` rows for the distance steps."""
    guard = CopyGuard(train, holdout, cols)
    guard.update(synthetic)
    out: dict = {"exact_match_rate": exact_match_rate(synthetic, train, cols), **guard.figures()}
    emb = RowEmbedding(train, cols)
    T = emb.transform(train)
    distinct = np.unique(T, axis=0)
    C = emb.transform(subsample(synthetic, cap, metric_rng(seed, "privacy.candidates")))
    d_ct = nearest(C, distinct, k=2)[0]
    out["dcr_synthetic_median"] = float(np.median(d_ct[:, 0]))
    sizes = {"candidates": len(C), "train": len(T), "distinct_train": len(distinct)}
    if holdout is None or len(holdout) < MIN_HOLDOUT:
        out.update(
            _not_evaluated(
                NEEDS_HOLDOUT,
                f"needs a real holdout of at least {MIN_HOLDOUT} rows (rows kept out of training)",
            )
        )
        return out, None, sizes
    H = emb.transform(holdout)
    d_ht = nearest(H, distinct, k=2)[0]
    out["dcr_holdout_median"] = float(np.median(d_ht[:, 0]))
    out.update(closest_record(d_ct[:, 0], nearest(C, H, k=1)[0][:, 0], len(T), len(H)))
    near, holdout_share = near_copies(d_ct[:, 0], d_ht[:, 0])
    out.update(near)
    # nndr at the holdout's size: synthetic ratios subsampled to |H| rows, repeated
    rng = metric_rng(seed, "privacy.nndr")
    q_h = nndr_quantile(d_ht)
    values = [
        nndr_quantile(d_ct[draw_rows(len(d_ct), len(H), rng)]) / q_h if q_h > 0 else float("nan")
        for _ in range(REPEATS)
    ]
    nndr = summarise(values, len(d_ct), len(H))
    out["nndr_ratio"] = (
        nndr.mean if np.isfinite(nndr.mean) else (1.0 if nndr_quantile(d_ct) == 0 else float("inf"))
    )
    out["nndr_ratio_spread"] = nndr.spread
    mia = metric_rng(seed, "privacy.membership")
    members = subsample(T, cap, mia)
    out.update(membership_auc(C, members, H, mia))
    reference = _reference(train, holdout, T, H, distinct, d_ht, members, cols, seed)
    reference["near_copy_share"] = holdout_share
    sizes.update(
        {
            "holdout": len(H),
            "attack_members": len(members),
            "attack_splits": attack_repeats(len(members), len(H)),
            "nndr_compared_rows": len(H),
        }
    )
    return out, reference, sizes


def _reference(train, holdout, T, H, distinct, d_ht, members, cols, seed) -> dict:
    """The same figures for real held-out rows: half of the holdout in place of the synthetic set."""
    rng = metric_rng(seed, "privacy.reference_split")
    order = rng.permutation(len(H))
    fresh, rest = order[: len(H) // 2], order[len(H) // 2 :]
    ref = {
        "exact_match_rate": exact_match_rate(holdout, train, cols),
        "dcr_synthetic_median": float(np.median(d_ht[:, 0])),
        "dcr_holdout_median": float(np.median(d_ht[:, 0])),
    }
    ref.update(closest_record(d_ht[fresh, 0], nearest(H[fresh], H[rest], k=1)[0][:, 0], len(T), len(rest)))
    q_rest = nndr_quantile(d_ht[rest])
    ref["nndr_ratio"] = nndr_quantile(d_ht[fresh]) / q_rest if q_rest > 0 else 1.0
    if len(rest) >= MIN_HOLDOUT:
        ref.update(
            membership_auc(H[fresh], members, H[rest], metric_rng(seed, "privacy.reference_membership"))
        )
    return ref
