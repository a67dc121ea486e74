"""``condition_modes``: training conditions also pick numeric columns' modes (CTAB-GAN's conditional vector),
so the critic compares a rare mode's rows - a high count, a tail - with the real rows in it."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from synthgan import CTGAN, WGAN
from synthgan.exceptions import InvalidParameterError
from synthgan.models.heads import Heads
from synthgan.sampling import ConditionalSampler
from synthgan.synthesizers.conditions import resolve
from synthgan.training.tabular import ConditionTargets
from synthgan.transform import TableTransformer


def visits_frame(n: int = 1200) -> pd.DataFrame:
    """A count column whose high values go with one level of the target (as earlier stays go with
    readmission), a second numeric column and two categorical ones."""
    rng = np.random.default_rng(0)
    stays = rng.geometric(0.4, n) - 1  # 0, 1, 2, ... up to about 15: a count, not a category
    readmitted = np.where(rng.random(n) < np.minimum(0.08 + 0.08 * stays, 0.9), "yes", "no")
    return pd.DataFrame(
        {
            "stays": stays,
            "weight": rng.normal(70, 12, n),
            "ward": rng.choice(["A", "B", "C"], n),
            "readmitted": readmitted,
        }
    )


def _sampler(frame: pd.DataFrame, modes: bool):
    tt = TableTransformer().fit(frame, random_state=0)
    encoded = tt.transform(frame, random_state=0)
    return tt.layout_, encoded, ConditionalSampler.from_codes(encoded.codes, tt.layout_, modes=modes)


def test_modes_follow_the_categorical_levels_in_the_conditional_vector():
    """Categorical columns keep their places (what ``conditions=`` addresses); every numeric column with
    two or more modes held by k rows follows, and a training condition on one of its modes draws real rows
    in that mode."""
    frame = visits_frame()
    layout, encoded, plain = _sampler(frame, modes=False)
    _, _, sampler = _sampler(frame, modes=True)
    modes = [s for s in layout.onehot_spans if s.kind == "mode" and s.width > 1]
    assert [s.column for s in modes] == ["stays", "weight"]
    assert sampler.columns == plain.columns + ["stays", "weight"]
    assert sampler.n_categorical == plain.n_columns == 2
    assert sampler.widths.tolist() == plain.widths.tolist() + [s.width for s in modes]
    assert sampler.counts[: plain.width].tolist() == plain.counts.tolist()
    for j, span in zip(sampler.spans, [*layout.category_spans, *modes]):
        assert layout.onehot_spans[j] == span
    cond, level, rows = sampler.sample_train(30_000, np.random.default_rng(1), pack=10)
    column = np.searchsorted(sampler.offsets, level, side="right") - 1
    real = encoded.codes[rows][:, list(sampler.spans)][np.arange(len(rows)), column]
    assert (real + sampler.offsets[column] == level).all()  # the real rows hold the condition, modes too
    assert (cond.argmax(axis=1) == level).all()
    shares = np.bincount(column, minlength=4) / len(column)
    assert np.allclose(shares, 0.25, atol=0.03), shares  # a column chosen uniformly, modes included


def test_a_mode_of_fewer_than_k_rows_is_never_a_condition_nor_stored():
    """A tail holds a column's few most extreme patients: conditioning on it would show the critic those
    rows again and again (a pack of one patient's copies), so modes of fewer than k rows are never drawn -
    for training or sampling - and their counts are stored as 0; a span left with one such mode is not
    conditioned on at all."""
    frame = visits_frame()
    _, _, sampler = _sampler(frame, modes=True)
    first_mode = int(sampler.widths[: sampler.n_categorical].sum())
    held, stored = sampler.held[first_mode:], np.asarray(sampler.to_dict()["counts"][first_mode:])
    assert ((held > 0) & (held < 5)).sum() >= 2  # weight's two tails: four rows past each bound
    assert (stored == np.where(held >= 5, held, 0)).all()
    for draw in (
        sampler.sample_train(30_000, np.random.default_rng(2))[1],
        sampler.sample_index(30_000, np.random.default_rng(3)),
        ConditionalSampler.from_dict(sampler.to_dict()).sample_index(30_000, np.random.default_rng(4)),
    ):
        assert (sampler.held[draw] >= 5).all()
    # a point mass at 70 and six values either side: four modes, one held by k rows or more
    weight = np.r_[np.full(len(frame) - 12, 70.0), np.arange(40.0, 46.0), np.arange(100.0, 106.0)]
    layout, _, narrow = _sampler(frame.assign(weight=weight), modes=True)
    assert [s.width for s in layout.onehot_spans if s.column == "weight"] == [4]
    assert narrow.columns == ["ward", "readmitted", "stays"]  # nothing in weight to condition on


def test_the_condition_term_reads_each_conditioned_span_of_the_generator():
    """Every conditional level - a categorical level or a numeric mode - points the condition cross-entropy
    at its own column's logits in the heads' model order, at its own position: real rows drawn for their
    conditions, read as logits, score a near-zero cross-entropy, and a shifted level a large one."""
    from synthgan.training.tabular import TrainingData

    frame = visits_frame()
    layout, encoded, sampler = _sampler(frame, modes=True)
    heads = Heads(layout, torch.device("cpu"))
    targets = ConditionTargets(layout, heads, sampler, torch.device("cpu"))
    for g in range(sampler.width):
        column = int(np.searchsorted(sampler.offsets, g, side="right") - 1)
        span = layout.onehot_spans[sampler.spans[column]]
        start = heads.onehot_offsets_np[sampler.spans[column]]
        assert targets.index[g, : span.width].tolist() == list(range(start, start + span.width))
        assert int(targets.level[g]) == g - sampler.offsets[column]
        assert bool(torch.isinf(targets.pad[g, span.width :]).all())
        assert not targets.pad[g, : span.width].any()
    batch = TrainingData(encoded, heads, sampler, torch.device("cpu")).batch(5_000, np.random.default_rng(0))
    assert (batch.index >= sampler.offsets[sampler.n_categorical]).float().mean() > 0.4  # modes among them
    logits = batch.rows * 40.0  # each real row's one-hots as confident logits
    assert targets.cross_entropy(logits, batch.index).item() < 1e-6
    index = batch.index.numpy()
    column = np.searchsorted(sampler.offsets, index, side="right") - 1
    start, width = sampler.offsets[column], sampler.widths[column]
    moved = torch.as_tensor(start + (index - start + 1) % width)  # the next level of the same column
    assert targets.cross_entropy(logits, moved).item() > 5.0  # another level of the span: far off


def test_a_model_trained_on_modes_samples_saves_and_loads(tmp_path):
    frame = visits_frame()
    model = CTGAN(condition_modes=True, steps=40, random_state=0, verbose=False).fit(frame)
    assert model.condition_modes_ is True
    assert model.sampler_.n_columns == 4  # the fitted sampler: categorical levels, then the modes
    rows = model.sample(300, random_state=3)
    assert set(rows.columns) == set(frame.columns) and len(rows) == 300
    asked = model.sample(200, conditions={"readmitted": "yes"}, random_state=3)
    assert set(asked["readmitted"]) == {"yes"}
    trained = model.trainer_.task.data.sampler  # a user condition addresses the trained vector's column
    assert resolve({"readmitted": "yes"}, model.transformer_)[0].cond_column == trained.columns.index(
        "readmitted"
    )
    model.save(tmp_path / "m.synthgan")
    loaded = CTGAN.load(tmp_path / "m.synthgan")
    assert loaded.condition_modes_ is True
    pd.testing.assert_frame_equal(loaded.sample(300, random_state=3), rows)


def test_a_continued_fit_keeps_the_conditional_vector_it_trained_with(tmp_path):
    frame = visits_frame()
    model = CTGAN(condition_modes=True, steps=20, random_state=0, verbose=False).fit(frame)
    message = "condition_modes=False, but this model trained with condition_modes=True"
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        model.set_params(warm_start=True, condition_modes=False, steps=40).fit(frame)
    model.set_params(condition_modes=True)
    model.save_checkpoint(tmp_path / "m.ckpt")
    resumed = CTGAN.load_checkpoint(tmp_path / "m.ckpt").set_params(condition_modes=False, steps=40)
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        resumed.fit(frame)
    resumed = CTGAN.load_checkpoint(tmp_path / "m.ckpt").set_params(steps=40).fit(frame)
    assert resumed.condition_modes_ is True and resumed.trainer_.step_count == 40


@pytest.mark.parametrize(
    "params, message",
    [
        ({"condition_modes": "yes"}, "condition_modes='yes' must be True or False"),
        (
            {"condition_modes": True, "condition_focus": {"stays": 0.5}},
            "condition_focus names ['stays'], not categorical columns of this table; "
            "accepted: ['ward', 'readmitted']",
        ),
    ],
)
def test_condition_modes_errors_name_the_accepted_values(params, message):
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        CTGAN(steps=2, verbose=False, **params).fit(visits_frame())
    with pytest.raises(InvalidParameterError, match="needs a conditional model"):
        WGAN(steps=2, verbose=False, condition_modes=True).fit(visits_frame())
