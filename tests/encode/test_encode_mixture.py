"""Mode-specific and quantile normalisation: modes found, reversibility, vectorised speed, state."""
from __future__ import annotations

import time

import numpy as np
import pytest

from veil.encode.mixture import ModeNormalizer, QuantileNormalizer, _merge_close, normalizer_from_state


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


@pytest.mark.parametrize("cls", [ModeNormalizer, QuantileNormalizer])
def test_degenerate_and_state(cls):
    norm = cls().fit(np.full(50, 4.5), rng=np.random.default_rng(0))
    scalar, _ = norm.transform(np.full(3, 4.5), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(scalar, 0.0)
    modes = np.ones((3, 1)) if cls is ModeNormalizer else None
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
