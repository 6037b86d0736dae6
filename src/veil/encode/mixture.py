"""Normalisers for continuous values (floats without missing values) ahead of a neural model.

:class:`ModeNormalizer` is mode-specific normalisation (Xu et al., 2019, "Modeling Tabular Data using
Conditional GAN"): a variational Bayesian Gaussian mixture with a Dirichlet-process weight prior is fitted
on a bounded random sample; each value is assigned to one of the kept modes, sampled from its posterior,
and encoded as a one-hot mode plus a scalar ``(x - mu_k) / (4 sigma_k)``. The scalar is *not* clipped, so
the transform is exactly reversible; a generator's ``tanh`` head bounds what it produces. Kept modes
(weight > 0.005) whose means nearly coincide are merged (see :func:`_merge_close`).

:class:`QuantileNormalizer` is a monotone quantile transform to [-1, 1] through at most 1000 knots, with
no mode span.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

from ..errors import NotFittedError

METHODS = ("mode_specific", "quantile")


def _sample(x: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    if x.size <= max_rows:
        return x
    return x[rng.choice(x.size, size=max_rows, replace=False)]


def _merge_close(means: np.ndarray, stds: np.ndarray, weights: np.ndarray,
                 tol: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort modes by mean and merge neighbours closer than ``tol`` times the narrower one's std.

    A variational fit that has not pruned every spare component often splits one bump into several
    components with nearly equal means; to a model they are indistinguishable modes, so they are merged
    into one Gaussian with the same weight, mean and variance (moment matching).
    """
    order = np.argsort(means)
    m, s, w = list(means[order]), list(stds[order]), list(weights[order])
    i = 0
    while i < len(m) - 1:
        if abs(m[i + 1] - m[i]) < tol * min(s[i], s[i + 1]):
            wt = w[i] + w[i + 1]
            mu = (w[i] * m[i] + w[i + 1] * m[i + 1]) / wt
            second = (w[i] * (s[i] ** 2 + m[i] ** 2) + w[i + 1] * (s[i + 1] ** 2 + m[i + 1] ** 2)) / wt
            m[i:i + 2], s[i:i + 2], w[i:i + 2] = [mu], [float(np.sqrt(max(second - mu * mu, 0.0)))], [wt]
            i = max(i - 1, 0)
        else:
            i += 1
    return np.array(m), np.array(s), np.array(w)


class ModeNormalizer:
    """Mode-specific normalisation: value -> (scalar, one-hot mode)."""

    method = "mode_specific"

    def __init__(self, *, max_modes: int = 10, max_fit_rows: int = 50_000, weight_threshold: float = 0.005) -> None:
        self.max_modes = max_modes
        self.max_fit_rows = max_fit_rows
        self.weight_threshold = weight_threshold
        self.means: np.ndarray | None = None
        self.stds = np.ones(1)
        self.weights = np.ones(1)

    @property
    def n_modes(self) -> int:
        self._check_fitted()
        return int(self.means.size)

    def _check_fitted(self) -> None:
        if self.means is None:
            raise NotFittedError("the normaliser is not fitted; call fit first")

    def fit(self, x: np.ndarray, *, rng: np.random.Generator) -> ModeNormalizer:
        """Fit the mixture on at most ``max_fit_rows`` values of ``x`` (finite, no NaN) drawn with ``rng``."""
        x = np.asarray(x, dtype=np.float64)
        sample = _sample(x, self.max_fit_rows, rng)
        seed = int(rng.integers(2**31 - 1))
        distinct = np.unique(sample)
        if distinct.size <= 1:
            self.means = np.array([distinct[0] if distinct.size else 0.0])
            self.stds, self.weights = np.ones(1), np.ones(1)
            return self
        center, scale = float(sample.mean()), float(sample.std())
        z = ((sample - center) / scale).reshape(-1, 1)
        gm = BayesianGaussianMixture(n_components=min(self.max_modes, distinct.size),
                                     weight_concentration_prior_type="dirichlet_process",
                                     weight_concentration_prior=0.001, covariance_type="diag",
                                     n_init=1, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm.fit(z)
        keep = gm.weights_ > self.weight_threshold
        if not keep.any():
            keep = gm.weights_ == gm.weights_.max()
        self.means = center + scale * gm.means_[keep, 0]
        self.stds = np.maximum(scale * np.sqrt(gm.covariances_[keep, 0]), 1e-12 * max(scale, abs(center), 1.0))
        self.weights = gm.weights_[keep] / gm.weights_[keep].sum()
        self.means, self.stds, self.weights = _merge_close(self.means, self.stds, self.weights)
        return self

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Posterior probability of each kept mode for each value, shape (n, n_modes)."""
        self._check_fitted()
        z = (np.asarray(x, dtype=np.float64)[:, None] - self.means[None, :]) / self.stds[None, :]
        logp = np.log(self.weights)[None, :] - np.log(self.stds)[None, :] - 0.5 * z * z
        logp -= logp.max(axis=1, keepdims=True)
        p = np.exp(logp)
        return p / p.sum(axis=1, keepdims=True)

    def transform(self, x: np.ndarray, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(scalar of shape (n,), one-hot modes of shape (n, n_modes)); a mode is sampled per value."""
        x = np.asarray(x, dtype=np.float64)
        cum = np.cumsum(self.probabilities(x), axis=1)
        u = rng.random(x.size)
        mode = np.minimum((cum < u[:, None]).sum(axis=1), self.n_modes - 1)
        scalar = (x - self.means[mode]) / (4.0 * self.stds[mode])
        onehot = np.zeros((x.size, self.n_modes))
        onehot[np.arange(x.size), mode] = 1.0
        return scalar, onehot

    def inverse(self, scalar: np.ndarray, modes: np.ndarray | None = None) -> np.ndarray:
        """Values from scalars and mode scores (argmax picks the mode; outputs may be soft)."""
        self._check_fitted()
        scalar = np.asarray(scalar, dtype=np.float64)
        mode = np.zeros(scalar.size, dtype=np.int64) if modes is None else np.argmax(modes, axis=1)
        return scalar * 4.0 * self.stds[mode] + self.means[mode]

    def center(self) -> float:
        """A typical value (the mean of the heaviest mode)."""
        self._check_fitted()
        return float(self.means[np.argmax(self.weights)])

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        config = {"method": self.method, "max_modes": self.max_modes, "max_fit_rows": self.max_fit_rows,
                  "weight_threshold": self.weight_threshold}
        return config, {"means": self.means, "stds": self.stds, "weights": self.weights}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> ModeNormalizer:
        norm = cls(max_modes=config["max_modes"], max_fit_rows=config["max_fit_rows"],
                   weight_threshold=config["weight_threshold"])
        norm.means = np.asarray(arrays["means"], dtype=np.float64)
        norm.stds = np.asarray(arrays["stds"], dtype=np.float64)
        norm.weights = np.asarray(arrays["weights"], dtype=np.float64)
        return norm


class QuantileNormalizer:
    """Monotone quantile transform: value -> scalar in [-1, 1] (no mode span)."""

    method = "quantile"
    n_modes = 0

    def __init__(self, *, max_knots: int = 1000, max_fit_rows: int = 50_000) -> None:
        self.max_knots = max_knots
        self.max_fit_rows = max_fit_rows
        self.knots: np.ndarray | None = None
        self.levels = np.zeros(1)

    def _check_fitted(self) -> None:
        if self.knots is None:
            raise NotFittedError("the normaliser is not fitted; call fit first")

    def fit(self, x: np.ndarray, *, rng: np.random.Generator) -> QuantileNormalizer:
        """Quantile knots from a sample of ``x``; the ends are the exact minimum and maximum of ``x``."""
        x = np.asarray(x, dtype=np.float64)
        if x.size == 0:
            self.knots, self.levels = np.zeros(1), np.full(1, 0.5)
            return self
        sample = _sample(x, self.max_fit_rows, rng)
        levels = np.linspace(0.0, 1.0, max(2, min(self.max_knots, sample.size)))
        knots = np.quantile(sample, levels)
        knots[0], knots[-1] = x.min(), x.max()
        knots = np.maximum.accumulate(knots)
        unique, inverse = np.unique(knots, return_inverse=True)
        self.knots = unique
        self.levels = np.bincount(inverse, weights=levels) / np.bincount(inverse)
        if unique.size == 1:
            self.levels = np.full(1, 0.5)
        return self

    def transform(self, x: np.ndarray, *, rng: np.random.Generator | None = None) -> tuple[np.ndarray, None]:
        """(scalar in [-1, 1], None)."""
        self._check_fitted()
        u = np.interp(np.asarray(x, dtype=np.float64), self.knots, self.levels)
        return 2.0 * u - 1.0, None

    def inverse(self, scalar: np.ndarray, modes: np.ndarray | None = None) -> np.ndarray:
        self._check_fitted()
        u = (np.asarray(scalar, dtype=np.float64) + 1.0) / 2.0
        if self.knots.size == 1:
            return np.full(u.shape, self.knots[0])
        return np.interp(u, self.levels, self.knots)

    def center(self) -> float:
        self._check_fitted()
        return float(np.interp(0.5, self.levels, self.knots)) if self.knots.size > 1 else float(self.knots[0])

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        config = {"method": self.method, "max_knots": self.max_knots, "max_fit_rows": self.max_fit_rows}
        return config, {"knots": self.knots, "levels": self.levels}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> QuantileNormalizer:
        norm = cls(max_knots=config["max_knots"], max_fit_rows=config["max_fit_rows"])
        norm.knots = np.asarray(arrays["knots"], dtype=np.float64)
        norm.levels = np.asarray(arrays["levels"], dtype=np.float64)
        return norm


Normalizer = ModeNormalizer | QuantileNormalizer


def make_normalizer(method: str, *, max_modes: int = 10, max_fit_rows: int = 50_000) -> Normalizer:
    """A fresh normaliser for ``method`` ('mode_specific' or 'quantile')."""
    if method == "quantile":
        return QuantileNormalizer(max_fit_rows=max_fit_rows)
    return ModeNormalizer(max_modes=max_modes, max_fit_rows=max_fit_rows)


def normalizer_from_state(config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Normalizer:
    cls = QuantileNormalizer if config["method"] == "quantile" else ModeNormalizer
    return cls.from_state(config, arrays)
