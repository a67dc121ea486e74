"""Settings side by side: synthgan fitted with several parameter sets on ``quality.py``'s tables, splits and
scores, paired by seed - how a default is chosen by measurement.

Each variant is a name and the estimator parameters it sets (JSON); everything else stays at the defaults.
Per table and seed: ``quality.py``'s stratified 75 / 25 split, one fit per variant, as many synthetic rows
as training rows, scored by SDMetrics' QualityReport (quality, shapes, trends), pair trends on the real
table's bins (``trend_bins.py``: SDMetrics bins each table's numeric columns on that table's own range, so one
synthetic extreme moves every bin of a column), train-on-synthetic ROC AUC on the test rows, global utility,
conditional TV (``quality.py``'s condition per table: ``conditional_tv`` on the unconditional rows that meet
it, ``conditioned_tv`` on rows sampled with it as a condition) and the closest-record gain (0: like a fresh
sample; higher: nearer the training rows); each row also lists the numeric columns whose synthetic range
differs from the real one (``range_differs``). ``adultN``, ``creditN`` and ``diabetesN`` are seeded samples of N
rows of those tables (mid-sized tables).

``--protocol gate`` instead judges each fit as the gate calibration does (``calibrate_gate.py``'s tables and
fixed 80/20 split, its number of synthetic rows, the default policy): the gate's verdict, the checks that
refused, and the report's membership-attack AUC, closest-record gain, pair trends and dependence kept - what
a setting costs in privacy.

    python benchmarks/compare_settings.py --tables heart hepatitis kidney --seeds 5 \\
        --variants '{"pac10": {"pac": 10}, "pac1": {"pac": 1}}' --out benchmarks/results/settings_pac

appends every row to ``OUT.jsonl`` as it goes (``--resume`` skips rows already there) and writes ``OUT.md``:
mean (standard error) per table and variant, and paired differences to the first variant with a 95% t
interval. ``--report-only`` rewrites ``OUT.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import quality as Q
import trend_bins

SCORES = (
    "quality",
    "shapes",
    "trends",
    "trends_real_bins",
    "tstr",
    "global_utility",
    "conditional_tv",
    "conditioned_tv",
    "dcr_gain",
    "fit_s",
)
GATE_SCORES = ("passed", "membership_auc", "closest_record_gain", "pair_trends", "dependence_kept", "fit_s")


def table(name: str) -> tuple[pd.DataFrame, str, tuple]:
    """The table, its target and its conditional-fidelity condition; ``adultN`` (``creditN``,
    ``diabetesN``): a seeded sample of N rows of that table."""
    sampled = re.fullmatch(r"(adult|credit|diabetes)(\d+)", name)
    if sampled:
        load, target, condition = Q.tables()[sampled[1]]
        frame = load().sample(int(sampled[2]), random_state=0).reset_index(drop=True)
        return frame, target, condition
    load, target, condition = Q.tables()[name]
    return load(), target, condition


def quality_cases(name: str, seeds: int):
    """(seed, training rows, fit keywords, scorer) on ``quality.py``'s split, scores and synthetic rows."""
    from synthgan.schema import Schema

    frame, target, condition = table(name)
    for seed in range(seeds):
        train, test = Q.split(frame, target, seed)
        schema = Schema.infer(train)

        def score(model, train=train, test=test, schema=schema, seed=seed) -> dict:
            synthetic = model.sample(len(train), random_state=seed)[list(train.columns)]
            report = Q.quality_report(train, synthetic, schema)
            bins = trend_bins.trends_both_ways(train, synthetic, schema, report)
            return {
                **Q.report_scores(report),
                "trends_real_bins": bins["trends_real_bins"],
                "range_differs": bins["range_differs"],  # numeric columns binned apart from the real ones
                "tstr": Q._predict_score(synthetic, test, target, schema),
                "global_utility": Q.global_utility(train, synthetic, test, schema),
                "conditional_tv": Q.conditional_tv(train, synthetic, condition),
                "conditioned_tv": Q.conditioned_tv(train, model, condition, seed),
                "dcr_gain": Q.privacy(train, synthetic, test, schema)["dcr_gain"],
            }

        yield seed, train, {"schema": schema}, score


def gate_cases(name: str, seeds: int):
    """The same on the gate calibration's table, fixed 80/20 split and synthetic rows (``calibrate_gate.py``),
    judged by the default policy."""
    import calibrate_gate as G

    from synthgan.gate import Policy
    from synthgan.workflow.holdout import split_holdout

    policy = Policy.default()
    frame = G.tables()[name]()
    frame = frame.drop(columns=[c for c in G.IDENTIFIERS if c in frame.columns])
    train, holdout = split_holdout(frame, 0.2, seed=0)
    for seed in range(seeds):

        def score(model, seed=seed) -> dict:
            synthetic = model.sample(G.synthetic_rows(train), random_state=seed)
            report, decision = G.judge(train, synthetic, holdout, seed, policy)
            fidelity, privacy = report["fidelity"], report["privacy"]
            dependence = fidelity.get("dependence_kept")
            return {
                "passed": float(decision.passed),
                "failed": [c.metric for c in decision.checks if not c.passed],
                "membership_auc": privacy["membership_inference_auc"],
                "closest_record_gain": privacy["dcr_closer_to_train_gain"],
                "pair_trends": fidelity["column_pair_trends_all_pairs"],
                "dependence_kept": dependence if isinstance(dependence, float) else float("nan"),
            }

        yield seed, train, {}, score


PROTOCOLS = {"quality": quality_cases, "gate": gate_cases}


def run(names: list[str], seeds: int, variants: dict, path: Path, done: set, protocol: str) -> None:
    """One fit per table, seed and variant, scored by the protocol; every row appended to ``path``."""
    from synthgan import CTGAN

    for name in names:
        for seed, train, fit_keywords, score in PROTOCOLS[protocol](name, seeds):
            for variant, params in variants.items():
                if (name, seed, variant) in done:
                    continue
                start = time.perf_counter()
                model = CTGAN(random_state=seed, verbose=False, **params).fit(train, **fit_keywords)
                row = {"table": name, "seed": seed, "variant": variant, "params": params}
                row.update(fit_s=time.perf_counter() - start, batch_size=model.batch_size_, pac=model.pac_)
                row.update(
                    steps=int(model.loss_values_["step"].iloc[-1]),
                    objectives=model.objectives_,
                )
                row.update(score(model))
                print(json.dumps(row), flush=True)
                with path.open("a") as f:
                    f.write(json.dumps(row) + "\n")


def _interval(diffs: np.ndarray) -> str:
    from scipy import stats

    mean = diffs.mean()
    if len(diffs) < 2:
        return f"{mean:+.3f}"
    half = stats.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / math.sqrt(len(diffs))
    return f"{mean:+.3f} [{mean - half:+.3f}, {mean + half:+.3f}]"


#: Header of ``paired_row``'s table.
PAIRED_HEADER = [
    "| figure | this run | before | paired difference (95% interval) | seeds |",
    "|---|---|---|---|---|",
]


def paired_row(label: str, pairs: list[tuple]) -> str:
    """One markdown row of ``PAIRED_HEADER``: the means of this run and the one before over the pairs
    (seed by seed) where both measured a finite number, and their paired difference (n/a under two)."""
    pairs = [p for p in pairs if all(isinstance(v, (int, float)) and math.isfinite(v) for v in p)]
    if len(pairs) < 2:
        return f"| {label} | n/a | n/a | n/a ({len(pairs)} seeds measured in both) | {len(pairs)} |"
    now, then = (np.array(v, dtype=float) for v in zip(*pairs))
    return f"| {label} | {now.mean():.3f} | {then.mean():.3f} | {_interval(now - then)} | {len(pairs)} |"


def markdown(rows: list[dict], command: str, note: str = "") -> str:
    frame = pd.DataFrame(rows)
    scores = [s for s in (GATE_SCORES if "membership_auc" in frame.columns else SCORES) if s in frame.columns]
    out = [
        f"# Settings side by side (`{command}` with ``--variants``; see the note)",
        "",
        *([note, ""] if note else []),
        "Mean (standard error) over seeds; paired differences are variant - baseline (the first variant) over",
        "the same seeds and splits, with a 95% t interval. dcr_gain: closest-record gain (0: like a fresh",
        "sample). fit_s: seconds, whatever else ran on the machine (not a timing benchmark).",
    ]
    for name, part in frame.groupby("table", sort=False):
        variants = list(dict.fromkeys(part["variant"]))
        out += ["", f"## {name}", "", "| variant | seeds | " + " | ".join(scores) + " |"]
        out.append("|---" * (len(scores) + 2) + "|")
        for v in variants:
            sub = part[part["variant"] == v]
            cells = [f"{sub[s].mean():.3f} ({sub[s].sem() if len(sub) > 1 else 0:.3f})" for s in scores]
            out.append(f"| {v} | {len(sub)} | " + " | ".join(cells) + " |")
        base = part[part["variant"] == variants[0]].set_index("seed")
        out += ["", f"| variant - {variants[0]} | " + " | ".join(scores[:-1]) + " |"]
        out.append("|---" * len(scores) + "|")
        for v in variants[1:]:
            sub = part[part["variant"] == v].set_index("seed")
            seeds = sorted(set(sub.index) & set(base.index))
            cells = [  # rows of an older run may lack a score: paired over the seeds that have it
                _interval((sub.loc[seeds, s] - base.loc[seeds, s]).dropna().to_numpy()) for s in scores[:-1]
            ]
            out.append(f"| {v} ({len(seeds)} seeds) | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=["heart", "hepatitis", "kidney"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--variants", default='{"default": {}}', help="JSON: name -> estimator parameters")
    parser.add_argument("--out", required=True, help="results path without extension")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--note", default="", help="a paragraph for OUT.md (how the runs were made)")
    parser.add_argument("--protocol", choices=list(PROTOCOLS), default="quality")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    path = Path(args.out + ".jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    if not (args.resume or args.report_only):
        path.write_text("")
        rows = []
    if not args.report_only:
        done = {(r["table"], r["seed"], r["variant"]) for r in rows}
        run(args.tables, args.seeds, json.loads(args.variants), path, done, args.protocol)
        rows = [json.loads(line) for line in path.read_text().splitlines()]
    command = "python benchmarks/compare_settings.py " + " ".join(
        f"--{k} {' '.join(v) if isinstance(v, list) else v}"
        for k, v in (("protocol", args.protocol), ("tables", args.tables), ("seeds", args.seeds))
    )
    Path(args.out + ".md").write_text(markdown(rows, command, args.note))


if __name__ == "__main__":
    main()
