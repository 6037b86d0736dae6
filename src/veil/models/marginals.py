"""One-dimensional marginal distributions for copula models.

Each marginal is fitted on the observed values of one continuous span and offers ``cdf`` and ``ppf``,
vectorised. Parameters are plain floats (JSON) and arrays (safetensors), so nothing is pickled.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

DISTRIBUTIONS: tuple[str, ...] = ("empirical", "norm", "truncnorm", "beta", "gamma", "uniform")
#: at most this many values are used to fit a parametric distribution (maximum likelihood is slow)
MAX_PARAMETRIC_FIT = 20_000
#: number of quantile knots kept by the empirical marginal
EMPIRICAL_KNOTS = 1025
_EPS = 1e-9


class Marginal:
    """A fitted marginal: ``kind`` plus parameters; ``ppf`` maps (0, 1) back to values."""

    def __init__(self, kind: str, params: dict[str, float], knots: np.ndarray | None = None):
        self.kind = kind
        self.params = params
        self.knots = knots

    # --------------------------------------------------------------- fitting
    @classmethod
    def fit(cls, kind: str, values: np.ndarray, rng: np.random.Generator) -> Marginal:
        x = np.asarray(values, dtype=np.float64)
        x = x[np.isfinite(x)]
        if x.size == 0:
            return cls("constant", {"value": 0.0})
        lo, hi = float(x.min()), float(x.max())
        if hi - lo <= 0:
            return cls("constant", {"value": lo})
        if kind == "empirical":
            probs = np.linspace(0.0, 1.0, min(EMPIRICAL_KNOTS, max(2, x.size)))
            return cls("empirical", {}, np.quantile(x, probs))
        if x.size > MAX_PARAMETRIC_FIT:
            x = rng.choice(x, size=MAX_PARAMETRIC_FIT, replace=False)
        mean, std = float(x.mean()), float(x.std()) or 1.0
        if kind == "norm":
            return cls("norm", {"loc": mean, "scale": std})
        if kind == "uniform":
            return cls("uniform", {"loc": lo, "scale": hi - lo})
        if kind == "truncnorm":
            return cls("truncnorm", {"a": (lo - mean) / std, "b": (hi - mean) / std, "loc": mean, "scale": std})
        if kind == "beta":
            span = hi - lo
            inner = np.clip((x - lo) / span, 1e-6, 1 - 1e-6)
            a, b, _, _ = _stats().beta.fit(inner, floc=0.0, fscale=1.0)
            return cls("beta", {"a": float(a), "b": float(b), "loc": lo, "scale": span})
        if kind == "gamma":
            loc = lo - 1e-6 * max(1.0, abs(lo))
            a, _, scale = _stats().gamma.fit(x, floc=loc)
            return cls("gamma", {"a": float(a), "loc": loc, "scale": float(scale)})
        raise ValueError(f"unknown distribution {kind!r}")

    # --------------------------------------------------------------- transforms
    def _frozen(self):
        p, stats = self.params, _stats()
        if self.kind == "norm":
            return stats.norm(loc=p["loc"], scale=p["scale"])
        if self.kind == "uniform":
            return stats.uniform(loc=p["loc"], scale=p["scale"])
        if self.kind == "truncnorm":
            return stats.truncnorm(p["a"], p["b"], loc=p["loc"], scale=p["scale"])
        if self.kind == "beta":
            return stats.beta(p["a"], p["b"], loc=p["loc"], scale=p["scale"])
        if self.kind == "gamma":
            return stats.gamma(p["a"], loc=p["loc"], scale=p["scale"])
        raise ValueError(self.kind)

    def normal_scores(self, x: np.ndarray) -> np.ndarray:
        """Map ``x`` to standard-normal scores, deterministically.

        Empirical marginals give each distinct value the mean of the standard normal over the slice of
        probability it owns (so a spike of equal values, e.g. 90% zeros, gets one honest score instead of
        random tie-breaking, which would blur every correlation it takes part in). Parametric marginals
        use the normal quantile of their fitted CDF.
        """
        if self.kind in ("empirical", "constant"):
            _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
            upper = np.cumsum(counts) / x.size
            return interval_normal_means(upper - counts / x.size, upper)[inverse]
        return ndtri(np.clip(self._frozen().cdf(x), _EPS, 1 - _EPS))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if self.kind == "constant":
            return np.full(u.shape, self.params["value"], dtype=np.float64)
        if self.kind == "empirical":
            knots = self.knots
            return np.interp(u, np.linspace(0.0, 1.0, knots.size), knots)
        return self._frozen().ppf(np.clip(u, _EPS, 1 - _EPS))

    # --------------------------------------------------------------- state
    def state(self) -> tuple[dict[str, Any], np.ndarray | None]:
        return {"kind": self.kind, "params": self.params}, self.knots

    @classmethod
    def from_state(cls, config: dict[str, Any], knots: np.ndarray | None) -> Marginal:
        kind = config["kind"]
        if kind not in DISTRIBUTIONS + ("constant",):
            raise ValueError(f"unknown marginal {kind!r}")
        if kind == "empirical" and (knots is None or knots.ndim != 1 or knots.size < 2):
            raise ValueError("an empirical marginal needs its quantile knots")
        return cls(kind, {k: float(v) for k, v in config["params"].items()}, knots)


def _stats():
    """scipy.stats, imported on first use: it costs about 50 MB of memory that only the parametric
    marginals need."""
    from scipy import stats

    return stats


def _normal_pdf(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def interval_normal_means(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """E[Z | Phi(Z) in (lower, upper)] for a standard normal Z, vectorised."""
    a = ndtri(np.clip(lower, 0.0, 1.0))
    b = ndtri(np.clip(upper, 0.0, 1.0))
    density_a = np.where(np.isfinite(a), _normal_pdf(np.where(np.isfinite(a), a, 0.0)), 0.0)
    density_b = np.where(np.isfinite(b), _normal_pdf(np.where(np.isfinite(b), b, 0.0)), 0.0)
    width = upper - lower
    safe = np.where(width > 0, width, 1.0)
    return np.where(width > 0, (density_a - density_b) / safe, np.where(np.isfinite(a), a, 0.0))
