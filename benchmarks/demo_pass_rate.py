"""How often the demo's own flow passes the default gate: `synthgan demo --seed S` for S = 0..N-1.

Each seed runs what the demo runs (the shipped heart-disease table, an 80/20 holdout split drawn with the
seed, ``CTGAN(random_state=seed)`` at the library's defaults, 1,000 rows released through the default
policy) and keeps the report, so ``--redecide`` re-applies the current default policy without training.
Results: ``results/demo_pass_rate.{md,json}``.

    python benchmarks/demo_pass_rate.py [--seeds 20] [--redecide] [--pac none --out results/demo_pass_rate_pac1]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def run_seed(seed: int, rows: int = 1000, pac: int | None = 10) -> dict:
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
    model = CTGAN(random_state=seed, pac=pac, verbose=False).fit(train, schema=Schema.infer(frame))
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
    return {"seed": seed, "passed": passed, "fit_seconds": fit_s, "report": report}


def write(runs: list[dict], out: Path) -> None:
    from synthgan.gate import Policy, decide

    policy = Policy.default()
    lines = [
        "# The demo's flow through the default gate, per seed",
        "",
        "`synthgan demo --seed S` (heart disease, 80/20 split drawn with the seed, default CTGAN, 1,000 rows,"
        " the default policy). Reproduce: `python benchmarks/demo_pass_rate.py --seeds N`.",
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
    args = parser.parse_args()
    pac = None if args.pac.lower() == "none" else int(args.pac)
    warnings.simplefilter("ignore")
    out = Path(args.out)
    saved = out.with_suffix(".reports.json")
    if args.redecide:
        return write(json.loads(saved.read_text()), out)
    runs = []
    for seed in range(args.seeds):
        runs.append(run_seed(seed, pac=pac))
        print(json.dumps({"seed": seed, "passed": runs[-1]["passed"]}), flush=True)
        saved.write_text(json.dumps(runs, default=str))  # after every seed
    write(runs, out)


if __name__ == "__main__":
    main()
