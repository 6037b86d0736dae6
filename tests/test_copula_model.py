"""The Gaussian copula model on its own: marginals, correlation, discrete codes, state round trip."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from veil.encode.spans import Span
from veil.errors import NotFittedError
from veil.models.copula import GaussianCopula
from veil.models.marginals import DISTRIBUTIONS


def _data(n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0, 0], [[1, .8, .5], [.8, 1, .4], [.5, .4, 1]], size=n)
    income = np.exp(10 + 0.5 * z[:, 0])                 # skewed
    age = np.round(40 + 12 * z[:, 1])                    # roughly normal
    group = np.digitize(z[:, 2], [-0.5, 0.7])            # 3 categories, correlated
    matrix = np.column_stack([income, age, group]).astype(np.float64)
    spans = [Span("continuous", 1, "income"), Span("continuous", 1, "age"), Span("discrete", 1, "group", size=3)]
    return matrix, spans


def test_marginals_and_correlation_are_kept():
    matrix, spans = _data()
    model = GaussianCopula().fit(matrix, spans, rng=np.random.default_rng(1))
    out = model.sample(20_000, rng=np.random.default_rng(2))
    for j in (0, 1):
        assert stats.ks_2samp(matrix[:, j], out[:, j]).statistic < 0.02
    real_freq = np.bincount(matrix[:, 2].astype(int), minlength=3) / len(matrix)
    syn_freq = np.bincount(out[:, 2].astype(int), minlength=3) / len(out)
    assert np.abs(real_freq - syn_freq).max() < 0.02
    real_rho = stats.spearmanr(matrix[:, 0], matrix[:, 1]).statistic
    syn_rho = stats.spearmanr(out[:, 0], out[:, 1]).statistic
    assert abs(real_rho - syn_rho) < 0.03
    # the category follows the numbers as in the real data
    assert abs(stats.spearmanr(matrix[:, 0], matrix[:, 2]).statistic
               - stats.spearmanr(out[:, 0], out[:, 2]).statistic) < 0.05


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_every_distribution_fits_and_samples_inside_support(dist):
    matrix, spans = _data(5_000)
    model = GaussianCopula(default_distribution=dist).fit(matrix, spans, rng=np.random.default_rng(0))
    out = model.sample(2_000, rng=np.random.default_rng(0))
    assert np.isfinite(out).all()
    assert set(np.unique(out[:, 2])) <= {0.0, 1.0, 2.0}
    if dist in ("empirical", "uniform", "truncnorm", "beta"):
        assert out[:, 1].min() >= matrix[:, 1].min() - 1e-6 and out[:, 1].max() <= matrix[:, 1].max() + 1e-6


def test_spike_at_zero_is_kept():
    rng = np.random.default_rng(0)
    x = np.where(rng.random(10_000) < 0.9, 0.0, rng.lognormal(8, 1, 10_000))
    model = GaussianCopula().fit(x[:, None], [Span("continuous", 1, "gain")], rng=rng)
    out = model.sample(10_000, rng=np.random.default_rng(1))[:, 0]
    assert abs((out == 0).mean() - 0.9) < 0.02


def test_constant_column_and_state_round_trip():
    matrix, spans = _data(1_000)
    matrix = np.column_stack([matrix, np.full(len(matrix), 7.0)])
    spans = spans + [Span("continuous", 1, "const")]
    model = GaussianCopula().fit(matrix, spans, rng=np.random.default_rng(0))
    config, arrays = model.state()
    json.dumps(config)
    again = GaussianCopula.from_state(json.loads(json.dumps(config)), arrays)
    a = model.sample(500, rng=np.random.default_rng(3))
    b = again.sample(500, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert (a[:, 3] == 7.0).all()


def test_same_seed_same_output_and_unfitted_errors():
    matrix, spans = _data(2_000)
    m1 = GaussianCopula().fit(matrix, spans, rng=np.random.default_rng(5))
    m2 = GaussianCopula().fit(matrix, spans, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(m1.sample(100, rng=np.random.default_rng(1)),
                                  m2.sample(100, rng=np.random.default_rng(1)))
    with pytest.raises(NotFittedError):
        GaussianCopula().sample(3, rng=np.random.default_rng(0))
