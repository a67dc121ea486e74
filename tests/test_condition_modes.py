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
    two or more modes follows, and a training condition on one of its modes draws real rows in that mode."""
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


def test_the_condition_term_reads_each_conditioned_span_of_the_generator():
    """Every conditional level - a categorical level or a numeric mode - points the condition cross-entropy
    at its own column's logits in the heads' model order, at its own position."""
    frame = visits_frame()
    layout, _, sampler = _sampler(frame, modes=True)
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
    raw = torch.zeros(3, heads.width)
    level = torch.tensor([sampler.width - 1, sampler.offsets[2], 0])
    for row, g in enumerate(level.tolist()):  # the asked-for logit high: a near-zero cross-entropy
        raw[row, targets.index[g, targets.level[g]]] = 30.0
    assert targets.cross_entropy(raw, level).item() < 1e-6


def test_a_model_trained_on_modes_samples_saves_and_loads(tmp_path):
    frame = visits_frame()
    model = CTGAN(condition_modes=True, steps=40, random_state=0, verbose=False).fit(frame)
    assert model.condition_modes_ is True
    assert model.sampler_.n_columns == 4  # the fitted sampler: categorical levels, then the modes
    rows = model.sample(300, random_state=3)
    assert set(rows.columns) == set(frame.columns) and len(rows) == 300
    asked = model.sample(200, conditions={"readmitted": "yes"}, random_state=3)
    assert set(asked["readmitted"]) == {"yes"}
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
