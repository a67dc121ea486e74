"""Calibrate the default gate as error rates: how often it refuses properly trained models (false refusals)
and how often it refuses each kind of broken synthetic set, over training seeds, per real table.

For each table (a fixed 80/20 split, stratified on nothing: the same split for every seed) and each seed,
one CTGAN is trained with the default settings (``CTGAN(random_state=seed)``) and every set below is
derived from it, so a seed costs one fit (plus the one-epoch model):

- ``trained``: the model's rows (as many as ``synthetic_rows``); the gate should pass it.
- ``one_epoch``: a model trained for one epoch.
- ``collapsed_column``: the trained rows with the most balanced categorical column set to one level.
- ``shuffled_columns``: every training column resampled independently (real marginals, no dependencies).
- ``marginals_only``: the trained rows with every column shuffled independently.
- ``copies_100``: training rows drawn with replacement.
- ``exact_copies_1pct`` / ``_5pct``: the trained rows with 1% / 5% replaced by copies of training records that
  are unique in training and absent from the holdout.
- ``near_copies_5pct`` / ``_15pct``: 5% / 15% replaced by training rows with 2% noise on two numeric columns.
- ``contaminated_holdout``: the trained rows judged against a holdout a quarter of which are training rows.

Every set should be refused except ``trained``. Results: ``results/gate_calibration.{md,json}`` (rates with
counts such as "8/8" per table and set) and ``results/gate_calibration.reports.json`` (every report, for
``--redecide``, which re-applies the current default policy without training anything).

    python benchmarks/calibrate_gate.py [--seeds 8] [--first-seed 0] [--tables heart_disease ...] [--redecide]
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _data import SHARED, adult, diabetes
from _data import heart as heart_table

RESULTS = Path(__file__).resolve().parent / "results"
KEYS = (
    "fidelity.column_shapes",
    "fidelity.column_pair_trends",
    "fidelity.column_pair_trends_all_pairs",
    "fidelity.detection_auc",
    "fidelity.dependence_kept",
    "privacy.unique_copies",
    "privacy.unique_copies_excess",
    "privacy.near_copy_share",
    "privacy.near_copy_excess",
    "privacy.dcr_closer_to_train_gain",
    "privacy.nndr_ratio",
    "privacy.membership_inference_auc",
)
SETS = (
    "trained",
    "one_epoch",
    "collapsed_column",
    "shuffled_columns",
    "marginals_only",
    "copies_100",
    "exact_copies_1pct",
    "exact_copies_5pct",
    "near_copies_5pct",
    "near_copies_15pct",
    "contaminated_holdout",
)
#: Identifier columns dropped before modelling (keys, not data).
IDENTIFIERS = ("id", "ID", "encounter_id", "patient_nbr")


def tables() -> dict[str, callable]:
    from synthgan import load_table

    return {
        "heart_disease": heart_table,
        "hepatitis": lambda: load_table(SHARED / "hepatitis" / "hepatitis.data"),
        "chronic_kidney_disease": lambda: load_table(
            SHARED / "chronic_kidney_disease" / "kidney_disease.csv"
        ),
        "adult_10k": lambda: (
            adult(complete_rows_only=False).sample(10_000, random_state=0).reset_index(drop=True)
        ),
        "diabetes_20k": lambda: diabetes().sample(20_000, random_state=0).reset_index(drop=True),
        "credit_default": lambda: load_table(SHARED / "credit_default" / "UCI_Credit_Card.csv"),
    }


def synthetic_rows(train: pd.DataFrame) -> int:
    """Rows judged per set: the training size, at least 2,000 and at most the gate's 20,000."""
    return int(min(max(len(train), 2_000), 20_000))


def broken_sets(
    train: pd.DataFrame, holdout: pd.DataFrame, good: pd.DataFrame, schema, seed: int
) -> dict[str, pd.DataFrame]:
    """Every broken set derived from the training rows and one trained model's rows (``schema``: the
    model's)."""
    from synthgan.evaluation.columns import Columns
    from synthgan.evaluation.copies import row_keys

    rng = np.random.default_rng(1000 + seed)
    n = len(good)
    categorical = [s.name for s in schema.columns if s.kind == "categorical" and train[s.name].nunique() >= 2]
    numeric = [
        s.name for s in schema.columns if s.kind in ("continuous", "integer") and train[s.name].notna().any()
    ]
    collapsed = good.copy()
    if categorical:  # the most balanced column: where one level does the most harm
        column = max(categorical, key=lambda c: _entropy(train[c]))
        collapsed[column] = train[column].mode().iloc[0]
    sets = {
        "collapsed_column": collapsed,
        "shuffled_columns": pd.DataFrame(
            {
                c: train[c].sample(n, replace=True, random_state=seed * 100 + i).to_numpy()
                for i, c in enumerate(train.columns)
            }
        ),
        "marginals_only": pd.DataFrame({c: good[c].to_numpy()[rng.permutation(n)] for c in good.columns}),
        "copies_100": train.sample(n, replace=n > len(train), random_state=seed).reset_index(drop=True),
    }
    cols = Columns.from_schema(schema)
    keys, held = row_keys(train, cols), row_keys(holdout, cols)
    counts = pd.Series(keys).value_counts()
    unique_rows = np.flatnonzero((pd.Series(keys).map(counts).to_numpy() == 1) & ~np.isin(keys, held))
    for share in (0.01, 0.05):
        k = max(1, round(share * n))
        picked = train.iloc[rng.choice(unique_rows, size=k, replace=k > len(unique_rows))]
        sets[f"exact_copies_{int(share * 100)}pct"] = _replace_rows(good, picked, rng)
    for share in (0.05, 0.15):
        k = max(1, round(share * n))
        near = train.iloc[rng.choice(len(train), size=k, replace=k > len(train))].reset_index(drop=True)
        for column in rng.permutation(numeric)[:2]:  # 2% noise on two numbers
            values = near[column].astype("float64")
            noisy = (values + rng.normal(0, 0.02 * np.nanstd(train[column].astype("float64")), k)).clip(
                train[column].min(), train[column].max()
            )
            near[column] = noisy.round() if schema[column].kind == "integer" else noisy
            near[column] = near[column].astype(train[column].dtype, errors="ignore")
        sets[f"near_copies_{int(share * 100)}pct"] = _replace_rows(good, near, rng)
    return sets


def _replace_rows(good: pd.DataFrame, rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """``good`` with randomly placed rows replaced by ``rows``."""
    out = good.copy()
    where = rng.choice(len(good), size=len(rows), replace=False)
    for column in good.columns:
        values = out[column].astype(object).to_numpy()
        values[where] = rows[column].astype(object).to_numpy()
        out[column] = pd.Series(values).astype(good[column].dtype, errors="ignore")
    return out


def contaminated(holdout: pd.DataFrame, train: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The holdout with a quarter of its rows replaced by training rows."""
    rng = np.random.default_rng(2000 + seed)
    k = len(holdout) // 4
    kept = holdout.iloc[np.sort(rng.choice(len(holdout), size=len(holdout) - k, replace=False))]
    return pd.concat([kept, train.iloc[rng.choice(len(train), size=k, replace=False)]], ignore_index=True)


def _entropy(series: pd.Series) -> float:
    p = series.value_counts(normalize=True, dropna=False).to_numpy()
    return float(-(p * np.log(p)).sum())


def judge(train, synthetic, holdout, seed: int, policy) -> tuple[dict, object]:
    """(report, decision); a holdout that overlaps training is refused before evaluation, as ``export``
    does."""
    from synthgan import evaluate
    from synthgan.exceptions import InvalidParameterError
    from synthgan.gate import decide
    from synthgan.gate.decision import CheckResult, Decision
    from synthgan.workflow.holdout import check_disjoint

    try:
        check_disjoint(train, holdout)
    except InvalidParameterError as exc:
        return {"refused_before_evaluation": str(exc)}, Decision(
            False, (CheckResult("holdout.disjoint", "max", None, None, False, str(exc)),), "default"
        )
    report = evaluate(train, synthetic, holdout=holdout, random_state=seed).to_dict()
    return report, decide(report, policy)


def fitted(name: str, train, seed: int, cache: Path | None) -> dict:
    """One seed's default model: its schema, its rows, a one-epoch model's rows and the fit's seconds.

    With ``cache`` (a folder), they are read from ``NAME_seedS.pkl`` when an earlier run stored them and
    stored otherwise, so a change to the gate alone is re-calibrated without training anything (a pickle
    this script wrote itself). The cache knows the training rows (a stored entry for other rows is refitted),
    not the code: empty it when the model or training code changes."""
    from synthgan import CTGAN

    path = cache / f"{name}_seed{seed}.pkl" if cache else None
    rows_hash = int(pd.util.hash_pandas_object(train, index=False).sum())
    if path is not None and path.exists():
        with path.open("rb") as f:
            stored = pickle.load(f)
        if stored.get("rows_hash") == rows_hash:
            return stored
    start = time.perf_counter()
    model = CTGAN(random_state=seed, verbose=False).fit(train)  # the default settings: nothing pinned
    fit_seconds = time.perf_counter() - start
    n = synthetic_rows(train)
    out = {
        "schema": model.schema_,
        "good": model.sample(n, random_state=seed),
        "one_epoch": one_epoch_rows(train, seed, n),
        "fit_seconds": fit_seconds,
        "rows_hash": rows_hash,
    }
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(out, f)
        tmp.replace(path)
    return out


def run_seed(name: str, train, holdout, seed: int, policy, cache: Path | None = None) -> list[dict]:
    fit = fitted(name, train, seed, cache)
    good, fit_seconds = fit["good"], fit["fit_seconds"]
    sets = {"trained": good, "one_epoch": fit["one_epoch"]}
    sets.update(broken_sets(train, holdout, good, fit["schema"], seed))
    rows = []
    for label in SETS:
        if label == "contaminated_holdout":
            report, decision = judge(train, good, contaminated(holdout, train, seed), seed, policy)
        else:
            report, decision = judge(train, sets[label], holdout, seed, policy)
        row = summarise(name, label, seed, report, decision)
        row["singleton_pileup"] = singleton_pileup(train, good, fit["schema"]) if label == "trained" else None
        row["fit_seconds"] = fit_seconds if label == "trained" else None
        rows.append({**row, "report": report})
        print(
            json.dumps({k: v for k, v in row.items() if k in ("data", "set", "seed", "passed", "failed")}),
            flush=True,
        )
    return rows


def one_epoch_rows(train: pd.DataFrame, seed: int, n: int) -> pd.DataFrame:
    """Rows of a model trained for one epoch (the training budget is the one setting named here)."""
    from synthgan import CTGAN

    return CTGAN(epochs=1, random_state=seed, verbose=False).fit(train).sample(n, random_state=seed)


def singleton_pileup(train: pd.DataFrame, synthetic: pd.DataFrame, schema) -> int:
    """``value_pileup`` over the numeric columns (0: no value of one patient emitted more often than its
    neighbours; the step is 1 for integers, else the column's finest decimal)."""
    from synthgan.evaluation.copies import value_pileup
    from synthgan.transform.values import decimal_step

    worst = 0
    for spec in schema.columns:
        if spec.kind in ("continuous", "integer"):
            values = pd.to_numeric(train[spec.name], errors="coerce").dropna().to_numpy()
            step = 1.0 if spec.kind == "integer" else decimal_step(values)
            if step > 0:
                worst = max(worst, value_pileup(train[spec.name], synthetic[spec.name], step))
    return worst


def summarise(name: str, label: str, seed: int, report: dict, decision) -> dict:
    def get(key):
        node = report
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None

    row = {
        "data": name,
        "set": label,
        "seed": seed,
        "passed": decision.passed,
        "failed": [c.metric for c in decision.failed],
    }
    row.update({k: get(k) for k in KEYS})
    return row


def write_tables(out: Path, rows: list[dict], seconds: float | None = None) -> None:
    slim = [{k: v for k, v in r.items() if k != "report"} for r in rows]
    out.with_suffix(".json").write_text(json.dumps(slim, indent=1, default=str) + "\n")
    lines = [
        "# Gate calibration: refusal rates over training seeds",
        "",
        "Refusal counts per table and set (refused / seeds). `trained` should pass (its refusals are false",
        "refusals); every other set should be refused. Generated by `python benchmarks/calibrate_gate.py`"
        + (f" in {seconds / 60:.1f} min." if seconds else "."),
        "",
    ]
    data_sets = list(dict.fromkeys(r["data"] for r in rows))
    lines += ["| set | " + " | ".join(data_sets) + " |", "|---|" + "---|" * len(data_sets)]
    for label in SETS:
        cells = []
        for data in data_sets:
            runs = [r for r in rows if r["data"] == data and r["set"] == label]
            cells.append(f"{sum(not r['passed'] for r in runs)}/{len(runs)}" if runs else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Checks that refused each set (how many runs):",
        "",
        "| data | set | refused by | dependence rule waived (not measurable) |",
        "|---|---|---|---|",
    ]
    for data in data_sets:
        for label in SETS:
            runs = [r for r in rows if r["data"] == data and r["set"] == label]
            tally = pd.Series([m.split(".", 1)[1] for r in runs for m in r["failed"]]).value_counts()
            waived = sum(
                r.get("fidelity.dependence_kept") is None for r in runs if label != "contaminated_holdout"
            )
            lines.append(
                f"| {data} | {label} | {', '.join(f'{k} {v}' for k, v in tally.items()) or 'none'} | "
                f"{'-' if label == 'contaminated_holdout' else f'{waived}/{len(runs)}'} |"
            )
    lines += [
        "",
        "Trained models, mean (min-max) over seeds:",
        "",
        "| data | " + " | ".join(k.split(".", 1)[1] for k in KEYS) + " | singleton pile-up | fit s |",
        "|---|" + "---|" * (len(KEYS) + 2),
    ]
    for data in data_sets:
        runs = [r for r in rows if r["data"] == data and r["set"] == "trained"]
        cells = []
        for key in (*KEYS, "singleton_pileup", "fit_seconds"):
            values = [r[key] for r in runs if r.get(key) is not None]
            cells.append(f"{np.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})" if values else "n/a")
        lines.append(f"| {data} | " + " | ".join(cells) + " |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def paired_by_seed(saved: list[dict], before: list[dict], names: list[str]) -> list[str]:
    """Markdown lines: figures of this run minus ``before``, per table (mean and 95% t interval over the
    seeds both runs hold): the trained models' membership-attack AUC, closest-record gain, pair trends and
    kept dependence, and the kept dependence of the shuffled-columns and marginals-only sets."""
    from compare_settings import PAIRED_HEADER, paired_row

    old = {(s["data"], s["set"], s["seed"]): s for s in before}
    figures = (
        ("trained", "privacy", "membership_inference_auc", "Trained models' membership-attack AUC"),
        ("trained", "privacy", "dcr_closer_to_train_gain", "Trained models' closest-record gain"),
        ("trained", "fidelity", "column_pair_trends_all_pairs", "Trained models' pair trends (all pairs)"),
        (
            "trained",
            "fidelity",
            "column_pair_trends",
            "Trained models' pair trends (pairs with a real trend)",
        ),
        ("trained", "fidelity", "dependence_kept", "Trained models' kept dependence"),
        ("shuffled_columns", "fidelity", "dependence_kept", "Shuffled columns' kept dependence"),
        ("marginals_only", "fidelity", "dependence_kept", "Marginals-only sets' kept dependence"),
    )
    names = ", ".join(f"`{n}`" for n in names)
    lines = []
    for label, section, key, title in figures:
        rows = []
        for data in dict.fromkeys(s["data"] for s in saved):
            both = [
                (s, old.get((data, label, s["seed"])))
                for s in saved
                if s["data"] == data and s["set"] == label
            ]
            pairs = [(_figure(s, section, key), _figure(b, section, key)) for s, b in both if b is not None]
            if pairs:
                rows.append(paired_row(data, pairs))
        lines += ["", f"{title} paired by seed with {names}:", "", *PAIRED_HEADER, *rows]
    return lines


def _figure(saved_run: dict, section: str, key: str):
    """One figure of a saved run's report (None where its report has no such section or key)."""
    return (saved_run["report"].get(section) or {}).get(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(RESULTS / "gate_calibration"))
    parser.add_argument(
        "--seeds", type=int, default=8, help="train each model with seeds 0..N-1 (same split)"
    )
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="start at this seed (seeds FIRST..FIRST+N-1), to split one calibration over several runs",
    )
    parser.add_argument("--tables", nargs="+", choices=list(tables()), default=list(tables()))
    parser.add_argument(
        "--cache",
        help="a folder: read each seed's fitted rows from it when stored there, store them otherwise",
    )
    parser.add_argument(
        "--fit-only", action="store_true", help="with --cache: fit and store the seeds' rows, judge nothing"
    )
    parser.add_argument(
        "--redecide", action="store_true", help="re-apply the current default policy to saved reports"
    )
    parser.add_argument(
        "--inputs", nargs="+", help="with --redecide: the saved reports of several runs (default: OUT's)"
    )
    parser.add_argument(
        "--before",
        nargs="+",
        help=(
            "with --redecide: other runs' saved reports; adds figures paired by seed (the trained models' "
            "membership AUC, closest-record gain, pair trends and kept dependence, the broken sets' kept "
            "dependence)"
        ),
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from synthgan.gate import Policy, decide
    from synthgan.gate.decision import CheckResult, Decision
    from synthgan.workflow.holdout import split_holdout

    policy, out = Policy.default(), Path(args.out)
    if args.redecide:
        inputs = [Path(p) for p in args.inputs] if args.inputs else [out.with_suffix(".reports.json")]
        saved = [s for path in inputs for s in json.loads(path.read_text())]
        rows = []
        for s in saved:
            refused = "refused_before_evaluation" in s["report"]
            decision = (
                Decision(False, (CheckResult("holdout.disjoint", "max", None, None, False),), "default")
                if refused
                else decide(s["report"], policy)
            )
            rows.append(
                {
                    **summarise(s["data"], s["set"], s["seed"], s["report"], decision),
                    "singleton_pileup": s.get("singleton_pileup"),
                    "fit_seconds": s.get("fit_seconds"),
                }
            )
        write_tables(out, rows)
        if args.before:
            before = [s for path in args.before for s in json.loads(Path(path).read_text())]
            with out.with_suffix(".md").open("a") as md:
                md.write("\n".join(paired_by_seed(saved, before, args.before)) + "\n")
        return
    cache = Path(args.cache) if args.cache else None
    if args.fit_only and cache is None:
        parser.error("--fit-only stores fitted rows: give --cache too")
    start, rows, saved = time.perf_counter(), [], []
    for name in args.tables:
        frame = tables()[name]()
        frame = frame.drop(columns=[c for c in IDENTIFIERS if c in frame.columns])
        train, holdout = split_holdout(frame, 0.2, seed=0)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            if args.fit_only:
                fitted(name, train, seed, cache)
                print(json.dumps({"data": name, "seed": seed, "stored": True}), flush=True)
                continue
            new = run_seed(name, train, holdout, seed, policy, cache)
            rows += new
            saved += [
                {k: r[k] for k in ("data", "set", "seed", "singleton_pileup", "fit_seconds", "report")}
                for r in new
            ]
            out.with_suffix(".reports.json").write_text(json.dumps(saved, default=str))  # after every seed
    if not args.fit_only:
        write_tables(out, rows, time.perf_counter() - start)


if __name__ == "__main__":
    main()
