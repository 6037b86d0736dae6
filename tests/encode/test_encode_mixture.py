"""Mode-specific, quantile and copula normalisation: modes found, reversibility, vectorised speed, state."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from veil.encode.mixture import (
    CopulaNormalizer,
    ModeNormalizer,
    QuantileNormalizer,
    _merge_close,
    fit_dp_mixture,
    normalizer_from_state,
)

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def bimodal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.4, rng.normal(-20, 1, n), rng.normal(50, 3, n))


def test_bimodal_column_gets_two_modes():
    norm = ModeNormalizer().fit(bimodal(3000), rng=np.random.default_rng(1))
    assert norm.n_modes == 2
    np.testing.assert_allclose(norm.means, [-20, 50], atol=1.0)
    np.testing.assert_allclose(norm.weights, [0.4, 0.6], atol=0.05)


def test_transform_is_reversible_and_onehot():
    x = bimodal(2000)
    norm = ModeNormalizer().fit(x, rng=np.random.default_rng(1))
    scalar, modes = norm.transform(x, rng=np.random.default_rng(2))
    assert modes.shape == (2000, norm.n_modes) and np.all(modes.sum(axis=1) == 1)
    np.testing.assert_allclose(norm.inverse(scalar, modes), x, rtol=0, atol=1e-9)
    # values sit in their own mode: within a few standard deviations, so tanh can reach them
    assert np.abs(scalar).max() < 3
    soft = modes * 0.7 + 0.1  # model outputs may be soft; argmax picks the mode
    np.testing.assert_allclose(norm.inverse(scalar, soft), x, atol=1e-9)


def test_transform_is_vectorised_and_seeded():
    x = bimodal(50_000)
    norm = ModeNormalizer(max_fit_rows=2000).fit(x, rng=np.random.default_rng(1))
    started = time.perf_counter()
    a = norm.transform(x, rng=np.random.default_rng(5))
    assert time.perf_counter() - started < 0.5
    b = norm.transform(x, rng=np.random.default_rng(5))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_fit_is_deterministic_given_rng():
    x = bimodal(3000)
    a = ModeNormalizer(max_fit_rows=1000).fit(x, rng=np.random.default_rng(3))
    b = ModeNormalizer(max_fit_rows=1000).fit(x, rng=np.random.default_rng(3))
    assert np.array_equal(a.means, b.means) and np.array_equal(a.stds, b.stds)


@pytest.mark.parametrize("cls", [ModeNormalizer, QuantileNormalizer, CopulaNormalizer])
def test_degenerate_and_state(cls):
    norm = cls().fit(np.full(50, 4.5), rng=np.random.default_rng(0))
    scalar, modes = norm.transform(np.full(3, 4.5), rng=np.random.default_rng(0))
    if cls is not CopulaNormalizer:  # the copula spreads a spike over its (whole) probability slice
        np.testing.assert_array_equal(scalar, 0.0)
    np.testing.assert_array_equal(norm.inverse(scalar, modes), 4.5)
    config, arrays = norm.state()
    clone = normalizer_from_state(config, arrays)
    assert type(clone) is cls and clone.center() == norm.center() == 4.5


def test_quantile_transform_bounded_monotone_reversible():
    rng = np.random.default_rng(0)
    x = np.round(rng.lognormal(3, 1, 20_000), 2)
    norm = QuantileNormalizer().fit(x, rng=np.random.default_rng(1))
    assert norm.knots.size <= 1000 and norm.knots[0] == x.min() and norm.knots[-1] == x.max()
    scalar, modes = norm.transform(x)
    assert modes is None and scalar.min() >= -1 and scalar.max() <= 1
    order = np.argsort(x)
    assert np.all(np.diff(scalar[order]) >= 0)
    np.testing.assert_allclose(norm.inverse(scalar), x, rtol=1e-9)
    assert abs(np.median(scalar)) < 0.02


def test_merge_close_moment_matches():
    m, s, w = _merge_close(np.array([10.0, 0.0, 0.1]), np.array([1.0, 1.0, 2.0]), np.array([0.5, 0.25, 0.25]))
    np.testing.assert_allclose(m, [0.05, 10.0])
    np.testing.assert_allclose(w, [0.5, 0.5])
    np.testing.assert_allclose(s[0] ** 2, 0.5 * (1 + 0) + 0.5 * (4 + 0.01) - 0.05**2)


# ---------------------------------------------------------------------- the variational mixture itself
def three_modes(n: int = 6000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    which = rng.choice(3, size=n, p=[0.3, 0.5, 0.2])
    return np.round(np.array([-10.0, 0.0, 15.0])[which] + np.array([1.0, 0.5, 2.0])[which] * rng.normal(size=n), 3)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_matches_sklearn_bayesian_mixture_on_three_modes():
    from sklearn.mixture import BayesianGaussianMixture

    x = three_modes(3000)
    ours = ModeNormalizer().fit(x, rng=np.random.default_rng(0))
    ref = BayesianGaussianMixture(n_components=10, weight_concentration_prior_type="dirichlet_process",
                                  weight_concentration_prior=0.001, random_state=0).fit(x.reshape(-1, 1))
    keep = ref.weights_ > 0.005  # the same pruning and merging of near-identical components as ours
    ref_means, ref_stds, _ = _merge_close(ref.means_[keep, 0], np.sqrt(ref.covariances_[keep].reshape(-1)),
                                          ref.weights_[keep])
    assert ours.n_modes == 3 == ref_means.size
    np.testing.assert_allclose(ours.means, ref_means, atol=0.1)
    np.testing.assert_allclose(ours.means, [-10, 0, 15], atol=0.15)
    np.testing.assert_allclose(ours.stds, ref_stds, rtol=0.1)  # both shrink towards the prior (the data's spread)
    np.testing.assert_allclose(ours.stds, [1.0, 0.5, 2.0], rtol=0.15)
    np.testing.assert_allclose(ours.weights, [0.3, 0.5, 0.2], atol=0.03)


def test_counts_weigh_like_repeated_rows_and_pooling_keeps_the_fit():
    x = three_modes(4000, seed=2)
    values, counts = np.unique(x, return_counts=True)
    z = (values - x.mean()) / x.std()
    exact = fit_dp_mixture(z, counts, 10, np.random.default_rng(0), max_points=10**6)
    pooled = fit_dp_mixture(z, counts, 10, np.random.default_rng(0), max_points=256)
    def modes(fit):
        weights, means, variances = fit
        assert abs(weights.sum() - 1) < 1e-12
        keep = weights > 0.005
        return _merge_close(means[keep] * x.std() + x.mean(), np.sqrt(variances[keep]) * x.std(), weights[keep])

    for fit in (exact, pooled):
        means, stds, weights = modes(fit)
        np.testing.assert_allclose(means, [-10, 0, 15], atol=0.2)
        np.testing.assert_allclose(weights / weights.sum(), [0.3, 0.5, 0.2], atol=0.03)
    # counts on distinct values weigh like the same values repeated (same objective)
    rows = fit_dp_mixture(np.repeat(z, counts), np.ones(counts.sum()), 10, np.random.default_rng(0),
                          max_points=10**6)
    np.testing.assert_allclose(modes(rows)[0], modes(exact)[0], atol=0.05)


def test_spikes_get_their_own_modes_and_round_trip():
    rng = np.random.default_rng(4)
    x = np.where(rng.random(20_000) < 0.9, 0.0, np.round(rng.lognormal(8, 0.5, 20_000)))
    norm = ModeNormalizer().fit(x, rng=np.random.default_rng(0))
    assert 2 <= norm.n_modes <= 10 and np.isclose(norm.weights.sum(), 1)
    assert np.min(np.abs(norm.means)) < 0.05 and np.max(norm.weights) > 0.85  # the zero spike
    scalar, modes = norm.transform(x, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(np.round(norm.inverse(scalar, modes)), x)


def test_fit_is_fast_on_many_distinct_values():
    """sklearn's BayesianGaussianMixture took 2-3 s per Adult column; ours is bounded well below that."""
    rng = np.random.default_rng(0)
    x = np.round(rng.lognormal(12, 0.5, 50_000))  # ~40,000 distinct values, like Adult's fnlwgt
    ModeNormalizer().fit(x[:1000], rng=np.random.default_rng(0))  # warm up
    started = time.perf_counter()
    norm = ModeNormalizer().fit(x, rng=np.random.default_rng(0))
    assert time.perf_counter() - started < 1.0
    assert 1 <= norm.n_modes <= 10


def test_adult_numeric_columns_fit_fast_and_round_trip():
    if not (DATASETS / "adult.csv.gz").exists():
        pytest.skip(f"shared dataset adult.csv.gz is not available at {DATASETS}")
    table = pd.read_csv(DATASETS / "adult.csv.gz", keep_default_na=False, na_values=[""])
    started = time.perf_counter()
    for name in ("age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"):
        x = table[name].to_numpy(dtype=np.float64)
        norm = ModeNormalizer().fit(x, rng=np.random.default_rng(0))
        assert 2 <= norm.n_modes <= 10
        scalar, modes = norm.transform(x, rng=np.random.default_rng(1))
        np.testing.assert_array_equal(np.round(norm.inverse(scalar, modes)), x)
    assert time.perf_counter() - started < 5.0  # about 18 s with sklearn's mixture


# ---------------------------------------------------------------------- copula (CopulaGAN)
def spiky(n: int = 20_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    return np.where(u < 0.6, 0.0, np.where(u < 0.7, 99999.0, np.round(rng.lognormal(7, 1, n), 2)))


def test_copula_scores_are_normal_and_monotone():
    from scipy import stats

    x = spiky()
    norm = CopulaNormalizer().fit(x, rng=np.random.default_rng(1))
    assert norm.knots.size <= 1000 and norm.knots[0] == x.min() and norm.knots[-1] == x.max()
    s = norm.scores(x, rng=np.random.default_rng(2))
    assert np.isfinite(s).all()
    assert stats.kstest(s, "norm").statistic < 0.02  # the spikes are spread, not stacked
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(s[order][np.diff(x[order], prepend=-np.inf) > 0]) > 0)  # distinct values keep order
    zeros = s[x == 0]
    assert zeros.max() < s[x > 0].min() and zeros.std() > 0.3  # a spike is a stretch of scores


def test_copula_round_trip_is_exact():
    x = spiky()
    norm = CopulaNormalizer().fit(x, rng=np.random.default_rng(1))
    scalar, modes = norm.transform(x, rng=np.random.default_rng(2))
    assert modes.shape == (x.size, norm.n_modes) and np.all(modes.sum(axis=1) == 1)
    back = norm.inverse(scalar, modes)
    np.testing.assert_array_equal(back[(x == 0) | (x == 99999)], x[(x == 0) | (x == 99999)])  # spikes: exact
    np.testing.assert_allclose(back, x, rtol=1e-9, atol=1e-9)
    # a value never seen but inside the range maps monotonically and comes back
    probe = np.array([0.5, 1234.567, 50_000.0])
    s2, m2 = norm.transform(probe, rng=np.random.default_rng(0))
    np.testing.assert_allclose(norm.inverse(s2, m2), probe, rtol=1e-9)


def test_copula_state_and_subsampled_fit():
    x = spiky(30_000, seed=3)
    norm = CopulaNormalizer(max_fit_rows=5000).fit(x, rng=np.random.default_rng(1))
    assert norm.knots[0] == x.min() and norm.knots[-1] == x.max()  # the exact extremes are knots
    config, arrays = norm.state()
    assert "knots" in arrays and all(isinstance(v, (int, float, str, dict, type(None))) for v in config.values())
    clone = normalizer_from_state(config, arrays)
    assert isinstance(clone, CopulaNormalizer) and clone.n_modes == norm.n_modes
    a = norm.transform(x, rng=np.random.default_rng(5))
    b = clone.transform(x, rng=np.random.default_rng(5))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    np.testing.assert_array_equal(np.round(clone.inverse(*a), 2), x)


def test_values_far_from_every_heavy_mode_keep_their_scalars_in_range():
    """A count column that is zero for 99.4% of rows, with rare 2s and 28s (kddcup99's 'hot'): dropping
    the light modes used to leave the 28s at a scalar of about 2,000 under the spike's tiny sigma, and
    TVAE's loss overflowed to NaN."""
    rng = np.random.default_rng(0)
    x = np.concatenate([np.zeros(79_500), np.full(330, 2.0), np.full(45, 1.0), np.full(44, 28.0), [30.0] * 3])
    rng.shuffle(x)
    norm = ModeNormalizer().fit(x, rng=rng)
    scalar, modes = norm.transform(x, rng=rng)
    assert np.abs(scalar).max() <= 1.5
    np.testing.assert_allclose(norm.inverse(scalar, modes), x, atol=1e-9)
    import veil

    synth = veil.TVAESynthesizer(epochs=2, batch_size=500).fit(pd.DataFrame({"hot": x[:20_000].astype(int)}))
    assert np.isfinite(synth.loss_history_["loss"]).all()
    assert synth.sample(2_000, seed=0)["hot"].notna().all()
