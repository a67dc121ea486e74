"""README's runnable examples run as written (in a scratch folder), and print what README says they print."""

from __future__ import annotations

import contextlib
import io
import json
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def section_code(title: str) -> str:
    """The first ```python block after the README heading ``title``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    return re.search(r"```python\n(.+?)\n```", text[start:], re.S).group(1)


def cells(line: str) -> list[str]:
    """The stripped cells of one markdown table row."""
    return [c.strip() for c in line.strip("|").split("|")]


def row(text: str, first: str) -> list[str]:
    """The cells of the first table row in ``text`` that begins with ``| first``."""
    return cells(next(line for line in text.splitlines() if line.startswith(f"| {first}")))


def test_training_examples_run_and_print_what_they_say(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = section_code("Training")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    assert printed[0] == "70 400"
    score, stopped = printed[1].split()
    assert 0.5 < float(score) < 1 and stopped in ("epochs", "early_stopping")
    assert {p.name for p in tmp_path.iterdir()} == {"losses.csv", "run.ckpt", "model.synthgan"}


def test_benchmark_ratios_match_the_harness_results():
    """docs/benchmarks.md's speed table quotes benchmarks/results/harness.md's ratio table, figure for figure,
    and README's one-line summary quotes its Adult row."""
    text = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    section = text[text.index("## Speed beside the reference `ctgan` (the autograd engine)") :]
    results = (ROOT / "benchmarks" / "results" / "harness.md").read_text(encoding="utf-8")
    ratios = {}
    for line in results[results.index("Ratios at equal epochs") :].splitlines():
        found = cells(line)
        if len(found) == 8 and found[1].isdigit():
            ratios[found[0]] = found[2:6]  # preprocessing, per epoch, sampling, peak memory
    names = {
        "adult": "Adult",
        "heart": "heart disease",
        "kidney": "chronic kidney disease",
        "diabetes": "diabetes-130",
    }
    for key, name in names.items():
        quoted_row = row(section, f"{name} (")
        quoted = [*quoted_row[1:4], quoted_row[4].split(" ")[0]]
        expected = [ratios[key][0], ratios[key][1], ratios[key][2], ratios[key][3]]
        # sampling ratios are quoted to three significant figures
        assert quoted[:2] + [quoted[3]] == expected[:2] + [expected[3]], (name, quoted, expected)
        assert abs(float(quoted[2].rstrip("x")) - float(expected[2].rstrip("x"))) < 0.051, (
            name,
            quoted,
            expected,
        )
    adult = [float(x.rstrip("x")) for x in ratios["adult"][:3]]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    summary = (
        f"Adult epoch {adult[1]:.1f}x faster at equal architecture, samples {adult[2]:.1f}x faster "
        f"and preprocesses {adult[0]:.0f}x faster"
    )
    assert summary in " ".join(readme.split())


def test_quality_table_quotes_the_quality_results():
    """Every cell of README's quality table is the figure in benchmarks/results/quality.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Quality beside the models") :]
    results = (ROOT / "benchmarks" / "results" / "quality.md").read_text(encoding="utf-8")
    systems = {
        "synthgan `CTGAN()`": "synthgan",
        "SDV GaussianCopula": "gaussian_copula",
        "SDV TVAE": "tvae",
        "reference `ctgan`": "ctgan",
        "copies of training rows (ceiling)": "bootstrap",
        "shuffled real columns (floor)": "shuffled",
    }
    tables = {
        "heart": "heart",
        "hepatitis": "hepatitis",
        "chronic": "kidney",
        "Adult": "adult",
        "credit": "credit",
        "diabetes-130": "diabetes",
    }
    rows = [line for line in section.splitlines()[:70] if line.startswith("| ") and "(" in line.split("|")[3]]
    assert len(rows) == 6 * len(tables)
    for line in rows:
        quoted = cells(line)
        table = tables[quoted[0].split(" ")[0]]
        figures = row(results[results.index(f"## {table} ") :], f"{systems[quoted[1]]} |")
        assert quoted[2:] == [figures[1], figures[3], figures[4], figures[5]], line


def _benchmark(monkeypatch, name: str):
    """The module ``benchmarks/<name>.py`` (benchmarks/ on the path for this test only)."""
    import importlib

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    return importlib.import_module(name)


def _paired_bounds(quality, runs: list[dict], table: str, peer: str, metric: str) -> tuple[float, float]:
    """The paired 95% interval (synthgan - peer) of ``metric`` on ``table``, from quality.json's unrounded
    runs - quality.md prints it rounded, and "-0.000" may lie below 0."""
    ours = {r["seed"]: r[metric] for r in runs if r["table"] == table and r["system"] == "synthgan"}
    diffs = [ours[r["seed"]] - r[metric] for r in runs if r["table"] == table and r["system"] == peer]
    return quality.paired_interval(diffs)[1:]


def test_larger_tables_paragraph_quotes_the_quality_results(monkeypatch):
    """README's paragraph on Adult and credit default is quality.md's and quality.json's figures, word for
    word, and each "beats" / "ties" / "trails" is what the paired 95% interval says."""
    quality = _benchmark(monkeypatch, "quality")
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    paragraph = text[text.index("On the two larger tables") : text.index(" On diabetes-130 (a 20,000-row")]
    results = (ROOT / "benchmarks" / "results" / "quality.md").read_text(encoding="utf-8")
    runs = json.loads((ROOT / "benchmarks" / "results" / "quality.json").read_text(encoding="utf-8"))
    metrics = ["quality", "shapes", "trends", "tstr", "global_utility", "detection", "conditional_tv"]
    gc = "gaussian_copula"

    def d(table: str, peer: str, metric: str) -> str:
        part = results[results.index(f"## {table} ") :]
        return row(part[part.index("| synthgan - peer") :], f"{peer} |")[1 + metrics.index(metric)]

    def bounds(table: str, peer: str, metric: str) -> tuple[float, float]:
        return _paired_bounds(quality, runs, table, peer, metric)

    def values(table: str, system: str, key: str) -> list:
        return [r[key] for r in runs if r["table"] == table and r["system"] == system]

    def m(table: str, system: str, key: str) -> str:
        return f"{statistics.mean(values(table, system, key)):.3f}"

    na, nc = len(values("adult", "synthgan", "quality")), len(values("credit", "synthgan", "quality"))
    tv = values("adult", "synthgan", "conditional_tv")
    passed = sum(
        values("adult", "synthgan", "privacy_passed") + values("credit", "synthgan", "privacy_passed")
    )
    v = {
        "seeds": f"{na} seeds each" if na == nc else f"{na} and {nc} seeds",
        "fits": [
            f"{statistics.mean(values(t, s, 'fit_s')):.0f}"
            for s in ("synthgan", "tvae")
            for t in ("adult", "credit")
        ],
        "errors": [
            f"{1 - statistics.mean(values('adult', s, 'trends')):.3f}" for s in ("synthgan", "ctgan", "tvae")
        ],
        "tstr": [m(t, s, "tstr") for t in ("adult", "credit") for s in ("synthgan", "tvae")],
        "tv": f"{statistics.mean(tv):.3f} ({statistics.stdev(tv) / len(tv) ** 0.5:.3f}; "
        f"{min(tv):.3f}-{max(tv):.3f}",
        "tv_peers": [m("adult", s, "conditional_tv") for s in ("tvae", gc)],
        "passed": passed,
        "runs": na + nc,
    }
    for table in ("adult", "credit"):
        for peer in ("tvae", gc):
            for metric in ("quality", "trends", "tstr", "global_utility", "conditional_tv"):
                v[f"{table[0]}_{peer[0]}_{metric}"] = d(table, peer, metric)
    expected = (
        "On the two larger tables (24,420 and 22,500 training rows; {seeds}) the default trains 10,000 steps "
        "without the every-column term (the time budget, see Training; {fits[0]} and {fits[1]} s of fitting, "
        "about as long as TVAE's {fits[2]} and {fits[3]} s) and beats every peer on quality (paired with "
        "TVAE {a_t_quality} on Adult and {c_t_quality} on credit default; with GaussianCopula {a_g_quality} "
        "and {c_g_quality}) and on pair trends (with TVAE {a_t_trends} and {c_t_trends}; with GaussianCopula "
        "{a_g_trends} and {c_g_trends}). "
        "Adult's pair-trend error (1 - trends) is {errors[0]}, against {errors[1]} for the reference `ctgan` "
        "(30 epochs) and {errors[2]} for TVAE in the same run. TSTR ties TVAE (Adult {tstr[0]} against "
        "{tstr[1]}, {a_t_tstr}; credit default {tstr[2]} against {tstr[3]}, {c_t_tstr}) and beats "
        "GaussianCopula on both ({a_g_tstr}, {c_g_tstr}); global utility trails TVAE on Adult "
        "({a_t_global_utility}) and ties it on credit default ({c_t_global_utility}). Among the generated "
        "rows that hold `sex=Female` (every system's rows unconditioned), Adult's `relationship` lies {tv} "
        "over the seeds) in total variation from the real women's, a tie with TVAE's {tv_peers[0]} "
        "({a_t_conditional_tv}); GaussianCopula's is {tv_peers[1]}. The gate's privacy checks pass all "
        "{passed} of synthgan's {runs} runs."
    ).format(**v)
    assert paragraph == expected, (paragraph, expected)
    assert passed == na + nc
    for table in ("adult", "credit"):  # "beats every peer on quality"
        assert all(bounds(table, peer, "quality")[0] > 0 for peer in ("tvae", gc, "ctgan"))
        assert bounds(table, gc, "trends")[0] > 0 and bounds(table, gc, "tstr")[0] > 0
        assert bounds(table, "tvae", "trends")[0] > 0 and bounds(table, "ctgan", "trends")[0] > 0
        low, high = bounds(table, "tvae", "tstr")  # ties TVAE on TSTR
        assert low < 0 < high
    assert bounds("adult", "tvae", "global_utility")[1] < 0
    assert bounds("credit", "tvae", "global_utility")[0] < 0 < bounds("credit", "tvae", "global_utility")[1]
    assert bounds("adult", "tvae", "conditional_tv")[0] < 0 < bounds("adult", "tvae", "conditional_tv")[1]


def test_docs_earlier_adult_run_quotes_its_results():
    """docs/benchmarks.md's earlier Adult run and its seed 0 now are the results files' figures."""
    text = " ".join((ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8").split())
    results = ROOT / "benchmarks" / "results"
    keys = ("quality", "trends", "tstr", "global_utility", "conditional_tv")
    for name, table in (("quality_adult_before_budget.json", None), ("quality.json", "adult")):
        runs = json.loads((results / name).read_text(encoding="utf-8"))
        ours, tvae = (
            next(
                r for r in runs if r["seed"] == 0 and r["system"] == s and r["table"] == (table or r["table"])
            )
            for s in ("synthgan", "tvae")
        )
        assert f"TVAE's {' / '.join(f'{tvae[k]:.3f}' for k in keys)}" in text
        assert f"{' / '.join(f'{ours[k]:.3f}' for k in keys)} in {ours['fit_s']:.1f} s" in text


def test_gate_tables_quote_the_calibration_and_oracle_results():
    """README's Table 1 (refusal counts) and Table 2 (oracle agreement) are the results files' figures."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    results = ROOT / "benchmarks" / "results"
    calibration = (results / "gate_calibration.md").read_text(encoding="utf-8")
    counts = {}
    for line in calibration.splitlines():
        found = cells(line)
        if len(found) >= 5 and "/" in found[1]:
            counts[found[0]] = found[1:]
    table1 = text[text.index("**Table 1.") : text.index("**Table 2.")]
    rows = {
        "trained model (false refusals)": ["trained"],
        "one-epoch model": ["one_epoch"],
        "a collapsed column": ["collapsed_column"],
        "independently shuffled columns": ["shuffled_columns"],
        "the trained rows, columns shuffled (marginals only)": ["marginals_only"],
        "100% copies": ["copies_100"],
        "1% / 5% exact copies of unique records": ["exact_copies_1pct", "exact_copies_5pct"],
        "5% / 15% near-copies": ["near_copies_5pct", "near_copies_15pct"],
        "a holdout contaminated with training rows": ["contaminated_holdout"],
    }
    for label, sets in rows.items():
        expected = [", ".join(counts[s][i] for s in sets) for i in range(len(counts["trained"]))]
        assert [c.split(" (")[0] for c in row(table1, f"{label} |")[1:]] == expected, label
    oracles = (results / "privacy_oracles.md").read_text(encoding="utf-8")
    table2 = text[text.index("**Table 2.") :]
    names = {
        "trained model": "trained",
        "marginals only": "marginals_only",
        "100% copies": "copies_100",
        "1% exact copies of unique records": "exact_copies_1pct",
        "5% exact copies": "exact_copies_5pct",
        "5% near-copies": "near_copies_5pct",
        "15% near-copies": "near_copies_15pct",
    }
    for label, key in names.items():
        quoted, figures = row(table2, f"{label} |")[1:], row(oracles, f"{key} |")[1:]
        assert quoted == figures[:6] + figures[7:], label  # README leaves out "any oracle"


def test_table1_dependence_ranges_are_the_calibration_runs():
    """The ranges of kept dependence under Table 1 are those of the runs its command names (--inputs), and
    those runs are the ones gate_calibration.json (Table 1's counts) holds."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    caption = " ".join(text[text.index("**Table 1.") : text.index("Refused runs / seeds:")].split())
    inputs = caption[caption.index("--redecide --inputs ") : caption.index(" --before ")].split()[2:]
    benchmarks = ROOT / "benchmarks"  # the command's paths are relative to it
    kept: dict[tuple[str, str], list[float]] = {}
    runs = []
    for path in inputs:
        for s in json.loads((benchmarks / path).read_text()):
            runs.append((s["data"], s["set"], s["seed"]))
            value = s.get("report", {}).get("fidelity", {}).get("dependence_kept")
            if value is not None:
                kept.setdefault((s["set"], s["data"]), []).append(value)
    table = json.loads((benchmarks / "results" / "gate_calibration.json").read_text())
    assert sorted(runs) == sorted((r["data"], r["set"], r["seed"]) for r in table)  # the command's table

    every = ("heart_disease", "chronic_kidney_disease", "adult_10k", "credit_default", "diabetes_20k")

    def spread(sets: str, tables: tuple[str, ...], between: str = "-") -> str:
        values = [x for t in tables for x in kept[sets, t]]
        return f"{min(values):.3f}{between}{max(values):.3f}"

    heart, kidney, adult, credit, diabetes = (spread("trained", (t,)) for t in every)
    shuffled, marginals = (spread(sets, every, " to ") for sets in ("shuffled_columns", "marginals_only"))
    assert (
        f"trained models keep {heart} of the real dependence on heart disease, {kidney} on kidney, "
        f"{adult} on Adult, {credit} on credit default and {diabetes} on diabetes-130; shuffled columns "
        f"{shuffled} and marginals only {marginals} on those tables"
    ) in " ".join(text.split())


def test_the_tutorial_runs_as_written(tmp_path):
    """The five-minute tutorial's commands, verbatim, on the shipped table: each exits 0, or 3 where a gate
    refuses (the default budget passes on this table 20 times in 20: benchmarks/results/demo_pass_rate.md),
    and writes what the text says."""
    import json
    import os
    import subprocess
    import sys

    from synthgan.data import load_heart_disease

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Five-minute tutorial")
    block = re.search(r"```bash\n(.+?)\n```", text[start:], re.S).group(1)
    commands = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    load_heart_disease().to_csv(tmp_path / "heart.csv", index=False)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    codes = {}
    for command in commands:
        done = subprocess.run(
            command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
        codes[command.split()[1]] = done.returncode
        if command.startswith("synthgan evaluate") and codes["sample"] == 3:  # refused: nothing to evaluate
            assert done.returncode == 1 and "synthetic.parquet: no such file" in done.stderr, done.stderr
            continue
        assert done.returncode in (0, 3), (command, done.stderr[-2000:])
        if command.startswith("synthgan evaluate"):
            assert {"validity", "fidelity", "privacy"} <= set(json.loads(done.stdout))
    assert codes["inspect"] == 0 and codes["fit"] == 0
    assert json.loads((tmp_path / "schema.json").read_text())["columns"]
    assert (tmp_path / "model.synthgan").exists() and (tmp_path / "synthetic.report.json").exists()
    assert "gate" in (tmp_path / "report.html").read_text()
    if codes["sample"] == 0:
        assert (tmp_path / "synthetic.parquet").exists()


def test_constraints_table_quotes_the_constraints_results():
    """README's constraints table is benchmarks/results/constraints.md's figures, and its speed ratios the
    timing file's."""
    import json

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("**Measured** (`python benchmarks/bench_constraints.py")
    section = text[start : text.index("\n## ", start)]
    results = ROOT / "benchmarks" / "results"
    md = (results / "constraints.md").read_text(encoding="utf-8")
    figures, table = {}, None
    for line in md.splitlines():
        if line.startswith("## "):
            table = line.split()[1]
        found = cells(line)
        if table and len(found) == 9 and "+-" in found[1]:
            figures[(table, found[0])] = [
                found[1],
                found[2],
                found[4],
                found[5],
            ]  # violating, quality, trends, tstr
    names = {"Adult": "adult", "diabetes-130": "diabetes", "breast cancer": "lymph"}
    systems = {
        "synthgan": "synthgan",
        "synthgan with the rules": "synthgan+rules",
        "SDV GaussianCopula": "gaussian_copula",
    }
    quoted = 0
    for line in section.splitlines():
        found = cells(line) if line.startswith("| ") else []
        if len(found) == 6 and found[0].split(" (")[0] in names:
            system = systems.get(found[1], "gaussian_copula+rules")
            assert found[2:] == figures[(names[found[0].split(" (")[0]], system)], line
            quoted += 1
    assert quoted == 12
    timing = json.loads((results / "constraints.timing.json").read_text())
    assert f"{timing['adult']['ratio_rules_to_plain']:.2f}x (Adult" in section
    assert f"{timing['diabetes']['ratio_rules_to_plain']:.2f}x (diabetes-130" in section
    assert f"{timing['lymph']['ratio_rules_to_plain']:.2f}x (breast cancer" in section


def test_constraints_paired_differences_and_the_balance_are_the_results_files():
    """README's paired differences (rules - none; the balance - the same rules without it) are computed from
    constraints.json, and for the balance from constraints_mixed_packs.json (the same benchmark before critic
    packs shared conditions) and constraints_no_balance.json, each as mean +- standard error over seeds."""
    import math

    import numpy as np

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = " ".join(text[text.index("**Measured** (`python benchmarks/bench_constraints.py") :].split())
    results = ROOT / "benchmarks" / "results"
    rows = json.loads((results / "constraints.json").read_text())
    before = json.loads((results / "constraints_no_balance.json").read_text())
    mixed = json.loads((results / "constraints_mixed_packs.json").read_text())

    def by_seed(source, table, system):
        return {r["seed"]: r for r in source if r["table"] == table and r["system"] == system}

    def paired(a, b, key):
        d = [a[s][key] - b[s][key] for s in sorted(set(a) & set(b))]
        return f"{np.mean(d):+.3f} +- {np.std(d, ddof=1) / math.sqrt(len(d)):.3f}"

    tables = ("adult", "diabetes", "lymph")
    plain = {t: by_seed(rows, t, "synthgan") for t in tables}
    rules = {t: by_seed(rows, t, "synthgan+rules") for t in tables}
    q, tr, x = ([paired(rules[t], plain[t], key) for t in tables] for key in ("quality", "trends", "tstr"))
    assert f"quality by {q[0]} on Adult, {q[1]} on diabetes-130 and {q[2]} on the breast cancer" in section
    assert f"(pair trends {tr[0]}, {tr[1]} and {tr[2]}), and TSTR by {x[0]}, {x[1]} and {x[2]}:" in section
    # the balance, on the models of the same training code with and without it
    plain = {t: by_seed(mixed, t, "synthgan") for t in tables}
    rules = {t: by_seed(mixed, t, "synthgan+rules") for t in tables}
    unbalanced = {t: by_seed(before, t, "synthgan+rules") for t in tables}
    for key in ("quality", "shapes"):
        quoted = [paired(rules[t], unbalanced[t], key) for t in tables]
        assert f"{quoted[0]}, {quoted[1]} and {quoted[2]}" in section, key
    lost = [paired(unbalanced[t], plain[t], "quality") for t in ("adult", "diabetes")]
    assert f"({lost[0]} and {lost[1]})" in section

    def speed(a, b):  # the mean over seeds of each model's rows/s against the same seed's without rules
        return f"{np.mean([a[s]['rows_per_s'] / b[s]['rows_per_s'] for s in sorted(set(a) & set(b))]):.2f}x"

    old, new = ([speed(r[t], plain[t]) for t in tables] for r in (unbalanced, rules))
    assert f"from {old[0]}, {old[1]} and {old[2]} " in section
    assert f"to {new[0]}, {new[1]} and {new[2]}" in section
    now = [speed(by_seed(rows, t, "synthgan+rules"), by_seed(rows, t, "synthgan")) for t in tables]
    assert f"in this run's rows it is {now[0]}, {now[1]} and {now[2]}." in section
    scored = [np.mean([r["quality"] for r in plain[t].values()]) for t in ("adult", "diabetes")]
    assert "synthgan scored {:.3f} and {:.3f} there".format(*scored) in section


def test_privacy_officer_rule_table_states_the_default_policys_thresholds():
    """Each row of README's rule table names a check of synthgan/gate/default_policy.toml with its threshold
    (min or max, "at 95% confidence" exactly where the check has a confidence), and every check is there."""
    import tomllib

    policy = tomllib.loads((ROOT / "synthgan" / "gate" / "default_policy.toml").read_text(encoding="utf-8"))[
        "check"
    ]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The gate, for a privacy officer") : text.index("**Table 1.")]
    quoted = {}
    for line in section.splitlines():
        found = cells(line)
        if len(found) == 3 and found[0].startswith("`"):
            quoted[found[0].split("`")[1]] = found[1]
    keys = {
        "validity.*" if c["metric"].startswith("validity.") and c["metric"] not in quoted else c["metric"]
        for c in policy
    }
    assert keys == set(quoted), set(quoted) ^ keys  # no check left out, no row for a check that is gone
    for check in policy:
        metric = check["metric"]
        key = "validity.*" if metric.startswith("validity.") and metric not in quoted else metric
        if "min" in check:
            expected = {f">= {check['min']}"}
        else:  # a zero limit on a count reads "0", on an excess "<= 0"
            expected = {"0", "<= 0"} if check["max"] == 0 else {f"<= {check['max']}"}
        if check.get("confidence"):
            expected = {f"{e} at {check['confidence']:.0%} confidence" for e in expected}
        assert quoted[key] in expected, (metric, quoted[key], expected)


def test_augmentation_tables_quote_the_augmentation_results():
    """README's augmentation tables (means and paired differences) are rows of
    benchmarks/results/augment_diabetes_per_class.md, figure for figure."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("Measured on diabetes-130 (early readmission")
    section = text[start : text.index("\n## ", start)]
    results = (ROOT / "benchmarks" / "results" / "augment_diabetes_per_class.md").read_text(encoding="utf-8")
    published = {tuple(cells(line)[-3:]) for line in results.splitlines() if line.startswith("| ")}
    quoted = [cells(line) for line in section.splitlines() if line.startswith("| ") and "(0." in line]
    assert len(quoted) == 8  # six systems, two paired differences
    for found in quoted:
        assert tuple(found[-3:]) in published, found


def _settings_tables(name: str):
    """``mean(table, variant, score)`` and ``paired(table, score)`` -> (difference, low, high) read from
    benchmarks/results/NAME.md (``compare_settings.py``'s report)."""
    results = (ROOT / "benchmarks" / "results" / f"{name}.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"## (\w+)\n(.+?)(?=\n## |\Z)", results, re.S))

    def mean(table: str, variant: str, score: str) -> str:
        header = row(sections[table], "variant")
        return row(sections[table], f"{variant} |")[header.index(score)].split()[0]

    def paired(table: str, score: str, variant: str = "pack_conditions") -> tuple[str, ...]:
        header, line = row(sections[table], "variant"), row(sections[table], f"{variant} (")
        return re.match(r"(\S+) \[(\S+), (\S+)\]", line[header.index(score) - 1]).groups()

    return mean, paired


def test_pack_conditions_paragraph_quotes_the_settings_results():
    """README's ``pack_conditions`` figures are the means and paired differences of
    benchmarks/results/settings_pack_conditions.md, settings_pack_conditions_large.md and
    settings_pack_conditions_gate.md."""
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    start = text.index("- `pack_conditions` (CTGAN;")
    paragraph = text[start : text.index(" - Model files:", start)]
    mean, paired = _settings_tables("settings_pack_conditions")
    for table in ("adult10000", "kidney", "hepatitis", "heart"):
        before, after = (mean(table, v, "conditioned_tv") for v in ("default", "pack_conditions"))
        assert f"{before} -> {after}" in paragraph, table
    assert "paired {}, 95% interval {} to {}".format(*paired("adult10000", "conditioned_tv")) in paragraph
    assert "global utility {} ({} to {})".format(*paired("adult10000", "global_utility")) in paragraph
    assert "TSTR {} ({} to {})".format(*paired("adult10000", "tstr")) in paragraph
    small = sorted(float(paired(t, "global_utility")[0]) for t in ("heart", "kidney", "hepatitis"))
    assert f"({small[-1]:+.3f} to {small[0]:+.3f})" in paragraph

    runs = [
        json.loads(line)
        for line in (ROOT / "benchmarks" / "results" / "settings_pack_conditions.jsonl")
        .read_text()
        .splitlines()
    ]
    batches = [{r["batch_size"] for r in runs if r["table"] == t} for t in ("heart", "kidney", "hepatitis")]
    assert batches == [{50}, {70}, {110}] and "batches of 50, 70 and 110 rows: 5-11 packs" in paragraph
    by_seed = {(r["seed"], r["variant"]): r["trends"] for r in runs if r["table"] == "adult10000"}
    moves = sorted(round(by_seed[k, "pack_conditions"] - by_seed[k, "default"], 3) for k in range(5))
    assert f"trends {moves[0]:+.3f} and {moves[1]:+.3f} at 2 of the 5 seeds" in paragraph
    assert f"{moves[2]:+.3f} to {moves[4]:+.3f} at the others" in paragraph

    mean, paired = _settings_tables("settings_pack_conditions_large")
    for table, score in [
        ("diabetes10000", "shapes"),
        ("diabetes10000", "quality"),
        ("diabetes10000", "trends"),
        ("credit10000", "tstr"),
        ("credit10000", "shapes"),
        ("credit10000", "trends"),
    ]:
        assert "{} ({} to {})".format(*paired(table, score)) in paragraph, (table, score)
    for table, score in [("diabetes10000", "conditional_tv"), ("credit10000", "conditioned_tv")]:
        assert (
            "{} -> {}".format(*(mean(table, v, score) for v in ("mixed_packs", "pack_conditions")))
            in paragraph
        )

    mean, paired = _settings_tables("settings_pack_conditions_gate")
    passes = "hepatitis 8 of 8 seeds, the default 7 of 8 - one seed, not a significant difference; Adult 10k"
    assert f"{passes} 5 of 5" in paragraph
    assert "{} [{}, {}]".format(*paired("hepatitis", "passed")) == "+0.125 [-0.171, +0.421]"
    passed = [mean(t, v, "passed") for t, v in [("hepatitis", "pack_conditions"), ("hepatitis", "default")]]
    assert passed + [mean("adult_10k", "pack_conditions", "passed")] == ["1.000", "0.875", "1.000"]
    gain = [mean("hepatitis", v, "closest_record_gain") for v in ("default", "pack_conditions")]
    assert "closest-record gain {} -> {}".format(*gain) in paragraph
    kept = [mean("adult_10k", v, "dependence_kept") for v in ("default", "pack_conditions")]
    interval = paired("adult_10k", "dependence_kept")[1:]
    assert "({} -> {}, interval {} to {})".format(*kept, *interval) in paragraph


def test_time_budget_paragraph_quotes_the_budget_results():
    """README's time-budget figures are benchmarks/results/settings_budget.md's paired differences and fit
    seconds, fit_budget.json's wall times, and the step-cost constants in the code."""
    from synthgan.training import budget as B

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    start = text.index("- **The time budget**")
    paragraph = text[start : text.index(" - **`ema=0.999`**", start)]
    assert (
        round(B.AUXILIARY_PARAM_SECONDS / B.ADVERSARIAL_PARAM_SECONDS) == 11
        and "11 times as steeply" in paragraph
    )
    assert f"about {B.TIME_BUDGET:.0f} s of a 2-core CPU per {B.BUDGET_ROWS:,} training rows" in paragraph
    assert f"never below {B.MIN_TIMED_STEPS:,}" in paragraph
    mean, paired = _settings_tables("settings_budget")
    tables = ("credit10000", "adult10000")
    quality = [paired(t, "quality", "budgeted") for t in tables]
    assert "(credit default {} [{}, {}], Adult {} [{}, {}])".format(*quality[0], *quality[1]) in paragraph
    for score, label in [("trends", "pair trends"), ("tstr", "train-on-synthetic AUC")]:
        assert "{} ({}, {})".format(label, *(paired(t, score, "budgeted")[0] for t in tables)) in paragraph
    assert (
        "global utility ({}, {};".format(*(paired(t, "global_utility", "budgeted")[0] for t in tables))
        in paragraph
    )
    seconds = [round(float(mean(t, v, "fit_s"))) for v in ("budgeted", "default") for t in tables]
    assert "in {} s and {} s instead of {} s and {} s".format(*seconds) in paragraph
    lost = [paired("credit10000", score, "budget") for score in ("quality", "trends")]
    assert "quality ({} [{}, {}]) and pair trends ({} [{}, {}])".format(*lost[0], *lost[1]) in paragraph
    lost = [paired("diabetes10000", score, "budgeted") for score in ("quality", "trends", "global_utility")]
    assert "quality {} [{}, {}], pair trends {} [{}, {}], global utility {} [{}, {}]".format(
        *sum(lost, ())
    ) in (paragraph)
    seconds = [round(float(mean("diabetes10000", v, "fit_s"))) for v in ("budgeted", "default")]
    assert "in {} s instead of {} s".format(*seconds) in paragraph
    runs = json.loads((ROOT / "benchmarks" / "results" / "fit_budget.json").read_text())
    for name, rows in runs.items():
        assert f"{round(statistics.median(r['seconds'] for r in rows))} s ({name}" in paragraph, name


def _word(low: float, high: float) -> str:
    """What a paired 95% interval (synthgan - peer) lets README say."""
    return "beats" if low > 0 else "trails" if high < 0 else "ties"


def test_diabetes_paragraph_quotes_the_quality_results(monkeypatch):
    """README's diabetes-130 paragraph is quality.md's and quality.json's figures, word for word; every
    "beats" / "ties" / "trails" is what the paired 95% interval says, and the budget is the code's."""
    from synthgan.training.budget import BUDGET_ROWS, TIME_BUDGET

    quality = _benchmark(monkeypatch, "quality")

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    start = text.index("On diabetes-130 (a 20,000-row sample")
    paragraph = text[start : text.index(" ## Data and licenses")]
    results = (ROOT / "benchmarks" / "results" / "quality.md").read_text(encoding="utf-8")
    everything = json.loads((ROOT / "benchmarks" / "results" / "quality.json").read_text())
    runs = [r for r in everything if r["table"] == "diabetes"]
    metrics = ["quality", "shapes", "trends", "tstr", "global_utility", "detection", "conditional_tv"]
    part = results[results.index("## diabetes ") :]
    paired = part[part.index("| synthgan - peer") :]

    def d(peer: str, metric: str) -> str:
        return row(paired, f"{peer} |")[1 + metrics.index(metric)]

    def w(peer: str, metric: str) -> str:
        return _word(*_paired_bounds(quality, runs, "diabetes", peer, metric))

    def values(system: str, key: str) -> list:
        return [r[key] for r in runs if r["system"] == system]

    def m(system: str, key: str) -> float:
        return statistics.mean(values(system, key))

    gc, n, steps = "gaussian_copula", len(values("synthgan", "quality")), values("synthgan", "steps")
    short = {"synthgan": "s", "tvae": "t", gc: "g", "shuffled": "sh"}
    v = {f"m_{short[x]}_{k}": f"{m(x, k):.3f}" for x in short for k in metrics + ["trtr"]}
    v |= {f"d_{short[x]}_{k}": d(x, k) for x in ("tvae", gc) for k in metrics}
    v |= {f"w_{short[x]}_{k}": w(x, k) for x in ("tvae", gc) for k in metrics}
    v |= {
        "n": n,
        "budget": f"{TIME_BUDGET * 15_000 / BUDGET_ROWS:.0f}",
        "steps": f"{min(steps):,}-{max(steps):,}",
        "fits": [f"{m(x, 'fit_s'):.0f}" for x in ("synthgan", "tvae")],
        "passed": sum(values("synthgan", "privacy_passed")),
        "tvae_failed": n - sum(values("tvae", "privacy_passed")),
    }
    expected = (
        "On diabetes-130 (a 20,000-row sample of 101,766 encounters: 15,000 training rows, 48 columns, "
        "`readmitted` in three classes, so TSTR is macro F1; {n} seeds, `--tables diabetes`) the default "
        "falls short. The time budget ({budget} s for 15,000 rows) buys {steps} steps there, a quarter of"
        " Adult's 10,000 ({fits[0]} s of fitting; TVAE {fits[1]} s). The default {w_t_quality} TVAE on "
        "quality ({d_t_quality}) and {w_g_quality} GaussianCopula ({d_g_quality}), and on pair trends it "
        "{w_t_trends} TVAE ({d_t_trends}) and {w_g_trends} GaussianCopula ({m_s_trends} against "
        "{m_g_trends}, {d_g_trends}); but every model sits below shuffled columns on pair trends "
        "({m_sh_trends}), and synthgan's rows are told from real ones as easily as shuffled columns' "
        "(detection AUC {m_s_detection} and {m_sh_detection}; TVAE {m_t_detection}, GaussianCopula "
        "{m_g_detection}). TSTR ({m_s_tstr} against TVAE's {m_t_tstr} and GaussianCopula's {m_g_tstr}; "
        "train on real {m_s_trtr}, shuffled columns {m_sh_tstr}) {w_t_tstr} TVAE ({d_t_tstr}) and "
        "{w_g_tstr} GaussianCopula ({d_g_tstr}); global utility ({m_s_global_utility}) "
        "{w_t_global_utility} TVAE's {m_t_global_utility} ({d_t_global_utility}) and {w_g_global_utility}"
        " GaussianCopula's {m_g_global_utility} ({d_g_global_utility}), against shuffled columns' "
        "{m_sh_global_utility} (for a column of more than two levels it is a ratio of macro F1s, not "
        "corrected for chance). The gate's privacy checks pass all {passed} of synthgan's {n} runs; "
        "TVAE's rows fail them in {tvae_failed} of {n}."
    ).format(**v)
    assert paragraph == expected, (paragraph, expected)
    assert len(steps) == n and sum(values("synthgan", "privacy_passed")) == n
    adult = {r["steps"] for r in everything if r["table"] == "adult" and r["system"] == "synthgan"}
    assert adult == {10_000} and 0.2 < max(steps) / 10_000 < 0.3
    assert n - sum(values("tvae", "privacy_passed")) > 0
    status = (  # the status paragraph at the top says the same
        "on diabetes-130 (48 columns, where the time budget leaves a quarter of Adult's steps) synthgan "
        f"{w(gc, 'trends')} GaussianCopula on pair trends and every model sits below shuffled columns on "
        "pair trends"
    )
    assert status in text and w(gc, "trends") != "beats" and w("tvae", "trends") == "beats"
    assert abs(m("synthgan", "detection") - m("shuffled", "detection")) < 0.005
    assert max(m(s, "trends") for s in ("synthgan", "tvae", gc, "ctgan")) < m("shuffled", "trends")


def _diabetes_default_fits() -> dict[int, dict]:
    """quality.json's rows of synthgan's default on diabetes-130, by seed (the fits the settings studies
    start from)."""
    runs = json.loads((ROOT / "benchmarks" / "results" / "quality.json").read_text())
    return {r["seed"]: r for r in runs if r["table"] == "diabetes" and r["system"] == "synthgan"}


def test_docs_diabetes_settings_table_is_the_results_file(monkeypatch):
    """docs/benchmarks.md's table of synthgan's settings on diabetes-130 is diabetes_gap_settings.json's (and
    its .md's), the default's rows there are quality.py's, seed by seed (the same fits), and the prose quotes
    the paired differences it rests on."""
    gap = _benchmark(monkeypatch, "diabetes_gap")
    results = ROOT / "benchmarks" / "results"
    rows = json.loads((results / "diabetes_gap_settings.json").read_text())
    docs = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert gap.settings_table(rows) in docs
    assert (results / "diabetes_gap_settings.md").read_text() == gap.markdown(rows)
    by = {(r["variant"], r["seed"]): r for r in rows}

    without = "synthgan_5000_steps_no_columns_term"

    def lifts(variant: str, key: str) -> str:
        """Seeds 0, 1 and 2's paired lifts over 5,000 steps without the term, as the prose lists them."""
        a, b, c = (f"{by[(variant, seed)][key] - by[(without, seed)][key]:+.3f}" for seed in (0, 1, 2))
        return f"{a}, {b} and {c}"

    prose = " ".join(docs.split())
    term, fewer = "synthgan_5000_steps", "synthgan_5000_steps_columns_100_rows"  # fewer: every fifth row
    assert (
        f"categorical pairs by {lifts(term, 'categorical pairs')} and the real-bins trends by "
        f"{lifts(term, 'trends_real_bins')} (seeds 0, 1 and 2;"
    ) in prose
    assert (
        f"real-bins trends by {lifts(fewer, 'trends_real_bins')} and the categorical pairs by "
        f"{lifts(fewer, 'categorical pairs')} over the same steps"
    ) in prose
    quality = _diabetes_default_fits()
    default = [r for r in rows if r["variant"] == "synthgan"]
    assert len(default) == 3
    for r in default:
        assert (r["steps"], r["trends"], r["tstr"]) == tuple(
            quality[r["seed"]][k] for k in ("steps", "trends", "tstr")
        )


def test_docs_declared_target_study_is_the_results_file(monkeypatch):
    """docs/benchmarks.md's figures on declaring the target are declared_target.jsonl's (means, paired
    intervals, seed-by-seed lifts and steps), and its diabetes-130 defaults are quality.py's fits."""
    import numpy as np

    settings = _benchmark(monkeypatch, "compare_settings")
    results = ROOT / "benchmarks" / "results"
    rows = [json.loads(line) for line in (results / "declared_target.jsonl").read_text().splitlines()]
    by = {(r["table"], r["variant"], r["seed"]): r for r in rows}
    prose = " ".join((ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8").split())

    def seeds(table: str, variant: str) -> list[int]:
        return sorted(s for t, v, s in by if (t, v) == (table, variant))

    def mean(table: str, variant: str, key: str) -> str:
        return f"{np.mean([by[table, variant, s][key] for s in seeds(table, variant)]):.3f}"

    def paired(table: str, variant: str, key: str) -> str:
        diffs = [by[table, variant, s][key] - by[table, "default", s][key] for s in seeds(table, variant)]
        return settings._interval(np.array(diffs))

    hep, dia = "hepatitis", "diabetes"
    assert seeds(hep, "default") == seeds(hep, "target_predictor") == list(range(5))
    assert (
        f"TSTR ({mean(hep, 'target_predictor', 'tstr')} against {mean(hep, 'default', 'tstr')}, "
        f"{paired(hep, 'target_predictor', 'tstr')})"
    ) in prose
    assert (
        f"(closest-record gain {mean(hep, 'target_predictor', 'dcr_gain')} against "
        f"{mean(hep, 'default', 'dcr_gain')}, {paired(hep, 'target_predictor', 'dcr_gain')};"
    ) in prose
    assert f"(conditioned TV {paired(hep, 'target_predictor', 'conditioned_tv')})" in prose
    assert f"Condition focus changed TSTR by {paired(hep, 'target_focus', 'tstr')}" in prose
    assert f"closest-record gain by {paired(hep, 'target_focus', 'dcr_gain')}" in prose

    assert seeds(dia, "target_predictor") == [0, 1] and seeds(dia, "target_focus") == [0]

    def lifts(key: str) -> str:
        a, b = (f"{by[dia, 'target_predictor', s][key] - by[dia, 'default', s][key]:+.3f}" for s in (0, 1))
        return f"{a} and {b}"

    def steps(variant: str) -> str:
        counts = [by[dia, variant, s]["steps"] for s in (0, 1)]
        return f"{min(counts):,}-{max(counts):,}"

    assert (
        f"({lifts('tstr')}, to {mean(dia, 'target_predictor', 'tstr')} on average; "
        f"{paired(dia, 'target_predictor', 'tstr')};"
    ) in prose
    assert f"and quality by {paired(dia, 'target_predictor', 'quality')}:" in prose
    assert f"({lifts('trends')}, to {mean(dia, 'target_predictor', 'trends')})" in prose
    assert f"left {steps('target_predictor')} steps where the default trains {steps('default')}" in prose
    assert (
        f"({mean(dia, 'target_predictor', 'dcr_gain')} against {mean(dia, 'default', 'dcr_gain')})" in prose
    )
    focus = by[dia, "target_focus", 0]["tstr"] - by[dia, "default", 0]["tstr"]
    assert f"Condition focus (seed 0 only) moved TSTR by {focus:+.3f}" in prose
    conditioned = [by[dia, v, 0]["conditioned_tv"] for v in ("target_focus", "default")]
    assert "(conditioned TV {:.3f} against {:.3f})".format(*conditioned) in prose
    quality = _diabetes_default_fits()
    for s in (0, 1):  # the default's diabetes-130 rows are quality.py's fits
        assert (by[dia, "default", s]["trends"], by[dia, "default", s]["tstr"]) == (
            quality[s]["trends"],
            quality[s]["tstr"],
        )


def test_docs_condition_modes_study_is_the_results_file(monkeypatch):
    """docs/benchmarks.md's table and figures on ``condition_modes`` (and README's bullet) are
    settings_condition_modes.jsonl's and, for Adult and credit default, settings_condition_modes_large.jsonl's
    - paired intervals, seed-by-seed lifts (SDMetrics' and on the real table's bins), steps - both files'
    default rows are quality.py's fits, and the diabetes-130 comparison with the peers pairs them with
    quality.json's rows."""
    import numpy as np

    settings = _benchmark(monkeypatch, "compare_settings")
    results = ROOT / "benchmarks" / "results"
    lines = (results / "settings_condition_modes.jsonl").read_text().splitlines()
    large = (results / "settings_condition_modes_large.jsonl").read_text().splitlines()  # Adult, credit
    by = {(r["table"], r["variant"], r["seed"]): r for r in map(json.loads, lines + large)}
    prose = " ".join((ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8").split())
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    modes, names = "condition_modes", {"diabetes": "diabetes-130", "heart": "heart disease"}

    def seeds(table: str) -> list[int]:
        return sorted(s for t, v, s in by if (t, v) == (table, modes))

    def diffs(table: str, key: str, other=None) -> np.ndarray:
        base = other or {s: by[table, "default", s] for s in seeds(table)}
        return np.array([by[table, modes, s][key] - base[s][key] for s in seeds(table)])

    def steps(table: str, variant: str) -> str:
        counts = [by[table, variant, s]["steps"] for s in seeds(table)]
        return f"{min(counts):,}-{max(counts):,}"

    def parts(d: np.ndarray) -> tuple[str, str, str]:
        """The printed interval's mean, low and high ("+0.020 [-0.007, +0.048]")."""
        mid, bounds = settings._interval(d).split(" [")
        return (mid, *bounds.rstrip("]").split(", "))

    tables = list(dict.fromkeys(json.loads(line)["table"] for line in lines))  # the first file's
    assert tables == ["diabetes", "hepatitis", "kidney", "heart"]
    keys = ("quality", "trends", "tstr", "global_utility", "conditioned_tv", "dcr_gain")
    for t in tables:
        assert seeds(t) == list(range(5)), t
        assert all((t, "default", s) in by for s in seeds(t))
        cells = " | ".join(settings._interval(diffs(t, k)) for k in keys)
        if t != "diabetes":  # "no paired difference in the table is significant" on the small tables
            for k in keys:
                _, low, high = parts(diffs(t, k))
                assert float(low) <= 0 <= float(high), (t, k)
        row = f"| {names.get(t, t)} | {len(seeds(t))} | "
        assert row + f"{steps(t, modes)} ({steps(t, 'default')}) | {cells} |" in prose, t
    dia = "diabetes"
    fits = _diabetes_default_fits()
    for s in range(5):  # the default's rows are quality.py's fits
        for key in ("quality", "trends", "tstr", "global_utility", "dcr_gain"):
            assert abs(by[dia, "default", s][key] - fits[s][key]) < 1e-12, (s, key)
    lifts = ", ".join(f"{d:+.3f}" for d in diffs(dia, "trends"))
    means = [f"{np.mean([by[dia, v, s]['trends'] for s in range(5)]):.3f}" for v in (modes, "default")]
    assert f"pair trends {means[0]} against {means[1]} (seed by seed {lifts})" in prose
    quality_rows = json.loads((results / "quality.json").read_text())

    def peer(name: str) -> dict:
        return {r["seed"]: r for r in quality_rows if r["table"] == dia and r["system"] == name}

    gc, tvae = peer("gaussian_copula"), peer("tvae")
    default_vs_gc = settings._interval(np.array([fits[s]["trends"] - gc[s]["trends"] for s in range(5)]))
    vs_gc = settings._interval(diffs(dia, "trends", gc))
    assert f"pair trends {vs_gc} where the default's are {default_vs_gc}" in prose
    assert f"quality {settings._interval(diffs(dia, 'quality', gc))}" in prose
    assert f"TSTR against TVAE's {settings._interval(diffs(dia, 'tstr', tvae))}" in prose
    mid, low, high = parts(diffs(dia, "trends"))
    assert f"diabetes-130's pair trends {mid} ({low} to {high}; higher at 4 seeds of 5)" in readme
    assert (diffs(dia, "trends") > 0).sum() == 4
    mid, low, high = parts(diffs(dia, "tstr"))
    assert f"and TSTR {mid} ({low} to {high});" in readme
    # Adult and credit default (3 seeds): settings_condition_modes_large, with trends on the real bins
    assert len(lines) + len(large) == len(by) and len(large) == 12
    assert sorted(k for k in by if k[0] in ("adult", "credit")) == sorted(
        (t, v, s) for t in ("adult", "credit") for v in ("default", modes) for s in range(3)
    )
    fitted = {(r["table"], r["seed"]): r for r in quality_rows if r["system"] == "synthgan"}
    for t, s in ((t, s) for t in ("adult", "credit") for s in range(3)):  # the default's rows: quality.py's
        same = ("quality", "shapes", "trends", "tstr", "global_utility", "conditional_tv", "dcr_gain")
        assert all(abs(by[t, "default", s][k] - fitted[t, s][k]) < 1e-12 for k in same), (t, s)
    for t, label in (("adult", "Adult"), ("credit", "credit default")):
        cells = " | ".join(settings._interval(diffs(t, k)) for k in keys)
        assert f"| {label} | 3 | {steps(t, modes)} ({steps(t, 'default')}) | {cells} |" in prose, t
        seeded = ", ".join(f"{d:+.3f}" for d in diffs(t, "trends"))
        binned = ", ".join(f"{d:+.3f}" for d in diffs(t, "trends_real_bins"))
        assert f"{label}: pair trends seed by seed {seeded}; on the real table's bins {binned}" in prose, t
    only = [
        set(by["adult", modes, s]["range_differs"]) - set(by["adult", "default", s]["range_differs"])
        for s in range(3)
    ]
    assert only == [set(), set(), {"education-num"}]  # seed 2: the one column binned apart
    worse = settings._interval(diffs("adult", "conditioned_tv"))
    assert f"(conditioned TV {worse}, higher at every seed;" in prose
    assert (diffs("adult", "conditioned_tv") > 0).all()
    mid, low, high = parts(diffs("credit", "trends"))
    binned = parts(diffs("credit", "trends_real_bins"))[0]
    assert f"credit default's pair trends {mid} ({low} to {high}; {binned} on the real table's bins" in readme
    assert (diffs("credit", "trends_real_bins") < 0).all()
    assert f"(pair trends on the real table's bins {parts(diffs('adult', 'trends_real_bins'))[0]})" in readme
    assert f"and TSTR {parts(diffs('credit', 'tstr'))[0]}, which is why" in readme
