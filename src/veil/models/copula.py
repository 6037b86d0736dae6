"""The Gaussian copula: marginals per column, one correlation matrix between their normal scores.

It reads a copula-style matrix: ``continuous`` spans (raw values; a marginal distribution is fitted to
each) and ``discrete`` spans (integer codes; each code owns an interval of (0, 1) as wide as its
frequency). Every column is mapped to a standard-normal score, the scores' correlation is estimated,
and sampling draws correlated normals and maps them back through each marginal.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr, ndtri

from ..encode.spans import Span
from ..errors import InvalidDataError, NotFittedError
from .base import Conditions
from .marginals import Marginal, interval_normal_means

#: rows used to estimate the correlation matrix; more adds time and no accuracy
MAX_CORRELATION_ROWS = 200_000
#: latent correlations are kept strictly inside (-1, 1)
_MAX_CORRELATION = 0.995


class GaussianCopula:
    """Gaussian copula over continuous and discrete spans.

    ``distributions`` gives, per span, the marginal family of a continuous span (``None`` for the
    default); discrete spans ignore it.
    """

    name: ClassVar[str] = "gaussian_copula"

    def __init__(self, *, distributions: Sequence[str | None] | None = None, default_distribution: str = "empirical",
                 max_correlation_rows: int = MAX_CORRELATION_ROWS):
        self.distributions = list(distributions) if distributions is not None else None
        self.default_distribution = default_distribution
        self.max_correlation_rows = max_correlation_rows
        self.spans_: list[Span] | None = None

    # ------------------------------------------------------------------ fit
    def fit(self, matrix: np.ndarray, spans: Sequence[Span], *, rng: np.random.Generator,
            callbacks: Sequence[Any] = ()) -> GaussianCopula:
        spans = list(spans)
        bad = [s.kind for s in spans if s.kind not in ("continuous", "discrete")]
        if bad:
            raise InvalidDataError("the Gaussian copula reads continuous and discrete spans only, "
                                   f"got {sorted(set(bad))}")
        if matrix.ndim != 2 or matrix.shape[1] != len(spans):
            raise InvalidDataError("the matrix must have one column per span")
        if matrix.shape[0] < 2:
            raise InvalidDataError("the Gaussian copula needs at least 2 rows to learn from")
        n = matrix.shape[0]
        self.marginals_: list[Marginal | None] = []
        self.cumulative_: list[np.ndarray | None] = []
        scores = np.empty(matrix.shape, dtype=np.float64)
        for j, span in enumerate(spans):
            x = matrix[:, j].astype(np.float64, copy=False)
            if span.kind == "continuous":
                kind = (self.distributions[j] if self.distributions else None) or self.default_distribution
                marginal = Marginal.fit(kind, x, rng)
                scores[:, j] = marginal.normal_scores(x)
                self.marginals_.append(marginal)
                self.cumulative_.append(None)
            else:
                codes = np.clip(np.rint(x).astype(np.int64), 0, span.size - 1)
                freq = np.bincount(codes, minlength=span.size).astype(np.float64) / n
                upper = np.cumsum(freq)
                upper[-1] = 1.0
                scores[:, j] = interval_normal_means(upper - freq, upper)[codes]
                self.marginals_.append(None)
                self.cumulative_.append(upper)
        if n > self.max_correlation_rows:
            scores = scores[rng.choice(n, size=self.max_correlation_rows, replace=False)]
        self.correlation_ = _correlation(scores)
        self.cholesky_ = _cholesky(self.correlation_)
        self.spans_ = spans
        return self

    # ------------------------------------------------------------------ sample
    #: one discrete span can be fixed exactly (see :meth:`sample`)
    native_conditions: ClassVar[str] = "one"

    def condition_spans(self) -> list[int]:
        return [j for j, s in enumerate(self.spans_ or []) if s.kind == "discrete"]

    def sample(self, n: int, *, rng: np.random.Generator, conditions: Conditions | None = None) -> np.ndarray:
        """``n`` rows; ``conditions`` may fix one discrete span to a code. Its latent normal score is then
        drawn from the standard normal truncated to that code's interval, and the others from the
        Gaussian given it: exact, with no row rejected."""
        if self.spans_ is None:
            raise NotFittedError("this GaussianCopula is not fitted yet; call fit first")
        if conditions:
            z = self._conditioned_scores(n, rng, conditions)
        else:
            z = rng.standard_normal((n, len(self.spans_))) @ self.cholesky_.T
        u = ndtr(z)
        out = np.empty_like(u)
        for j, span in enumerate(self.spans_):
            if span.kind == "continuous":
                out[:, j] = self.marginals_[j].ppf(u[:, j])
            else:
                upper = self.cumulative_[j]
                out[:, j] = np.minimum(np.searchsorted(upper, u[:, j], side="right"), span.size - 1)
        return out

    def _conditioned_scores(self, n: int, rng: np.random.Generator, conditions: Conditions) -> np.ndarray:
        if len(conditions) != 1:
            raise InvalidDataError("the Gaussian copula conditions natively on one categorical column")
        (j, code), = conditions.items()
        j, code = int(j), int(code)
        if j not in self.condition_spans() or not 0 <= code < self.spans_[j].size:
            raise InvalidDataError("a condition names a column or value the model does not have")
        upper = self.cumulative_[j]
        low, high = (upper[code - 1] if code else 0.0), upper[code]
        if high <= low:
            raise InvalidDataError("the condition's value never occurred in the data the model learned")
        d = len(self.spans_)
        z = np.empty((n, d))
        z[:, j] = ndtri(np.clip(low + rng.random(n) * (high - low), 1e-12, 1 - 1e-12))
        rest = [i for i in range(d) if i != j]
        if rest:
            corr = self.correlation_
            slope = corr[rest, j]
            cov = corr[np.ix_(rest, rest)] - np.outer(slope, slope)
            z[:, rest] = z[:, [j]] * slope + rng.standard_normal((n, len(rest))) @ _cholesky(cov).T
        return z

    # ------------------------------------------------------------------ state
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        if self.spans_ is None:
            raise NotFittedError("this GaussianCopula is not fitted yet; call fit first")
        arrays: dict[str, np.ndarray] = {"correlation": self.correlation_}
        marginals: list[dict[str, Any] | None] = []
        for j, (marginal, upper) in enumerate(zip(self.marginals_, self.cumulative_)):
            if marginal is not None:
                config, knots = marginal.state()
                marginals.append(config)
                if knots is not None:
                    arrays[f"knots.{j}"] = knots
            else:
                marginals.append(None)
                arrays[f"cumulative.{j}"] = upper
        config = {"distributions": self.distributions, "default_distribution": self.default_distribution,
                  "max_correlation_rows": self.max_correlation_rows,
                  "spans": [s.to_dict() for s in self.spans_], "marginals": marginals}
        return config, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> GaussianCopula:
        model = cls(distributions=config["distributions"], default_distribution=config["default_distribution"],
                    max_correlation_rows=int(config["max_correlation_rows"]))
        spans = [Span.from_dict(s) for s in config["spans"]]
        corr = np.asarray(arrays["correlation"], dtype=np.float64)
        if corr.shape != (len(spans), len(spans)):
            raise ValueError("the correlation matrix does not match the spans")
        model.marginals_, model.cumulative_ = [], []
        for j, (span, marginal) in enumerate(zip(spans, config["marginals"])):
            if span.kind == "continuous":
                model.marginals_.append(Marginal.from_state(marginal, arrays.get(f"knots.{j}")))
                model.cumulative_.append(None)
            else:
                upper = np.asarray(arrays[f"cumulative.{j}"], dtype=np.float64)
                if upper.shape != (span.size,):
                    raise ValueError("a discrete span's frequencies do not match its size")
                model.marginals_.append(None)
                model.cumulative_.append(upper)
        model.correlation_ = corr
        model.cholesky_ = _cholesky(corr)
        model.spans_ = spans
        return model


def _correlation(scores: np.ndarray) -> np.ndarray:
    """The latent Gaussian correlation behind the columns' normal scores.

    A column made coarse (categories, or ties such as a spike at zero) has scores g(Z): the mean of Z
    over each value's slice. By Stein's lemma cov(X, g(Z)) = rho * E[g'(Z)] = rho * Var(g(Z)), and to
    first order in the Hermite expansion cov(g1(Z1), g2(Z2)) = rho * Var(g1) * Var(g2). Dividing the
    covariance by the two variances undoes the attenuation that coarsening causes; for a continuous
    column (variance 1) nothing changes. The result is clipped and made positive definite.
    """
    d = scores.shape[1]
    if d == 0:
        return np.zeros((0, 0))
    centred = scores - scores.mean(axis=0)
    cov = (centred.T @ centred) / scores.shape[0]
    var = np.diag(cov).copy()
    alive = var > 1e-12
    safe = np.where(alive, var, 1.0)
    corr = np.clip(cov / np.outer(safe, safe), -_MAX_CORRELATION, _MAX_CORRELATION)
    corr[~alive, :] = 0.0
    corr[:, ~alive] = 0.0
    np.fill_diagonal(corr, 1.0)
    return _nearest_correlation(corr)


def _nearest_correlation(corr: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    vals, vecs = np.linalg.eigh((corr + corr.T) / 2)
    if vals.min() >= floor:
        return corr
    fixed = (vecs * np.maximum(vals, floor)) @ vecs.T
    scale = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(scale, scale)
    np.fill_diagonal(fixed, 1.0)
    return fixed


def _cholesky(corr: np.ndarray) -> np.ndarray:
    if corr.size == 0:
        return corr
    return np.linalg.cholesky(corr + 1e-10 * np.eye(corr.shape[0]))
