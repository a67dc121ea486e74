"""One contract, run against every synthesizer: the scikit-learn conventions and synthgan's promises."""

from __future__ import annotations


import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from synthgan import CTGAN, WGAN
from synthgan.exceptions import ConditionError, InvalidParameterError, ModelFileError, NotFittedError, TrainingError

SYNTHESIZERS = [CTGAN, WGAN]


def small_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ward = rng.choice(["A", "B", "C"], n, p=[0.6, 0.3, 0.1])
    age = np.where(ward == "C", rng.integers(60, 90, n), rng.integers(18, 60, n))
    return pd.DataFrame(
        {
            "age": age,
            "ward": ward,
            "bmi": np.round(rng.normal(27, 4, n), 1),
            "smoker": rng.choice([True, False], n),
            "lab": np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(1, 0.5, n)),
            "admitted": pd.to_datetime("2022-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        }
    )


def fitted(cls, **kw):
    params = dict(epochs=2, batch_size=60, random_state=0, verbose=False) | kw
    return cls(**params).fit(small_frame())


@pytest.fixture(scope="module", params=SYNTHESIZERS, ids=lambda c: c.__name__)
def model(request):
    return fitted(request.param)


def test_fit_returns_self_and_sets_fitted_attributes():
    for cls in SYNTHESIZERS:
        m = cls(epochs=1, batch_size=60, verbose=False)
        assert m.fit(small_frame()) is m
        assert m.n_features_in_ == 6 and list(m.feature_names_in_) == list(small_frame().columns)
        assert list(m.loss_values_.columns) == ["epoch", "generator_loss", "critic_loss", "seconds"]


def test_init_only_stores_parameters_and_clone_works():
    m = CTGAN(epochs=7, generator_dim=(32,), random_state=3)
    assert m.get_params()["epochs"] == 7 and not hasattr(m, "generator_")
    c = clone(m.set_params(batch_size=40))
    assert c.get_params() == m.get_params() and c is not m
    CTGAN(epochs=-5, device="tpu")  # stored, not validated, until fit


def test_sample_keeps_columns_order_and_dtypes(model):
    rows = model.sample(123)
    frame = small_frame()
    assert rows.shape == (123, 6) and list(rows.columns) == list(frame.columns)
    assert (rows.dtypes == frame.dtypes).all()
    assert rows["ward"].isin(["A", "B", "C"]).all()
    assert rows["age"].between(frame["age"].min(), frame["age"].max()).all()
    assert rows["lab"].isna().any() and rows["lab"].notna().any()  # missing values are modelled


def test_same_seed_same_samples(model):
    cls = type(model)
    again = fitted(cls)
    pd.testing.assert_frame_equal(model.sample(50, random_state=4), again.sample(50, random_state=4))
    pd.testing.assert_frame_equal(model.sample(50, random_state=4), model.sample(50, random_state=4))
    assert not model.sample(50, random_state=4).equals(model.sample(50, random_state=5))


def test_kept_dense_rows_and_rows_built_per_batch_train_alike(model, monkeypatch):
    """Small tables keep their dense rows (a batch is one gather), large ones build each batch's rows
    from scalars and codes: the same batches either way, so the same model and samples."""
    from synthgan.training.loop import TrainingData

    monkeypatch.setattr(TrainingData, "DENSE_BYTES", 0)
    built = fitted(type(model))
    pd.testing.assert_frame_equal(model.sample(50, random_state=4), built.sample(50, random_state=4))


def test_samples_do_not_depend_on_how_batches_are_run(model):
    """Batches run two at a time on worker threads (multi-core CPU) or one by one (one intra-op thread):
    same rows either way, and the caller's thread count - and the default of threads started later - is kept."""
    import threading

    import torch

    threads = torch.get_num_threads()
    parallel = model.sample(9000, random_state=2)  # three 4,096-row batches: rounds of two, then one
    assert torch.get_num_threads() == threads
    started = []
    worker = threading.Thread(target=lambda: started.append(torch.get_num_threads()))
    worker.start()
    worker.join()
    assert started == [threads]
    torch.set_num_threads(1)
    try:
        serial = model.sample(9000, random_state=2)
    finally:
        torch.set_num_threads(threads)
    pd.testing.assert_frame_equal(parallel, serial)


def test_global_rng_untouched(model):
    import torch

    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    fitted(type(model), epochs=1)
    model.sample(10)
    assert np.array_equal(np.random.get_state()[1], np_state) and torch.equal(torch.get_rng_state(), torch_state)


def test_save_load_round_trip(model, tmp_path):
    path = model.save(tmp_path / "m.synthgan", metadata={"source": "unit test"})
    loaded = type(model).load(path)
    pd.testing.assert_frame_equal(loaded.sample(40, random_state=9), model.sample(40, random_state=9))
    assert loaded.metadata_ == {"source": "unit test"}
    assert loaded.loss_values_["generator_loss"].tolist() == model.loss_values_["generator_loss"].tolist()
    raw = path.read_bytes()
    assert b"2022-01-" not in raw  # no timestamps of rows (only the origin offset, as an integer)


@pytest.mark.parametrize("conditions", [{"ward": "C"}, {"ward": "B", "smoker": True}])
def test_conditions_hold_on_every_row(model, conditions):
    rows = model.sample(80, conditions=conditions, random_state=0)
    assert len(rows) == 80
    for column, value in conditions.items():
        assert (rows[column] == value).all()


def test_condition_errors_name_what_is_accepted(model):
    with pytest.raises(ConditionError, match="unknown condition column 'nope'.*'ward'"):
        model.sample(5, conditions={"nope": 1})
    with pytest.raises(ConditionError, match="'Z' is not a level of 'ward'; levels are \\['A', 'B', 'C'\\]"):
        model.sample(5, conditions={"ward": "Z"})
    with pytest.raises(ConditionError, match="categorical columns"):
        model.sample(5, conditions={"age": 30})


def test_errors_before_fit_and_bad_parameters():
    with pytest.raises(NotFittedError, match="not fitted"):
        CTGAN().sample(3)
    with pytest.raises(NotFittedError):
        CTGAN().save("x.synthgan")
    for params, name in [({"epochs": 0}, "epochs"), ({"batch_size": "a"}, "batch_size"), ({"device": "tpu"}, "device"),
                         ({"precision": "fp8"}, "precision"), ({"max_time": -1}, "max_time"), ({"generator_dim": ()}, "generator_dim"),
                         ({"batch_size": 1, "pac": 1}, "batch_size=1 is too small")]:
        with pytest.raises(InvalidParameterError, match=name):
            CTGAN(verbose=False, **params).fit(small_frame())
    for n in (0, -3, 2.5, "10", True):
        with pytest.raises(InvalidParameterError, match="n="):
            fitted(CTGAN, epochs=1).sample(n)


def test_batch_size_not_multiple_of_pac_is_rounded_with_warning():
    with pytest.warns(UserWarning, match="using batch_size=70"):
        m = CTGAN(epochs=1, batch_size=61, verbose=False).fit(small_frame())
    assert m.batch_size_ == 70


def test_max_time_stops_after_the_epoch_that_passes_it():
    m = CTGAN(epochs=500, batch_size=60, max_time=0.5, verbose=False).fit(small_frame())
    assert 1 <= len(m.loss_values_) < 500
    assert m.history_.stopped_by == "max_time" and m.loss_values_.attrs["stopped_by"] == "max_time"


def test_nan_loss_stops_with_clear_error():
    with pytest.raises(TrainingError, match="NaN or infinite"):
        CTGAN(epochs=3, batch_size=60, generator_lr=1e30, discriminator_lr=1e30, verbose=False).fit(small_frame())


def test_progress_bar_shows_epochs_and_losses(capsys):
    CTGAN(epochs=2, batch_size=60, verbose=True).fit(small_frame())
    err = capsys.readouterr().err
    assert "epoch" in err and "g=" in err and "c=" in err
    CTGAN(epochs=1, batch_size=60, verbose=False).fit(small_frame())
    assert capsys.readouterr().err == ""


def test_model_files_are_checked(tmp_path):
    m = fitted(CTGAN, epochs=1)
    path = m.save(tmp_path / "m.synthgan")
    with pytest.raises(ModelFileError, match="holds a CTGAN model, not a WGAN"):
        WGAN.load(path)
    truncated = tmp_path / "t.synthgan"
    truncated.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(ModelFileError, match="model file"):
        CTGAN.load(truncated)
    with pytest.raises(ModelFileError, match="no such model file"):
        CTGAN.load(tmp_path / "missing.synthgan")


def test_pickle_payload_is_refused_without_running(tmp_path):
    import torch

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = tmp_path / "evil.synthgan"
    torch.save({"format": "synthgan-model", "format_version": 1, "meta": "{}", "tensors": {}, "x": Payload()}, evil)
    with pytest.raises(ModelFileError, match="refused without running"):
        CTGAN.load(evil)
    assert not marker.exists()


def test_log_frequency_changes_rare_category_share():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"c": rng.choice(["common", "rare1", "rare2"], 2000, p=[0.95, 0.025, 0.025]), "x": rng.normal(size=2000)})
    from synthgan.sampling import ConditionalSampler
    from synthgan.transform import TableTransformer

    tt = TableTransformer().fit(frame, random_state=0)
    sampler = ConditionalSampler.from_codes(tt.transform(frame, random_state=0).codes, tt.layout_)
    _, level_log, rows = sampler.sample_train(20000, np.random.default_rng(1))
    plain_col, plain_level = sampler.draw(20000, np.random.default_rng(1), log_frequency=False)
    rare_log = np.mean(level_log != 0)
    rare_plain = np.mean(plain_level != 0)
    assert rare_plain == pytest.approx(0.05, abs=0.01)
    assert rare_log > 0.25  # log(count+1) weights: ~0.28 of draws go to the two rare levels
    codes = tt.transform(frame, random_state=0).codes[:, 0]
    assert (codes[rows] == level_log).all()  # real rows match the chosen level


def _dense_forward(net, noise, one_hot):
    """The paper's generator written plainly: an MLP over cat([noise, one-hot]) with residual concatenation."""
    import torch

    def linear(layer, x):  # one Linear over [dense inputs, one-hot]: the table is the one-hot's weight, transposed
        return torch.nn.functional.linear(x, torch.cat([layer.weight, layer.table.T], dim=1), layer.bias)

    x = torch.cat([noise, one_hot], dim=1)
    for block in net.blocks:
        x = torch.cat([torch.relu(block.bn(linear(block.fc, x))), x], dim=1)
    return linear(net.out, x)


@pytest.mark.parametrize("cond_dim, fixed", [(30, False), (30, True), (0, False)])
def test_generator_gathers_the_one_hot_exactly(cond_dim, fixed):
    """The generator's gathered one-hot gives the dense MLP's outputs (eval) and weight gradients (training)."""
    import torch

    from synthgan.models.frozen import FrozenGenerator
    from synthgan.models.tabular import Generator

    torch.manual_seed(0)
    net = Generator(16, cond_dim, [32, 32], 12)
    for block in net.blocks:  # non-trivial batch-norm statistics, as after training
        block.bn.running_mean.normal_()
        block.bn.running_var.uniform_(0.5, 2.0)
        block.bn.weight.data.normal_()
    noise = torch.randn(200, 16)
    index = torch.full((1,), 7) if fixed else torch.randint(0, max(cond_dim, 1), (200,))
    one_hot = torch.nn.functional.one_hot(index.expand(200), cond_dim).float() if cond_dim else torch.zeros(200, 0)
    cond = index if cond_dim else None
    net.eval()
    with torch.no_grad():
        dense = _dense_forward(net, noise, one_hot)
        assert torch.allclose(net(noise, cond), dense, atol=1e-5)
    net.train()
    # the sampling copy (batch norm folded, one buffer) agrees too, whatever mode the network is in
    assert torch.allclose(FrozenGenerator(net)(noise, cond), dense, atol=1e-5)
    half = FrozenGenerator(net, torch.bfloat16)(noise, cond).float()
    assert ((half - dense).norm() / dense.norm()).item() < 0.02
    grads = []
    for forward in (lambda: net(noise, cond), lambda: _dense_forward(net, noise, one_hot)):
        net.zero_grad()
        (forward() ** 2).mean().backward()
        grads.append([p.grad.clone() for p in net.parameters() if p.numel()])  # no table without a condition
    for got, expected in zip(*grads):
        assert torch.allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_both_precisions_learn_the_table(precision):
    """Either precision trains (finite losses, float32 weights kept) and samples rows whose ward mix follows
    the data."""
    import torch

    model = CTGAN(epochs=15, batch_size=60, precision=precision, random_state=0, verbose=False).fit(small_frame())
    assert np.isfinite(model.history_.frame()[["generator_loss", "critic_loss"]].to_numpy()).all()
    assert all(p.dtype == torch.float32 for p in model.generator_.parameters())
    share = model.sample(2000)["ward"].value_counts(normalize=True)
    assert share.index[0] == "A" and share["A"] > 0.4  # the data has 60% A, 30% B, 10% C


def test_generator_loads_weights_saved_with_the_one_hot_inside_the_weight():
    """Model files from before the one-hot table was its own tensor hold (out, in + cond) weights: they load
    into the same function."""
    import torch

    from synthgan.models.tabular import Generator

    torch.manual_seed(0)
    net = Generator(16, 30, [32], 12).eval()
    old = {k: v for k, v in net.state_dict().items() if not k.endswith("table")}
    for prefix in ("blocks.0.fc.", "out."):
        old[prefix + "weight"] = torch.cat([net.state_dict()[prefix + "weight"], net.state_dict()[prefix + "table"].T], dim=1)
    assert old["out.weight"].shape == (12, 16 + 32 + 30)
    again = Generator(16, 30, [32], 12).eval()
    again.load_state_dict(old)
    noise, cond = torch.randn(50, 16), torch.randint(0, 30, (50,))
    with torch.no_grad():
        assert torch.equal(again(noise, cond), net(noise, cond))


def test_critic_low_precision_weights_follow_the_optimizer():
    """Under bfloat16 autocast the critic reuses one cast of its weights until told they changed: after
    each fused Adam step it computes with the new weights, and the gradients reach the float32 parameters."""
    import torch

    from synthgan.models.critic import Critic

    torch.manual_seed(0)
    critic = Critic(6, [16, 16], 2)
    opt = torch.optim.Adam(critic.parameters(), lr=0.05, fused=True)
    rows = torch.randn(20, 6)
    layers = [*critic.hidden, critic.out]
    for _ in range(3):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            critic(rows).mean().backward()
        assert all(p.grad.dtype == torch.float32 and p.grad.abs().sum() > 0 for p in critic.parameters())
        before = [layer.weight.detach().bfloat16() for layer in layers]
        opt.step()
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):  # fused Adam leaves version counters alone: stale until told
            assert all(torch.equal(cast[0], old) for cast, old in zip(critic._weights(), before))
            critic.parameters_changed()
            assert all(torch.equal(cast[0], layer.weight.detach().bfloat16()) for cast, layer in zip(critic._weights(), layers))
    critic.eval()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = critic(rows)
    x = rows.reshape(10, 12).bfloat16()
    for layer in critic.hidden:
        x = torch.nn.functional.leaky_relu(torch.nn.functional.linear(x, layer.weight.bfloat16(), layer.bias.bfloat16()), 0.2)
    expected = torch.nn.functional.linear(x, critic.out.weight.bfloat16(), critic.out.bias.bfloat16())
    assert torch.allclose(got.float(), expected.float(), atol=0.02)  # bfloat16 rounding of the slopes
    critic.hidden[0].weight.data = torch.randn(16, 12)  # swapped storage (as .to(device) does): a fresh copy
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.equal(critic._weights()[0][0], critic.hidden[0].weight.detach().bfloat16())


def test_norm_penalty_gradient_is_exact_and_zero_rows_get_none():
    """The penalty's hand-written backward passes gradcheck, matches autograd's norm, and leaves zero rows at 0;
    bfloat16 gradients give a float32 penalty and bfloat16 gradients back."""
    import torch

    from synthgan.losses import norm_penalty

    g = torch.randn(7, 30, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: norm_penalty(x, 10.0), (g,))
    plain = g.detach().clone().requires_grad_(True)
    (10 * ((plain.norm(2, dim=1) - 1) ** 2).mean()).backward()
    norm_penalty(g, 10.0).backward()
    assert torch.allclose(g.grad, plain.grad)
    zero = g.detach().clone()
    zero[3] = 0
    zero.requires_grad_(True)
    norm_penalty(zero, 10.0).backward()
    assert torch.isfinite(zero.grad).all() and not zero.grad[3].any()
    low = torch.randn(5, 40).bfloat16().requires_grad_(True)
    penalty = norm_penalty(low, 10.0)
    penalty.backward()
    assert penalty.dtype == torch.float32 and low.grad.dtype == torch.bfloat16


def test_critic_closed_form_gradient_matches_autograd():
    """The critic is the paper's (Linear, LeakyReLU(0.2), dropout) stack; its closed-form input gradient
    equals autograd's, and a penalty on it has the parameter gradients of autograd's double backward."""
    import torch

    from synthgan.losses import gradient_penalty, interpolate, norm_penalty
    from synthgan.models.critic import Critic

    torch.manual_seed(0)
    critic = Critic(7, (16, 12), pac=2)
    rows = torch.randn(24, 7)
    critic.eval()
    x = rows.reshape(-1, 14)
    for layer in critic.hidden:
        x = torch.nn.functional.leaky_relu(layer(x), 0.2)
    assert torch.allclose(critic(rows), critic.out(x), atol=1e-6)
    critic.train()  # with dropout: the closed form equals autograd on the same pass (same masks)
    x = torch.cat([rows, rows[:6] * 0.5]).requires_grad_(True)
    scores, grad = critic.scores_and_gradients(x, 6, torch.Generator().manual_seed(1))
    (expected,) = torch.autograd.grad(scores[-3:].sum(), x)
    assert torch.allclose(grad, expected[-6:].reshape(3, 14), atol=1e-6)
    critic.dropout = 0.0  # the penalty's parameter gradients against autograd's double backward
    real, fake = rows[:12], rows[12:]
    grads = []
    for closed_form in (True, False):
        gen = torch.Generator().manual_seed(3)  # the same interpolation both times
        critic.zero_grad()
        if closed_form:
            mixed = interpolate(real, fake, 2, gen)
            loss = norm_penalty(critic.scores_and_gradients(mixed, len(mixed))[1], 10.0)
        else:
            loss = gradient_penalty(critic, real, fake, pac=2, weight=10.0, generator=gen)
        loss.backward()
        grads.append((loss.item(), [torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in critic.parameters()]))
    assert grads[0][0] > 0 and abs(grads[0][0] - grads[1][0]) < 1e-5
    for got, expected in zip(grads[0][1], grads[1][1]):
        assert torch.allclose(got, expected, atol=1e-5)


def test_critic_step_gradients_by_hand_equal_autograds_double_backward():
    """``wgan_gp_step`` (hand-written gradients, one matmul per weight) gives autograd's loss, penalty and
    parameter gradients of the WGAN-GP objective with the same dropout masks and interpolation, in float64;
    and it runs in bfloat16 with float32 gradients that point the same way."""
    import torch

    from synthgan.models.critic import Critic

    torch.manual_seed(0)
    for hidden in ((16, 12), (9,), ()):
        critic = Critic(7, hidden, pac=2).double()
        real, cond, fake = torch.randn(12, 5, dtype=torch.float64), torch.randn(12, 2, dtype=torch.float64), torch.randn(12, 7, dtype=torch.float64)
        loss, penalty = critic.wgan_gp_step((real, cond), fake, 10.0, torch.Generator().manual_seed(4))
        got = [p.grad.clone() for p in critic.parameters()]
        assert all(g.dtype == torch.float64 for g in got) and penalty > 0
        gen = torch.Generator().manual_seed(4)  # the same draws in the same order: alpha, then all layers' dropout masks
        real_rows = torch.cat([real, cond], dim=1)
        alpha = torch.rand(6, 1, generator=gen, dtype=torch.float64).repeat_interleave(2, 0)
        mixed = torch.lerp(fake, real_rows, alpha).requires_grad_(True)
        critic.zero_grad()
        scores = critic(torch.cat([mixed, real_rows, fake]), gen)
        (grad,) = torch.autograd.grad(scores[:6].sum(), mixed, create_graph=True)
        expected_penalty = 10.0 * ((grad.reshape(6, 14).norm(dim=1) - 1) ** 2).mean()
        expected_loss = scores[12:].mean() - scores[6:12].mean()
        (expected_loss + expected_penalty).backward()
        assert torch.allclose(loss.double(), expected_loss) and torch.allclose(penalty.double(), expected_penalty)
        for mine, theirs in zip(got, (p.grad for p in critic.parameters())):
            assert torch.allclose(mine, theirs, atol=1e-10)
    critic = Critic(7, (32, 32), pac=2)
    real, fake = torch.randn(40, 7), torch.randn(40, 7) + 1
    critic.wgan_gp_step((real,), fake, 10.0, torch.Generator().manual_seed(5))
    exact = [p.grad.clone() for p in critic.parameters()]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        critic.parameters_changed()
        loss, penalty = critic.wgan_gp_step((real,), fake, 10.0, torch.Generator().manual_seed(5))
    assert loss.dtype == penalty.dtype == torch.float32
    assert all(p.grad.dtype == torch.float32 for p in critic.parameters())
    low = torch.cat([p.grad.flatten() for p in critic.parameters()])
    assert torch.nn.functional.cosine_similarity(low, torch.cat([g.flatten() for g in exact]), dim=0) > 0.98


@pytest.mark.parametrize("narrow, bin_cost", [(64, 1), (64, 1000), (3, 1), (0, 1)])
def test_generator_heads_and_condition_gradients_by_hand_equal_autograd(narrow, bin_cost, monkeypatch):
    """The training step's hand-written backward passes - generator (linear layers with their one-hot
    tables, batch norm, ReLU, residual concatenation), output heads (tanh, Gumbel-softmax) and the
    condition cross-entropy - give autograd's gradients in float64; batch norms' running statistics
    move as in ``forward``; bfloat16 inputs give float32 gradients pointing the same way. The heads'
    two paths: narrow spans transposed in bins (one per width, or widths 3 and 5 padded into one), wide
    spans on the rows (``narrow``: the cut)."""
    import torch

    from synthgan.losses import PAD_LOGIT, condition_loss, condition_loss_and_gradient
    from synthgan.models import heads as heads_module
    from synthgan.models.heads import Heads, gumbel_like

    monkeypatch.setattr(heads_module, "NARROW", narrow)
    monkeypatch.setattr(heads_module, "BIN_COST", bin_cost)
    from synthgan.models.tabular import Generator
    from synthgan.transform.layout import Layout, Span

    torch.manual_seed(0)
    layout = Layout(tuple(Span(c, k, o, w) for c, k, o, w in [("a", "scalar", 0, 1), ("b", "category", 1, 3), ("c", "scalar", 4, 1),
                                                                 ("d", "mode", 5, 3), ("e", "category", 8, 5)]))
    heads = Heads(layout)  # model order: a, c | b, d (width 3) | e (width 5)
    assert [(b.count, b.width) for b in heads.bins] == {64: [(2, 3), (1, 5)] if bin_cost == 1 else [(3, 5)], 3: [(2, 3)], 0: []}[narrow]
    for cond_dim in (6, 0):
        net = Generator(8, cond_dim, (16, 12), heads.width).double().train()
        twin = Generator(8, cond_dim, (16, 12), heads.width).double().train()
        twin.load_state_dict(net.state_dict())
        noise, index = torch.randn(20, 8, dtype=torch.float64), torch.randint(0, max(cond_dim, 1), (20,))
        index = index if cond_dim else None
        raw, tape = net.train_forward(noise, index)
        extra = torch.randn(20, 2, dtype=torch.float64)  # e.g. a conditional vector, copied after the outputs
        out, tape_heads = heads.activate(raw, 0.2, torch.Generator().manual_seed(1), extra)
        assert torch.equal(out[:, heads.width :], extra)
        out = out[:, : heads.width]
        weight = torch.randn(20, heads.width + 2, dtype=torch.float64)  # two extra columns: ignored by the heads
        span_index, span_mask = torch.tensor([[2, 3, 4, 0, 0]] * 10 + [[8, 9, 10, 11, 12]] * 10), torch.tensor([[1, 1, 1, 0, 0]] * 10 + [[1] * 5] * 10).bool()
        target = torch.randint(0, 3, (20,))
        d_raw = heads.backward(tape_heads, weight, 0.2)
        pad = torch.where(span_mask, 0.0, PAD_LOGIT).float()
        ce, d_logits = condition_loss_and_gradient(raw, span_index, pad, torch.nn.functional.one_hot(target, 5).double() / -20)
        d_raw.scatter_add_(1, span_index, d_logits.double())
        net.backward(tape, index, d_raw)

        raw_ref = twin(noise, index)
        scalars, logits = raw_ref.split([heads.n_scalar, heads.width - heads.n_scalar], dim=1)
        draws, k = torch.Generator().manual_seed(1), heads.split - heads.n_scalar  # narrow spans' noise is drawn transposed, first
        gumbel = torch.cat([gumbel_like(logits[:, :k].T, draws).T, gumbel_like(logits[:, k:], draws)], dim=1)
        noisy = (logits + gumbel) / 0.2
        soft = [torch.softmax(b.reshape(-1, g.count, g.width), -1).reshape(20, -1) for g, b in zip(heads.groups, noisy.split([g.count * g.width for g in heads.groups], 1))]
        ref_out = torch.cat([torch.tanh(scalars), *soft], dim=1)
        ce_ref = condition_loss(raw_ref, span_index, span_mask, target)
        ((ref_out * weight[:, : heads.width]).sum() + ce_ref).backward()
        assert torch.allclose(raw, raw_ref) and torch.allclose(out, ref_out) and torch.allclose(ce.double(), ce_ref.double())
        for (name, mine), theirs in zip(net.named_parameters(), twin.parameters()):
            expected = torch.zeros_like(theirs) if theirs.grad is None else theirs.grad
            assert (mine.grad is None and not expected.any()) or torch.allclose(mine.grad, expected, atol=1e-10), name
        for mine, theirs in zip(net.buffers(), twin.buffers()):
            assert torch.allclose(mine.double(), theirs.double())
    net = Generator(8, 6, (32, 32), heads.width).train()
    noise, index, grad = torch.randn(64, 8), torch.randint(0, 6, (64,)), torch.randn(64, heads.width)
    grads = []
    for dtype in (torch.float32, torch.bfloat16):
        raw, tape = net.train_forward(noise.to(dtype), index)
        net.backward(tape, index, grad.to(dtype))
        assert raw.dtype == dtype and all(p.grad.dtype == torch.float32 for p in net.parameters())
        grads.append(torch.cat([p.grad.flatten() for p in net.parameters()]))
    assert torch.nn.functional.cosine_similarity(*grads, dim=0) > 0.98


def test_condition_targets_give_the_condition_cross_entropy_and_its_gradient():
    """The per-level tables (each level's span columns, padding and one-hot) reproduce
    ``condition_loss`` and its autograd gradient for every level of every categorical column."""
    import types

    import torch

    from synthgan.losses import condition_loss
    from synthgan.models.heads import Heads
    from synthgan.training.loop import ConditionTargets
    from synthgan.transform.layout import Layout, Span

    layout = Layout(tuple(Span(c, k, o, w) for c, k, o, w in [("a", "scalar", 0, 1), ("b", "category", 1, 3), ("c", "scalar", 4, 1),
                                                                 ("d", "mode", 5, 3), ("e", "category", 8, 5)]))
    heads = Heads(layout)  # model order: a, c | b (2-4), d (5-7) | e (8-12); levels: b's 0-2, e's 3-7
    targets = ConditionTargets(layout, heads, types.SimpleNamespace(offsets=np.array([0, 3])), "cpu")
    level = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 2, 6])
    raw = torch.randn(10, heads.width, dtype=torch.float64, requires_grad=True)
    grad = torch.zeros(10, heads.width, dtype=torch.float64)
    loss = targets.add_gradient(raw.detach(), level, grad)
    span_index = torch.tensor([[2, 3, 4, 0, 0] if lv < 3 else [8, 9, 10, 11, 12] for lv in level.tolist()])
    span_mask = torch.tensor([[True] * 3 + [False] * 2 if lv < 3 else [True] * 5 for lv in level.tolist()])
    expected = condition_loss(raw, span_index, span_mask, torch.tensor([lv if lv < 3 else lv - 3 for lv in level.tolist()]))
    expected.backward()
    assert torch.allclose(loss, expected.double()) and torch.allclose(grad, raw.grad)


def test_flat_parameters_update_like_separate_ones():
    """``adam(..., flat=True)`` moves a module's parameters and gradients into one tensor each (views):
    values kept, gradients written into the views reach the flat gradient, and a step updates every
    parameter exactly as Adam over the separate tensors does."""
    import torch

    from synthgan.models.critic import Critic
    from synthgan.synthesizers._common import adam

    torch.manual_seed(0)
    flat_net, plain_net = Critic(6, (8, 5), pac=2), Critic(6, (8, 5), pac=2)
    plain_net.load_state_dict(flat_net.state_dict())
    flat_opt, plain_opt = adam(flat_net, 0.01, 1e-3, torch.device("cpu"), flat=True), adam(plain_net, 0.01, 1e-3, torch.device("cpu"))
    flat = flat_opt.param
    assert flat.numel() == sum(p.numel() for p in plain_net.parameters())
    for step in range(3):
        for mine, theirs in zip(flat_net.parameters(), plain_net.parameters()):
            g = torch.randn_like(theirs)
            mine.grad.copy_(g)
            theirs.grad = g.clone()
        flat_opt.step()
        plain_opt.step()
        for mine, theirs in zip(flat_net.parameters(), plain_net.parameters()):
            assert mine.data_ptr() != theirs.data_ptr() and torch.equal(mine, theirs)
    assert all(p.untyped_storage().data_ptr() == flat.untyped_storage().data_ptr() for p in flat_net.parameters())


def test_flat_adam_updates_exactly_as_torch_fused_adam():
    """``FlatAdam`` calls the fused kernel itself: over more steps than one block of precomputed step
    counts, with weight decay, the parameter and both moments stay bit-equal to torch's fused Adam."""
    import torch

    from synthgan.models.flat import FlatAdam

    if not FlatAdam.available(torch.device("cpu")):
        pytest.skip("this torch has no fused Adam on the CPU")
    draws = torch.Generator().manual_seed(0)
    mine, theirs = (torch.nn.Parameter(torch.randn(1000, generator=torch.Generator().manual_seed(1))) for _ in range(2))
    ours = FlatAdam(mine, lr=0.01, betas=(0.5, 0.9), weight_decay=1e-3)
    ours.CHUNK = 7  # refills the step counts twice
    reference = torch.optim.Adam([theirs], lr=0.01, betas=(0.5, 0.9), weight_decay=1e-3, fused=True)
    assert mine.grad is not None  # made at construction: the buffer the steps read
    for _ in range(20):
        grad = torch.randn(1000, generator=draws)
        mine.grad.copy_(grad)
        theirs.grad = grad.clone()
        ours.step()
        reference.step()
    state = reference.state[theirs]
    assert ours.steps == 20 and float(state["step"]) == 20.0
    assert torch.equal(mine, theirs) and torch.equal(ours.exp_avg, state["exp_avg"]) and torch.equal(ours.exp_avg_sq, state["exp_avg_sq"])
    assert not torch.equal(mine, torch.randn(1000, generator=torch.Generator().manual_seed(1)))


def test_flat_adam_falls_back_to_torch_adam_without_the_fused_kernel(monkeypatch):
    """Where this torch has no fused Adam for the device, ``adam(..., flat=True)`` is torch's Adam over
    the flat parameter, and a fit trains and samples with it."""
    import torch

    from synthgan.models.flat import FlatAdam
    from synthgan.synthesizers._common import adam

    monkeypatch.setattr(FlatAdam, "available", staticmethod(lambda device: False))
    net = torch.nn.Linear(3, 2)
    opt = adam(net, 0.01, 0.0, torch.device("cpu"), flat=True)
    assert isinstance(opt, torch.optim.Adam) and opt.param_groups[0]["params"][0] is net.flat.flat
    frame = pd.DataFrame({"x": np.linspace(0, 1, 60), "c": ["a", "b", "c"] * 20})
    model = CTGAN(epochs=2, batch_size=30, random_state=0, verbose=False).fit(frame)
    assert len(model.sample(10)) == 10


def test_flat_layout_casts_and_gradients_train_like_per_parameter_ones():
    """With the flat layout, the bfloat16 weights are views of one cast (made again after every
    optimizer step) and the gradients go through one bfloat16 scratch: over several steps of the
    critic and the generator, every gradient is exactly the one per-parameter casts and copies give
    (parameters agree to Adam's rounding: its vector and tail loops meet an entry at other offsets)."""
    import torch

    from synthgan.models.critic import Critic
    from synthgan.models.tabular import Generator
    from synthgan.synthesizers._common import adam

    runs = []
    for flat in (True, False):
        torch.manual_seed(0)
        gen, critic = Generator(8, 3, (16, 12), 10), Critic(13, (16, 12), pac=2)
        opt_g, opt_c = adam(gen, 0.01, 1e-6, torch.device("cpu"), flat=flat), adam(critic, 0.01, 1e-6, torch.device("cpu"), flat=flat)
        assert (gen.flat is not None) == flat and (critic.flat is not None) == flat
        if flat:  # the generator's matmul weights and biases lead; its tables and batch norms follow
            low = gen.low_precision_parameters()
            assert gen.flat.low_numel == sum(p.numel() for p in low) < gen.flat.flat.numel()
            assert all(gen.flat.is_low(p) for p in low) and not gen.flat.is_low(gen.out.table)
            with pytest.raises(ValueError, match="not among the flat layout's low-precision"):
                gen.flat.cast(gen.out.table, torch.bfloat16)
        draws, seen = torch.Generator().manual_seed(1), []
        for _ in range(3):
            noise, cond = torch.randn(20, 8, generator=draws), torch.randint(0, 3, (20,), generator=draws)
            real = torch.randn(20, 13, generator=draws)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                raw, tape = gen.train_forward(noise.bfloat16(), cond)
                onehot = torch.nn.functional.one_hot(cond, 3).bfloat16()
                critic.wgan_gp_step((real,), torch.cat([raw, onehot], 1), 10.0, draws)
                opt_c.step()
                critic.parameters_changed()
                gen.backward(tape, cond, torch.randn(20, 10, generator=draws).bfloat16())
                opt_g.step()
            seen.append([(p.grad.clone(), p.detach().clone()) for p in (*gen.parameters(), *critic.parameters())])
        assert all(p.grad.dtype == torch.float32 for p in (*gen.parameters(), *critic.parameters()))
        runs.append(seen)
    for step_flat, step_plain in zip(*runs):
        for (grad_f, value_f), (grad_p, value_p) in zip(step_flat, step_plain):
            assert torch.equal(grad_f, grad_p) and torch.allclose(value_f, value_p, rtol=0, atol=1e-6)
    assert not torch.equal(runs[0][0][0][1], runs[0][-1][0][1])  # the weights moved: the casts were made again


def test_critic_dropout_factors_are_zero_or_the_inverse_keep_rate():
    """Each hidden layer's dropout factors are 0 or 1 / (1 - rate) in the layers' dtype, kept at the
    rate's share, independent of the layer, and seeded; rate 0.5 (a bit written into a reused buffer)
    and other rates (compare and select) alike."""
    import torch

    from synthgan.models.critic import Critic

    for dtype in (torch.float32, torch.bfloat16, torch.float64):
        for rate in (0.5, 0.3):
            critic = Critic(4, (300, 200), pac=1, dropout=rate).to(dtype)
            hidden = critic._weights()[:-1]
            draws = [[p.clone() for p in critic._keep_scales(1000, hidden, torch.Generator().manual_seed(s))] for s in (0, 0, 1)]
            kept = 1 - round(rate * 256) / 256
            assert [p.shape for p in draws[0]] == [(1000, 300), (1000, 200)] and all(p.dtype == dtype for p in draws[0])
            for layer in draws[0]:
                assert set(layer.unique().tolist()) == {0.0, torch.tensor(1 / kept, dtype=dtype).item()}
                assert abs((layer > 0).double().mean().item() - kept) < 4 * (kept * (1 - kept) / layer.numel()) ** 0.5
            assert all(torch.equal(a, b) for a, b in zip(draws[0], draws[1]))
            assert not torch.equal(draws[0][0], draws[2][0])
            both = (draws[0][0][:, :200] > 0).double().flatten(), (draws[0][1] > 0).double().flatten()
            assert abs(torch.corrcoef(torch.stack(both))[0, 1].item()) < 0.02


def test_random_draws_from_bits_have_their_distributions():
    """Dropout masks from random bytes keep 1 - rate (rate on a 1/256 grid) with independent entries;
    Gumbel and normal noise from 16-bit table lookups have their mean, spread and CDF; all are seeded."""
    import torch

    from synthgan._random import quantile_draws
    from synthgan.models.heads import gumbel_like
    from synthgan.models.critic import keep_mask

    for rate in (0.5, 0.25, 0.1):
        mask = keep_mask(torch.Size([400, 250]), rate, torch.Generator().manual_seed(0), torch.device("cpu"))
        expected = 1 - round(rate * 256) / 256
        assert mask.dtype == torch.bool and mask.shape == (400, 250)
        assert abs(mask.float().mean().item() - expected) < 4 * (expected * (1 - expected) / mask.numel()) ** 0.5
    m = keep_mask(torch.Size([50_000]), 0.5, torch.Generator().manual_seed(1), torch.device("cpu")).float()
    assert abs(torch.corrcoef(torch.stack([m[:-1], m[1:]]))[0, 1].item()) < 0.02
    assert torch.equal(m, keep_mask(torch.Size([50_000]), 0.5, torch.Generator().manual_seed(1), torch.device("cpu")).float())
    g = gumbel_like(torch.zeros(1000, 200), torch.Generator().manual_seed(2))
    assert abs(g.mean().item() - 0.5772) < 0.01 and abs(g.std().item() - torch.pi / 6**0.5) < 0.01
    for q in (-1.0, 0.0, 1.0, 3.0):  # P(G <= q) = exp(-exp(-q))
        assert abs((g <= q).float().mean().item() - math.exp(-math.exp(-q))) < 0.005
    assert torch.equal(g, gumbel_like(torch.zeros(1000, 200), torch.Generator().manual_seed(2)))
    z = quantile_draws("normal", (1000, 200), torch.Generator().manual_seed(3), "cpu")
    assert abs(z.mean().item()) < 0.01 and abs(z.std().item() - 1) < 0.01 and z.abs().max() < 4.5
    for q in (-2.0, -0.5, 0.0, 1.0):  # the standard normal CDF
        assert abs((z <= q).float().mean().item() - 0.5 * (1 + math.erf(q / 2**0.5))) < 0.005
    assert abs(torch.corrcoef(torch.stack([z.flatten()[:-1], z.flatten()[1:]]))[0, 1].item()) < 0.01
    out = torch.empty(1000, 200, dtype=torch.bfloat16)
    drawn = quantile_draws("normal", (1000, 200), torch.Generator().manual_seed(3), "cpu", torch.bfloat16, out=out)
    assert drawn.data_ptr() == out.data_ptr() and torch.equal(drawn, z.bfloat16())


def test_heads_draw_codes_from_the_softmax_of_each_span():
    """Sampling codes by inverting each span's CDF gives softmax(logits) frequencies, span by span."""
    import torch

    from synthgan.models.frozen import FrozenHeads
    from synthgan.models.heads import Heads
    from synthgan.transform.layout import Layout, Span

    # narrow spans are drawn on a transposed copy, wide ones (> FrozenHeads.NARROW) in place: both checked
    layout = Layout((Span("x", "scalar", 0, 1), Span("x", "mode", 1, 3), Span("c", "category", 4, 3), Span("d", "category", 7, 2),
                     Span("e", "category", 9, 20)))
    heads = Heads(layout)
    logits = {1: torch.tensor([0.0, 1.0, 2.0]), 4: torch.tensor([5.0, -3.0, 0.5]), 7: torch.tensor([-90.0, -91.0]),
              9: torch.linspace(-2.0, 2.0, 20)}
    raw = torch.zeros(200_000, layout.width)
    raw[:, 0] = 0.3
    for span, offset in zip(layout.onehot_spans, heads.onehot_offsets.tolist()):
        raw[:, offset : offset + span.width] = logits[span.offset]
    scalars, codes = FrozenHeads(heads)(raw, np.random.default_rng(0))
    assert torch.allclose(scalars, torch.tanh(torch.tensor(0.3)).expand_as(scalars))
    for j, span in enumerate(layout.onehot_spans):
        share = torch.bincount(codes[:, j], minlength=span.width).float() / len(codes)
        assert torch.allclose(share, torch.softmax(logits[span.offset], 0), atol=0.005), span


def _training_conditions(monkeypatch, **params) -> tuple[list[str], np.ndarray]:
    """Fit a CTGAN on a table with a 95 / 2.5 / 2.5 column and record every training condition drawn:
    (categorical column names, (n, 2) array of chosen column and level)."""
    from synthgan.sampling.conditional import ConditionalSampler

    drawn, original = [], ConditionalSampler.draw

    def recording(self, n, rng, log_frequency, column_p=None):
        col, level = original(self, n, rng, log_frequency, column_p)
        drawn.append(np.stack([col, level], axis=1))
        return col, level

    monkeypatch.setattr(ConditionalSampler, "draw", recording)
    frame = small_frame(2000)
    frame["status"] = np.repeat(["common", "rare1", "rare2"], [1900, 50, 50])
    model = CTGAN(epochs=3, batch_size=500, random_state=0, verbose=False, **params).fit(frame)
    columns = [s.column for s in model.transformer_.layout_.onehot_spans if s.kind == "category"]
    return columns, np.concatenate(drawn)


@pytest.mark.parametrize("log_frequency", [True, False])
def test_log_frequency_changes_how_often_a_rare_level_is_trained_on(monkeypatch, log_frequency):
    """Training conditions pick a column's levels by log-frequency (the paper) or, when switched off, by frequency."""
    columns, drawn = _training_conditions(monkeypatch, log_frequency=log_frequency)
    levels = drawn[drawn[:, 0] == columns.index("status"), 1]
    rare_share = np.isin(levels, [1, 2]).mean()
    counts = np.array([1900, 50, 50])
    weights = np.log(counts + 1) if log_frequency else counts
    expected = weights[1:].sum() / weights.sum()  # 0.46 with log-frequency, 0.05 without
    assert abs(rare_share - expected) < 0.05, (rare_share, expected)


def test_condition_focus_conditions_training_on_the_named_column(monkeypatch):
    columns, drawn = _training_conditions(monkeypatch, condition_focus={"status": 0.6})
    share = (drawn[:, 0] == columns.index("status")).mean()
    assert abs(share - (0.6 + 0.4 / len(columns))) < 0.03, share


@pytest.mark.parametrize(
    "focus, message",
    [
        ({"nope": 0.5}, "not categorical columns of this table; accepted: ['ward', 'smoker']"),
        ({"ward": 0.7, "smoker": 0.6}, "add up to 1.3; they must total at most 1"),
        ({"ward": -1}, "condition_focus['ward']=-1 must be a number >= 0"),
        ([0.5], "must map categorical column names to shares"),
    ],
)
def test_condition_focus_errors_name_the_accepted_values(focus, message):
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        CTGAN(epochs=1, batch_size=60, verbose=False, condition_focus=focus).fit(small_frame())
    with pytest.raises(InvalidParameterError, match="needs a conditional model"):
        WGAN(epochs=1, batch_size=60, verbose=False, condition_focus={"ward": 0.5}).fit(small_frame())
