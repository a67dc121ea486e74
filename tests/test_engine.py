"""The training engine: autograd parts equal their plain definitions, resume is exact, callbacks, EMA,
validation-based selection, budgets, and the model-zoo seam (a new loss or network needs no loop code)."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from test_synthesizers_contract import small_frame

from synthgan import CTGAN, WGAN
from synthgan.exceptions import InvalidParameterError, ModelFileError, TrainingInterrupted
from synthgan.training.callbacks import Callback, Checkpoint
from synthgan.training.objectives import OBJECTIVES, GeneratorPass, Objective, register_objective

FAST = dict(batch_size=60, random_state=0, verbose=False)


def params(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.trainer_.task.generator.state_dict().items()}


def assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def same_history(a, b) -> bool:
    drop = ["seconds"]
    return a.loss_values_.drop(columns=drop).equals(b.loss_values_.drop(columns=drop))


# ---- resume, checkpoints, signals ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "extra",
    [{}, {"ema": 0.99, "validation": 0.1, "validation_every": 1}, {"validation": 0.1, "validation_every": 3}],
    ids=["plain", "ema+validation", "validation-off-schedule-end"],
)
def test_resume_from_a_checkpoint_equals_straight_training(tmp_path, extra):
    """2N epochs straight, or N epochs, a checkpoint file, and a resumed fit to 2N: the same parameters (both
    networks, EMA), the same history and the same samples."""
    frame = small_frame()
    straight = CTGAN(epochs=4, **FAST, **extra).fit(frame)
    half = CTGAN(epochs=2, **FAST, **extra).fit(frame)
    path = half.save_checkpoint(tmp_path / "run.synthgan.ckpt")
    resumed = CTGAN.load_checkpoint(path)
    assert resumed.warm_start and resumed.get_params()["epochs"] == 2
    resumed.set_params(epochs=4).fit(frame)
    assert_same_state(params(straight), params(resumed))
    assert_same_state(straight.trainer_.task.critic.state_dict(), resumed.trainer_.task.critic.state_dict())
    assert_same_state(straight.generator_.state_dict(), resumed.generator_.state_dict())
    assert same_history(straight, resumed) and straight.history_.validation == resumed.history_.validation
    pd.testing.assert_frame_equal(straight.sample(300, random_state=1), resumed.sample(300, random_state=1))


def test_resume_keeps_the_table_sized_packs_it_trained_with(tmp_path):
    """pac=None with a batch of 249 rows trains with packs of 3 (the largest divisor up to 249 // 50); the
    checkpoint resumes with the same packs and batch, to the same critic as straight training."""
    frame = small_frame()
    settings = dict(batch_size=249, pac=None, random_state=0, verbose=False)
    straight = CTGAN(epochs=2, **settings).fit(frame)
    half = CTGAN(epochs=1, **settings).fit(frame)
    assert (half.pac_, half.batch_size_, half.get_params()["pac"]) == (3, 249, None)
    resumed = CTGAN.load_checkpoint(half.save_checkpoint(tmp_path / "run.synthgan.ckpt"))
    resumed.set_params(epochs=2).fit(frame)
    assert (resumed.pac_, resumed.batch_size_) == (3, 249)
    assert_same_state(straight.trainer_.task.critic.state_dict(), resumed.trainer_.task.critic.state_dict())


def test_resume_of_a_tiny_table_with_pac_none_and_a_rounded_batch_is_not_refused(tmp_path):
    """pac=None on a table under 200 rows keeps packs of 10, so batch_size=61 trains at 70 (rounded, with a
    warning); continuing with the same settings is the same batch, not a refusal."""
    frame = small_frame(150)
    with pytest.warns(UserWarning, match="using batch_size=70"):
        half = CTGAN(epochs=1, batch_size=61, pac=None, random_state=0, verbose=False).fit(frame)
    assert (half.pac_, half.batch_size_) == (10, 70)
    resumed = CTGAN.load_checkpoint(half.save_checkpoint(tmp_path / "run.synthgan.ckpt"))
    resumed.set_params(epochs=2).fit(frame)
    assert (resumed.pac_, resumed.batch_size_, len(resumed.loss_values_)) == (10, 70, 2)


def test_warm_start_continues_in_memory_like_straight_training():
    frame = small_frame()
    straight = CTGAN(epochs=4, **FAST).fit(frame)
    model = CTGAN(epochs=2, warm_start=True, **FAST).fit(frame)
    model.set_params(epochs=4).fit(frame)
    assert_same_state(params(straight), params(model))
    assert len(model.loss_values_) == 4 and same_history(straight, model)
    with pytest.raises(InvalidParameterError, match="this table differs"):
        model.set_params(epochs=5).fit(small_frame(seed=1))
    with pytest.raises(InvalidParameterError, match="batch_size=120 differs from the 60"):
        model.set_params(epochs=5, batch_size=120).fit(frame)


def test_warm_start_with_validation_scores_the_weights_being_trained_and_keeps_the_best_so_far():
    """A continued fit's checks sample the live weights (not the copy the last fit selected) and carry the
    last fit's best score on; the history matches a straight run's checks at the same epochs."""
    frame = small_frame()
    extra = dict(validation=0.2, validation_every=2, **FAST)
    straight = CTGAN(epochs=6, **extra).fit(frame)
    model = CTGAN(epochs=2, warm_start=True, **extra).fit(frame)
    model.set_params(epochs=6).fit(frame)
    assert model.history_.validation == straight.history_.validation
    scores = [c["score"] for c in model.history_.validation]
    assert len(set(scores)) == len(scores)  # every check saw other weights
    assert_same_state(straight.generator_.state_dict(), model.generator_.state_dict())


def test_warm_start_applies_new_learning_rates_and_refuses_switching_averaging():
    frame = small_frame()
    model = CTGAN(epochs=1, warm_start=True, **FAST).fit(frame)
    model.set_params(epochs=2, generator_lr=1e-3).fit(frame)
    assert {g["lr"] for g in model.trainer_.opt_g.param_groups} == {1e-3}
    with pytest.raises(InvalidParameterError, match="ema=None: this model trained with ema=0.999"):
        model.set_params(epochs=3, ema=None).fit(frame)


def test_validation_checks_at_a_fixed_step_interval_whatever_the_budget():
    from synthgan.training.validation import check_interval

    assert check_interval(1) == 250 and check_interval(16) == 16 and check_interval(600) == 1
    short = CTGAN(epochs=3, validation=0.2, **FAST).fit(small_frame())
    assert [c["epoch"] for c in short.history_.validation] == [3]  # only the end, off the schedule
    assert short.history_.validation[0]["final"]


def test_checkpoints_refuse_other_data_files_and_hold_what_resuming_needs(tmp_path):
    model = CTGAN(epochs=1, **FAST).fit(small_frame())
    ckpt, release = model.save_checkpoint(tmp_path / "m.ckpt"), model.save(tmp_path / "m.synthgan")
    with pytest.raises(InvalidParameterError, match="trained on other data"):
        CTGAN.load_checkpoint(ckpt).fit(small_frame(seed=1))
    with pytest.raises(ModelFileError, match="is a synthgan model file, not a synthgan training checkpoint"):
        CTGAN.load_checkpoint(release)
    with pytest.raises(ModelFileError, match="is a synthgan training checkpoint, not a synthgan model file"):
        CTGAN.load(ckpt)
    with pytest.raises(ModelFileError, match="holds a CTGAN checkpoint, not a WGAN"):
        WGAN.load_checkpoint(ckpt)
    with pytest.raises(InvalidParameterError, match="no training state"):
        CTGAN().save_checkpoint(tmp_path / "x.ckpt")
    from synthgan.io.artifacts import load_artifact

    _, tensors = load_artifact(release)
    assert all(
        k.startswith(("blocks.", "out.")) for k in tensors
    )  # the release holds the generator only: no critic
    assert b"2022-01-" not in ckpt.read_bytes()  # no rows (the dates of the table) in the checkpoint either


def test_checkpoint_callback_writes_every_n_epochs_atomically(tmp_path):
    seen = []
    written = tmp_path / "every.ckpt"

    def record(epoch, logs, model):
        seen.append(
            CTGAN.load_checkpoint(written).__dict__["_resume"][1]["step"] if written.exists() else None
        )

    CTGAN(epochs=4, callbacks=[Checkpoint(written, every_epochs=2), record], **FAST).fit(small_frame())
    assert seen == [
        None,
        10,
        10,
        20,
    ]  # 5 steps an epoch; written after epochs 2 and 4 (before the next callback)
    assert not [p for p in tmp_path.iterdir() if p.name != "every.ckpt"]  # no temporary files left


def test_sigterm_stops_at_a_step_boundary_writes_a_checkpoint_and_resumes_exactly(tmp_path):
    """SIGTERM (a preempted cluster job) sets a flag the loop reads between steps: the checkpoint callback
    writes one, TrainingInterrupted is raised, and the run resumed from that file ends where a straight one
    does."""
    frame, path = small_frame(), tmp_path / "pre.ckpt"

    def preempt(epoch, logs, model):
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted) as info:
        CTGAN(epochs=5, callbacks=[preempt, Checkpoint(path)], **FAST).fit(frame)
    assert info.value.signum == signal.SIGTERM and path.exists()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the handler is removed again
    resumed = CTGAN.load_checkpoint(path)
    assert resumed._resume[1]["step"] == 11  # stopped after the first step of epoch 3
    resumed.set_params(epochs=5).fit(frame)
    straight = CTGAN(epochs=5, **FAST).fit(frame)
    assert_same_state(params(straight), params(resumed))
    pd.testing.assert_frame_equal(straight.sample(100, random_state=2), resumed.sample(100, random_state=2))
    assert same_history(straight, resumed)  # the cut epoch's losses average all its steps, as straight


# ---- callbacks, EMA, validation ---------------------------------------------------------------------------
def test_callbacks_see_each_epoch_can_sample_and_can_stop():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, trainer):
            events.append("begin")

        def on_epoch_end(self, epoch, logs, model):
            events.append((epoch, sorted(k for k in logs if "." not in k)))
            assert len(model.sample(5)) == 5  # the model samples mid-training
            return epoch == 3

        def on_train_end(self, trainer):
            events.append("end")

    model = CTGAN(epochs=10, callbacks=[Recorder()], **FAST).fit(small_frame())
    assert events[0] == "begin" and events[-1] == "end" and [e[0] for e in events[1:-1]] == [1, 2, 3]
    assert events[1][1] == ["critic_loss", "epoch", "generator_loss", "seconds", "step"]
    assert len(model.loss_values_) == 3 and model.history_.stopped_by == "callback"


def test_ema_samples_from_the_averaged_weights(tmp_path):
    model = CTGAN(epochs=3, ema=0.9, **FAST).fit(small_frame())
    trained, averaged = model.trainer_.task.generator, model.generator_
    assert averaged is model.trainer_.ema.module and averaged is not trained
    assert model.trainer_.ema.updates == 15
    assert any(not torch.equal(a, b) for a, b in zip(averaged.parameters(), trained.parameters()))
    loaded = CTGAN.load(model.save(tmp_path / "m.synthgan"))
    assert_same_state(loaded.generator_.state_dict(), averaged.state_dict())
    pd.testing.assert_frame_equal(loaded.sample(50, random_state=3), model.sample(50, random_state=3))


def test_validation_records_scores_keeps_the_best_weights_and_stops_early(monkeypatch):
    """With a known score sequence: the best check's weights are the ones sampled from after training, and
    patience=2 stops two checks after the best."""
    import synthgan.synthesizers.base as base

    scores = iter([0.5, 0.7, 0.6, 0.55, 0.9])
    monkeypatch.setattr(
        base.ValidationScorer, "__call__", lambda self, rows: {"score": next(scores), "closer_z": 0.0}
    )
    states = {}

    def keep(epoch, logs, model):
        states[epoch] = {k: v.clone() for k, v in model.generator_.state_dict().items()}

    model = CTGAN(epochs=10, validation=0.2, validation_every=1, patience=2, callbacks=[keep], **FAST).fit(
        small_frame()
    )
    assert [v["score"] for v in model.history_.validation] == [0.5, 0.7, 0.6, 0.55]
    assert model.history_.stopped_by == "early_stopping" and len(model.loss_values_) == 4
    assert model.loss_values_["validation_score"].tolist() == [0.5, 0.7, 0.6, 0.55]
    assert_same_state(model.generator_.state_dict(), states[2])
    assert model.trainer_.task.data.n_rows == 240  # 20% of 300 rows set aside


def test_validation_score_is_the_fidelity_of_a_fixed_sample_with_a_privacy_guard():
    model = CTGAN(epochs=2, validation=0.2, validation_every=1, **FAST).fit(small_frame())
    checks = model.history_.validation
    assert [c["epoch"] for c in checks] == [1, 2]
    for check in checks:
        assert 0.3 < check["column_shapes"] <= 1 and 0.3 < check["pair_trends"] <= 1
        assert check["score"] == pytest.approx((check["column_shapes"] + check["pair_trends"]) / 2)
        assert check["closer_null"] == pytest.approx(240 / 300) and check["eligible"] == (
            check["closer_z"] <= 1.645
        )


def test_the_privacy_guard_counts_rows_nearer_training_than_validation_rows():
    """Copies of training rows sit nearer training rows than chance (z far above 1.645); fresh rows of
    the same distribution sit at chance; such checks are never selected."""
    from synthgan.evaluation.columns import Columns
    from synthgan.schema import Schema
    from synthgan.training.validation import GUARD_Z, Validation, ValidationScorer

    frame = small_frame(1200)
    train, held, fresh = frame.iloc[:800], frame.iloc[800:1000], frame.iloc[1000:]
    scorer = ValidationScorer(train, held, Columns.from_schema(Schema.infer(frame)))
    copies, chance = scorer(train.iloc[:200]), scorer(fresh)
    assert copies["closer_share"] == 1.0 and copies["closer_z"] > 5
    assert chance["closer_null"] == pytest.approx(0.8) and abs(chance["closer_z"]) < 3
    net = torch.nn.Linear(2, 1)

    class Trainer:
        step_count, total_steps = 1, 10
        history = type("H", (), {"validation": [], "rows": []})()

    results = iter(
        [
            {"score": 0.9, "closer_z": GUARD_Z + 1},
            {"score": 0.6, "closer_z": 0.0},
            {"score": 0.8, "closer_z": 3.0},
        ]
    )
    picked = Validation(lambda: next(results), lambda: net, every=1, patience=None)
    picked.on_train_begin(Trainer())
    for epoch in (1, 2, 3):
        with torch.no_grad():
            net.weight.fill_(epoch)
        picked.on_epoch_end(epoch, {}, None)
    assert picked.best_epoch == 2 and picked.selected().weight.flatten().tolist() == [2.0, 2.0]
    assert [c["eligible"] for c in Trainer.history.validation] == [False, True, False]


# ---- budgets --------------------------------------------------------------------------------------------
def test_budgets_in_steps_and_table_sized_batches():
    from synthgan.training.budget import MAX_STEPS, MIN_STEPS, resolve_budget

    tiny, big = resolve_budget(124, pac=10), resolve_budget(100_000, pac=10)
    assert (tiny.batch_size, tiny.steps_per_epoch, tiny.total_steps) == (120, 1, MIN_STEPS)
    assert (big.batch_size, big.steps_per_epoch, big.total_steps) == (500, 200, MAX_STEPS)
    assert (
        resolve_budget(124, pac=10, steps=7).total_steps == 7
        and resolve_budget(124, pac=10, epochs=3).total_steps == 3
    )
    model = CTGAN(steps=7, **FAST).fit(small_frame())
    assert model.trainer_.step_count == 7 and model.loss_values_["step"].tolist() == [
        5,
        7,
    ]  # a partial last epoch


def test_default_budget_fits_the_time_budget():
    """A default budget (neither epochs nor steps) trains for what about TIME_BUDGET seconds buy per 10k
    training rows by the step-cost estimate: the default every-column term is left out first, then steps are
    cut (fewer for wider networks, more for more rows, never under MIN_TIMED_STEPS); a budget given in epochs
    or steps is never cut, nor a term the user asked for."""
    from synthgan.training import budget as B

    def default(rows, adversarial, aux=0, droppable=0, **given):
        return B.within_time(B.resolve_budget(rows, pac=10, **given), adversarial, aux, rows, droppable)

    full = B.resolve_budget(8_000, pac=10)
    assert (full.total_steps, full.rule) == (4_800, "epochs_default")
    # Adult-sized networks: 4,800 steps fit once the every-column term is out ...
    adult = default(8_000, 900_000, 150_000, droppable=150_000)
    assert adult.without_columns and (adult.total_steps, adult.rule) == (4_800, "epochs_default")
    assert adult.estimated_seconds == pytest.approx(4_800 * B.step_seconds(900_000, 0, 500))
    assert adult.estimated_seconds <= B.TIME_BUDGET < 4_800 * B.step_seconds(900_000, 150_000, 500)
    kept = default(8_000, 900_000, 150_000)  # ... not when the user asked for it: steps are cut instead
    assert not kept.without_columns and kept.rule == "time" and kept.total_steps < 4_800
    narrow, wide = default(8_000, 1_500_000), default(8_000, 6_000_000)
    assert narrow.rule == wide.rule == "time" and wide.total_steps < narrow.total_steps < 4_800
    for b, n_params in ((narrow, 1_500_000), (wide, 6_000_000)):
        step = B.step_seconds(n_params, 0, 500)
        assert B.TIME_BUDGET - step < b.estimated_seconds <= B.TIME_BUDGET  # the last step that fits
        assert b.estimated_seconds == pytest.approx(b.total_steps * step)
    larger = default(16_000, 1_500_000)  # 1.6 budgets' worth of rows: 1.6x the steps, under MAX_STEPS
    assert larger.total_steps == pytest.approx(1.6 * narrow.total_steps, abs=2)
    assert larger.total_steps < B.MAX_STEPS
    floor = default(8_000, 10**9)  # too wide for the budget: the floor, said as such
    assert (floor.total_steps, floor.rule) == (B.MIN_TIMED_STEPS, "time_floor")
    assert "at least 1,000 steps, over the time budget" in floor.describe()
    small = default(242, 1_000_000, 100_000, droppable=100_000)  # cheap: nothing cut, nothing left out
    assert (small.total_steps, small.rule, small.without_columns) == (B.MIN_STEPS, "min_steps", False)
    given = default(8_000, 6_000_000, 500_000, 500_000, steps=9_000), default(8_000, 6_000_000, epochs=400)
    assert [(b.total_steps, b.rule, b.without_columns) for b in given] == [(9_000, "steps", False)] + [
        (6_400, "epochs", False)
    ]
    assert given[0].describe() == "" and small.describe().startswith("default budget: at least 3,000 steps, ")
    seconds = f"{adult.estimated_seconds:.0f}"
    assert adult.describe().endswith(
        f"300 epochs' worth, about {seconds} s on 2 CPU cores, without the every-column term"
    )


def test_a_default_fit_and_its_summary_line_follow_the_time_budget(monkeypatch, tmp_path):
    from synthgan.cli.app import app
    from typer.testing import CliRunner

    from synthgan.data import load_heart_disease
    from synthgan.training import budget as B

    def names(model):
        return [o.name for o in model.trainer_.objectives]

    def networks(model):
        task = model.trainer_.task
        return B.n_parameters(task.generator, task.critic), B.n_parameters(model.trainer_.objectives)

    monkeypatch.setattr(B, "TIME_BUDGET", 1.0)  # a budget a few hundred steps long, so the test is quick
    monkeypatch.setattr(B, "MIN_TIMED_STEPS", 5)
    model = CTGAN(random_state=0, verbose=False).fit(small_frame())
    adversarial, aux = networks(model)
    assert "columns" not in names(model) and aux == 0  # left out first: the default term
    expected = B.within_time(B.resolve_budget(300, pac=10), adversarial, 0, 300)
    assert model.budget_ == replace(expected, without_columns=True) and expected.rule == "time"
    assert 5 < expected.total_steps < B.MIN_STEPS
    assert model.trainer_.step_count == expected.total_steps == model.loss_values_["step"].iloc[-1]
    asked = CTGAN(objectives={"columns": 0.2}, random_state=0, verbose=False).fit(small_frame())
    assert "columns" in names(asked) and not asked.budget_.without_columns  # asked for: kept, fewer steps
    assert asked.budget_.total_steps < expected.total_steps
    again = CTGAN(random_state=0, verbose=False).fit(small_frame())
    pd.testing.assert_frame_equal(model.sample(100, random_state=3), again.sample(100, random_state=3))
    # a run stopped half way resumes with the terms it trained with, to the same model; with a budget given
    # (the CLI's --resume ... --epochs N) it keeps those terms too
    ckpt = tmp_path / "half.ckpt"
    stop = lambda epoch, logs, m: epoch >= 10  # noqa: E731
    CTGAN(random_state=0, verbose=False, callbacks=[stop, Checkpoint(ckpt, at_end=True)]).fit(small_frame())
    resumed = CTGAN.load_checkpoint(ckpt).fit(small_frame())
    assert resumed.objectives_ == names(model) and resumed.trainer_.step_count == expected.total_steps
    pd.testing.assert_frame_equal(resumed.sample(100, random_state=3), model.sample(100, random_state=3))
    longer = CTGAN.load_checkpoint(ckpt).set_params(steps=expected.total_steps + 8).fit(small_frame())
    assert longer.objectives_ == names(model) and longer.trainer_.step_count == expected.total_steps + 8
    assert CTGAN.load(model.save(tmp_path / "saved.synthgan")).objectives_ == names(model)  # in its file
    monkeypatch.chdir(tmp_path)
    load_heart_disease().to_csv("heart.csv", index=False)
    result = CliRunner().invoke(app, ["fit", "heart.csv", "-q", "-o", "m.synthgan"])
    assert result.exit_code == 0, result.output
    assert "steps of 60 rows (default budget: what 1 s per 10,000 training rows buy, about 1 s on 2" in (
        " ".join(result.output.split())
    )


# ---- parts defined once, through autograd ------------------------------------------------------------------
def test_heads_equal_a_plain_gumbel_softmax_per_span():
    """The heads' transposed, padded softmax (narrow spans) and row-wise one (wide spans) give, with the same
    Gumbel noise, what a per-span softmax of (logits + noise) / tau gives, and the same gradients."""
    from synthgan._random import quantile_draws
    from synthgan.models.heads import Heads
    from synthgan.transform.layout import Layout, Span

    spans = [
        Span("x", "scalar", 0, 1),
        Span("x", "mode", 1, 3),
        Span("c", "category", 4, 2),
        Span("d", "category", 6, 5),
        Span("y", "scalar", 11, 1),
        Span("e", "category", 12, 80),
        Span("f", "category", 92, 2),
    ]
    heads = Heads(Layout(tuple(spans)))
    raw = torch.randn(40, heads.width, dtype=torch.float64, requires_grad=True)
    out = heads(raw, torch.Generator().manual_seed(5))
    draws = torch.Generator().manual_seed(5)
    k = heads.split - heads.n_scalar
    noise = torch.cat(
        [
            quantile_draws("gumbel", (k, 40), draws, "cpu", raw.dtype).T,
            quantile_draws("gumbel", (40, heads.width - heads.split), draws, "cpu", raw.dtype),
        ],
        dim=1,
    )
    expected = [torch.tanh(raw[:, : heads.n_scalar])]
    noisy = (raw[:, heads.n_scalar :] + noise) / heads.tau
    for g in heads.groups:
        block = noisy[:, g.start - heads.n_scalar : g.end - heads.n_scalar].reshape(40, g.count, g.width)
        expected.append(torch.softmax(block, dim=-1).reshape(40, -1))
    expected = torch.cat(expected, dim=1)
    assert torch.allclose(out, expected, atol=1e-12)
    weights = torch.randn_like(out)
    (got,) = torch.autograd.grad((out * weights).sum(), raw)
    (want,) = torch.autograd.grad((expected * weights).sum(), raw)
    assert torch.allclose(got, want, atol=1e-10)


def test_condition_loss_is_the_cross_entropy_of_each_rows_conditioned_span():
    from synthgan.training.tabular import ConditionTargets

    model = CTGAN(epochs=1, **FAST).fit(small_frame())
    layout, heads, sampler = model.transformer_.layout_, model.heads_, model.trainer_.task.data.sampler
    targets = ConditionTargets(layout, heads, sampler, "cpu")
    raw = torch.randn(30, heads.width, dtype=torch.float64)
    level = torch.as_tensor(sampler.sample_train(30, np.random.default_rng(0))[1])
    expected = []
    for row, glob in enumerate(level.tolist()):
        column = int(np.searchsorted(sampler.offsets, glob, side="right") - 1)
        span = layout.onehot_spans.index(layout.category_spans[column])
        start = int(heads.onehot_offsets_np[span])
        logits = raw[row, start : start + int(sampler.widths[column])]
        expected.append(-torch.log_softmax(logits, 0)[glob - sampler.offsets[column]])
    assert targets.cross_entropy(raw, level).item() == pytest.approx(
        torch.stack(expected).mean().item(), rel=1e-6
    )


def test_gradient_penalty_through_autograd_has_its_closed_form():
    """For a linear critic the input gradient is its weight everywhere: the penalty is w * (|a| - 1)^2."""
    from synthgan.training.objectives import CriticPass, GradientPenalty

    a = torch.tensor([[3.0, 4.0]])
    mixed = torch.randn(6, 2, requires_grad=True)
    scores = mixed @ a.T
    p = CriticPass(torch.cat([torch.zeros(12, 1), scores]), torch.zeros(18, 1), packs=6, mixed=mixed)
    assert GradientPenalty(10.0).critic_loss(p).item() == pytest.approx(10.0 * (5.0 - 1.0) ** 2)


# ---- the model-zoo seam ----------------------------------------------------------------------------------
def test_a_new_loss_term_plugs_in_without_training_loop_code():
    @register_objective
    class MeanMatch(Objective):
        name = "test_mean_match"

        def generator_loss(self, p: GeneratorPass) -> torch.Tensor:
            return self.weight * (p.fake.rows.float().mean(0) - p.batch.rows.float().mean(0)).square().sum()

    try:
        model = CTGAN(epochs=2, objectives={"test_mean_match": 5.0, "condition": 0}, **FAST).fit(
            small_frame()
        )
        terms = [o.name for o in model.trainer_.objectives]
        assert terms == ["wasserstein", "gradient_penalty", "columns", "test_mean_match"]
        assert (
            "generator.test_mean_match" in model.loss_values_
            and "generator.condition" not in model.loss_values_
        )
        assert model.trainer_.objectives[3].weight == 5.0
    finally:
        OBJECTIVES.pop("test_mean_match")


def test_auxiliary_predictor_trains_on_real_rows_and_guides_the_generator():
    """The predictor objective (CTAB-GAN+'s auxiliary classifier): its own optimizer learns the column from
    real rows (its loss falls), and its term is part of the generator's loss; numeric columns work too."""
    frame = small_frame(600)
    model = CTGAN(epochs=20, objectives={"predictor": {"column": "ward", "weight": 1.0}}, **FAST).fit(frame)
    fit = model.loss_values_["auxiliary.predictor[ward]"]
    assert fit.iloc[-5:].mean() < 0.8 * fit.iloc[:3].mean()  # ward is predictable from age (ward C is older)
    assert "generator.predictor[ward]" in model.loss_values_
    numeric = CTGAN(epochs=1, objectives={"predictor": {"column": "age"}}, **FAST).fit(frame)
    assert np.isfinite(numeric.loss_values_["auxiliary.predictor[age]"]).all()
    with pytest.raises(InvalidParameterError, match="column='nope' is not a learned column"):
        CTGAN(epochs=1, objectives={"predictor": {"column": "nope"}}, **FAST).fit(frame)


def test_another_generator_samples_through_the_generic_frozen_form():
    """A network registered in the zoo trains and samples with no engine or sampling code of its own: its
    frozen form runs the module as it is, and equals its eval-mode forward."""
    from torch import nn

    from synthgan.models.freeze import ModuleSampler, freeze
    from synthgan.synthesizers.specs import GENERATORS, SPECS, ModelSpec, register_spec

    class PlainGenerator(nn.Module):
        def __init__(self, noise_dim, cond_dim, hidden, data_dim):
            super().__init__()
            self.cond_dim = cond_dim
            self.embed = nn.Embedding(max(cond_dim, 1), noise_dim)
            self.net = nn.Sequential(
                nn.Linear(noise_dim, hidden[0]),
                nn.LayerNorm(hidden[0]),
                nn.ReLU(),
                nn.Linear(hidden[0], data_dim),
            )

        def forward(self, noise, cond_index=None):
            return self.net(noise if cond_index is None else noise + self.embed(cond_index))

    class PlainCTGAN(CTGAN):
        spec = "test_plain"

    GENERATORS["test_plain"] = PlainGenerator
    register_spec(ModelSpec("test_plain", True, SPECS["ctgan"].objectives, generator="test_plain"))
    try:
        model = PlainCTGAN(epochs=2, **FAST).fit(small_frame())
        frozen = freeze(model.generator_)
        assert isinstance(frozen, ModuleSampler)
        noise, cond = torch.randn(20, 128), torch.randint(0, model.sampler_.width, (20,))
        with torch.no_grad():
            assert torch.allclose(frozen(noise, cond), model.generator_.eval()(noise, cond))
        rows = model.sample(40, conditions={"ward": "B"}, random_state=0)
        assert len(rows) == 40 and (rows["ward"] == "B").all()
    finally:
        GENERATORS.pop("test_plain"), SPECS.pop("test_plain")


@pytest.mark.slow
def test_compiled_training_fits_and_samples():
    """``compile=True`` runs the generator through torch.compile (a C++ compiler must be installed)."""
    import shutil

    if shutil.which("g++") is None and shutil.which("c++") is None:
        pytest.skip("torch.compile needs a C++ compiler on the CPU")
    model = CTGAN(epochs=1, compile=True, **FAST).fit(small_frame())
    assert np.isfinite(model.loss_values_["generator_loss"]).all() and len(model.sample(20)) == 20


def test_model_files_written_before_the_engine_load_and_sample_the_same_rows():
    """A model file written by the previous version (hand-derived training, 2e2ca9b) loads with the new
    generator module and gives exactly the rows that version sampled (stored beside it): a file without the
    bound flags clips at its stored bounds, as that version did."""
    from pathlib import Path

    data = Path(__file__).parent / "data"
    old = CTGAN.load(data / "ctgan_before_the_engine.synthgan")
    assert old.metadata_ == {"written_by": "synthgan at 2e2ca9b"} and len(old.loss_values_) == 2
    expected = pd.read_csv(data / "ctgan_before_the_engine.sample.csv")
    got = old.sample(20, random_state=3)
    got["admitted"] = got["admitted"].astype(str)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_an_auxiliary_term_on_fewer_rows_scores_every_kth_row_and_costs_that_share(monkeypatch, tmp_path):
    """``objectives={"columns": {"rows": k}}`` scores every ceil(batch / k)-th row of a batch (real and fake
    alike): the same loss as the full term on those rows, with the same draws; the time budget counts the
    term's parameters at that share, so asking for it on fewer rows buys more steps."""
    from synthgan.training import budget as B

    asked = dict(epochs=1, **FAST)
    model = CTGAN(objectives={"columns": {"rows": 7}}, **asked).fit(small_frame())
    (term,) = [o for o in model.trainer_.objectives if o.name == "columns"]
    assert term.rows == 7 and term.scored_share(60) == pytest.approx(7 / 60)  # rows 0, 9, ..., 54
    assert B.auxiliary_parameters([term], 60) == pytest.approx(B.n_parameters(term) * 7 / 60)
    rows = torch.rand(60, term.net.masks.shape[1], generator=torch.Generator().manual_seed(1))
    part = term._score(rows, torch.Generator().manual_seed(2))
    term.rows = None
    assert term.scored_share(60) == 1.0
    assert torch.equal(part, term._score(rows[::9], torch.Generator().manual_seed(2)))
    saved = CTGAN.load(model.save(tmp_path / "m.synthgan"))
    assert saved.get_params()["objectives"] == {"columns": {"rows": 7}}
    numpy_int = CTGAN(objectives={"columns": {"rows": np.int64(7)}}, **asked).fit(small_frame())
    assert [o.rows for o in numpy_int.trainer_.objectives if o.name == "columns"] == [7]
    again = CTGAN.load(numpy_int.save(tmp_path / "n.synthgan"))  # numpy scalars are written as plain numbers
    assert again.get_params()["objectives"] == {"columns": {"rows": 7}}
    for bad in (0, 2.5, True, "10"):
        with pytest.raises(
            InvalidParameterError, match=rf"objectives\['columns'\] rows={bad!r} must be a whole"
        ):
            CTGAN(objectives={"columns": {"rows": bad}}, **asked).fit(small_frame())
    monkeypatch.setattr(B, "TIME_BUDGET", 1.0)  # budgets a few hundred steps long
    monkeypatch.setattr(B, "MIN_TIMED_STEPS", 5)
    full, fewer = (
        CTGAN(objectives={"columns": value}, random_state=0, verbose=False).fit(small_frame())
        for value in (0.2, {"rows": 10})
    )
    assert fewer.budget_.rule == full.budget_.rule == "time"
    assert fewer.budget_.total_steps > full.budget_.total_steps  # the term costs 10 / 70 of a batch's
    task, batch = fewer.trainer_.task, fewer.budget_.batch_size
    per_step = B.step_seconds(
        B.n_parameters(task.generator, task.critic),
        B.n_parameters(fewer.trainer_.objectives) * 10 / batch,
        batch,
    )
    assert fewer.budget_.estimated_seconds == pytest.approx(fewer.budget_.total_steps * per_step)
