"""The batched variational mixture agrees with scikit-learn's BayesianGaussianMixture."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.mixture import BayesianGaussianMixture

from synthgan.transform.mixture import MIN_MODE_WEIGHT, fit_mixtures


def mean_loglik(x, weights, means, stds):
    return float(np.log((weights * norm.pdf(x[:, None], means, stds)).sum(axis=1) + 1e-300).mean())


def sklearn_fit(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = BayesianGaussianMixture(
            n_components=10,
            weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=1e-3,
            max_iter=100,
            random_state=0,
        ).fit(x[:, None])
    keep = g.weights_ > MIN_MODE_WEIGHT
    return g.weights_[keep] / g.weights_[keep].sum(), g.means_[keep, 0], np.sqrt(g.covariances_[keep, 0, 0])


def columns():
    rng = np.random.default_rng(42)
    return {
        "bimodal": np.r_[rng.normal(-2, 0.5, 3000), rng.normal(1.5, 1.0, 2000)],
        "skewed": rng.lognormal(0, 0.8, 5000),
        "spiky": np.r_[np.zeros(4000), rng.exponential(2.0, 1000)],
        "normal": rng.normal(0, 1, 4000),
    }


def test_log_likelihood_matches_sklearn():
    data = {k: (v - v.mean()) / v.std() for k, v in columns().items()}
    ours = fit_mixtures(list(data.values()), np.random.default_rng(0))
    for (name, x), m in zip(data.items(), ours):
        assert m.weights.sum() == pytest.approx(1.0) and (m.weights > MIN_MODE_WEIGHT * 0.99).all()
        ll_ours = mean_loglik(x, m.weights, m.means, m.stds)
        ll_sk = mean_loglik(x, *sklearn_fit(x))
        assert ll_ours >= ll_sk - 0.05, (name, ll_ours, ll_sk)


def test_recovers_separated_modes_and_is_deterministic():
    rng = np.random.default_rng(1)
    x = np.r_[rng.normal(-6, 1, 1000), rng.normal(0, 1, 1000), rng.normal(6, 1, 1000)] / 5
    a = fit_mixtures([x], np.random.default_rng(9))[0]
    b = fit_mixtures([x], np.random.default_rng(9))[0]
    assert np.array_equal(a.means, b.means)
    for center in (-6, 0, 6):
        near = np.abs(a.means * 5 - center) < 1.0
        assert a.weights[near].sum() == pytest.approx(1 / 3, abs=0.03), center


def test_single_value_column():
    (m,) = fit_mixtures([np.zeros(50)], np.random.default_rng(0))
    assert np.all(np.isfinite(m.means)) and np.all(m.stds > 0)


def test_a_column_fits_the_same_alone_or_beside_a_slower_column():
    """Columns are fitted in batches, but each stops at its own convergence: a quickly converging
    column's mixture does not depend on the slower column it is batched with."""
    rng = np.random.default_rng(3)
    quick = np.round(np.r_[rng.normal(-3, 0.5, 400), rng.normal(3, 0.5, 600)], 1)
    slow = np.round(rng.lognormal(0, 1.0, 1000), 1)  # ~90 values: batched with the other one
    quick, slow = (quick - quick.mean()) / quick.std(), (slow - slow.mean()) / slow.std()
    alone = fit_mixtures([quick], np.random.default_rng(0))[0]
    beside = fit_mixtures([quick, slow], np.random.default_rng(0))[0]
    assert len(alone.means) == len(beside.means) == 2
    for field in ("weights", "means", "stds"):
        np.testing.assert_allclose(getattr(beside, field), getattr(alone, field), rtol=0, atol=1e-12)
    assert sorted(np.round(alone.weights, 1)) == [0.4, 0.6]


def test_small_columns_share_one_batch_and_a_long_column_gets_its_own():
    """A table of a few hundred rows fits all its columns in one batch (an EM step there costs its
    calls, not its arithmetic); a 5,000-value column is not padded beside 100-value ones."""
    from synthgan.transform.mixture import _batches

    assert _batches([38, 46, 138, 86, 38]) == [[0, 4, 1, 3, 2]]
    assert _batches([72, 5000, 16, 117, 84, 92]) == [[2, 0, 4, 5, 3], [1]]
    assert _batches([]) == []
    assert sorted(i for b in _batches([900, 1000, 3000, 2500, 7]) for i in b) == [0, 1, 2, 3, 4]
