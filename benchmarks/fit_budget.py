"""``synthgan fit`` with no options on 10,000-row tables: how long it takes and what its summary line says.

The default budget fits a run to about 100 s of the reference 2-core CPU per 10,000 training rows
(``synthgan.training.budget``). This runs the command itself - a seeded 10,000-row sample of Adult,
credit default and diabetes-130 written as CSV, then ``synthgan fit data.csv -q`` in a fresh process
(load, schema, transform, training, model file: what a user waits for) - and records the wall time and the
line it prints. Run it alone on the machine.

    python benchmarks/fit_budget.py [--rounds 1]          # -> results/fit_budget.{json,md}
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from _data import adult, credit, diabetes

RESULTS = Path(__file__).resolve().parent / "results"
ROWS = 10_000


def tables() -> dict[str, pd.DataFrame]:
    return {
        "adult": adult(complete_rows_only=False).sample(ROWS, random_state=0),
        "credit default": credit().sample(ROWS, random_state=0),
        "diabetes-130": diabetes().drop(columns=["encounter_id", "patient_nbr"]).sample(ROWS, random_state=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    cli = shutil.which("synthgan") or str(Path(sys.executable).with_name("synthgan"))
    work = Path(tempfile.mkdtemp(prefix="fit_budget_"))
    files = {}
    for name, frame in tables().items():
        files[name] = work / f"{name.replace(' ', '_')}.csv"
        frame.to_csv(files[name], index=False)
    runs: dict[str, list[dict]] = {name: [] for name in files}
    for _ in range(args.rounds):
        for name, path in files.items():  # tables alternate, so a drift of the machine's speed hits all
            model = path.with_suffix(".synthgan")
            start = time.perf_counter()
            done = subprocess.run(
                [cli, "fit", str(path), "-q", "-o", str(model), "--force"], capture_output=True, text=True
            )
            seconds = time.perf_counter() - start
            if done.returncode:
                sys.exit(f"synthgan fit failed on {name}: {done.stderr.strip()}")
            line = done.stdout.strip().splitlines()[-1].replace(str(work) + "/", "")
            runs[name].append({"seconds": seconds, "summary": line})
            print(name, f"{seconds:.0f} s", line, flush=True)
    shutil.rmtree(work)
    (RESULTS / "fit_budget.json").write_text(json.dumps(runs, indent=1))
    out = [
        "# `synthgan fit` with no options on 10,000-row tables (`python benchmarks/fit_budget.py`)",
        "",
        "Wall time of the command in a fresh process (median over rounds) and the summary line it printed.",
        "",
        "| table | seconds | summary line |",
        "|---|---|---|",
    ]
    for name, rows in runs.items():
        seconds = statistics.median(r["seconds"] for r in rows)
        out.append(f"| {name} | {seconds:.0f} | `{rows[-1]['summary']}` |")
    (RESULTS / "fit_budget.md").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
