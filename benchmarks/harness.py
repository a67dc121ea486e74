"""synthgan's CTGAN against the reference ``ctgan`` package on the real tables in ../shared/datasets,
same architecture and batch size, each run in its own process (so peak resident memory is its own),
the two systems back to back in alternating order. Per data set and system: preprocessing seconds
(everything a fit does before its first epoch: transformer, sampler, networks), seconds per epoch,
sampling rows/s, peak RSS; SDMetrics QualityReport, train-on-synthetic / test-on-real on a real holdout, and privacy figures from synthgan's evaluation - at equal epochs
and at an equal wall-clock budget. Ratios are the headline.

    python benchmarks/harness.py                       # all tables -> results/harness.{json,md}
    python benchmarks/harness.py --only adult heart    # a subset (other tables' rows are kept)
    python benchmarks/harness.py --only adult --seeds 3 --precision float32

Equal-epoch runs repeat for ``--seeds`` seeds (quality differences between two GANs at one seed are
mostly noise); the ratio table averages over them. Each row records the machine and the precision
synthgan trained at ("auto" is bfloat16 only on CPUs that run it natively).

The reference cannot take missing numbers, so both systems get the same table with numeric gaps
filled by the column median and categorical gaps as the level "missing".
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _data import SHARED, adult, diabetes, heart

RESULTS = Path(__file__).resolve().parent / "results"
REUSE = False
#: name -> (target column, epochs at equal epochs, wall-clock budget seconds, rows sampled for speed)
PLAN = {
    "adult": ("income", 30, 120, 100_000),
    "diabetes": ("readmitted", 5, 300, 100_000),
    "heart": ("num", 300, 30, 100_000),
    "kidney": ("classification", 300, 30, 100_000),
}


def load(name: str) -> tuple[pd.DataFrame, list[str]]:
    """The table (gaps filled as described above) and its categorical columns."""
    from synthgan.io.tabular import load_table

    if name == "adult":
        df = adult(complete_rows_only=True)
    elif name == "diabetes":
        df = diabetes().drop(columns=["encounter_id", "patient_nbr"])
    elif name == "heart":
        df = heart()
        df[["sex", "cp", "fbs", "restecg", "exang", "slope", "ca", "thal", "num"]] = df[
            ["sex", "cp", "fbs", "restecg", "exang", "slope", "ca", "thal", "num"]
        ].astype("string")
    else:
        df = load_table(SHARED / "chronic_kidney_disease" / "kidney_disease.csv").drop(columns=["id"])
    discrete = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    for c in df.columns:
        df[c] = (
            df[c].astype(object).fillna("missing").astype(str)
            if c in discrete
            else df[c].fillna(df[c].median())
        )
    return df.reset_index(drop=True), discrete


def split(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(0).permutation(len(df))
    n_hold = max(int(len(df) * 0.2), 20)
    return df.iloc[order[n_hold:]].reset_index(drop=True), df.iloc[order[:n_hold]].reset_index(drop=True)


# ---- one system, one data set, in this process --------------------------------------------------
def run_one(
    system: str,
    name: str,
    epochs: int | None,
    budget: float | None,
    n_sample: int,
    out: Path,
    seed: int = 0,
    precision: str = "auto",
) -> None:
    warnings.simplefilter("ignore")
    df, discrete = load(name)
    train, _ = split(df)
    warm_up(system, train, discrete)
    if system == "synthgan":
        from synthgan import CTGAN

        start = time.perf_counter()
        model = CTGAN.classic(
            epochs=epochs or 100_000, max_time=budget, precision=precision, random_state=seed, verbose=False
        )
        model.fit(train, discrete)
        fit_s = time.perf_counter() - start
        seconds = model.loss_values_["seconds"].to_numpy()
        done = len(seconds)
        pre = fit_s - seconds[-1]
        epoch_s = float(np.median(np.diff(seconds))) if done > 1 else float(seconds[0])
        sample = lambda n: model.sample(n)  # noqa: E731
        precision = "bfloat16" if model.autocast_dtype_ is not None else "float32"
    else:
        from ctgan import CTGAN

        model = CTGAN(epochs=epochs, verbose=False)
        model.set_random_state(seed)
        pre, fit_s = reference_fit(model, train, discrete)
        done = epochs
        epoch_s = (fit_s - pre) / epochs
        sample = model.sample
        precision = "float32"
    sample(1000)  # warm
    times = []
    for _ in range(3):  # the median of three: sampling takes well under a second, so one timing is noisy
        start = time.perf_counter()
        synthetic = sample(n_sample)
        times.append(time.perf_counter() - start)
    synthetic.iloc[: len(train)].to_parquet(out.with_suffix(".parquet"))
    row = {
        "system": system,
        "data": name,
        "seed": seed,
        "precision": precision,
        "machine": machine(),
        "commit": commit(),
        "epochs": int(done),
        "preprocess_s": pre,
        "epoch_s": epoch_s,
        "fit_s": fit_s,
        "sample_rows_per_s": n_sample / float(np.median(times)),
        "peak_rss_mb": peak_rss_mb(),
    }
    out.write_text(json.dumps(row))


def machine() -> str:
    """CPU model, core count and whether it runs bfloat16 natively (what decides synthgan's "auto")."""
    import os

    from synthgan._device import cpu_has_native_bf16

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    return f"{model}, {os.cpu_count()} cores, {'native' if cpu_has_native_bf16() else 'no native'} bf16"


def commit() -> str:
    """The code measured: the repository's short commit (with "+changes" when the work tree differs)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "synthgan"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: Linux carries that over from the parent
    through fork + exec, so every child would report at least the harness's own size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference_fit(model, train: pd.DataFrame, discrete: list[str]) -> tuple[float, float]:
    """(seconds before the reference's first epoch, seconds of its whole fit), both inside one fit.

    Its fit creates the epoch progress bar right after the transformer, the data sampler, the
    networks and the optimizers, so that call marks where training starts: the same point
    synthgan's ``loss_values_`` clock starts from, so "preprocessing" means the same for both.
    """
    import ctgan.synthesizers.ctgan as module

    marks, real_tqdm = [], module.tqdm

    def marking(*args, **kwargs):
        marks.append(time.perf_counter())
        return real_tqdm(*args, **kwargs)

    module.tqdm = marking
    try:
        start = time.perf_counter()
        model.fit(train, discrete)
        end = time.perf_counter()
    finally:
        module.tqdm = real_tqdm
    return marks[0] - start, end - start


def warm_up(system: str, train: pd.DataFrame, discrete: list[str]) -> None:
    """One tiny fit + sample first, so neither system's timings include one-time costs (lazy imports -
    torch's optimizer imports torch._dynamo on first use, ~2 s - and first-call kernel setup)."""
    small = train.iloc[:200]
    if system == "synthgan":
        from synthgan import CTGAN

        CTGAN(epochs=1, random_state=0, verbose=False).fit(small, discrete).sample(100)
    else:
        from ctgan import CTGAN

        model = CTGAN(epochs=1, verbose=False)
        model.fit(small, discrete)  # the reference's fit returns None
        model.sample(100)


# ---- scoring (in the parent, same code for both systems) ----------------------------------------
def quality(real: pd.DataFrame, synthetic: pd.DataFrame, discrete: list[str]) -> float:
    from sdmetrics.reports.single_table import QualityReport

    metadata = {
        "columns": {c: {"sdtype": "categorical" if c in discrete else "numerical"} for c in real.columns}
    }
    report = QualityReport()
    report.generate(real, synthetic[real.columns], metadata, verbose=False)
    return float(report.get_score())


def tstr(train: pd.DataFrame, test: pd.DataFrame, target: str) -> dict:
    """Accuracy and balanced accuracy on real ``test`` rows of a gradient-boosting classifier trained on ``train``."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    features = [c for c in train.columns if c != target]
    both = pd.concat([train[features], test[features]])
    for c in features:
        if not pd.api.types.is_numeric_dtype(
            both[c]
        ):  # the classifier takes at most 255 levels: the rest are "other"
            labels = both[c].astype(str)
            top = labels.iloc[: len(train)].value_counts().index[:250]
            both[c] = labels.where(labels.isin(top), "other").astype("category")
    clf = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    clf.fit(both.iloc[: len(train)], train[target].astype(str))
    truth, predicted = test[target].astype(str), clf.predict(both.iloc[len(train) :])
    return {
        "tstr_accuracy": float(accuracy_score(truth, predicted)),
        "tstr_balanced_accuracy": float(balanced_accuracy_score(truth, predicted)),
    }


def score(name: str, synthetic: pd.DataFrame) -> dict:
    from synthgan import evaluate

    df, discrete = load(name)
    train, holdout = split(df)
    target = PLAN[name][0]
    cap = min(len(train), 20_000)
    real_s, synth_s = (
        train.sample(cap, random_state=0),
        synthetic.sample(min(cap, len(synthetic)), random_state=0),
    )
    report = evaluate(train, synthetic, holdout=holdout, detection=False)
    return {
        "quality": quality(real_s, synth_s, discrete),
        **tstr(synthetic, holdout, target),
        "dcr_closer_to_train_share": report.get("privacy.dcr_closer_to_train_share", None),
        "exact_match_rate": report.get("privacy.exact_match_rate", None),
        "membership_inference_auc": report.get("privacy.membership_inference_auc", None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(PLAN), choices=list(PLAN))
    parser.add_argument("--seeds", type=int, default=1, help="equal-epoch runs per system (seeds 0..N-1)")
    parser.add_argument(
        "--precision", default="auto", choices=["auto", "float32", "bfloat16"], help="synthgan's precision"
    )
    parser.add_argument("--one", nargs=2, metavar=("SYSTEM", "DATA"), help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="score the runs already in results/harness_runs instead of repeating them",
    )
    args = parser.parse_args()
    global REUSE
    REUSE = args.reuse
    if args.one:
        return run_one(*args.one, args.epochs, args.budget, args.sample, args.out, args.seed, args.precision)
    RESULTS.mkdir(exist_ok=True)
    work = RESULTS / "harness_runs"
    work.mkdir(exist_ok=True)
    kept = json.loads((RESULTS / "harness.json").read_text()) if (RESULTS / "harness.json").exists() else []
    rows = [r for r in kept if r["data"] not in args.only]  # other tables' rows stay as they were
    for i, name in enumerate(args.only):
        target, epochs, budget, n_sample = PLAN[name]
        order = ["synthgan", "ctgan"] if i % 2 == 0 else ["ctgan", "synthgan"]
        run = lambda system, **kw: launch(system, name, work, n_sample, args.precision, **kw)  # noqa: E731
        equal = {
            (system, seed): run(system, epochs=epochs, seed=seed)
            for seed in range(args.seeds)
            for system in order
        }
        for system in order:  # equal wall clock: the reference gets the epochs that fit in the budget
            if system == "synthgan":
                launch_row = run(system, budget=max(budget - equal[(system, 0)]["preprocess_s"], 1.0))
            else:
                ref = equal[("ctgan", 0)]
                launch_row = run(
                    system, epochs=max(1, int((budget - ref["preprocess_s"]) // max(ref["epoch_s"], 1e-9)))
                )
            rows.append({**launch_row, "setting": f"budget {budget:.0f} s"})
        rows.extend({**row, "setting": f"{epochs} epochs"} for row in equal.values())
        rows.sort(key=lambda r: list(PLAN).index(r["data"]))
        (RESULTS / "harness.json").write_text(json.dumps(rows, indent=2) + "\n")
    write_markdown(rows)


def launch(
    system: str,
    name: str,
    work: Path,
    n_sample: int,
    precision: str,
    epochs: int | None = None,
    budget: float | None = None,
    seed: int = 0,
) -> dict:
    tag = "" if system == "ctgan" or precision == "auto" else f"_{precision}"
    out = work / f"{name}_{system}{tag}_{epochs or 'budget'}_s{seed}.json"
    if REUSE and out.exists() and out.with_suffix(".parquet").exists():  # --reuse: score an earlier run again
        row = json.loads(out.read_text())
        row.update(score(name, pd.read_parquet(out.with_suffix(".parquet"))))
        print(json.dumps(row), flush=True)
        return row
    cmd = [
        sys.executable,
        __file__,
        "--one",
        system,
        name,
        "--out",
        str(out),
        "--sample",
        str(n_sample),
        "--seed",
        str(seed),
        "--precision",
        precision,
    ]
    cmd += ["--epochs", str(epochs)] if epochs else []
    cmd += ["--budget", str(budget)] if budget else []
    subprocess.run(cmd, check=True)
    row = json.loads(out.read_text())
    row.update(score(name, pd.read_parquet(out.with_suffix(".parquet"))))
    print(json.dumps(row), flush=True)
    return row


def write_markdown(rows: list[dict]) -> None:
    lines = ["# synthgan vs the reference ctgan (same architecture and batch size; one process per run)", ""]
    lines += [
        f"Machine: {m}"
        for m in dict.fromkeys(r.get("machine", "not recorded (before 2026-12)") for r in rows)
    ]
    lines += [
        "",
        "| data | setting | system | seed | commit | precision | epochs | preprocess s | s/epoch | sample rows/s | peak RSS MB | "
        "quality | TSTR acc. | TSTR bal. acc. | DCR closer-to-train | MIA AUC |",
        "|" + "---|" * 16,
    ]
    for r in rows:
        lines.append(
            f"| {r['data']} | {r['setting']} | {r['system']} | {r.get('seed', 0)} | {r.get('commit', '')} | "
            f"{r.get('precision', 'float32')} | "
            f"{r['epochs']} | {r['preprocess_s']:.2f} | {r['epoch_s']:.3f} | {r['sample_rows_per_s']:,.0f} | "
            f"{r['peak_rss_mb']:.0f} | {r['quality']:.3f} | {_f(r.get('tstr_accuracy'))} | {r['tstr_balanced_accuracy']:.3f} | "
            f"{_f(r['dcr_closer_to_train_share'])} | {_f(r['membership_inference_auc'])} |"
        )
    lines += [
        "",
        "Ratios at equal epochs (reference / synthgan, means over seeds; > 1 means synthgan is faster or leaner):",
        "",
        "| data | seeds | preprocessing | per epoch | sampling | peak memory | quality (synthgan - reference) | "
        "TSTR acc. (synthgan - reference) |",
        "|" + "---|" * 8,
    ]
    for data in dict.fromkeys(r["data"] for r in rows):
        equal = [r for r in rows if r["data"] == data and r["setting"].endswith("epochs")]
        a = {
            k: _mean(equal, "synthgan", k)
            for k in (
                "preprocess_s",
                "epoch_s",
                "sample_rows_per_s",
                "peak_rss_mb",
                "quality",
                "tstr_accuracy",
            )
        }
        b = {k: _mean(equal, "ctgan", k) for k in a}
        tstr_gap = (
            f"{a['tstr_accuracy'] - b['tstr_accuracy']:+.3f}"
            if a["tstr_accuracy"] and b["tstr_accuracy"]
            else "n/a"
        )
        lines.append(
            f"| {data} | {len(equal) // 2} | {b['preprocess_s'] / a['preprocess_s']:.1f}x | {b['epoch_s'] / a['epoch_s']:.2f}x | "
            f"{a['sample_rows_per_s'] / b['sample_rows_per_s']:.2f}x | {b['peak_rss_mb'] / a['peak_rss_mb']:.2f}x | "
            f"{a['quality'] - b['quality']:+.3f} | {tstr_gap} |"
        )
    (RESULTS / "harness.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _mean(rows: list[dict], system: str, key: str) -> float | None:
    values = [r[key] for r in rows if r["system"] == system and r.get(key) is not None]
    return float(np.mean(values)) if values else None


def _f(value) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "n/a"


if __name__ == "__main__":
    main()
