"""Streaming export: sample N Adult-like rows to Parquet through the gate-free path and print time and
peak resident memory (target: 10 million rows under 1.5 GB; memory must not grow with N).

    python benchmarks/bench_stream.py [--rows 10000000] [--json benchmarks/results/stream_10m.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import warnings
from pathlib import Path

from _data import adult


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from synthgan import CTGAN
    from synthgan.io.export import read_metadata
    from synthgan.workflow.release import release_samples

    train = adult()
    model = CTGAN(epochs=args.epochs, random_state=0, verbose=False).fit(train)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "big.parquet"
        t0 = time.perf_counter()
        release_samples(model, args.rows, out, train=train, holdout=None, policy=None, seed=0)
        seconds = time.perf_counter() - t0
        size_mb = out.stat().st_size / 2**20
        rows = read_metadata(out)["rows"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "file_mb": size_mb,
        "peak_rss_mb": peak,
        "peak_rss_before_sampling_mb": rss_before,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
