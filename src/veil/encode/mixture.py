"""Normalisers for continuous values (floats without missing values) ahead of a neural model.

:class:`ModeNormalizer` is mode-specific normalisation (Xu et al., 2019, "Modeling Tabular Data using
Conditional GAN"): a variational Bayesian Gaussian mixture with a Dirichlet-process (stick-breaking) weight
prior (:func:`fit_dp_mixture`) is fitted on a bounded random sample, as its distinct values weighted by their
counts; each value is assigned to one of the kept modes, sampled from its posterior, and encoded as a one-hot
mode plus a scalar ``(x - mu_k) / (4 sigma_k)``. The scalar is *not* clipped, so the transform is exactly
reversible; a generator's ``tanh`` head bounds what it produces. Kept modes (weight > 0.005) whose means
nearly coincide are merged (see :func:`_merge_close`). Lighter modes are kept too when some values lie
beyond 4 sigma of every heavier one, and a mode's sigma is widened until every fitted value is within
4 sigma of its nearest mode (see :func:`_cover`), so the scalars of the fitted data stay within [-1, 1].

:class:`QuantileNormalizer` is a monotone quantile transform to [-1, 1] through at most 1000 knots, with
no mode span.

:class:`CopulaNormalizer` (CopulaGAN) maps values through their empirical CDF to standard-normal scores
(ties spread at random within their probability slice, so a spike stays a spike and decodes exactly), then
applies mode-specific normalisation to the scores.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma, ndtr, ndtri

from ..errors import NotFittedError

METHODS = ("mode_specific", "quantile", "copula")


def _sample(x: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    if x.size <= max_rows:
        return x
    return x[rng.choice(x.size, size=max_rows, replace=False)]


# ---------------------------------------------------------------------- 1-D variational DP mixture
def _pick(weights: np.ndarray, rng: np.random.Generator) -> int:
    """An index drawn with probability proportional to ``weights`` (non-negative, positive sum)."""
    cum = np.cumsum(weights)
    return int(min(np.searchsorted(cum, rng.random() * cum[-1], side="right"), weights.size - 1))


def _kmeans_labels(z: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator,
                   n_iter: int = 25) -> np.ndarray:
    """Weighted 1-D k-means (k-means++ seeding from ``rng``); labels 0..k'-1, by decreasing cluster weight."""
    centers = [z[_pick(w, rng)]]
    d2 = (z - centers[0]) ** 2
    for _ in range(1, k):
        mass = w * d2
        if not mass.sum() > 0:
            break
        centers.append(z[_pick(mass, rng)])
        d2 = np.minimum(d2, (z - centers[-1]) ** 2)
    c = np.unique(centers)
    for _ in range(n_iter):  # Lloyd steps; in 1-D the cells are the intervals between midpoints
        labels = np.searchsorted((c[1:] + c[:-1]) / 2, z)
        mass = np.bincount(labels, weights=w, minlength=c.size)
        new = np.unique(np.where(mass > 0, np.bincount(labels, weights=w * z, minlength=c.size)
                                 / np.maximum(mass, 1e-300), c))
        if new.size == c.size and np.array_equal(new, c):
            break
        c = new
    labels = np.unique(np.searchsorted((c[1:] + c[:-1]) / 2, z), return_inverse=True)[1]
    rank = np.argsort(np.argsort(-np.bincount(labels, weights=w), kind="stable"), kind="stable")
    return rank[labels]  # the heaviest cluster first, as the stick-breaking prior expects


def _grouped_statistics(z: np.ndarray, w: np.ndarray, max_points: int) -> np.ndarray:
    """Rows (sum w, sum w z, sum w z^2): one per value, or per run of sorted values when there are more than
    ``max_points`` (runs of about equal weight; a heavy value stays alone)."""
    if z.size > max_points:
        order = np.argsort(z, kind="stable")
        z, w = z[order], w[order]
        before = np.cumsum(w) - w  # weight strictly below each value
        run = np.unique((before / w.sum() * max_points).astype(np.int64), return_inverse=True)[1]
        return np.stack([np.bincount(run, weights=w), np.bincount(run, weights=w * z),
                         np.bincount(run, weights=w * z * z)], axis=1)
    return np.stack([w, w * z, w * z * z], axis=1)


def fit_dp_mixture(z: np.ndarray, w: np.ndarray, n_components: int, rng: np.random.Generator, *,
                   concentration: float = 1e-3, mean_precision_prior: float = 1.0, reg: float = 1e-6,
                   max_iter: int = 100, tol: float = 1e-5,
                   max_points: int = 2048) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variational Bayesian 1-D Gaussian mixture with a stick-breaking (Dirichlet-process) weight prior.

    ``z`` are distinct values (about unit scale), ``w`` their counts. Priors (Bishop, PRML 10.2, with the
    truncated stick-breaking weights of Blei & Jordan, 2006): stick fractions ~ Beta(1, ``concentration``),
    mean ~ N(m0, 1 / (beta0 lambda)) with m0 the weighted mean, precision lambda ~ Gamma(1/2, var / 2) with
    var the weighted variance. Initialised from weighted k-means; coordinate ascent until the weighted mean
    log-normaliser changes by less than ``tol`` or ``max_iter`` rounds. Returns (weights, means, variances)
    of every component, weights being the posterior-mean stick weights (summing to 1).

    More than ``max_points`` distinct values are pooled into that many runs of neighbours of about equal
    weight; a run enters with its exact sums of w, w z and w z^2, and shares one responsibility vector.
    """
    z = np.asarray(z, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    total = w.sum()
    m0 = float(w @ z) / total
    a0, b0 = 0.5, 0.5 * max(float(w @ (z - m0) ** 2) / total, reg)
    beta0 = mean_precision_prior
    weighted = _grouped_statistics(z, w, max_points)  # n x 3: sum w, sum w z, sum w z^2 per point
    w = weighted[:, 0]
    z, z2 = weighted[:, 1] / w, weighted[:, 2] / w
    labels = _kmeans_labels(z, w, n_components, rng)
    resp = np.zeros((labels.max() + 1, z.size))  # components x points: reductions run along rows
    resp[labels, np.arange(z.size)] = 1.0

    def m_step(resp: np.ndarray) -> tuple[np.ndarray, ...]:
        n_k, s1, s2 = (resp @ weighted).T
        n_k = n_k + 1e-10
        mean = s1 / n_k
        var = np.maximum(s2 / n_k - mean * mean, 0.0) + reg
        alpha = 1.0 + n_k
        beta = concentration + (n_k.sum() - np.cumsum(n_k))  # mass of the later components
        beta_k = beta0 + n_k
        m_k = (beta0 * m0 + n_k * mean) / beta_k
        a_k = a0 + 0.5 * n_k
        b_k = b0 + 0.5 * (n_k * var + beta0 * n_k / beta_k * (mean - m0) ** 2)
        return alpha, beta, beta_k, m_k, a_k, b_k

    previous = -np.inf
    for _ in range(max_iter):
        alpha, beta, beta_k, m_k, a_k, b_k = m_step(resp)
        both = digamma(alpha + beta)
        log_stick = digamma(alpha) - both
        log_rest = np.concatenate([[0.0], np.cumsum(digamma(beta) - both)[:-1]])
        precision = a_k / b_k
        # E[log pi_k] + E[log N(z | mu_k, 1 / lambda_k)] is quadratic in z: c0 + c1 z + c2 z^2
        c0 = log_stick + log_rest + 0.5 * (digamma(a_k) - np.log(b_k)) - 0.5 / beta_k - 0.5 * precision * m_k**2
        logits = c0[:, None] + (precision * m_k)[:, None] * z - (0.5 * precision)[:, None] * z2
        top = logits.max(axis=0)
        resp = np.exp(logits - top, out=logits)
        norm = resp.sum(axis=0)
        resp /= norm
        score = float(w @ (np.log(norm) + top)) / total
        if abs(score - previous) < tol:
            break
        previous = score
    alpha, beta, beta_k, m_k, a_k, b_k = m_step(resp)
    stick = alpha / (alpha + beta)
    weights = stick * np.concatenate([[1.0], np.cumprod(1.0 - stick)[:-1]])
    return weights / weights.sum(), m_k, b_k / a_k


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


def _far(values: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """Which values lie beyond 4 standard deviations of every mode (a scalar outside [-1, 1] whatever the
    mode)."""
    return (np.abs(values[:, None] - means[None, :]) / (4.0 * stds[None, :])).min(axis=1) > 1.0


def _cover(values: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """Standard deviations widened so that every value is within 4 of them of its nearest mode (in its
    own units): a value far from every mode would otherwise become a scalar in the thousands, which
    no tanh head can produce and which can make a network's loss overflow."""
    nearest = np.argmin(np.abs(values[:, None] - means[None, :]) / stds[None, :], axis=1)
    need = np.zeros_like(stds)
    np.maximum.at(need, nearest, np.abs(values - means[nearest]) / 4.0)
    return np.maximum(stds, need)


class ModeNormalizer:
    """Mode-specific normalisation: value -> (scalar, one-hot mode)."""

    method = "mode_specific"

    def __init__(self, *, max_modes: int = 10, max_fit_rows: int = 50_000, weight_threshold: float = 0.005,
                 max_iter: int = 100, tol: float = 1e-5) -> None:
        self.max_modes = max_modes
        self.max_fit_rows = max_fit_rows
        self.weight_threshold = weight_threshold
        self.max_iter = max_iter
        self.tol = tol
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
        """Fit the mixture on at most ``max_fit_rows`` values of ``x`` (finite, no NaN) drawn with ``rng``.

        The mixture sees the sample's distinct values weighted by their counts (the same likelihood as
        every row, at the cost of the distinct values only).
        """
        x = np.asarray(x, dtype=np.float64)
        sample = _sample(x, self.max_fit_rows, rng)
        distinct, counts = np.unique(sample, return_counts=True)
        if distinct.size <= 1:
            self.means = np.array([distinct[0] if distinct.size else 0.0])
            self.stds, self.weights = np.ones(1), np.ones(1)
            return self
        center, scale = float(sample.mean()), float(sample.std())
        weights, means, variances = fit_dp_mixture((distinct - center) / scale, counts,
                                                   min(self.max_modes, distinct.size), rng,
                                                   max_iter=self.max_iter, tol=self.tol)
        all_means = center + scale * means
        all_stds = np.maximum(scale * np.sqrt(variances), 1e-12 * max(scale, abs(center), 1.0))
        keep = weights > self.weight_threshold
        if not keep.any():
            keep = weights == weights.max()
        values = np.unique(x)
        if _far(values, all_means[keep], all_stds[keep]).any():  # light modes hold values no kept mode explains
            keep |= weights > 0
        self.means, self.stds = all_means[keep], all_stds[keep]
        self.weights = weights[keep] / weights[keep].sum()
        self.means, self.stds, self.weights = _merge_close(self.means, self.stds, self.weights)
        self.stds = _cover(values, self.means, self.stds)
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
        """Values from scalars and modes: mode scores of shape (n, n_modes), where argmax picks the mode
        (outputs may be soft), or the modes' codes of shape (n,)."""
        self._check_fitted()
        scalar = np.asarray(scalar, dtype=np.float64)
        if modes is None:
            mode = np.zeros(scalar.size, dtype=np.int64)
        else:
            mode = modes if modes.ndim == 1 else np.argmax(modes, axis=1)
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


def _pick_values(counts: np.ndarray, budget: int) -> np.ndarray:
    """Indices of the distinct values that become knots: all of them when they fit in ``budget``; else the
    first, the last, the values heavier than 1/budget (up to half the budget) and the rest at even quantiles."""
    if counts.size <= budget:
        return np.arange(counts.size)
    order = np.argsort(-counts, kind="stable")[: budget // 2]
    heavy = order[(counts[order] > 1) & (counts[order] * budget > counts.sum())]
    cum = np.cumsum(counts)
    levels = np.linspace(0.0, 1.0, max(budget - heavy.size - 2, 2)) * cum[-1]
    spread = np.minimum(np.searchsorted(cum, levels), counts.size - 1)
    return np.unique(np.concatenate([[0, counts.size - 1], heavy, spread]))


class CopulaNormalizer:
    """CopulaGAN's transform: value -> standard-normal score (empirical CDF, then the normal quantile)
    -> mode-specific normalisation of the score.

    The CDF is a monotone map through at most ``max_knots`` knots. Each knot value owns its probability
    slice [F(v-), F(v)] (two knots with the same value); a value equal to a knot is sent to a random level
    inside its slice (the central 98%), so ties become a continuous stretch of scores rather than a spike,
    and the inverse maps the whole slice back to the value: exact. Values between knots are interpolated
    linearly both ways. Levels are squeezed into [eps, 1 - eps] (eps = 1 / (2 (n + 1))) so scores are finite.
    """

    method = "copula"
    margin = 0.01  # of a slice, kept clear at each end so float error cannot cross into a neighbour

    def __init__(self, *, max_knots: int = 1000, max_modes: int = 10, max_fit_rows: int = 50_000,
                 weight_threshold: float = 0.005) -> None:
        self.max_knots = max_knots
        self.max_fit_rows = max_fit_rows
        self.modes = ModeNormalizer(max_modes=max_modes, max_fit_rows=max_fit_rows,
                                    weight_threshold=weight_threshold)
        self.knots: np.ndarray | None = None
        self.levels = np.zeros(1)
        self.eps = 0.25

    @property
    def n_modes(self) -> int:
        return self.modes.n_modes

    def _check_fitted(self) -> None:
        if self.knots is None:
            raise NotFittedError("the normaliser is not fitted; call fit first")

    def fit(self, x: np.ndarray, *, rng: np.random.Generator) -> CopulaNormalizer:
        """Knots from at most ``max_fit_rows`` values of ``x`` (plus its exact extremes), then the modes of
        the sample's scores."""
        x = np.asarray(x, dtype=np.float64)
        sample = _sample(x, self.max_fit_rows, rng)
        if sample.size < x.size:
            sample = np.concatenate([sample, [x.min(), x.max()]])
        values, counts = np.unique(sample, return_counts=True)
        if values.size == 0:
            values, counts = np.zeros(1), np.ones(1, dtype=np.int64)
        picked = _pick_values(counts, max(self.max_knots // 2, 2))
        cum = np.cumsum(counts)  # integers: a slice's upper end equals the next one's lower end exactly
        self.knots = np.repeat(values[picked], 2)
        self.levels = np.stack([(cum - counts)[picked], cum[picked]], axis=1).ravel() / cum[-1]
        self.eps = 0.5 / (cum[-1] + 1)
        self.modes.fit(self.scores(sample, rng=rng), rng=rng)
        return self

    def scores(self, x: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
        """Standard-normal scores of ``x``; values equal to a knot land at random inside its slice."""
        self._check_fitted()
        x = np.asarray(x, dtype=np.float64)
        values, lower, upper = self.knots[::2], self.levels[::2], self.levels[1::2]
        level = np.interp(x, self.knots, self.levels)
        at = np.minimum(np.searchsorted(values, x), values.size - 1)
        hit = np.flatnonzero(values[at] == x)
        at = at[hit]
        spread = self.margin + (1.0 - 2.0 * self.margin) * rng.random(hit.size)
        level[hit] = lower[at] + spread * (upper[at] - lower[at])
        return ndtri(self.eps + (1.0 - 2.0 * self.eps) * level)

    def values(self, scores: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`scores`: a whole slice maps back to its knot value."""
        self._check_fitted()
        level = np.clip((ndtr(np.asarray(scores, dtype=np.float64)) - self.eps) / (1.0 - 2.0 * self.eps), 0, 1)
        return np.interp(level, self.levels, self.knots)

    def transform(self, x: np.ndarray, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(scalar of shape (n,), one-hot modes of shape (n, n_modes)) of the values' scores."""
        return self.modes.transform(self.scores(x, rng=rng), rng=rng)

    def inverse(self, scalar: np.ndarray, modes: np.ndarray | None = None) -> np.ndarray:
        return self.values(self.modes.inverse(scalar, modes))

    def center(self) -> float:
        """The median."""
        self._check_fitted()
        return float(np.interp(0.5, self.levels, self.knots))

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        mode_config, mode_arrays = self.modes.state()
        config = {"method": self.method, "max_knots": self.max_knots, "max_fit_rows": self.max_fit_rows,
                  "modes": mode_config}
        arrays = {"knots": self.knots, "levels": self.levels, "eps": np.array([self.eps])}
        return config, {**arrays, **{f"mode.{k}": v for k, v in mode_arrays.items()}}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> CopulaNormalizer:
        norm = cls(max_knots=config["max_knots"], max_fit_rows=config["max_fit_rows"])
        norm.knots = np.asarray(arrays["knots"], dtype=np.float64)
        norm.levels = np.asarray(arrays["levels"], dtype=np.float64)
        norm.eps = float(np.asarray(arrays["eps"]).reshape(-1)[0])
        norm.modes = ModeNormalizer.from_state(config["modes"], {k[5:]: v for k, v in arrays.items()
                                                                 if k.startswith("mode.")})
        return norm


Normalizer = ModeNormalizer | QuantileNormalizer | CopulaNormalizer
_CLASSES: dict[str, type] = {c.method: c for c in (ModeNormalizer, QuantileNormalizer, CopulaNormalizer)}


def make_normalizer(method: str, *, max_modes: int = 10, max_fit_rows: int = 50_000) -> Normalizer:
    """A fresh normaliser for ``method`` ('mode_specific', 'quantile' or 'copula')."""
    if method == "quantile":
        return QuantileNormalizer(max_fit_rows=max_fit_rows)
    if method == "copula":
        return CopulaNormalizer(max_modes=max_modes, max_fit_rows=max_fit_rows)
    return ModeNormalizer(max_modes=max_modes, max_fit_rows=max_fit_rows)


def normalizer_from_state(config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Normalizer:
    return _CLASSES[config["method"]].from_state(config, arrays)
