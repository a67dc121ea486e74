"""A mixed-type row distance and bounded-memory nearest neighbours.

Rows are embedded so that Euclidean distance is Gower-like: each number becomes
(x - median) / robust scale (IQR / 1.349, else the standard deviation, else 1), clipped to +-5; a
missing number is 0 plus a missing indicator; a category with at most 16 levels is a one-hot scaled by
1/sqrt(2), so a mismatch adds exactly 1 to the squared distance; a category with more levels gives
each level a fixed random 16-d code of the same length, so equal levels are at 0 and different ones
at 1 +- ~0.25, in 16 columns instead of hundreds (missing and unseen levels are levels of their own).
Neighbours are found with chunked matrix products in torch: memory stays under ``budget_bytes``
whatever the table sizes, and no per-row Python runs.

Example:
    >>> import pandas as pd
    >>> from synthgan.evaluation.columns import Columns
    >>> train = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "b", "a", "b"]})
    >>> emb = RowEmbedding(train, Columns(("x",), ("c",), {}))
    >>> d, i = nearest(emb.transform(train.iloc[[1]]), emb.transform(train), k=1)
    >>> float(d[0, 0]), int(i[0, 0])
    (0.0, 1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .columns import Columns, as_labels

ONEHOT_MAX_LEVELS = 16
CODE_DIMS = 16
CLIP = 5.0
BUDGET_BYTES = 256 * 1024 * 1024


class RowEmbedding:
    """Fitted on the real training rows; ``transform`` maps any table with the same columns."""

    def __init__(self, train: pd.DataFrame, cols: Columns) -> None:
        self.cols = cols
        self.numeric = {}
        for c in cols.numeric:
            x = cols.numbers(train, c)
            present = x[~np.isnan(x)]
            med = float(np.median(present)) if present.size else 0.0
            q75, q25 = np.percentile(present, [75, 25]) if present.size else (1.0, 0.0)
            scale = (q75 - q25) / 1.349
            if not scale > 0:
                scale = float(np.std(present)) if present.size and np.std(present) > 0 else 1.0
            self.numeric[c] = (med, float(scale), bool(np.isnan(x).any()))
        self.levels, self.codebooks = {}, {}
        for i, c in enumerate(cols.categorical):
            levels = list(as_labels(train[c]).value_counts().index)
            self.levels[c] = levels
            if len(levels) <= ONEHOT_MAX_LEVELS:
                self.codebooks[c] = np.eye(len(levels) + 2) * np.sqrt(0.5)  # levels, unseen, missing
            else:
                book = np.random.default_rng(i).normal(size=(len(levels) + 2, CODE_DIMS))
                self.codebooks[c] = book / np.linalg.norm(book, axis=1, keepdims=True) * np.sqrt(0.5)

    @property
    def width(self) -> int:
        return sum(1 + int(m) for _, _, m in self.numeric.values()) + sum(
            b.shape[1] for b in self.codebooks.values()
        )

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """(n, width) float32 embedding of ``frame``."""
        parts = []
        for c, (med, scale, has_missing) in self.numeric.items():
            x = self.cols.numbers(frame, c)
            missing = np.isnan(x)
            parts.append(np.clip(np.where(missing, 0.0, (x - med) / scale), -CLIP, CLIP)[:, None])
            if has_missing:
                parts.append(missing.astype(np.float64)[:, None])
        for c, levels in self.levels.items():
            labels = as_labels(frame[c])
            codes = pd.Categorical(labels, categories=levels).codes.astype(
                np.int64
            )  # -1 for unseen or missing
            codes = np.where(
                codes >= 0, codes, np.where(labels.isna().to_numpy(), len(levels) + 1, len(levels))
            )
            parts.append(self.codebooks[c][codes])
        return (
            np.concatenate(parts, axis=1).astype(np.float32)
            if parts
            else np.zeros((len(frame), 0), np.float32)
        )


def nearest(
    queries: np.ndarray, refs: np.ndarray, k: int = 1, budget_bytes: int = BUDGET_BYTES
) -> tuple[np.ndarray, np.ndarray]:
    """Distances (q, k) and indices (q, k) of each query's k nearest reference rows, ascending.

    Candidates come from float32 matrix products (||q||^2 + ||r||^2 - 2 q.r); their distances are
    then recomputed from the differences, so identical rows are at exactly 0.
    """
    k = min(k, len(refs))
    extra = min(len(refs), k + 4)  # a few spare candidates absorb float32 rounding in the ranking
    r = torch.from_numpy(np.ascontiguousarray(refs, dtype=np.float32))
    r2 = (r * r).sum(dim=1)
    chunk = max(1, min(len(queries), budget_bytes // (4 * 3 * max(len(refs), 1))))
    dists = np.empty((len(queries), k), dtype=np.float32)
    index = np.empty((len(queries), k), dtype=np.int64)
    with torch.inference_mode():
        for start in range(0, len(queries), chunk):
            q = torch.from_numpy(np.ascontiguousarray(queries[start : start + chunk], dtype=np.float32))
            d2 = torch.addmm(r2[None, :], q, r.T, alpha=-2.0)  # (c, n_refs), ||q||^2 left out: same per row
            idx = torch.topk(d2, extra, dim=1, largest=False).indices  # (c, extra)
            exact = (q[:, None, :] - r[idx]).square_().sum(dim=2).sqrt_()  # (c, extra)
            order = torch.argsort(exact, dim=1, stable=True)[:, :k]
            dists[start : start + len(q)] = exact.gather(1, order).numpy()
            index[start : start + len(q)] = idx.gather(1, order).numpy()
    return dists, index
