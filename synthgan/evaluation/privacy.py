"""Privacy: copies, closest records and a membership attack, judged against real held-out rows.

All results are whole-set figures; no per-row distance leaves this module. Quadratic steps use
seeded subsamples of at most ``cap`` rows per side (documented in the report's ``meta``).

- exact_match_rate: share of synthetic rows identical to a training row.
- dcr_closer_to_train_share: with equal-size training, holdout and synthetic samples, the share of
  synthetic rows whose nearest real row is a training row (ties 1/2). 0.5 = no sign of copying;
  ``_upper`` is its one-sided 95% Wilson bound; ``_excess`` = share - 0.5 - 1.645 sqrt(0.25 / m):
  above 0 only when the share is significantly above chance at this sample size m.
- dcr_synthetic_median / dcr_holdout_median: median distance to the closest training row.
- nndr_ratio: 5th percentile of nearest/second-nearest distance ratios of synthetic rows among
  training rows, over the same among holdout rows (equal sizes). Well under 1 = synthetic rows sit
  unusually close to single training records.
- membership_inference_auc: a density-ratio attack in the spirit of DOMIAS (van Breugel et al. 2023):
  score(x) = log r_ref(x) - log r_syn(x), with r the distance to the nearest neighbour among the
  synthetic rows and among a real reference sample (held-out rows not used as candidates) - a
  1-NN estimate of log p_syn(x) / p_ref(x) up to a constant factor (1-NN, not k-NN: a memorised
  row then has r_syn = 0 and scores highest). ROC AUC of telling training rows
  (members) from held-out rows; ``_upper`` adds 1.645 Hanley-McNeil standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .columns import Columns, as_labels, as_numbers
from .distance import RowEmbedding, nearest

MIA_NEIGHBOURS = 1
NNDR_QUANTILE = 0.05
TIE = 1e-6


def wilson_upper(share: float, n: int, z: float = 1.645) -> float:
    """One-sided upper confidence bound of a proportion (Wilson score interval)."""
    if n == 0:
        return float("nan")
    centre = share + z * z / (2 * n)
    spread = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return min(1.0, (centre + spread) / (1 + z * z / n))


def auc_upper(auc: float, n_pos: int, n_neg: int, z: float = 1.645) -> float:
    """AUC plus z Hanley-McNeil standard errors."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return min(1.0, auc + z * math.sqrt(max(var, 0.0)))


def row_keys(frame: pd.DataFrame, cols: Columns) -> np.ndarray:
    """A 64-bit hash per row over the scored columns, equal for rows equal in value (dtypes aside)."""
    canon = {c: np.round(as_numbers(frame[c]), 9) for c in cols.numeric}
    canon.update({c: as_labels(frame[c]).fillna("\x00<NA>").to_numpy() for c in cols.categorical})
    return pd.util.hash_pandas_object(pd.DataFrame(canon, index=range(len(frame))), index=False).to_numpy()


def exact_match_rate(candidates: pd.DataFrame, train: pd.DataFrame, cols: Columns) -> float:
    return float(np.isin(row_keys(candidates, cols), row_keys(train, cols)).mean())


def closer_to_train(cand: np.ndarray, train: np.ndarray, holdout: np.ndarray) -> dict:
    """Closest-record test and neighbour-ratio on equal-size embedded samples."""
    d_t, _ = nearest(cand, train, k=2)
    d_h, _ = nearest(cand, holdout, k=2)
    closer = np.where(np.abs(d_t[:, 0] - d_h[:, 0]) <= TIE, 0.5, (d_t[:, 0] < d_h[:, 0]).astype(float))
    share = float(closer.mean())

    def ratio_quantile(d: np.ndarray) -> float:
        ratio = np.where(d[:, 1] > 0, d[:, 0] / np.maximum(d[:, 1], 1e-12), 1.0)
        return float(np.quantile(ratio, NNDR_QUANTILE))

    q_t, q_h = ratio_quantile(d_t), ratio_quantile(d_h)
    return {
        "share": share,
        "share_upper": wilson_upper(share, len(cand)),
        "share_excess": share - 0.5 - 1.645 * math.sqrt(0.25 / len(cand)),
        "nndr_ratio": q_t / q_h if q_h > 0 else (1.0 if q_t == 0 else float("inf")),
    }


def membership_auc(syn: np.ndarray, members: np.ndarray, holdout: np.ndarray, rng: np.random.Generator) -> dict:
    """Cross-fitted density-ratio attack: members should look likelier under the synthetic data than real."""
    k = min(MIA_NEIGHBOURS, len(syn))
    halves = np.array_split(rng.permutation(len(holdout)), 2)
    member_halves = np.array_split(rng.permutation(len(members)), 2)
    scores, labels = [], []
    for side in (0, 1):
        reference = holdout[halves[1 - side]]
        for cand, label in ((members[member_halves[side]], 1.0), (holdout[halves[side]], 0.0)):
            r_syn = nearest(cand, syn, k=k)[0][:, -1]
            r_ref = nearest(cand, reference, k=min(k, len(reference)))[0][:, -1]
            scores.append(np.log(r_ref + 1e-6) - np.log(r_syn + 1e-6))
            labels.append(np.full(len(cand), label))
    score, label = np.concatenate(scores), np.concatenate(labels)
    auc = float(roc_auc_score(label, score))
    return {"auc": auc, "auc_upper": auc_upper(auc, int(label.sum()), int((1 - label).sum()))}


def privacy_metrics(
    train: pd.DataFrame, candidates: pd.DataFrame, holdout: pd.DataFrame | None, cols: Columns, rng: np.random.Generator, cap: int
) -> tuple[dict, dict]:
    """Metrics for ``candidates`` (synthetic rows, or a real sample for the reference), and sample sizes."""
    emb = RowEmbedding(train, cols)
    T, C = emb.transform(train), emb.transform(subsample(candidates, cap, rng))
    out: dict = {"exact_match_rate": exact_match_rate(candidates, train, cols)}
    out["dcr_synthetic_median"] = float(np.median(nearest(C, T)[0][:, 0]))
    sizes = {"candidates": len(C), "train": len(T)}
    if holdout is None or len(holdout) < 4:
        reason = "needs a real holdout of at least 4 rows (rows kept out of training)"
        for key in ("dcr_holdout_median", "dcr_closer_to_train_share", "dcr_closer_to_train_share_upper",
                    "dcr_closer_to_train_excess", "nndr_ratio",
                    "membership_inference_auc", "membership_inference_auc_upper"):
            out[key] = {"not_evaluated": reason}
        return out, sizes
    H = emb.transform(holdout)
    out["dcr_holdout_median"] = float(np.median(nearest(subsample(H, cap, rng), T)[0][:, 0]))
    m = min(len(T), len(H), len(C), cap)
    test = closer_to_train(subsample(C, m, rng), subsample(T, m, rng), subsample(H, m, rng))
    out["dcr_closer_to_train_share"], out["dcr_closer_to_train_share_upper"] = test["share"], test["share_upper"]
    out["dcr_closer_to_train_excess"] = test["share_excess"]
    out["nndr_ratio"] = test["nndr_ratio"]
    members, non_members = subsample(T, cap, rng), subsample(H, cap, rng)
    attack = membership_auc(C, members, non_members, rng)
    out["membership_inference_auc"], out["membership_inference_auc_upper"] = attack["auc"], attack["auc_upper"]
    sizes.update({"holdout": len(H), "closest_record_sample": m, "attack_members": len(members), "attack_non_members": len(non_members)})
    return out, sizes


def subsample(data, n: int, rng: np.random.Generator):
    """A seeded subsample of at most ``n`` rows (arrays or DataFrames), order kept."""
    if len(data) <= n:
        return data
    rows = np.sort(rng.choice(len(data), size=n, replace=False))
    return data.iloc[rows].reset_index(drop=True) if isinstance(data, pd.DataFrame) else data[rows]
