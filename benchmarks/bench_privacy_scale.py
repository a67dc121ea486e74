"""Scale of the privacy distances: nearest neighbours of 100,000 candidate rows among 100,000 real rows
with 20 mixed-type columns of the real diabetes-130 table; prints seconds and peak memory.

    python benchmarks/bench_privacy_scale.py [--rows 100000] [--json benchmarks/results/privacy_scale.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
from _data import diabetes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    from synthgan import Schema
    from synthgan.evaluation.columns import Columns
    from synthgan.evaluation.distance import RowEmbedding, nearest
    from synthgan.evaluation.privacy import exact_match_rate

    df = diabetes().drop(columns=["encounter_id", "patient_nbr"])
    df = df[list(df.columns[:20])]
    real = df.sample(args.rows, replace=len(df) < args.rows, random_state=0).reset_index(drop=True)
    candidates = df.sample(args.rows, replace=True, random_state=1).reset_index(drop=True)
    cols = Columns.from_schema(Schema.infer(real))
    t0 = time.perf_counter()
    emb = RowEmbedding(real, cols)
    r, c = emb.transform(real), emb.transform(candidates)
    t1 = time.perf_counter()
    d, _ = nearest(c, r, k=2)
    t2 = time.perf_counter()
    exact = exact_match_rate(candidates, real, cols)
    t3 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": args.rows,
        "columns": len(cols.scored),
        "embedding_width": int(r.shape[1]),
        "embed_s": t1 - t0,
        "nearest_k2_s": t2 - t1,
        "exact_match_s": t3 - t2,
        "peak_rss_mb": peak_mb,
        "median_dcr": float(np.median(d[:, 0])),
        "exact_match_rate": exact,
        "seed": 0,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
