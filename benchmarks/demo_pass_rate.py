"""How often the demo's own flow passes the default gate: `synthgan demo --seed S` for S = 0..N-1.

Each seed runs what the demo runs (the shipped heart-disease table, an 80/20 holdout split drawn with the
seed, ``CTGAN(random_state=seed)`` at the library's defaults, 1,000 rows released through the default
policy) and keeps the report, so ``--redecide`` re-applies the current default policy without training.
Results: ``results/demo_pass_rate.{md,json}``.

    python benchmarks/demo_pass_rate.py [--seeds 20] [--redecide] [--pac none --out results/demo_pass_rate_pac1]
        [--params '{"generator_dim": [256, 256]}'] [--before results/demo_pass_rate_generator256]

``--before OTHER`` adds paired differences (same seeds, same splits) to another run's saved reports: the
membership-attack AUC, pair trends and dependence kept, with 95% t intervals.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def run_seed(seed: int, rows: int = 1000, pac: int | None = 10, params: dict | None = None) -> dict:
    """The demo's flow at ``seed``: the report the gate saw, whether it passed, the fit's seconds."""
    from synthgan import CTGAN, Schema
    from synthgan.data import load_heart_disease
    from synthgan.exceptions import GateFailedError
    from synthgan.gate import Policy
    from synthgan.workflow.holdout import split_holdout
    from synthgan.workflow.release import release_samples, report_path_for

    frame = load_heart_disease()
    train, holdout = split_holdout(frame, 0.2, seed)
    start = time.perf_counter()
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in (params or {}).items()}
    model = CTGAN(random_state=seed, pac=pac, verbose=False, **params).fit(train, schema=Schema.infer(frame))
    fit_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "synthetic_heart.parquet"
        try:
            release_samples(
                model, rows, out, train=train, holdout=holdout, policy=Policy.default(), seed=seed
            )
            passed = True
        except GateFailedError:
            passed = False
        report = json.loads(report_path_for(out).read_text())
    return {"seed": seed, "passed": passed, "fit_seconds": fit_s, "params": params, "report": report}


PAIRED = (
    ("membership-attack AUC", "privacy", "membership_inference_auc"),
    ("pair trends", "fidelity", "column_pair_trends"),
    ("dependence kept", "fidelity", "dependence_kept"),
)


def paired(runs: list[dict], before: list[dict]) -> list[str]:
    """Markdown lines: this run minus ``before``, seed by seed, per figure (mean and 95% t interval)."""
    from compare_settings import PAIRED_HEADER, paired_row

    old = {r["seed"]: r["report"] for r in before}
    rows = [
        paired_row(
            label,
            [
                (run["report"].get(section, {}).get(key), old[run["seed"]].get(section, {}).get(key))
                for run in runs
                if run["seed"] in old
            ],
        )
        for label, section, key in PAIRED
    ]
    return ["", *PAIRED_HEADER, *rows]


def write(runs: list[dict], out: Path, before: Path | None = None) -> None:
    from synthgan.gate import Policy, decide

    policy = Policy.default()
    params = (runs[0].get("params") or {}) if runs else {}
    given = f" --params '{json.dumps(params)}'" if params else ""
    lines = [
        "# The demo's flow through the default gate, per seed",
        "",
        "`synthgan demo --seed S` (heart disease, 80/20 split drawn with the seed, default CTGAN"
        + (f" with {json.dumps(params)}" if params else "")
        + ", 1,000 rows, the default policy). Reproduce: "
        f"`python benchmarks/demo_pass_rate.py --seeds N{given}`.",
        "",
        "| seed | passed | failed checks | fit s |",
        "|---|---|---|---|",
    ]
    rows = []
    for run in runs:
        decision = decide(run["report"], policy)
        failed = [
            f"{c.metric} = {c.value:.4f} (limit {c.threshold:.4f})"
            for c in decision.failed
            if c.value is not None
        ]
        failed += [c.metric for c in decision.failed if c.value is None]
        rows.append(
            {
                "seed": run["seed"],
                "passed": decision.passed,
                "failed": failed,
                "fit_seconds": run["fit_seconds"],
            }
        )
        lines.append(
            f"| {run['seed']} | {'yes' if decision.passed else 'no'} | {'; '.join(failed) or '-'} | "
            f"{run['fit_seconds']:.1f} |"
        )
    passed = sum(r["passed"] for r in rows)
    lines += ["", f"Passed at {passed} of {len(rows)} seeds."]
    if before is not None:
        earlier = json.loads(before.with_suffix(".reports.json").read_text())
        passed_before = sum(decide(r["report"], policy).passed for r in earlier)
        lines += ["", f"Paired with `{before.name}` ({passed_before} of {len(earlier)} pass this policy):"]
        lines += paired(runs, earlier)
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    out.with_suffix(".json").write_text(
        json.dumps({"passed": passed, "seeds": len(rows), "runs": rows}, indent=2) + "\n"
    )
    print(f"passed at {passed} of {len(rows)} seeds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--out", default=str(RESULTS / "demo_pass_rate"))
    parser.add_argument(
        "--redecide", action="store_true", help="re-apply the current policy to the saved reports"
    )
    parser.add_argument(
        "--pac", default="10", help="rows per critic pack (10, the default) or 'none' (sized to the batch)"
    )
    parser.add_argument("--params", default="{}", help="JSON: estimator parameters beside the defaults")
    parser.add_argument("--before", default=None, help="another run (path without extension) to pair with")
    args = parser.parse_args()
    before = None if args.before is None else Path(args.before.removesuffix(".reports.json"))
    if before is not None and not before.with_suffix(".reports.json").exists():
        before = RESULTS / before.name  # a results name given from elsewhere
    params = json.loads(args.params)
    fixed = sorted({"pac", "random_state", "verbose"} & set(params))
    if fixed:
        parser.error(f"--params may not set {fixed}: the demo fixes them (use --pac for packs)")
    pac = None if args.pac.lower() == "none" else int(args.pac)
    warnings.simplefilter("ignore")
    out = Path(args.out)
    saved = out.with_suffix(".reports.json")
    if args.redecide:
        return write(json.loads(saved.read_text()), out, before)
    runs = []
    for seed in range(args.seeds):
        runs.append(run_seed(seed, pac=pac, params=params))
        print(json.dumps({"seed": seed, "passed": runs[-1]["passed"]}), flush=True)
        saved.write_text(json.dumps(runs, default=str))  # after every seed
    write(runs, out, before)


if __name__ == "__main__":
    main()
