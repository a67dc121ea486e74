"""Evaluation: agreement with SDMetrics, closed-form behaviour of every privacy metric, reports, errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from synthgan import Schema, evaluate
from synthgan.evaluation import fidelity as F
from synthgan.evaluation.columns import Columns
from synthgan.evaluation.distance import RowEmbedding, nearest
from synthgan.evaluation.privacy import auc_upper, wilson_upper
from synthgan.exceptions import EmptyTableError, NoUsableColumnError, SchemaError


def population(n: int, seed: int) -> pd.DataFrame:
    """Rows from one fixed distribution (so two draws are independent real samples)."""
    rng = np.random.default_rng(seed)
    ward = rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])
    age = np.clip(rng.normal(np.where(ward == "C", 70, 45), 10), 18, 99).round()
    return pd.DataFrame(
        {
            "age": age.astype(int),
            "ward": ward,
            "bp": np.round(110 + 0.5 * age + rng.normal(0, 8, n), 1),
            "smoker": rng.choice(["yes", "no"], n),
            "lab": np.where(rng.random(n) < 0.1, np.nan, np.round(rng.lognormal(1, 0.4, n), 2)),
        }
    )


@pytest.fixture(scope="module")
def tables():
    return population(1500, 1), population(1500, 2), population(1500, 3)  # train, holdout, independent


def test_copies_of_training_rows_are_caught(tables):
    train, holdout, _ = tables
    report = evaluate(train, train.sample(frac=1.0, random_state=0), holdout=holdout)
    assert report.get("fidelity.column_shapes") == pytest.approx(1.0)
    assert report.get("fidelity.detection_auc") == pytest.approx(0.5, abs=0.08)
    assert report.get("privacy.exact_match_rate") == 1.0
    assert (
        report.get("privacy.unique_copies") == report.get("privacy.unique_training_records") > 1490
    )  # a pair of duplicates
    assert (
        report.get("privacy.dcr_closer_to_train_share") > 0.95
        and report.get("privacy.dcr_closer_to_train_excess") > 0.2
    )
    assert report.get("privacy.near_copy_share") == 1.0 and report.get("privacy.near_copy_excess") > 0.9
    assert report.get("privacy.dcr_synthetic_median") == 0.0
    assert report.get("privacy.nndr_ratio") < 0.1
    assert report.get("privacy.membership_inference_auc") > 0.9
    assert report.get("reference.privacy.exact_match_rate") < 0.05


def test_an_independent_real_sample_looks_private(tables):
    train, holdout, fresh = tables
    report = evaluate(train, fresh, holdout=holdout)
    share, null = (
        report.get("privacy.dcr_closer_to_train_share"),
        report.get("privacy.dcr_closer_to_train_null"),
    )
    assert null == pytest.approx(
        0.5
    )  # |T| / (|T| + |H|): the chance a fresh row's nearest real row is a training row
    assert share == pytest.approx(null, abs=0.04) and report.get("privacy.dcr_closer_to_train_excess") < 0
    assert report.get("privacy.unique_copies_excess") <= 0 and report.get("privacy.near_copy_excess") < 0
    assert report.get("privacy.membership_inference_auc") == pytest.approx(0.5, abs=0.08)
    assert report.get("privacy.nndr_ratio") == pytest.approx(1.0, abs=0.35)
    assert report.get("fidelity.detection_auc") == pytest.approx(0.5, abs=0.08)
    assert report.get("reference.fidelity.column_shapes") > 0.9
    ref_share, ref_null = (
        report.get("reference.privacy.dcr_closer_to_train_share"),
        report.get("reference.privacy.dcr_closer_to_train_null"),
    )
    assert ref_null == pytest.approx(1500 / 2250) and ref_share == pytest.approx(ref_null, abs=0.1)


def test_broken_output_scores_low(tables):
    train, holdout, fresh = tables
    rng = np.random.default_rng(7)
    shuffled = pd.DataFrame({c: fresh[c].to_numpy()[rng.permutation(len(fresh))] for c in fresh.columns})
    one_level = fresh.assign(ward="A")
    good = evaluate(train, fresh, holdout=holdout, detection=False)
    assert (
        evaluate(train, shuffled, holdout=holdout, detection=False).get("fidelity.column_pair_trends")
        < good.get("fidelity.column_pair_trends") - 0.1
    )
    assert (
        evaluate(train, one_level, holdout=holdout, detection=False).get("fidelity.per_column.ward.shape")
        < 0.6
    )


def test_missing_metrics_are_reported_with_reasons(tables):
    train, _, fresh = tables
    report = evaluate(train, fresh, detection=False)
    assert report.get("fidelity.ml_efficacy") == {"not_evaluated": "no target column given"}
    assert "holdout" in report.get("privacy.dcr_closer_to_train_share")["not_evaluated"]
    assert "holdout" in report.get("privacy.unique_copies_excess")["not_evaluated"]
    assert "holdout" in report.get("reference")["not_evaluated"]
    assert isinstance(report.get("privacy.exact_match_rate"), float)
    with pytest.raises(KeyError):
        report.get("fidelity.no_such_metric")


def test_ml_efficacy_and_missingness(tables):
    train, holdout, fresh = tables
    report = evaluate(train, fresh, holdout=holdout, target="ward", detection=False)
    assert 0.8 < report.get("fidelity.ml_efficacy") < 1.2
    details = report.get("fidelity.ml_efficacy_details")
    assert details["metric"] == "f1_macro" and 0 < details["train_on_real"]["accuracy"] <= 1
    no_lab = fresh.assign(lab=np.nan)
    report = evaluate(train, no_lab, holdout=holdout, detection=False)
    assert report.get("fidelity.missingness.all_missing_in_synthetic") == ["lab"]
    assert report.get("fidelity.per_column.lab.shape") == {"not_evaluated": "no values on one side"}
    assert report.get("fidelity.per_column.lab.missing_rate_difference") > 0.8


def test_json_and_html_reports(tables, tmp_path):
    train, holdout, fresh = tables
    report = evaluate(train, fresh, holdout=holdout, detection=False)
    data = json.loads(report.to_json(tmp_path / "r.json"))
    assert data == json.loads((tmp_path / "r.json").read_text())
    for key in ("column_shapes", "column_pair_trends", "detection_auc", "ml_efficacy", "per_column"):
        assert key in data["fidelity"]
    for key in (
        "exact_match_rate",
        "dcr_closer_to_train_share",
        "dcr_synthetic_median",
        "dcr_holdout_median",
        "nndr_ratio",
        "membership_inference_auc",
    ):
        assert key in data["privacy"] and key in data["reference"]["privacy"]
    page = report.to_html(tmp_path / "r.html", train, fresh, holdout).read_text()
    assert page.count("data:image/png;base64,") == 3 and "src='http" not in page
    assert "column_shapes" in report.summary() and "real holdout" in report.summary()


def test_bad_input_gives_clear_errors(tables):
    train, holdout, fresh = tables
    with pytest.raises(SchemaError, match="missing columns \\['lab'\\]"):
        evaluate(train, fresh.drop(columns=["lab"]))
    with pytest.raises(SchemaError, match="holdout.*unexpected \\['extra'\\]"):
        evaluate(train, fresh, holdout=holdout.assign(extra=1))
    with pytest.raises(EmptyTableError, match="the synthetic table"):
        evaluate(train, fresh.iloc[:0])
    with pytest.raises(NoUsableColumnError):
        evaluate(pd.DataFrame({"a": [np.nan] * 5}), pd.DataFrame({"a": [np.nan] * 5}))
    with pytest.raises(SchemaError, match="target 'nope'"):
        evaluate(train, fresh, target="nope")


def test_distance_and_bounds():
    frame = pd.DataFrame({"x": [0.0, 1.0, np.nan, 3.0], "c": ["a", "b", "a", None]})
    emb = RowEmbedding(frame, Columns(("x",), ("c",), {}))
    d, i = nearest(emb.transform(frame), emb.transform(frame), k=2)
    assert (d[:, 0] == 0).all() and (i[:, 0] == np.arange(4)).all()
    other = nearest(emb.transform(frame.iloc[[0]].assign(c="b")), emb.transform(frame.iloc[[0]]))[0][0, 0]
    assert other == pytest.approx(1.0)  # one category mismatch = distance 1
    assert wilson_upper(0.5, 10_000) == pytest.approx(0.5082, abs=1e-3)
    assert auc_upper(0.5, 500, 500) == pytest.approx(0.5 + 1.645 * 0.0183, abs=2e-3)


def test_agrees_with_sdmetrics_quality_report(adult):
    from sdmetrics.reports.single_table import QualityReport

    real = adult.sample(6000, random_state=0).reset_index(drop=True)
    rng = np.random.default_rng(1)
    synthetic = real.sample(6000, replace=True, random_state=2).reset_index(drop=True)
    for c in ("age", "hours-per-week", "fnlwgt"):
        synthetic[c] = (synthetic[c] + rng.normal(0, synthetic[c].std() * 0.3, len(synthetic))).round()
    synthetic["workclass"] = synthetic["workclass"].sample(frac=1, random_state=3).to_numpy()
    synthetic.loc[synthetic.index[::17], "occupation"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cols = Columns.from_schema(Schema.infer(real))
        metadata = {
            "columns": {
                c: {"sdtype": "numerical" if c in cols.numeric else "categorical"} for c in real.columns
            }
        }
        theirs = QualityReport()
        theirs.generate(real, synthetic, metadata, verbose=False)
    props = theirs.get_properties().set_index("Property")["Score"]
    shapes = F.column_shapes(real, synthetic, cols)
    assert np.mean(list(shapes.values())) == pytest.approx(props["Column Shapes"], abs=1e-3)
    assert F.pair_trends(F.pair_scores(real, synthetic, cols, bins="own"))["trend_mean"] == pytest.approx(
        props["Column Pair Trends"], abs=1e-3
    )


def _values(node, prefix=""):
    """Every number in a report, by dotted key."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            out.update(_values(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: node} if isinstance(node, (int, float)) and not isinstance(node, bool) else {}


def test_each_metric_draws_from_its_own_stream(tables, tmp_path):
    """Switching detection, the target or the HTML report on or off changes no other value or verdict."""
    from synthgan.gate import Policy, decide

    train, holdout, fresh = tables
    synthetic = pd.concat(
        [fresh.iloc[:1200], train.iloc[:60]], ignore_index=True
    )  # some copies: privacy is not trivial
    plain = evaluate(train, synthetic, holdout=holdout, detection=False, random_state=3)
    full = evaluate(train, synthetic, holdout=holdout, target="ward", random_state=3)
    full.to_html(tmp_path / "r.html", train, synthetic, holdout)
    again = evaluate(train, synthetic, holdout=holdout, detection=False, random_state=3)
    a, b = _values(plain.data), _values(full.data)
    shared = [k for k in a if k in b and "detection" not in k and "ml_efficacy" not in k]
    assert len(shared) > 60
    assert {k: a[k] for k in shared} == {k: b[k] for k in shared}
    assert _values(again.data) == a
    policy = Policy.default()
    verdicts = [
        {c.metric: c.passed for c in decide(r, policy).checks if "detection" not in c.metric}
        for r in (plain, full)
    ]
    assert verdicts[0] == verdicts[1]


def test_synthetic_and_reference_are_measured_at_the_same_size(tables):
    train, holdout, fresh = tables
    big = pd.concat([fresh, population(3000, 9)], ignore_index=True)
    report = evaluate(train, big, holdout=holdout.iloc[:400], target="ward")
    sizes = report.get("meta.fidelity_sample_sizes")
    assert sizes == {"compared_rows": 400, "repeats": 5, "detection_rows_per_side": 400}
    assert report.get("fidelity.column_shapes_se") > 0 and report.get("fidelity.column_shapes_spread") > 0
    assert report.get("fidelity.ml_efficacy_details")["rows"] == 1500  # as many synthetic rows as real ones
    assert report.get("privacy.sample_sizes")["nndr_compared_rows"] == 400
    small = evaluate(train, fresh, holdout=holdout.iloc[:25], detection=False)
    assert "at least 30 rows" in small.get("reference")["not_evaluated"]


def test_detection_auc_is_the_mean_of_per_fold_aucs(tables):
    """Real vs real: per-fold AUCs average to about 0.5 (pooled out-of-fold scores ran low, e.g. 0.415)."""
    from synthgan.evaluation.learners import detection_auc

    train, holdout, _ = tables
    cols = Columns(("age", "bp", "lab"), ("ward", "smoker"), {})
    values = [detection_auc(train, holdout, cols, np.random.default_rng(seed), 600) for seed in range(4)]
    assert np.mean(values) == pytest.approx(0.5, abs=0.04)


def test_membership_attack_averages_holdout_splits(tables, monkeypatch):
    """On a 60-row holdout, one split's AUC moves with which rows land in which half; the average over
    splits moves much less with the attack's seed, and reports the spread it averaged away."""
    from synthgan.evaluation import privacy as P

    train, holdout, fresh = tables
    emb = RowEmbedding(train, Columns(("age", "bp", "lab"), ("ward", "smoker"), {}))
    syn, members, held = (
        emb.transform(fresh.iloc[:1000]),
        emb.transform(train.iloc[:240]),
        emb.transform(holdout.iloc[:60]),
    )

    def aucs():
        runs = [P.membership_auc(syn, members, held, np.random.default_rng(s)) for s in range(12)]
        return np.array([r["membership_inference_auc"] for r in runs]), runs

    averaged, runs = aucs()
    assert P.attack_repeats(240, 60) == P.MIA_REPEATS == 20
    assert all(r["membership_inference_auc_spread"] > 0 for r in runs)
    assert runs[0]["membership_inference_auc_se"] == pytest.approx(
        P.auc_se(runs[0]["membership_inference_auc"], 240, 60)
    )
    tiny = P.membership_auc(syn, members[:1], held[:4], np.random.default_rng(0))  # the smallest holdout
    assert 0 <= tiny["membership_inference_auc"] <= 1 and tiny["membership_inference_auc_se"] > 0
    monkeypatch.setattr(P, "MIA_REPEATS", 1)
    single, runs = aucs()
    assert all("not_evaluated" in r["membership_inference_auc_spread"] for r in runs)
    assert averaged.std() < 0.5 * single.std()
    assert averaged.mean() == pytest.approx(0.5, abs=0.06)


def test_html_suppresses_cells_under_k(monkeypatch, tmp_path):
    """No bar or histogram bin of real rows drawn from fewer than 5 patients."""
    from synthgan.evaluation import html

    drawn = []
    monkeypatch.setattr(
        html, "_histogram", lambda ax, values, edges, label, suppress: drawn.append((label, suppress))
    )
    train = population(300, 1).assign(ward=["A"] * 296 + ["Z"] * 4)  # ward Z: 4 patients
    report = evaluate(train, population(300, 2), holdout=population(100, 3), detection=False)
    page = html.render(report, train, population(300, 2), population(100, 3))
    assert ("real", True) in drawn and ("real holdout", True) in drawn and ("synthetic", False) in drawn
    counts, _ = np.histogram(np.r_[0.0, np.zeros(3), np.ones(10)], bins=[0, 0.5, 1.0])
    assert counts.tolist() == [4, 10] and "data:image/png" in page


def test_a_column_whose_other_values_are_too_rare_to_store_is_not_collapsed():
    from synthgan.evaluation.columns import Columns
    from synthgan.evaluation.fidelity import collapsed_columns
    from synthgan.schema import Schema

    real = pd.DataFrame({"drug": ["No"] * 995 + ["Steady"] * 2 + ["Up"] * 3, "ward": ["a", "b"] * 500})
    cols = Columns.from_schema(Schema.infer(real))
    only_no = pd.DataFrame({"drug": ["No"] * 1000, "ward": ["a", "b"] * 500})
    assert collapsed_columns(real, only_no, cols) == []  # "Steady" and "Up" are under k = 5 rows
    one_ward = pd.DataFrame({"drug": ["No"] * 1000, "ward": ["a"] * 1000})
    assert collapsed_columns(real, one_ward, cols) == ["ward"]
    numbers = pd.DataFrame({"bmi": np.random.default_rng(0).normal(27, 4, 1000)})  # every value distinct
    one_value = pd.DataFrame({"bmi": [27.1] * 1000})
    assert collapsed_columns(numbers, one_value, Columns.from_schema(Schema.infer(numbers))) == ["bmi"]


def test_sdmetrics_pair_trends_fall_for_columns_merely_cut_at_their_bounds(heart):
    """Why numbers get tails past their robust bounds (transform/bounds.py): SDMetrics 0.32's QualityReport
    bins each side's numbers on that side's own range, so real columns merely cut off at their 5th smallest /
    largest values lose pair trends (0.797 -> 0.768 on heart disease; 0.867 -> 0.76 on hepatitis) while their
    shapes barely move."""
    from sdmetrics.reports.single_table import QualityReport

    from synthgan.transform.bounds import robust_bounds

    numeric = ("age", "trestbps", "chol", "thalach", "oldpeak")
    metadata = {
        "columns": {c: {"sdtype": "numerical" if c in numeric else "categorical"} for c in heart.columns}
    }
    rng = np.random.default_rng(0)
    shuffled = pd.DataFrame({c: heart[c].to_numpy()[rng.permutation(len(heart))] for c in heart.columns})
    cut = shuffled.copy()
    for c in numeric:
        cut[c] = shuffled[c].clip(*robust_bounds(heart[c].to_numpy(float), 5))
    scores = {}
    for name, frame in (("shuffled", shuffled), ("cut", cut)):
        report = QualityReport()
        report.generate(heart, frame, metadata, verbose=False)
        scores[name] = report.get_properties().set_index("Property")["Score"]
    assert scores["shuffled"]["Column Pair Trends"] - scores["cut"]["Column Pair Trends"] > 0.02
    assert scores["shuffled"]["Column Shapes"] - scores["cut"]["Column Shapes"] < 0.01


def test_pair_trends_bin_both_tables_on_the_real_range(heart):
    """A release without single patients' extremes is judged on the same cells as the real rows: a number
    paired with a category is binned on the real table's range for both tables (``bins="real"``, what the
    report and the gate use), so real rows merely cut at their robust bounds keep their pair trends and
    their dependence; SDMetrics' own-range bins (``bins="own"``) shift every bin of the cut columns."""
    from synthgan.evaluation.dependence import dependence_kept
    from synthgan.transform.bounds import robust_bounds

    cols = Columns.from_schema(Schema.infer(heart))
    cut = heart.copy()
    for c in cols.numeric:
        if heart[c].nunique() > 10:
            cut[c] = heart[c].clip(*robust_bounds(heart[c].to_numpy(float), 5))
    real_bins = F.pair_trends(F.pair_scores(heart, cut, cols))["trend_mean"]
    own_bins = F.pair_trends(F.pair_scores(heart, cut, cols, bins="own"))["trend_mean"]
    # the figures README quotes
    assert real_bins == pytest.approx(0.996, abs=1e-3) and own_bins == pytest.approx(0.916, abs=1e-3)
    with pytest.raises(ValueError, match="bins must be 'real' or 'own'"):
        F.pair_scores(heart, cut, cols, bins="sdmetrics")
    train, holdout = heart.iloc[:200], heart.iloc[200:].reset_index(drop=True)
    kept = dependence_kept(train, cut.iloc[:200], holdout, cols, np.random.default_rng(0))
    assert kept["dependence_kept"] > 0.8
