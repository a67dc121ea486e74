"""Time synthgan's TableTransformer against ctgan's DataTransformer on the real Adult table, in one run.

Prints fit, transform and inverse seconds for both (median of --repeat runs, alternating order),
their ratios, and round-trip fidelity (mean absolute error per numeric column, exact categories).

    python benchmarks/bench_transformer.py [--repeat 3] [--json benchmarks/results/transformer.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import numpy as np
from _data import adult, discrete_columns


def run_synthgan(df, discrete):
    from synthgan import Schema, TableTransformer

    schema = Schema.infer(df, discrete_columns=discrete)
    t0 = time.perf_counter()
    tt = TableTransformer().fit(df, schema, random_state=0)
    t1 = time.perf_counter()
    enc = tt.transform(df, random_state=0)
    dense = enc.dense()  # what the reference returns: the full dense matrix
    t2 = time.perf_counter()
    back = tt.inverse_transform(dense)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, back


def run_reference(df, discrete):
    from ctgan.data_transformer import DataTransformer

    t0 = time.perf_counter()
    tr = DataTransformer()
    tr.fit(df, discrete)
    t1 = time.perf_counter()
    data = tr.transform(df)
    t2 = time.perf_counter()
    back = tr.inverse_transform(data)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, back


def fidelity(df, back, discrete):
    numeric = {
        c: float(np.mean(np.abs(back[c].astype(float).to_numpy() - df[c].astype(float).to_numpy())))
        for c in df
        if c not in discrete
    }
    exact = all((back[c].astype(str).to_numpy() == df[c].astype(str).to_numpy()).all() for c in discrete)
    return numeric, exact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    df = adult()
    discrete = discrete_columns(df)
    times = {"synthgan": [], "ctgan": []}
    backs = {}
    for i in range(args.repeat):
        order = [("synthgan", run_synthgan), ("ctgan", run_reference)]
        for name, fn in order if i % 2 == 0 else order[::-1]:
            *t, backs[name] = fn(df, discrete)
            times[name].append(t)
    result = {"data": f"adult complete rows {df.shape[0]} x {df.shape[1]}", "repeat": args.repeat}
    for name, runs in times.items():
        med = [statistics.median(r[k] for r in runs) for k in range(3)]
        numeric, exact = fidelity(df, backs[name], discrete)
        result[name] = {
            "fit_s": med[0],
            "transform_s": med[1],
            "inverse_s": med[2],
            "mean_abs_error": numeric,
            "categories_exact": exact,
        }
    s, r = result["synthgan"], result["ctgan"]
    result["ratio_fit"] = r["fit_s"] / s["fit_s"]
    result["ratio_transform_plus_inverse"] = (r["transform_s"] + r["inverse_s"]) / (
        s["transform_s"] + s["inverse_s"]
    )
    print(f"{'':10} {'fit s':>8} {'transform s':>12} {'inverse s':>10}")
    for name in ("synthgan", "ctgan"):
        print(
            f"{name:10} {result[name]['fit_s']:8.3f} {result[name]['transform_s']:12.3f} {result[name]['inverse_s']:10.3f}"
        )
    print(
        f"speed-up: fit {result['ratio_fit']:.1f}x, transform+inverse {result['ratio_transform_plus_inverse']:.1f}x"
    )
    for col in s["mean_abs_error"]:
        print(
            f"round-trip mean |error| {col:15} synthgan {s['mean_abs_error'][col]:10.4g}  ctgan {r['mean_abs_error'][col]:10.4g}"
        )
    print(f"categories exact: synthgan {s['categories_exact']}, ctgan {r['categories_exact']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
