"""Independent privacy oracles beside the gate's verdicts, on the calibration's sets.

For each table and seed, the sets of ``calibrate_gate.py`` (one trained CTGAN per seed, every broken set derived
from it) are judged three ways:

- the gate (default policy): refused or passed, and which privacy checks refused;
- anonymeter (benchmark-only; ``pip install --no-deps anonymeter`` plus numba, llvmlite, polars): singling-out
  (multivariate), linkability (columns split in two halves) and attribute inference (the last column secret), each
  with the holdout as control, on the rows with numeric gaps filled by the training median and other values as
  text (its distance kernels fail on NaN); its residual risk and 95% interval;
- the ``domias`` package's density-ratio attack (``domias.baselines.kde_baseline``: p_G(x) / p_R(x), Gaussian KDEs of
  the synthetic rows and a real reference half of the holdout), on the rows embedded as the gate embeds them and
  reduced to 5 principal components (a KDE needs more rows than dimensions), members = training rows, non-members =
  the other holdout half; its ROC AUC.

An oracle flags a set when anonymeter's risk interval lies above 0, or DOMIAS's AUC exceeds 0.6. Agreement means the
gate refused on a privacy check exactly when some oracle flags. Results: ``results/privacy_oracles.{md,json}``.

    python benchmarks/privacy_oracles.py [--seeds 2] [--tables heart_disease hepatitis]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from calibrate_gate import IDENTIFIERS, broken_sets, synthetic_rows, tables
from calibrate_gate import SETS as CALIBRATION_SETS

RESULTS = Path(__file__).resolve().parent / "results"
#: The calibration's sets a privacy oracle can judge (not the fidelity-only ones, not a bad holdout).
SETS = tuple(
    s
    for s in CALIBRATION_SETS
    if s not in ("one_epoch", "collapsed_column", "shuffled_columns", "contaminated_holdout")
)
DOMIAS_FLAG = 0.6
N_ATTACKS = 300
#: Singling-out query attempts (anonymeter's default, 10 million, takes minutes per set where few queries single out).
MAX_ATTEMPTS = 100_000


def anonymeter_risks(train: pd.DataFrame, synthetic: pd.DataFrame, control: pd.DataFrame, seed: int) -> dict:
    from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator

    n = min(N_ATTACKS, len(control))
    train, synthetic, control = (_plain(t, train) for t in (train, synthetic, control))
    columns = list(train.columns)
    out = {}
    evaluators = {
        "singling_out": lambda: SinglingOutEvaluator(
            ori=train, syn=synthetic, control=control, n_attacks=n, seed=seed, max_attempts=MAX_ATTEMPTS
        ).evaluate(mode="multivariate"),
        "linkability": lambda: LinkabilityEvaluator(
            ori=train,
            syn=synthetic,
            control=control,
            n_attacks=n,
            n_neighbors=10,
            aux_cols=(columns[: len(columns) // 2], columns[len(columns) // 2 :]),
        ).evaluate(n_jobs=1),
        "inference": lambda: InferenceEvaluator(
            ori=train, syn=synthetic, control=control, aux_cols=columns[:-1], secret=columns[-1], n_attacks=n
        ).evaluate(n_jobs=1),
    }
    for name, run in evaluators.items():
        try:
            risk = run().risk()
            out[name] = {"risk": float(risk.value), "ci": [float(risk.ci[0]), float(risk.ci[1])]}
        except (
            ValueError,
            RuntimeError,
            ArithmeticError,
            KeyError,
            TypeError,
        ) as exc:  # reported, not hidden
            out[name] = {
                "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
            }
    return out


def _plain(frame: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """What anonymeter's numba kernels accept: numbers as floats with gaps filled by the training median,
    everything else as text (its mixed-type distance fails on NaN and mixed object columns)."""
    frame, out = frame.reset_index(drop=True), {}
    for column in train.columns:
        if pd.api.types.is_numeric_dtype(train[column]) and not pd.api.types.is_bool_dtype(train[column]):
            values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
            out[column] = values.fillna(float(pd.to_numeric(train[column], errors="coerce").median()))
        else:
            out[column] = frame[column].astype(str)
    return pd.DataFrame(out)


def domias_auc(
    train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, schema, seed: int
) -> float:
    from domias.baselines import kde_baseline
    from sklearn.decomposition import PCA
    from sklearn.metrics import roc_auc_score

    from synthgan.evaluation.columns import Columns
    from synthgan.evaluation.distance import RowEmbedding

    rng = np.random.default_rng(seed)
    emb = RowEmbedding(train, Columns.from_schema(schema))
    pca = PCA(n_components=5, random_state=seed).fit(emb.transform(train))
    order = rng.permutation(len(holdout))
    reference, non_members = holdout.iloc[order[: len(order) // 2]], holdout.iloc[order[len(order) // 2 :]]
    members = train.iloc[rng.choice(len(train), size=len(non_members), replace=False)]
    synth = synthetic.iloc[rng.choice(len(synthetic), size=min(len(synthetic), 2000), replace=False)]
    x_test = pca.transform(emb.transform(pd.concat([members, non_members], ignore_index=True)))
    y_test = np.r_[np.ones(len(members)), np.zeros(len(non_members))]
    _, ratio = kde_baseline(
        x_test, pca.transform(emb.transform(synth)), pca.transform(emb.transform(reference))
    )
    return float(roc_auc_score(y_test, np.nan_to_num(ratio, nan=0.0, posinf=1e300)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--tables", nargs="+", choices=list(tables()), default=["heart_disease", "hepatitis"])
    parser.add_argument("--out", default=str(RESULTS / "privacy_oracles"))
    parser.add_argument(
        "--rewrite", action="store_true", help="rewrite OUT.md from OUT.json, running nothing"
    )
    args = parser.parse_args()
    if args.rewrite:
        out = Path(args.out)
        return write(out, json.loads(out.with_suffix(".json").read_text()), None)
    warnings.simplefilter("ignore")
    from synthgan import CTGAN, evaluate
    from synthgan.gate import Policy, decide
    from synthgan.workflow.holdout import split_holdout

    policy, rows, start = Policy.default(), [], time.perf_counter()
    for name in args.tables:
        frame = tables()[name]()
        frame = frame.drop(columns=[c for c in IDENTIFIERS if c in frame.columns])
        train, holdout = split_holdout(frame, 0.2, seed=0)
        for seed in range(args.seeds):
            model = CTGAN(random_state=seed, verbose=False).fit(train)
            good = model.sample(synthetic_rows(train), random_state=seed)
            sets = {"trained": good, **broken_sets(train, holdout, good, model, seed)}
            for label in SETS:
                synthetic = sets[label]
                decision = decide(evaluate(train, synthetic, holdout=holdout, random_state=seed), policy)
                privacy_refusals = [c.metric for c in decision.failed if c.metric.startswith("privacy.")]
                row = {
                    "data": name,
                    "set": label,
                    "seed": seed,
                    "gate_refused": not decision.passed,
                    "privacy_refusals": privacy_refusals,
                    "anonymeter": anonymeter_risks(train, synthetic, holdout, seed),
                    "domias_auc": domias_auc(train, synthetic, holdout, model.schema_, seed),
                }
                flags = [k for k, v in row["anonymeter"].items() if "ci" in v and v["ci"][0] > 0]
                flags += ["domias"] if row["domias_auc"] > DOMIAS_FLAG else []
                row["oracle_flags"] = flags
                row["agree"] = bool(privacy_refusals) == bool(flags)
                rows.append(row)
                print(
                    json.dumps(
                        {
                            k: row[k]
                            for k in ("data", "set", "seed", "privacy_refusals", "oracle_flags", "agree")
                        }
                    ),
                    flush=True,
                )
    write(Path(args.out), rows, time.perf_counter() - start)


def write(out: Path, rows: list[dict], seconds: float | None) -> None:
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    took = f" ({seconds / 60:.1f} min)" if seconds else ""
    lines = [
        "# Privacy oracles beside the gate",
        "",
        f"`python benchmarks/privacy_oracles.py`{took}. Gate = privacy checks of the default policy that",
        f"refused; anonymeter risks with the holdout as control (flag: 95% interval above 0); DOMIAS KDE AUC (flag: > {DOMIAS_FLAG}).",
        "",
        *summary(rows),
        "",
        "| data | set | seed | gate (privacy checks that refused) | singling out | linkability | inference | DOMIAS AUC | oracles flag | agree |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        risks = [_risk(r["anonymeter"][k]) for k in ("singling_out", "linkability", "inference")]
        gate = ", ".join(m.split(".", 1)[1] for m in r["privacy_refusals"]) or "passed"
        lines.append(
            f"| {r['data']} | {r['set']} | {r['seed']} | {gate} | "
            + " | ".join(risks)
            + f" | {r['domias_auc']:.3f} | {', '.join(r['oracle_flags']) or 'none'} | {'yes' if r['agree'] else 'NO'} |"
        )
    agree = sum(r["agree"] for r in rows)
    lines += ["", f"Agreement: {agree} of {len(rows)} runs."]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def summary(rows: list[dict]) -> list[str]:
    """Per set, over every table and seed: how often the gate's privacy checks refused it (fidelity checks
    such as the dependence rule are not counted: no oracle judges them), how often each
    oracle flagged it, and how often the two agreed."""
    lines = [
        "| set | runs | privacy checks refused | singling out | linkability | inference | DOMIAS | any oracle "
        "| agree |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label in dict.fromkeys(r["set"] for r in rows):
        runs = [r for r in rows if r["set"] == label]
        count = lambda flag: sum(flag in r["oracle_flags"] for r in runs)  # noqa: E731
        cells = [count(k) for k in ("singling_out", "linkability", "inference", "domias")]
        lines.append(
            f"| {label} | {len(runs)} | {sum(bool(r['privacy_refusals']) for r in runs)} | "
            + " | ".join(map(str, cells))
            + f" | {sum(bool(r['oracle_flags']) for r in runs)} | {sum(r['agree'] for r in runs)} |"
        )
    return lines


def _risk(entry: dict) -> str:
    if "error" in entry:
        return "error"
    return f"{entry['risk']:.3f} ({entry['ci'][0]:.3f}-{entry['ci'][1]:.3f})"


if __name__ == "__main__":
    main()
