"""One contract, run against every synthesizer: the scikit-learn conventions and synthgan's promises."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from synthgan import CTGAN, WGAN
from synthgan.exceptions import (
    ConditionError,
    InvalidParameterError,
    ModelFileError,
    NotFittedError,
    TrainingError,
)

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
        assert list(m.loss_values_.columns)[:4] == ["epoch", "generator_loss", "critic_loss", "seconds"]
        assert {"critic.wasserstein", "critic.gradient_penalty", "generator.wasserstein"} <= set(
            m.loss_values_.columns
        )


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
    from synthgan.training.tabular import TrainingData

    monkeypatch.setattr(TrainingData, "DENSE_BYTES", 0)
    built = fitted(type(model))
    pd.testing.assert_frame_equal(model.sample(50, random_state=4), built.sample(50, random_state=4))


def test_samples_do_not_depend_on_how_batches_are_run(model):
    """Batches run two at a time on worker threads (multi-core CPU) or one by one (one intra-op thread):
    same rows either way, and the caller's thread count - and the default of threads started later - is
    kept."""
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
    assert np.array_equal(np.random.get_state()[1], np_state) and torch.equal(
        torch.get_rng_state(), torch_state
    )


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
    for params, name in [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": "a"}, "batch_size"),
        ({"device": "tpu"}, "device"),
        ({"precision": "fp8"}, "precision"),
        ({"max_time": -1}, "max_time"),
        ({"generator_dim": ()}, "generator_dim"),
        ({"batch_size": 1, "pac": 1}, "batch_size=1 is too small"),
        ({"steps": 10, "epochs": 5}, "epochs or steps, not both"),
        ({"ema": 1.5}, "ema=1.5 must be None or a number in"),
        ({"validation": 0.9}, "validation=0.9"),
        ({"patience": 3}, "set validation"),
        ({"callbacks": "log"}, "callbacks="),
        ({"objectives": {"nope": 1}}, "not a registered term"),
        ({"objectives": {"information": -1}}, "must be a number >= 0"),
    ]:
        with pytest.raises(InvalidParameterError, match=name):
            CTGAN(verbose=False, **params).fit(small_frame())
    for n in (0, -3, 2.5, "10", True):
        with pytest.raises(InvalidParameterError, match="n="):
            fitted(CTGAN, epochs=1).sample(n)


def test_batch_size_not_multiple_of_pac_is_rounded_with_warning():
    with pytest.warns(UserWarning, match="using batch_size=70"):
        m = CTGAN(epochs=1, batch_size=61, pac=10, verbose=False).fit(small_frame())
    assert m.batch_size_ == 70


def test_packs_are_the_papers_10_by_default_and_sized_to_the_batch_with_pac_none():
    """pac=10 by default (single-row packs moved rows nearer training: see training/budget.py); pac=None:
    single-row packs for a small table's batch (the critic sees every row), the paper's 10 once a batch
    holds 50 packs of 10 and on tables under 200 rows; the critic's input is pac rows wide."""
    from synthgan.training.budget import resolve_budget

    frame = small_frame()  # 300 rows: batch 75
    default = CTGAN(epochs=1, verbose=False).fit(frame)
    sized = CTGAN(epochs=1, pac=None, verbose=False).fit(frame)
    assert CTGAN().pac == 10 and default.trainer_.task.pac == 10 and default.batch_size_ == 70
    assert sized.trainer_.task.pac == 1 and sized.pac_ == 1 and sized.batch_size_ == 75
    critics = sized.trainer_.task.critic, default.trainer_.task.critic
    assert critics[1].hidden[0].in_features == 10 * critics[0].hidden[0].in_features
    sizes = (116, 242, 400, 1_000, 2_000, 100_000)
    assert [resolve_budget(n, None).pac for n in sizes] == [10, 1, 2, 5, 10, 10]
    assert resolve_budget(116, None).batch_size == 110  # a tiny table keeps the paper's packs and rounding
    # under 200 rows the batch is the whole table (a quarter would be two or three packs of ten)
    assert [resolve_budget(n, 10).batch_size for n in (124, 199, 200, 242, 4_000)] == [120, 190, 50, 60, 500]
    given_batch = resolve_budget(1_000, None, batch_size=300)
    assert given_batch.pac == 6 and given_batch.batch_size == 300
    assert CTGAN.classic().pac == 10


def test_max_time_stops_after_the_epoch_that_passes_it():
    m = CTGAN(epochs=500, batch_size=60, max_time=0.5, verbose=False).fit(small_frame())
    assert 1 <= len(m.loss_values_) < 500
    assert m.history_.stopped_by == "max_time" and m.loss_values_.attrs["stopped_by"] == "max_time"


def test_nan_loss_stops_with_clear_error():
    with pytest.raises(TrainingError, match="NaN or infinite"):
        CTGAN(epochs=3, batch_size=60, generator_lr=1e30, discriminator_lr=1e30, verbose=False).fit(
            small_frame()
        )


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
    torch.save(
        {"format": "synthgan-model", "format_version": 1, "meta": "{}", "tensors": {}, "x": Payload()}, evil
    )
    with pytest.raises(ModelFileError, match="refused without running"):
        CTGAN.load(evil)
    assert not marker.exists()


def test_log_frequency_changes_rare_category_share():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "c": rng.choice(["common", "rare1", "rare2"], 2000, p=[0.95, 0.025, 0.025]),
            "x": rng.normal(size=2000),
        }
    )
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
    """The paper's generator written plainly: an MLP over cat([noise, one-hot]) with residual
    concatenation."""
    import torch

    def linear(
        layer, x
    ):  # one Linear over [dense inputs, one-hot]: the table is the one-hot's weight, transposed
        return torch.nn.functional.linear(x, torch.cat([layer.weight, layer.table.T], dim=1), layer.bias)

    x = torch.cat([noise, one_hot], dim=1)
    for block in net.blocks:
        x = torch.cat([torch.relu(block.bn(linear(block.fc, x))), x], dim=1)
    return linear(net.out, x)


@pytest.mark.parametrize("cond_dim, fixed", [(30, False), (30, True), (0, False)])
def test_generator_gathers_the_one_hot_exactly(cond_dim, fixed):
    """The generator's gathered one-hot gives the dense MLP's outputs (eval) and weight gradients
    (training)."""
    import torch

    from synthgan.models.freeze import FrozenGenerator
    from synthgan.models.generator import Generator

    torch.manual_seed(0)
    net = Generator(16, cond_dim, [32, 32], 12)
    for block in net.blocks:  # non-trivial batch-norm statistics, as after training
        block.bn.running_mean.normal_()
        block.bn.running_var.uniform_(0.5, 2.0)
        block.bn.weight.data.normal_()
    noise = torch.randn(200, 16)
    index = torch.full((1,), 7) if fixed else torch.randint(0, max(cond_dim, 1), (200,))
    one_hot = (
        torch.nn.functional.one_hot(index.expand(200), cond_dim).float() if cond_dim else torch.zeros(200, 0)
    )
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

    model = CTGAN(epochs=15, batch_size=60, precision=precision, random_state=0, verbose=False).fit(
        small_frame()
    )
    assert np.isfinite(model.history_.frame()[["generator_loss", "critic_loss"]].to_numpy()).all()
    assert all(p.dtype == torch.float32 for p in model.generator_.parameters())
    share = model.sample(2000)["ward"].value_counts(normalize=True)
    assert share.index[0] == "A" and share["A"] > 0.4  # the data has 60% A, 30% B, 10% C


def test_generator_loads_weights_saved_with_the_one_hot_inside_the_weight():
    """Model files from before the one-hot table was its own tensor hold (out, in + cond) weights: they load
    into the same function."""
    import torch

    from synthgan.models.generator import Generator

    torch.manual_seed(0)
    net = Generator(16, 30, [32], 12).eval()
    old = {k: v for k, v in net.state_dict().items() if not k.endswith("table")}
    for prefix in ("blocks.0.fc.", "out."):
        old[prefix + "weight"] = torch.cat(
            [net.state_dict()[prefix + "weight"], net.state_dict()[prefix + "table"].T], dim=1
        )
    assert old["out.weight"].shape == (12, 16 + 32 + 30)
    again = Generator(16, 30, [32], 12).eval()
    again.load_state_dict(old)
    noise, cond = torch.randn(50, 16), torch.randint(0, 30, (50,))
    with torch.no_grad():
        assert torch.equal(again(noise, cond), net(noise, cond))


def test_dropout_factors_are_zero_or_the_inverse_keep_rate():
    """Dropout factors are 0 or 1 / (1 - rate) in the layer's dtype, kept at the rate's share with
    independent entries, and seeded; rate 0.5 (a bit written into a zeroed buffer) and other rates alike."""
    import torch

    from synthgan.models.dropout import dropout_factors

    for dtype in (torch.float32, torch.bfloat16, torch.float64):
        for rate in (0.5, 0.3):
            like = torch.empty(0, dtype=dtype)
            draws = [
                dropout_factors(torch.Size([1000, 300]), rate, torch.Generator().manual_seed(s), like)
                for s in (0, 0, 1)
            ]
            kept = 1 - round(rate * 256) / 256
            assert draws[0].shape == (1000, 300) and draws[0].dtype == dtype
            assert set(draws[0].unique().tolist()) == {0.0, torch.tensor(1 / kept, dtype=dtype).item()}
            assert (
                abs((draws[0] > 0).double().mean().item() - kept)
                < 4 * (kept * (1 - kept) / draws[0].numel()) ** 0.5
            )
            assert torch.equal(draws[0], draws[1]) and not torch.equal(draws[0], draws[2])
            flat = (draws[0] > 0).double().flatten()
            assert abs(torch.corrcoef(torch.stack([flat[:-1], flat[1:]]))[0, 1].item()) < 0.02


def test_random_draws_from_bits_have_their_distributions():
    """Gumbel and normal noise from 16-bit table lookups have their mean, spread and CDF, and are seeded."""
    import torch

    from synthgan._random import quantile_draws

    def gumbel_like(x, generator):
        return quantile_draws("gumbel", x.shape, generator, x.device, x.dtype)

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
    drawn = quantile_draws(
        "normal", (1000, 200), torch.Generator().manual_seed(3), "cpu", torch.bfloat16, out=out
    )
    assert drawn.data_ptr() == out.data_ptr() and torch.equal(drawn, z.bfloat16())


def test_heads_draw_codes_from_the_softmax_of_each_span():
    """Sampling codes by inverting each span's CDF gives softmax(logits) frequencies, span by span."""
    import torch

    from synthgan.models.freeze import FrozenHeads
    from synthgan.models.heads import Heads
    from synthgan.transform.layout import Layout, Span

    # narrow spans are drawn on a transposed copy, wide ones (> FrozenHeads.NARROW) in place: both checked
    layout = Layout(
        (
            Span("x", "scalar", 0, 1),
            Span("x", "mode", 1, 3),
            Span("c", "category", 4, 3),
            Span("d", "category", 7, 2),
            Span("e", "category", 9, 20),
        )
    )
    heads = Heads(layout)
    logits = {
        1: torch.tensor([0.0, 1.0, 2.0]),
        4: torch.tensor([5.0, -3.0, 0.5]),
        7: torch.tensor([-90.0, -91.0]),
        9: torch.linspace(-2.0, 2.0, 20),
    }
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
    (categorical column names, (n, 2) array of chosen column and level). Packs mix conditions, so there is
    one draw per row (shared packs draw one per pack: the same distribution, a tenth of the draws)."""
    from synthgan.sampling.conditional import ConditionalSampler

    drawn, original = [], ConditionalSampler.draw

    def recording(self, n, rng, log_frequency, column_p=None):
        col, level = original(self, n, rng, log_frequency, column_p)
        drawn.append(np.stack([col, level], axis=1))
        return col, level

    monkeypatch.setattr(ConditionalSampler, "draw", recording)
    frame = small_frame(2000)
    frame["status"] = np.repeat(["common", "rare1", "rare2"], [1900, 50, 50])
    params = {"pack_conditions": False, **params}
    model = CTGAN(epochs=3, batch_size=500, random_state=0, verbose=False, **params).fit(frame)
    columns = [s.column for s in model.transformer_.layout_.onehot_spans if s.kind == "category"]
    return columns, np.concatenate(drawn)


@pytest.mark.parametrize("log_frequency", [True, False])
def test_log_frequency_changes_how_often_a_rare_level_is_trained_on(monkeypatch, log_frequency):
    """Training conditions pick a column's levels by log-frequency (the paper) or, when switched off, by
    frequency."""
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


def test_packed_conditions_give_each_critic_pack_one_condition_and_matching_real_rows():
    """``sample_train(n, rng, pack)``: every run of ``pack`` rows shares one (column, level), its real rows
    hold that level, and the runs' levels follow the same (log-)frequencies as per-row draws."""
    from synthgan.sampling import ConditionalSampler
    from synthgan.transform import TableTransformer

    frame = small_frame(2000)
    frame["status"] = np.repeat(["common", "rare1", "rare2"], [1900, 50, 50])
    tt = TableTransformer().fit(frame, random_state=0)
    encoded = tt.transform(frame, random_state=0)
    sampler = ConditionalSampler.from_codes(encoded.codes, tt.layout_)
    cond, level, rows = sampler.sample_train(20_000, np.random.default_rng(1), pack=10)
    runs = level.reshape(-1, 10)
    assert (runs == runs[:, :1]).all()  # one condition per pack
    assert (cond.reshape(-1, 10, sampler.width) == cond.reshape(-1, 10, sampler.width)[:, :1]).all()
    spans = [j for j, s in enumerate(tt.layout_.onehot_spans) if s.kind == "category"]
    column = np.searchsorted(sampler.offsets, level, side="right") - 1
    real = encoded.codes[rows][:, spans][np.arange(len(rows)), column]
    assert (real + sampler.offsets[column] == level).all()  # real rows have the pack's level
    packed_rows = rows.reshape(-1, 10)
    assert (packed_rows != packed_rows[:, :1]).any(axis=1).mean() > 0.95  # real rows drawn one by one
    per_row = sampler.sample_train(20_000, np.random.default_rng(1))[1]
    packs = runs[:, 0]
    for value in np.unique(per_row):  # each level's share among packs matches its share among rows
        assert abs((packs == value).mean() - (per_row == value).mean()) < 0.03, value
    same = sampler.sample_train(600, np.random.default_rng(5), pack=1)
    plain = sampler.draw(600, np.random.default_rng(5), sampler.log_frequency, sampler.column_p)
    assert (same[1] == sampler.offsets[plain[0]] + plain[1]).all()  # pack=1: the per-row draws as before


@pytest.mark.parametrize("pack_conditions", [False, True])
def test_pack_conditions_decides_whether_the_critic_sees_packs_of_one_condition(monkeypatch, pack_conditions):
    from synthgan.training.tabular import TabularTask

    seen, original = [], TabularTask.draw

    def recording(self, rng):
        batch = original(self, rng)
        seen.append((batch.index.numpy().reshape(-1, self.pac), batch.inputs.shape[0]))
        return batch

    monkeypatch.setattr(TabularTask, "draw", recording)
    model = CTGAN(
        epochs=2, batch_size=100, pac=10, random_state=0, verbose=False, pack_conditions=pack_conditions
    )
    model.fit(small_frame(400))
    shared = np.mean([(packs == packs[:, :1]).all(axis=1).mean() for packs, _ in seen])
    assert shared == 1.0 if pack_conditions else shared < 0.5
    assert {size for _, size in seen} == {100}
    model.set_params(warm_start=True, epochs=3, pack_conditions=not pack_conditions)
    with pytest.raises(InvalidParameterError, match="a continued fit keeps it"):
        model.fit(small_frame(400))


def test_pack_conditions_with_packs_of_one_row_warns_and_runs_of_a_pack_must_fill_the_batch():
    from synthgan.sampling import ConditionalSampler

    with pytest.warns(UserWarning, match="no effect with critic packs of one row"):
        CTGAN(epochs=1, batch_size=60, pac=1, verbose=False, pack_conditions=True).fit(small_frame())
    sampler = ConditionalSampler.from_codes(np.zeros((20, 1), dtype=np.int64), _one_column_layout())
    with pytest.raises(ValueError, match="a batch of 25 rows does not split into runs of 10"):
        sampler.sample_train(25, np.random.default_rng(0), pack=10)


def _one_column_layout():
    from synthgan.transform.layout import Layout, Span

    return Layout((Span("c", "category", 0, 2),))


@pytest.mark.parametrize("value", [1, "yes", 0.5])
def test_pack_conditions_must_be_a_boolean_or_none_and_needs_a_conditional_model(value):
    message = f"pack_conditions={value!r} must be True, False or None (by the batch's packs)"
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        CTGAN(epochs=1, batch_size=60, verbose=False, pack_conditions=value).fit(small_frame())
    with pytest.raises(InvalidParameterError, match="pack_conditions needs a conditional model"):
        WGAN(epochs=1, batch_size=60, verbose=False, pack_conditions=True).fit(small_frame())


@pytest.mark.parametrize(
    ("rows", "batch_size", "pac", "shared"),
    [
        (400, None, 10, False),
        (400, 190, 10, False),
        (400, 200, 10, True),
        (900, None, 10, True),
        (900, None, 1, False),
        (400, 200, 5, True),
    ],
)
def test_pack_conditions_by_default_follows_the_packs_a_batch_holds(tmp_path, rows, batch_size, pac, shared):
    """None (the default): a pack's rows share one condition when a batch holds at least 20 packs; model
    files and checkpoints record what a fit used, and a continued fit keeps it."""
    model = CTGAN(steps=2, batch_size=batch_size, pac=pac, random_state=0, verbose=False)
    model.fit(small_frame(rows))
    assert model.get_params()["pack_conditions"] is None
    assert model.pack_conditions_ is shared and model.trainer_.task.pack_conditions is shared
    assert CTGAN.load(model.save(tmp_path / "m.synthgan")).pack_conditions_ is shared
    resumed = CTGAN.load_checkpoint(model.save_checkpoint(tmp_path / "m.ckpt"))
    assert resumed.pack_conditions_ is shared
    with pytest.raises(
        InvalidParameterError, match=f"trained with pack_conditions={shared}; a continued fit"
    ):
        resumed.set_params(steps=3, pack_conditions=not shared).fit(small_frame(rows))
    model.set_params(warm_start=True, steps=3)  # the default resolves the same way when training goes on
    assert model.fit(small_frame(rows)).trainer_.task.pack_conditions is shared
    assert WGAN(steps=1, batch_size=200, verbose=False).fit(small_frame(rows)).pack_conditions_ is False
    assert CTGAN.classic().get_params()["pack_conditions"] is False
