"""What a training step costs, and the estimate the default time budget is cut by.

``synthgan.training.budget`` fits a default run to a time budget with ``step_seconds``: a fixed part, plus
a part per batch row that grows with the parameters of the adversarial networks (generator and critic) and
of the auxiliary predictors. This script measures a step of the default CTGAN on tables of different sizes
and widths - heart disease, hepatitis, Adult (1,000 and 8,000 rows), credit default (8,000) and diabetes-130
(2,000 and 8,000), the three 8,000-row ones also without the every-column term - as (fit of 240 steps - fit
of 40 steps) / 200, two rounds with the tables alternating (medians), and fits the estimate's four
constants by non-negative least squares. Run it alone on the machine.

    python benchmarks/step_costs.py          # -> results/step_costs.{json,md}
"""

from __future__ import annotations

import json
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _data import SHARED, adult, credit, diabetes

from synthgan import CTGAN, load_table
from synthgan.data import load_heart_disease
from synthgan.training import budget as B

RESULTS = Path(__file__).resolve().parent / "results"
STEPS = (40, 240)


def tables() -> dict[str, pd.DataFrame]:
    diab = diabetes().drop(columns=["encounter_id", "patient_nbr"])
    full = adult(complete_rows_only=False)
    return {
        "heart": load_heart_disease(),
        "hepatitis": load_table(SHARED / "hepatitis" / "hepatitis.data"),
        "adult1000": full.sample(1_000, random_state=0),
        "adult8000": full.sample(8_000, random_state=0),
        "credit8000": credit().sample(8_000, random_state=0),
        "diabetes2000": diab.sample(2_000, random_state=0),
        "diabetes8000": diab.sample(8_000, random_state=0),
    }


def measure(frames: dict[str, pd.DataFrame], rounds: int = 2) -> dict[str, dict]:
    """Per configuration: batch, parameters (adversarial, auxiliary) and the median seconds of a step."""
    configs = [(name, {}) for name in frames]
    configs += [(f"{name}_no_columns", {"objectives": {"columns": 0}}) for name in frames if "8000" in name]
    times: dict[str, list[float]] = {name: [] for name, _ in configs}
    info: dict[str, dict] = {}
    for _ in range(rounds):
        for name, extra in configs:
            frame = frames[name.removesuffix("_no_columns")]
            seconds = []
            for steps in STEPS:
                start = time.perf_counter()
                model = CTGAN(steps=steps, random_state=0, verbose=False, **extra).fit(frame)
                seconds.append(time.perf_counter() - start)
            times[name].append((seconds[1] - seconds[0]) / (STEPS[1] - STEPS[0]))
            task = model.trainer_.task
            info[name] = {
                "batch": model.batch_size_,
                "adversarial": B.n_parameters(task.generator, task.critic),
                "auxiliary": B.auxiliary_parameters(model.trainer_.objectives, model.budget_.batch_size),
            }
            print(name, f"{times[name][-1] * 1000:.1f} ms a step", info[name], flush=True)
    return {name: {**info[name], "step_s": statistics.median(times[name])} for name in times}


def features(row: dict) -> list[float]:
    share = row["batch"] / B.DEFAULT_BATCH
    return [1.0, share, share * row["adversarial"], share * row["auxiliary"]]


def fit(rows: dict[str, dict]) -> dict[str, float]:
    from scipy.optimize import nnls

    x = np.array([features(r) for r in rows.values()])
    y = np.array([r["step_s"] for r in rows.values()])
    scale = np.array([1.0, 1.0, 1e-6, 1e-6])  # parameters in millions, so the solver sees like magnitudes
    coef = nnls(x / scale, y)[0] / scale
    return dict(
        zip(("STEP_SECONDS", "BATCH_SECONDS", "ADVERSARIAL_PARAM_SECONDS", "AUXILIARY_PARAM_SECONDS"), coef)
    )


def markdown(rows: dict[str, dict], fitted: dict[str, float]) -> str:
    used = {k: getattr(B, k) for k in fitted}
    out = [
        "# What a training step costs (`python benchmarks/step_costs.py`)",
        "",
        "Median seconds of a step of the default CTGAN over two rounds ((fit of 240 steps - fit of 40) / 200),",
        "beside `synthgan.training.budget.step_seconds`' estimate with the constants in the code.",
        "",
        "| table | batch | generator + critic parameters | auxiliary parameters | ms a step | estimate | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        estimate = B.step_seconds(r["adversarial"], r["auxiliary"], r["batch"])
        out.append(
            f"| {name} | {r['batch']} | {r['adversarial']:,} | {r['auxiliary']:,} | {r['step_s'] * 1000:.1f} | "
            f"{estimate * 1000:.1f} | {r['step_s'] / estimate:.2f} |"
        )
    out += ["", "| constant | least squares on this run | in the code |", "|---|---|---|"]
    out += [f"| {k} | {v:.3g} | {used[k]:.3g} |" for k, v in fitted.items()]
    return "\n".join(out) + "\n"


def main() -> None:
    warnings.simplefilter("ignore")
    rows = measure(tables())
    fitted = fit(rows)
    (RESULTS / "step_costs.json").write_text(json.dumps({"rows": rows, "fitted": fitted}, indent=1))
    (RESULTS / "step_costs.md").write_text(markdown(rows, fitted))


if __name__ == "__main__":
    main()
