"""Where declared rules cost fidelity: the model they make, or the rows they reject (a diagnostic).

On diabetes-130 or Adult (``bench_constraints.py``'s 10,000-row sample, quality.py's split per seed, the
rules ``suggest_constraints`` finds on the training rows), three fits per seed at the defaults:

- ``plain``: no rules;
- ``merged``: the rules with every fixed-combination group learned as one column of its combinations
  (``as_one_column=True``; the default until this diagnostic found its cost);
- ``fc_rejected``: the same rules as declared by default: every fixed-combination group kept by rejection
  (its columns learned as they are; rows with an unseen combination dropped).

For each fit with rules, rows are drawn without the rejection step (``raw``: constructed rules applied,
rejected rules not checked), then scored after dropping the rows that break a rule (``rejected``) and after
dropping them and re-drawing the survivors with weights that give the rule columns the marginals the raw
rows had (``reweighted``: iterative proportional fitting; a remedy for rejection's selection bias). All are
SDMetrics quality / shapes / trends against the training rows, as many rows as training rows.

    python benchmarks/constraint_costs.py --seeds 0 1 2 [--table adult]

appends to ``results/constraint_costs.jsonl`` and writes ``results/constraint_costs.md`` (``_adult`` in the
names for Adult).
"""

from __future__ import annotations

import argparse
import functools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from bench_constraints import table_sample
from quality import quality, split

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = ("plain", "merged", "fc_rejected")


@functools.cache
def _table(name: str) -> tuple[pd.DataFrame, str]:
    return table_sample(name, 10_000)


def data(seed: int, table: str = "diabetes"):
    from synthgan.constraints import suggest_constraints
    from synthgan.schema import Schema

    frame, target = _table(table)
    train, _ = split(frame, target, seed)
    schema = Schema.infer(train)
    return train, schema, suggest_constraints(train, schema)


def fit(variant: str, train: pd.DataFrame, schema, rules, seed: int, steps: int | None = None):
    from dataclasses import replace

    from synthgan import CTGAN
    from synthgan.constraints import FixedCombinations

    declared = None if variant == "plain" else rules
    if variant == "merged":
        declared = [replace(r, as_one_column=True) if isinstance(r, FixedCombinations) else r for r in rules]
    return CTGAN(steps=steps, random_state=seed, verbose=False).fit(
        train, schema=schema, constraints=declared
    )


def raw_rows(model, n: int, seed: int) -> pd.DataFrame:
    """Rows with the constructed rules applied and the rejected ones not checked."""
    from synthgan.constraints import plan as P

    violations = P.ConstraintPlan.violations
    P.ConstraintPlan.violations = lambda self, frame, rejected_only=False: (
        {} if rejected_only else violations(self, frame)
    )
    try:
        return model.sample(n, random_state=seed)
    finally:
        P.ConstraintPlan.violations = violations


def reweighted(pool: pd.DataFrame, keep: np.ndarray, columns: list[str], n: int, seed: int) -> pd.DataFrame:
    """``n`` of the kept rows, drawn with weights that give ``columns`` the whole pool's marginals."""
    label = lambda s: s.astype(object).where(s.notna(), "<NA>").astype(str)  # noqa: E731
    kept = pool[keep].reset_index(drop=True)
    w = np.ones(len(kept))
    for _ in range(30):
        for c in columns:
            target = label(pool[c]).value_counts(normalize=True)
            levels = label(kept[c])
            current = pd.Series(w).groupby(levels.to_numpy()).sum() / w.sum()
            w = w * levels.map((target / current).fillna(1.0)).fillna(1.0).to_numpy()
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(kept), size=n, replace=len(kept) < n, p=w / w.sum())
    return kept.iloc[pick]


def run(seed: int, variant: str, steps: int | None = None, table: str = "diabetes") -> dict:
    train, schema, rules = data(seed, table)
    model = fit(variant, train, schema, rules, seed, steps)
    n = len(train)
    row = {"seed": seed, "variant": variant, "rules": len(rules)}
    if variant == "plain":
        row["raw"] = quality(train, model.sample(n, random_state=seed)[list(train.columns)], schema)
        return row
    plan = model.constraints_
    row["by_rejection"] = sum(s["how"] == "reject" for s in plan.state)
    size = 2 * n
    while True:  # enough kept rows to re-draw n of them by weight
        pool = raw_rows(model, size, seed)[list(train.columns)]
        broken = plan.violations(pool, rejected_only=True)
        keep = ~np.logical_or.reduce(list(broken.values())) if broken else np.ones(len(pool), bool)
        if keep.sum() >= 1.5 * n or size >= 50 * n:
            break
        size = min(50 * n, int(2 * n / max(keep.mean(), 1e-3)))
    columns = sorted(
        {c for r in plan.rules for c in r.columns}
        & {c.name for c in schema.columns if c.kind == "categorical"}
    )
    row["rejected_share"] = float(1 - keep.mean())
    row["raw"] = quality(train, pool.iloc[:n], schema)
    row["rejected"] = quality(train, pool[keep].iloc[:n], schema)
    row["reweighted"] = quality(train, reweighted(pool, keep, columns, n, seed), schema)
    return row


def _scores(q: dict | None) -> str:
    return "-" if q is None else f"{q['quality']:.3f} ({q['shapes']:.3f} / {q['trends']:.3f})"


def markdown(rows: list[dict], table: str = "diabetes") -> str:
    frame = pd.json_normalize(rows)
    name = {"diabetes": "diabetes-130", "adult": "Adult"}[table]
    command = "" if table == "diabetes" else f" --table {table}"
    out = [
        f"# Where declared rules cost fidelity on {name} (`python benchmarks/constraint_costs.py{command}`)",
        "",
        "SDMetrics quality (shapes / trends) against the training rows, per seed; see the script's docstring.",
        "",
        "| seed | variant | rules (by rejection) | rows rejected | raw | rejected | reweighted |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rejected = "-" if "rejected_share" not in r else f"{r['rejected_share']:.3f}"
        by = f"{r['rules']} ({r['by_rejection']})" if "by_rejection" in r else "none"
        scores = " | ".join(_scores(r.get(key)) for key in ("raw", "rejected", "reweighted"))
        out.append(f"| {r['seed']} | {r['variant']} | {by} | {rejected} | {scores} |")
    out += ["", "Mean quality over the seeds (standard error):", ""]
    out += ["| variant | seeds | raw | rejected | reweighted |", "|---|---|---|---|---|"]
    for variant, part in frame.groupby("variant", sort=False):
        cells = []
        for key in ("raw", "rejected", "reweighted"):
            col = f"{key}.quality"
            v = part[col].dropna() if col in part else pd.Series(dtype=float)
            cells.append("-" if v.empty else f"{v.mean():.3f} ({v.sem() if len(v) > 1 else 0:.3f})")
        out.append(f"| {variant} | {len(part)} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--table", default="diabetes", choices=["diabetes", "adult"])
    parser.add_argument("--out", default=None, help="default: results/constraint_costs[_TABLE]")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--steps", type=int, default=None, help="synthgan's budget (default: its own; smoke runs)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.out is None:  # one file per table: the rows do not name their table
        args.out = str(
            RESULTS / ("constraint_costs" if args.table == "diabetes" else f"constraint_costs_{args.table}")
        )
    path = Path(args.out + ".jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    done = {(r["seed"], r["variant"]) for r in rows}
    for seed in [] if args.report_only else args.seeds:
        for variant in args.variants:
            if (seed, variant) in done:
                continue
            row = run(seed, variant, args.steps, args.table)
            rows.append(row)
            print(json.dumps(row), flush=True)
            with path.open("a") as f:
                f.write(json.dumps(row) + "\n")
            Path(args.out + ".md").write_text(markdown(rows, args.table))
    Path(args.out + ".md").write_text(markdown(rows, args.table))


if __name__ == "__main__":
    main()
