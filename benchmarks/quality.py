"""Quality side by side: synthgan's defaults beside the models a user would pick instead, in one run.

Systems: synthgan at its defaults; SDV 2.0's GaussianCopula and TVAE (their defaults); the reference
``ctgan`` (its defaults; numbers' gaps filled with the median, which it needs; on the large tables at
fewer epochs, see ``REFERENCE_EPOCHS``); and two reference rows: a bootstrap of the real training rows
(copies: the ceiling) and independently shuffled real columns (the floor). SDV, ctgan, anonymeter are
benchmark-only packages, never synthgan dependencies.

Per table and seed: a stratified 75 / 25 split into training and test rows; every system learns the
training rows and generates as many rows. Scores (TabSyn's protocol for quality: SDMetrics' QualityReport
against the training rows, SDMetrics version recorded):

- ``quality``, ``shapes``, ``trends``: SDMetrics QualityReport (overall, Column Shapes, Column Pair Trends);
- ``tstr``: train on synthetic, test on the real test rows (HistGradientBoosting; ROC AUC for a binary
  target, macro F1 otherwise), beside ``trtr`` (train on real);
- ``global_utility``: every column in turn predicted from the others (Gini = 2 AUC - 1 for two levels, macro
  F1 for more, R^2 for numbers), the mean over columns of synthetic-trained over real-trained (columns
  the real rows predict above 0.05);
- ``detection``: mean per-fold ROC AUC of telling real training rows from synthetic ones (0.5: alike);
- ``conditional_tv``: total variation between P(column | condition) in synthetic and real rows (the
  unconditional synthetic rows that meet the condition; ``conditioned_tv``, which ``compare_settings.py``
  reports, asks a synthgan model for rows meeting it instead: ``sample(conditions=...)``);
- ``privacy_passed``, ``dcr_gain``: the default gate's privacy checks on the synthetic rows, with the test
  rows as the holdout, and the closest-record gain ((share - chance) / (1 - chance); 0: like a fresh sample).

    python benchmarks/quality.py --seeds 5 [--tables heart hepatitis ...] [--systems ...]

writes ``results/quality.json`` (every row, appended as it goes; ``--resume`` skips rows already there) and
``results/quality.md`` (per table: mean and standard error over seeds; paired differences to each peer).
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
from _data import SHARED, adult, credit, diabetes

RESULTS = Path(__file__).resolve().parent / "results"
SYSTEMS = ("synthgan", "gaussian_copula", "tvae", "ctgan", "bootstrap", "shuffled")
#: The reference ctgan's epochs where its default 300 does not fit this benchmark's CPU budget.
REFERENCE_EPOCHS = {"adult": 30, "credit": 30, "diabetes": 5}
METRICS = ("quality", "shapes", "trends", "tstr", "global_utility", "detection", "conditional_tv", "dcr_gain")
HIGHER = {"quality", "shapes", "trends", "tstr", "global_utility"}


def tables() -> dict:
    """name -> (loader, target, (column, condition column, condition value)) for conditional fidelity."""
    from synthgan import load_table
    from synthgan.data import load_heart_disease

    def heart():
        frame = load_heart_disease()
        frame["num"] = (frame["num"] > 0).astype(int)
        return frame

    def diabetes_20k():
        frame = diabetes().drop(columns=["encounter_id", "patient_nbr"])
        return frame.sample(20_000, random_state=0).reset_index(drop=True)

    return {
        "heart": (heart, "num", ("num", "sex", 0)),
        "hepatitis": (
            lambda: load_table(SHARED / "hepatitis" / "hepatitis.data"),
            "DIE_LIVE",
            ("DIE_LIVE", "ASCITES", 1),
        ),
        "kidney": (
            lambda: load_table(SHARED / "chronic_kidney_disease" / "kidney_disease.csv").drop(columns=["id"]),
            "classification",
            ("classification", "htn", "yes"),
        ),
        "adult": (lambda: adult(complete_rows_only=False), "income", ("relationship", "sex", "Female")),
        "credit": (credit, "fraud", ("fraud", "EDUCATION", 1)),
        "diabetes": (diabetes_20k, "readmitted", ("readmitted", "diabetesMed", "Yes")),
    }


# ---- systems -------------------------------------------------------------------------------------------
def synthesize(system: str, name: str, train: pd.DataFrame, schema, seed: int) -> tuple[pd.DataFrame, float]:
    """``len(train)`` rows from ``system`` fitted on ``train``, and the fit's seconds; synthgan's rows say
    the steps it trained in ``attrs["steps"]``."""
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    if system == "synthgan":
        from synthgan import CTGAN

        model = CTGAN(random_state=seed, verbose=False).fit(train, schema=schema)
        rows = model.sample(len(train), random_state=seed)
    elif system in ("gaussian_copula", "tvae"):
        rows = _sdv(system, train, schema, seed)
    elif system == "ctgan":
        rows = _reference(name, train, schema, seed)
    elif system == "bootstrap":
        rows = train.iloc[rng.integers(0, len(train), len(train))].reset_index(drop=True)
    elif system == "shuffled":
        rows = pd.DataFrame({c: train[c].to_numpy()[rng.permutation(len(train))] for c in train.columns})
    else:
        raise ValueError(f"unknown system {system!r}; choose from {SYSTEMS}")
    seconds, rows = time.perf_counter() - start, rows[list(train.columns)].reset_index(drop=True)
    if system == "synthgan":
        rows.attrs["steps"] = model.budget_.total_steps  # what the time budget gave this table
    return rows, seconds


def _sdv(system: str, train: pd.DataFrame, schema, seed: int) -> pd.DataFrame:
    import torch
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer, TVAESynthesizer

    columns = sdmetrics_metadata(schema)["columns"]
    # SDV learns every column it is given; one constant in the training rows (diabetes-130's rarely
    # prescribed drugs, always "No" in a split) is a category with one level
    columns |= {c.name: {"sdtype": "categorical"} for c in schema.columns if c.kind == "constant"}
    metadata = Metadata.load_from_dict({"tables": {"t": {"columns": columns}}})
    np.random.seed(seed)  # SDV draws from the global RNGs (benchmark only: synthgan never does)
    torch.manual_seed(seed)
    model = (GaussianCopulaSynthesizer if system == "gaussian_copula" else TVAESynthesizer)(metadata)
    model.fit({"t": train})
    return model.sample(len(train))["t"]


def _reference(name: str, train: pd.DataFrame, schema, seed: int) -> pd.DataFrame:
    from ctgan import CTGAN

    discrete = [c.name for c in schema.columns if c.kind in ("categorical", "constant")]
    filled = train.copy()
    for c in filled.columns:
        if c in discrete:
            filled[c] = filled[c].astype(object).where(filled[c].notna(), "missing").astype(str)
        else:
            median = filled[c].median()
            integer = pd.api.types.is_integer_dtype(filled[c].dtype)
            filled[c] = filled[c].fillna(round(median) if integer and pd.notna(median) else median)
    model = CTGAN(epochs=REFERENCE_EPOCHS.get(name, 300), verbose=False)
    model.set_random_state(seed)
    model.fit(filled, discrete)
    rows = model.sample(len(train))
    for c in discrete:  # back to the training dtypes (the filled copy made every category text)
        back = {str(v): v for v in train[c].dropna().unique()}
        rows[c] = rows[c].map(back)
    return rows


# ---- scores --------------------------------------------------------------------------------------------
def sdmetrics_metadata(schema) -> dict:
    kinds = {
        "continuous": "numerical",
        "integer": "numerical",
        "categorical": "categorical",
        "datetime": "datetime",
    }
    columns = {}
    for c in schema.columns:
        if c.kind in kinds:
            columns[c.name] = {"sdtype": kinds[c.kind]}
            if c.kind == "datetime" and c.datetime_format:
                columns[c.name]["datetime_format"] = c.datetime_format
    return {"columns": columns}


def quality(train: pd.DataFrame, synthetic: pd.DataFrame, schema) -> dict:
    return report_scores(quality_report(train, synthetic, schema))


def quality_report(train: pd.DataFrame, synthetic: pd.DataFrame, schema):
    """SDMetrics' QualityReport of ``synthetic`` against ``train`` (its details hold the per-pair scores)."""
    from sdmetrics.reports.single_table import QualityReport

    metadata = sdmetrics_metadata(schema)
    cols = list(metadata["columns"])
    report = QualityReport()
    report.generate(train[cols], synthetic[cols], metadata, verbose=False)
    return report


def report_scores(report) -> dict:
    props = report.get_properties().set_index("Property")["Score"]
    return {
        "quality": float(report.get_score()),
        "shapes": float(props["Column Shapes"]),
        "trends": float(props["Column Pair Trends"]),
    }


def _features(frame: pd.DataFrame, columns: list[str], categorical: set) -> np.ndarray:
    from synthgan.evaluation.columns import as_labels, as_numbers

    out = []
    for c in columns:
        if c in categorical:
            out.append(pd.Categorical(as_labels(frame[c])).codes.astype(float))
        else:
            out.append(as_numbers(frame[c]))
    return np.column_stack(out) if out else np.zeros((len(frame), 0))


def _categorical_mask(frame: pd.DataFrame, features: list[str], categorical: set) -> np.ndarray:
    """Which features HistGradientBoosting takes as categorical: it takes at most 255 levels per feature,
    so wider ones (diabetes-130's diagnosis codes) go in as ordinal codes."""
    return np.array([c in categorical and frame[c].nunique() <= 250 for c in features], dtype=bool)


def _predict_score(
    fit_rows: pd.DataFrame, test: pd.DataFrame, target: str, schema, iterations: int = 100, gini: bool = False
) -> float:
    """HistGradientBoosting trained on ``fit_rows`` predicting ``target``, scored on ``test``: ROC AUC for a
    binary target (``gini``: 2 AUC - 1, so chance is 0), macro F1 for a categorical one, R^2 for a number."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import f1_score, r2_score, roc_auc_score

    from synthgan.evaluation.columns import as_labels, as_numbers

    categorical = {c.name for c in schema.columns if c.kind == "categorical"}
    features = [
        c.name
        for c in schema.columns
        if c.name != target and c.kind in ("continuous", "integer", "categorical", "datetime")
    ]
    both = pd.concat([fit_rows[features], test[features]], ignore_index=True)
    x = _features(both, features, categorical)
    mask = _categorical_mask(both, features, categorical) if features else None
    x_fit, x_test = x[: len(fit_rows)], x[len(fit_rows) :]
    if target in categorical:
        y_fit, y_test = as_labels(fit_rows[target]).fillna("<NA>"), as_labels(test[target]).fillna("<NA>")
        if y_fit.nunique() < 2:
            return 0.0
        # no early stopping: its internal stratified split fails on a level that one synthetic row holds
        model = HistGradientBoostingClassifier(
            max_iter=iterations, categorical_features=mask, random_state=0, early_stopping=False
        ).fit(x_fit, y_fit)
        if y_test.nunique() == 2:
            positive = sorted(y_test.unique())[-1]
            classes = list(model.classes_)
            if positive not in classes:
                return 0.0 if gini else 0.5
            auc = float(
                roc_auc_score(y_test == positive, model.predict_proba(x_test)[:, classes.index(positive)])
            )
            return 2 * auc - 1 if gini else auc
        return float(f1_score(y_test, model.predict(x_test), average="macro"))
    y_fit, y_test = as_numbers(fit_rows[target]), as_numbers(test[target])
    keep, keep_test = ~np.isnan(y_fit), ~np.isnan(y_test)
    model = HistGradientBoostingRegressor(
        max_iter=iterations, categorical_features=mask, random_state=0, early_stopping=False
    )
    model.fit(x_fit[keep], y_fit[keep])
    return float(r2_score(y_test[keep_test], model.predict(x_test[keep_test])))


def global_utility(
    train: pd.DataFrame, synthetic: pd.DataFrame, test: pd.DataFrame, schema, real: dict | None = None
) -> float:
    """Mean over columns of (score trained on synthetic) / (score trained on real), each column predicted
    from the others on the real test rows; columns the real rows predict at most 0.05 are left out.
    ``real`` keeps the real-trained scores by column for the next system on the same split."""
    ratios, real = [], {} if real is None else real
    for spec in schema.columns:
        if spec.kind not in ("continuous", "integer", "categorical"):
            continue
        if spec.name not in real:
            real[spec.name] = _predict_score(train, test, spec.name, schema, iterations=50, gini=True)
        if real[spec.name] > 0.05:
            synthetic_score = _predict_score(synthetic, test, spec.name, schema, iterations=50, gini=True)
            ratios.append(max(synthetic_score, 0.0) / real[spec.name])
    return float(np.mean(ratios)) if ratios else float("nan")


def detection(train: pd.DataFrame, synthetic: pd.DataFrame, schema, seed: int) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    categorical = {c.name for c in schema.columns if c.kind == "categorical"}
    features = [
        c.name for c in schema.columns if c.kind in ("continuous", "integer", "categorical", "datetime")
    ]
    n = min(len(train), len(synthetic), 20_000)
    both = pd.concat([train.iloc[:n][features], synthetic.iloc[:n][features]], ignore_index=True)
    x, y = _features(both, features, categorical), np.r_[np.zeros(n), np.ones(n)]
    mask = _categorical_mask(both, features, categorical)
    aucs = []
    for fit, score in StratifiedKFold(3, shuffle=True, random_state=seed).split(x, y):
        model = HistGradientBoostingClassifier(max_iter=100, categorical_features=mask, random_state=0).fit(
            x[fit], y[fit]
        )
        aucs.append(roc_auc_score(y[score], model.predict_proba(x[score])[:, 1]))
    return float(np.mean(aucs))


def meets(frame: pd.DataFrame, given: str, value) -> pd.Series:
    """Which rows of ``frame`` hold ``value`` in column ``given`` (compared as labels)."""
    from synthgan.evaluation.columns import as_labels

    return as_labels(frame[given]) == as_labels(pd.Series([value])).iloc[0]


def conditional_tv(train: pd.DataFrame, synthetic: pd.DataFrame, condition: tuple) -> float:
    from synthgan.evaluation.columns import as_labels

    column, given, value = condition

    def distribution(frame):
        rows = frame[meets(frame, given, value)]
        return as_labels(rows[column]).value_counts(normalize=True, dropna=False)

    p, q = distribution(train), distribution(synthetic)
    if q.empty:
        return 1.0
    keys = p.index.union(q.index, sort=False)
    return float(0.5 * np.abs(p.reindex(keys, fill_value=0) - q.reindex(keys, fill_value=0)).sum())


def conditioned_tv(train: pd.DataFrame, model, condition: tuple, seed: int) -> float:
    """``conditional_tv`` of rows a synthgan model generates when asked for the condition
    (``sample(conditions=...)``), as many as the training rows that meet it (at least 1,000)."""
    _, given, value = condition
    count = int(meets(train, given, value).sum())
    rows = model.sample(max(count, 1000), conditions={given: value}, random_state=seed)
    return conditional_tv(train, rows, condition)


def privacy(train: pd.DataFrame, synthetic: pd.DataFrame, test: pd.DataFrame, schema) -> dict:
    from synthgan import evaluate
    from synthgan.gate import Policy, decide

    report = evaluate(train, synthetic, holdout=test, schema=schema, detection=False)
    policy = Policy.default()
    checks = [c for c in decide(report, policy).checks if c.metric.startswith("privacy.")]
    gain = report.get("privacy.dcr_closer_to_train_gain", None)
    return {
        "privacy_passed": all(c.passed for c in checks),
        "privacy_failed": [c.metric for c in checks if not c.passed],
        "dcr_gain": gain if isinstance(gain, float) else float("nan"),
    }


def score(
    name: str,
    train,
    test,
    synthetic,
    schema,
    target: str,
    condition: tuple,
    seed: int,
    real: dict | None = None,
) -> dict:
    """Every figure of one system's rows; ``real`` caches the real-trained scores of the split."""
    return {
        **quality(train, synthetic, schema),
        "tstr": _predict_score(synthetic, test, target, schema),
        "global_utility": global_utility(train, synthetic, test, schema, real),
        "detection": detection(train, synthetic, schema, seed),
        "conditional_tv": conditional_tv(train, synthetic, condition),
        **privacy(train, synthetic, test, schema),
    }


# ---- the run -------------------------------------------------------------------------------------------
def split(frame: pd.DataFrame, target: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import train_test_split

    labels = frame[target].astype(str)
    train, test = train_test_split(frame, test_size=0.25, random_state=seed, stratify=labels)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tables", nargs="+", default=list(tables()))
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS))
    parser.add_argument("--out", default=str(RESULTS / "quality"))
    parser.add_argument(
        "--resume", action="store_true", help="keep the rows already in OUT.json and skip them"
    )
    parser.add_argument("--report-only", action="store_true", help="rewrite OUT.md from OUT.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import sdmetrics

    from synthgan.schema import Schema

    path = Path(args.out + ".json")
    rows = json.loads(path.read_text()) if (args.resume or args.report_only) and path.exists() else []
    done = {(r["table"], r["seed"], r["system"]) for r in rows}
    for name in [] if args.report_only else args.tables:
        load, target, condition = tables()[name]
        frame = load()
        trtr, real = {}, {}
        for seed in range(args.seeds):
            train, test = split(frame, target, seed)
            schema = Schema.infer(train)
            for system in args.systems:
                if (name, seed, system) in done:
                    continue
                synthetic, seconds = synthesize(system, name, train, schema, seed)
                if seed not in trtr:
                    trtr[seed] = _predict_score(train, test, target, schema)
                row = {
                    "table": name,
                    "seed": seed,
                    "system": system,
                    "fit_s": seconds,
                    **({"steps": synthetic.attrs["steps"]} if "steps" in synthetic.attrs else {}),
                    "trtr": trtr[seed],
                    "sdmetrics": sdmetrics.__version__,
                    **score(
                        name,
                        train,
                        test,
                        synthetic,
                        schema,
                        target,
                        condition,
                        seed,
                        real.setdefault(seed, {}),
                    ),
                }
                rows.append(row)
                print(json.dumps(row, default=str), flush=True)
                path.write_text(json.dumps(rows, indent=1, default=str))
    Path(args.out + ".md").write_text(markdown(rows))


def _mean_se(values) -> tuple[float, float]:
    values = np.asarray(
        [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))], float
    )
    if not len(values):
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values))) if len(
        values
    ) > 1 else 0.0


def paired_interval(differences) -> tuple[float, float, float]:
    """(mean, low, high): the 95% t interval of paired differences (synthgan - peer, one per seed; missing
    ones dropped); low and high are nan under two differences.

    Example:
        >>> [round(v, 3) for v in paired_interval([0.01, 0.03, 0.02])]
        [0.02, -0.005, 0.045]
    """
    from scipy.stats import t as student_t

    d = pd.Series(differences, dtype=float).dropna()
    m, s = _mean_se(d)
    t = float(student_t.ppf(0.975, len(d) - 1)) if len(d) > 1 else float("nan")
    return m, m - t * s, m + t * s


def markdown(rows: list[dict]) -> str:
    lines = [
        "# Quality beside the models a user would pick instead (`python benchmarks/quality.py`)",
        "",
        "Mean (standard error) over seeds; higher is better for quality, shapes, trends, tstr and global utility,",
        "lower for detection, conditional TV and dcr_gain. Paired differences are synthgan - peer over the same seeds",
        "and splits, with a 95% t interval.",
        "",
    ]
    frame = pd.DataFrame(rows)
    for name, part in frame.groupby("table", sort=False):
        lines += [
            f"## {name} (seeds: {part['seed'].nunique()}; train on real: {part['trtr'].mean():.3f})",
            "",
            "| system | " + " | ".join(METRICS) + " | privacy passed | fit s |",
            "|" + "---|" * (len(METRICS) + 3),
        ]
        for system, runs in part.groupby("system", sort=False):
            cells = [f"{m:.3f} ({s:.3f})" for m, s in (_mean_se(runs[k]) for k in METRICS)]
            lines.append(
                f"| {system} | "
                + " | ".join(cells)
                + f" | {int(runs['privacy_passed'].sum())}/{len(runs)} | "
                f"{runs['fit_s'].mean():.1f} |"
            )
        ours = part[part["system"] == "synthgan"].set_index("seed")
        if len(ours):
            lines += [
                "",
                "| synthgan - peer | " + " | ".join(METRICS) + " |",
                "|" + "---|" * (len(METRICS) + 1),
            ]
            for system, runs in part[part["system"] != "synthgan"].groupby("system", sort=False):
                runs = runs.set_index("seed")
                seeds = ours.index.intersection(runs.index)
                cells = []
                for k in METRICS:
                    m, low, high = paired_interval(ours.loc[seeds, k] - runs.loc[seeds, k])
                    cells.append(f"{m:+.3f}" if math.isnan(low) else f"{m:+.3f} [{low:+.3f}, {high:+.3f}]")
                lines.append(f"| {system} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
