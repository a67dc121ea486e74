"""The benchmark scripts' own instruments: what they count as a matmul must be every matmul the step runs."""

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_matmul_log_and_op_clock_count_every_matmul_form():
    """mm / addmm / bmm, plain and with ``out=`` (the training step writes weight gradients with
    ``out=``), are logged with their (batch, m, k, n) and timed as matmuls; other ops are not."""
    from bench_scaling import MatmulLog, OpClock, flops

    a, b, bias = torch.randn(6, 4), torch.randn(4, 3), torch.randn(3)
    out = torch.empty(6, 3)
    batched = torch.randn(2, 6, 4), torch.randn(2, 4, 3)
    calls = [
        lambda: a @ b,
        lambda: torch.mm(a, b, out=out),
        lambda: torch.addmm(bias, a, b),
        lambda: torch.addmm(bias, a, b, out=out),
        lambda: torch.bmm(*batched),
    ]
    with MatmulLog() as log:
        for call in calls:
            call()
        torch.add(a, 1.0)
    assert log.shapes == [(1, 6, 4, 3, torch.float32)] * 4 + [(2, 6, 4, 3, torch.float32)]
    assert flops(log.shapes) == 2 * 6 * 4 * 3 * 6
    with OpClock() as clock:
        for call in calls:
            call()
    assert clock.seconds["matmul"] > 0 and clock.seconds["other"] == 0 and clock.ops == 5


def _adams():
    """torch.optim's Adam twice: the fused kernel (what training uses where it exists) and the foreach one."""
    ours, theirs = torch.nn.Parameter(torch.ones(50)), torch.nn.Parameter(torch.ones(50))
    ours.grad, theirs.grad = torch.ones(50), torch.ones(50)
    try:
        fused = torch.optim.Adam([ours], lr=0.1, fused=True)
    except (RuntimeError, TypeError):
        pytest.skip("this torch has no fused Adam on the CPU")
    return fused, torch.optim.Adam([theirs], lr=0.1, foreach=True)


def test_op_clock_files_adam_under_the_optimizer():
    """torch.optim's steps, fused or foreach, count as the optimizer's, not as matmuls."""
    from bench_scaling import OpClock

    for optimizer in _adams():
        optimizer.step()  # the first step makes the state
        with OpClock() as clock:
            optimizer.step()
        assert clock.seconds["optimizer"] > 0 and clock.seconds["matmul"] == 0


def test_profiled_kinds_file_matmuls_and_both_adams():
    """The profiler-based make-up files every matmul form as a matmul, both Adams (fused kernel, foreach ops
    under an ``Optimizer.step`` record) as the optimizer's, the rest as other."""
    from bench_scaling import _profiled_kind
    from torch.profiler import ProfilerActivity, profile

    a, b, bias, out = torch.randn(6, 4), torch.randn(4, 3), torch.randn(3), torch.empty(6, 3)
    fused, plain = _adams()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        a @ b, torch.mm(a, b, out=out), torch.addmm(bias, a, b, out=out), torch.tanh(a)
        plain.step()
        fused.step()
    kinds = {}
    for event in prof.events():
        if event.name.startswith("aten::"):
            kinds.setdefault(event.name, set()).add(_profiled_kind(event))
    assert (
        kinds["aten::mm"] == {"matmul"}
        and kinds["aten::addmm"] == {"matmul"}
        and kinds["aten::tanh"] == {"other"}
    )
    assert any(name.startswith("aten::_foreach") and found == {"optimizer"} for name, found in kinds.items())
    assert kinds["aten::_fused_adam_"] == {"optimizer"}


def test_scaling_systems_are_synthgan_at_both_precisions_and_the_reference():
    """The step is measured for synthgan at its default precision and in float32 (the reference's
    dtype), the same code either way; an unknown precision name would not be a system."""
    from bench_scaling import SYSTEMS, new_model

    assert SYSTEMS == ("synthgan", "synthgan-float32", "ctgan")
    default, single = new_model("synthgan", 3), new_model("synthgan-float32", 3)
    assert type(default) is type(single) and default.epochs == single.epochs == 3
    assert default.precision == "auto" and single.precision == "float32"
    assert default.get_params() | {"precision": "float32"} == single.get_params()


def test_quality_scores_take_categorical_columns_wider_than_histgradientboosting_allows():
    """diabetes-130's diagnosis codes have hundreds of levels in a 20,000-row sample; HistGradientBoosting
    refuses more than 255 as a categorical feature, so the quality benchmark's classifiers take such a column
    as ordinal codes."""
    pytest.importorskip("sklearn")
    import numpy as np
    import pandas as pd
    from quality import _predict_score, detection, global_utility

    from synthgan.schema import Schema

    rng = np.random.default_rng(0)
    n = 1_200
    wide = rng.integers(0, 400, n)
    frame = pd.DataFrame({"code": [f"c{v:03d}" for v in wide], "x": rng.normal(size=n) + 2.0 * (wide < 200)})
    frame["y"] = np.where(wide < 200, "no", "yes")
    schema = Schema.infer(frame)
    assert schema["code"].kind == "categorical" and frame["code"].nunique() > 255
    train, test = frame.iloc[:900].reset_index(drop=True), frame.iloc[900:].reset_index(drop=True)
    assert _predict_score(train, test, "y", schema) > 0.95  # the codes (in order) carry the label
    same = detection(train.iloc[:450], train.iloc[450:].reset_index(drop=True), schema, seed=0)
    assert 0.35 < same < 0.65  # two halves of one table cannot be told apart
    narrow, synthetic = train[["x", "y"]], test[["x", "y"]].iloc[::-1].reset_index(drop=True)
    schema = Schema.infer(narrow)
    real = {}  # the real-trained scores, kept for the next system on the same split, change nothing
    first = global_utility(narrow, synthetic, test, schema, real)
    assert set(real) == {"x", "y"} and 0.5 < first < 1.5
    assert global_utility(narrow, synthetic, test, schema, real) == first
    assert global_utility(narrow, synthetic, test, schema) == first
