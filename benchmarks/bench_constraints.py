"""Constraints on real tables: the rules `synthgan inspect --suggest-constraints` finds, declared at fit,
against the same model without them and against SDV 2.0's constraints on the rules SDV can express.

Per table and seed (quality.py's 75 / 25 split): the rules are suggested from the training rows; then

- ``synthgan``: ``CTGAN(random_state=seed)`` at its defaults, no rules;
- ``synthgan+rules``: the same, with every suggested rule declared;
- ``gaussian_copula``: SDV's GaussianCopula, no rules;
- ``gaussian_copula+rules``: with the rules SDV 2.0 can express (``Inequality``; ``FixedCombinations``, also
  for an if-then rule between two categorical columns); SDV has no if-then rule on a number column and no
  sum, so those are listed as not supported. An SDV error is recorded as a crash with its message.

Tables: Adult and diabetes-130 (shared data sets; a 10,000-row sample of each) and ``lymph``, the German
Breast Cancer Study Group's 686 patients with dates of diagnosis, recurrence and death and the days between
them (``lifelines``' copy, installed for benchmarks only; target: death observed).

Scores: the share of rows breaking any rule and the rows breaking each rule (every suggested rule, also
for the systems that did not declare it), SDMetrics quality / shapes / trends against the training rows,
TSTR (quality.py's), fit seconds and sampling rows per second (as many rows as training rows, the median of
max(3, K) calls; timings are only comparable within one run on an otherwise idle machine). With ``--draws K``
each model is scored on K sets of rows (synthgan: random_state seed + 1000 d; SDV: successive calls),
violations pooled and the other scores averaged, so a score's spread over seeds is the models', not one
draw's.

    python benchmarks/bench_constraints.py --seeds 3 [--tables adult diabetes lymph] [--rows 10000] [--draws 3]

writes ``results/constraints.json`` (every row; ``--resume`` keeps those there) and ``results/constraints.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from quality import _predict_score, quality, sdmetrics_metadata, split, tables

RESULTS = Path(__file__).resolve().parent / "results"
SYSTEMS = ("synthgan", "synthgan+rules", "gaussian_copula", "gaussian_copula+rules")
TABLES = ("adult", "diabetes", "lymph")


def lymph() -> pd.DataFrame:
    """The German Breast Cancer Study Group's node-positive patients as lifelines ships them (686 rows):
    dates of diagnosis, recurrence and death (day-first text), the days between them, 10 clinical
    columns. Benchmarks only (``pip install lifelines``, MIT)."""
    from lifelines.datasets import load_lymph_node

    return load_lymph_node().reset_index(drop=True)


#: loader, target (death observed), as quality.tables() gives them
LYMPH = (lymph, "censdead", None)


def table_sample(name: str, rows: int) -> tuple[pd.DataFrame, str]:
    """A seeded sample of ``rows`` rows of the table (all when fewer) without its constant and identifier
    columns, and its target."""
    from synthgan.schema import Schema

    load, target, _ = LYMPH if name == "lymph" else tables()[name]
    frame = load()
    if len(frame) > rows:
        frame = frame.sample(rows, random_state=0).reset_index(drop=True)
    with warnings.catch_warnings():  # constant and identifier columns carry nothing to learn (SDV needs
        warnings.simplefilter("ignore")  # metadata for every column it is given, so they go)
        kinds = {c.name: c.kind for c in Schema.infer(frame).columns}
    return frame.drop(columns=[c for c, kind in kinds.items() if kind in ("constant", "identifier")]), target


def sdv_rules(rules, schema) -> tuple[list, list[str]]:
    """SDV 2.0 constraint objects for the rules it can express, and the descriptions of those it cannot."""
    from sdv.cag import FixedCombinations as SdvFixed
    from sdv.cag import Inequality as SdvInequality

    from synthgan.constraints import FixedCombinations, IfThen, Inequality

    out, unsupported = [], []
    for rule in rules:
        if isinstance(rule, Inequality) and rule.offset in (0, "0", None):
            out.append(SdvInequality(rule.low, rule.high, strict_boundaries=rule.strict))
        elif isinstance(rule, FixedCombinations):
            out.append(SdvFixed(list(rule.group)))
        elif isinstance(rule, IfThen) and schema[rule.then_column].kind == "categorical":
            out.append(SdvFixed([rule.if_column, rule.then_column]))
        else:
            unsupported.append(rule.describe())
    return out, unsupported


def fit_sample(
    system: str, train: pd.DataFrame, schema, rules, seed: int, steps: int | None = None, draws: int = 1
) -> dict:
    """Fit ``system``; ``draws`` sets of rows (as many as training rows each), fit seconds, sampling rows/s,
    notes."""
    start = time.perf_counter()
    notes = {}
    if system.startswith("synthgan"):
        from synthgan import CTGAN

        declared = rules if system.endswith("+rules") else None
        model = CTGAN(steps=steps, random_state=seed, verbose=False).fit(
            train, schema=schema, constraints=declared
        )
        if declared:
            notes["rules_by_rejection"] = sum(s["how"] == "reject" for s in model.constraints_.state)
        fit_s = time.perf_counter() - start
        draw = lambda d=0: model.sample(len(train), random_state=seed + 1000 * d)  # noqa: E731
    else:
        import torch
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer

        metadata = Metadata.load_from_dict(
            {"tables": {"t": {"columns": sdmetrics_metadata(schema)["columns"]}}}
        )
        np.random.seed(seed)  # SDV draws from the global RNGs (benchmark only)
        torch.manual_seed(seed)
        model = GaussianCopulaSynthesizer(metadata)
        if system.endswith("+rules"):
            supported, unsupported = sdv_rules(rules, schema)
            notes["sdv_rules"], notes["sdv_unsupported"] = len(supported), unsupported
            try:
                model.add_constraints(supported)
            except Exception as exc:  # SDV refusing a rule set is a result
                return {"crash": f"add_constraints: {type(exc).__name__}: {str(exc)[:300]}", **notes}
        try:
            model.fit({"t": train})
        except Exception as exc:
            return {"crash": f"fit: {type(exc).__name__}: {str(exc)[:300]}", **notes}
        fit_s = time.perf_counter() - start
        draw = lambda d=0: model.sample(len(train))["t"]  # noqa: E731
    times, rows = [], []
    for d in range(max(3, draws)):  # the first draws are timed; the scored ones are the first `draws`
        t0 = time.perf_counter()
        try:
            got = draw(d)
        except Exception as exc:
            return {"crash": f"sample: {type(exc).__name__}: {str(exc)[:300]}", **notes}
        times.append(time.perf_counter() - t0)
        rows.append(got[list(train.columns)])
    return {
        "rows": rows[:draws],
        "fit_s": fit_s,
        "rows_per_s": len(train) / float(np.median(times)),
        **notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=list(SYSTEMS))
    parser.add_argument(
        "--rows", type=int, default=10_000, help="rows sampled from each table before the split"
    )
    parser.add_argument(
        "--steps", type=int, default=None, help="synthgan's budget (default: its own; for smoke runs)"
    )
    parser.add_argument(
        "--draws", type=int, default=1, help="sets of rows scored per model (scores averaged over them)"
    )
    parser.add_argument("--out", default=str(RESULTS / "constraints"))
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--timing",
        action="store_true",
        help="only time sampling with and without the rules (alternating calls, alone on the machine)",
    )
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from synthgan.constraints import suggest_constraints
    from synthgan.schema import Schema

    if args.timing:
        return timing(args)
    path = Path(args.out + ".json")
    results = json.loads(path.read_text()) if (args.resume or args.report_only) and path.exists() else []
    done = {(r["table"], r["seed"], r["system"]) for r in results}
    for name in [] if args.report_only else args.tables:
        frame, target = table_sample(name, args.rows)
        for seed in range(args.seeds):
            train, test = split(frame, target, seed)
            schema = Schema.infer(train)
            rules = suggest_constraints(train, schema)
            for system in args.systems:
                if (name, seed, system) in done:
                    continue
                out = fit_sample(system, train, schema, rules, seed, args.steps, args.draws)
                row = {
                    "table": name,
                    "seed": seed,
                    "system": system,
                    "rows": len(train),
                    "steps": args.steps,
                    "rules": [r.describe() for r in rules],
                }
                row.update({k: v for k, v in out.items() if k != "rows"})
                if "rows" in out:  # every scored draw: violations pooled, scores averaged
                    synthetic = pd.concat(out["rows"], ignore_index=True)
                    broken = {
                        r.describe(): r.violations(synthetic, schema) for r in _fitted_rules(rules, train)
                    }
                    row["violating_share"] = (
                        float(np.logical_or.reduce(list(broken.values())).mean()) if broken else 0.0
                    )
                    row["violations"] = {k: int(v.sum()) for k, v in broken.items()}
                    scores = [
                        {**quality(train, rows, schema), "tstr": _predict_score(rows, test, target, schema)}
                        for rows in out["rows"]
                    ]
                    row.update({k: float(np.mean([d[k] for d in scores])) for k in scores[0]})
                    row["draws"] = len(scores)
                    if len(scores) > 1:
                        row["per_draw"] = scores
                results.append(row)
                print(
                    json.dumps(
                        {k: v for k, v in row.items() if k not in ("rules", "violations")}, default=str
                    ),
                    flush=True,
                )
                path.write_text(json.dumps(results, indent=1, default=str))
    Path(args.out + ".md").write_text(markdown(results))


def timing(args) -> None:
    """Sampling rows/s with and without the suggested rules: models fitted at the defaults (``--steps``
    otherwise: how many generated rows the rules reject and the balance keeps depends on how well the model
    learned the table), then ``sample(len(train))`` called 7 times each, alternating; medians and their
    ratio. Written to OUT.timing.json; run it with the machine otherwise idle."""
    from synthgan import CTGAN
    from synthgan.constraints import suggest_constraints
    from synthgan.schema import Schema

    out = {}
    for name in args.tables:
        load, target, _ = LYMPH if name == "lymph" else tables()[name]
        frame = load()
        if len(frame) > args.rows:
            frame = frame.sample(args.rows, random_state=0).reset_index(drop=True)
        train, _ = split(frame, target, 0)
        schema = Schema.infer(train)
        rules = suggest_constraints(train, schema)
        models = {
            "plain": CTGAN(steps=args.steps, random_state=0, verbose=False).fit(train, schema=schema),
            "rules": CTGAN(steps=args.steps, random_state=0, verbose=False).fit(
                train, schema=schema, constraints=rules
            ),
        }
        seconds = {k: [] for k in models}
        for r in range(7):
            for key in list(models)[:: 1 if r % 2 == 0 else -1]:
                start = time.perf_counter()
                models[key].sample(len(train), random_state=r)
                seconds[key].append(time.perf_counter() - start)
        medians = {k: float(np.median(v)) for k, v in seconds.items()}
        out[name] = {
            "rows": len(train),
            "rules": len(rules),
            "rows_per_s": {k: len(train) / v for k, v in medians.items()},
            "ratio_rules_to_plain": medians["plain"] / medians["rules"],
            "steps": args.steps,
            "seconds": seconds,
        }
        print(json.dumps({name: {k: v for k, v in out[name].items() if k != "seconds"}}), flush=True)
    Path(args.out + ".timing.json").write_text(json.dumps(out, indent=1))


def _fitted_rules(rules, train: pd.DataFrame) -> list:
    """Fixed-combination rules judged against the combinations of the training rows."""
    from dataclasses import replace

    from synthgan.constraints import FixedCombinations
    from synthgan.constraints.values import combination_keys

    return [
        replace(r, allowed=tuple(set(combination_keys(train, r.group))))
        if isinstance(r, FixedCombinations)
        else r
        for r in rules
    ]


def _mean_se(values) -> str:
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return "-"
    mean = float(np.mean(values))
    se = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else float("nan")
    return f"{mean:.3f}" if math.isnan(se) else f"{mean:.3f} +- {se:.3f}"


def markdown(results: list[dict]) -> str:
    lines = [
        "# Constraints on real tables (`python benchmarks/bench_constraints.py`)",
        "",
        "Rules: those `suggest_constraints` finds on each training split. Mean +- standard error over seeds.",
        "",
    ]
    for name in dict.fromkeys(r["table"] for r in results):
        rows = [r for r in results if r["table"] == name]
        seeds = sorted({r["seed"] for r in rows})
        rules = rows[0]["rules"]
        per_seed = ", ".join(str(len(next(r for r in rows if r["seed"] == s)["rules"])) for s in seeds)
        lines += [
            f"## {name} ({rows[0]['rows']} training rows, seeds {seeds}, rules per seed: {per_seed}"
            + (
                f"; scores: the mean of {rows[0]['draws']} draws per model"
                if rows[0].get("draws", 1) > 1
                else ""
            )
            + ")",
            "",
        ]
        lines += [
            "| system | rows breaking a rule | quality | shapes | trends | TSTR | fit s | sampling rows/s | crashes |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for system in SYSTEMS:
            got = [r for r in rows if r["system"] == system]
            if not got:
                continue
            ok = [r for r in got if "crash" not in r]
            cells = [
                _mean_se([r.get(k) for r in ok])
                for k in ("violating_share", "quality", "shapes", "trends", "tstr", "fit_s", "rows_per_s")
            ]
            lines.append(f"| {system} | " + " | ".join(cells) + f" | {len(got) - len(ok)}/{len(got)} |")
        base = {r["seed"]: r for r in rows if r["system"] == "synthgan" and "crash" not in r}
        paired = [
            (r, base[r["seed"]])
            for r in rows
            if r["system"] == "synthgan+rules" and r["seed"] in base and "crash" not in r
        ]
        if paired:
            lines += [
                "",
                "synthgan with rules minus without (paired by seed): "
                + ", ".join(
                    f"{k} {_mean_se([a[k] - b[k] for a, b in paired])}" for k in ("quality", "trends", "tstr")
                )
                + f"; sampling speed ratio {_mean_se([a['rows_per_s'] / b['rows_per_s'] for a, b in paired])}",
            ]
        sdv = [r for r in rows if r["system"] == "gaussian_copula+rules"]
        if sdv:
            unsupported = sdv[0].get("sdv_unsupported", [])
            expressed = ", ".join(f"{r.get('sdv_rules', 0)} of {len(r['rules'])}" for r in sdv)
            lines += [
                "",
                f"SDV 2.0 expresses, per seed, {expressed} rules; not supported at seed {sdv[0]['seed']}: "
                + (", ".join(f"`{u}`" for u in unsupported) or "none")
                + ".",
            ]
            for r in sdv:
                if "crash" in r:
                    lines.append(f"- seed {r['seed']}: SDV crashed: {r['crash']}")
        worst = {}
        for r in rows:
            for rule, count in (r.get("violations") or {}).items():
                worst.setdefault(r["system"], {}).setdefault(rule, []).append(count)
        lines += [
            "",
            f"Rows breaking each of seed {seeds[0]}'s rules (summed over the seeds that have it; rules broken by "
            "no system left out):",
            "",
        ]
        worst = {s: worst[s] for s in SYSTEMS if s in worst}
        broken_rules = [rule for rule in rules if any(sum(worst.get(s, {}).get(rule, [0])) for s in worst)]
        lines += ["| rule | " + " | ".join(worst) + " |", "|---|" + "---|" * len(worst)]
        for rule in broken_rules:
            lines.append(
                f"| `{rule}` | " + " | ".join(str(sum(worst[s].get(rule, [0]))) for s in worst) + " |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
