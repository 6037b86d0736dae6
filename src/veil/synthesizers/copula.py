"""Gaussian-copula synthesizers: the SDV-compatible ``GaussianCopulaSynthesizer`` and ``FastMLPreset``."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from .. import _params as P
from ..encode.copula import CopulaEncoder
from ..errors import InvalidParameterError
from ..metadata import Metadata
from ..models.copula import GaussianCopula
from ..models.marginals import DISTRIBUTIONS
from ..synthesizer import Synthesizer


def _distribution_map(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(k, str) and v in DISTRIBUTIONS for k, v in value.items())


class GaussianCopulaSynthesizer(Synthesizer):
    """A Gaussian copula: each column's own distribution, joined by one correlation matrix.

    Parameters (SDV names):
        numerical_distributions: column name -> one of ``DISTRIBUTIONS`` for that column.
        default_distribution: the marginal of every other numerical or datetime column. ``"empirical"``
            (the default) interpolates the column's quantiles, so shapes are kept closely; ``"norm"``,
            ``"truncnorm"``, ``"beta"``, ``"gamma"`` and ``"uniform"`` fit a parametric family.
        enforce_min_max_values: keep values inside the real range.
        enforce_rounding: give numbers back with the real number of decimals.
    """

    model_name: ClassVar[str] = "gaussian_copula"
    encoder_class: ClassVar[type] = CopulaEncoder
    model_class: ClassVar[type] = GaussianCopula
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "numerical_distributions": [P.NONE, P.Predicate(_distribution_map,
                                    "a dict of column name -> one of " + ", ".join(DISTRIBUTIONS))],
        "default_distribution": P.OneOf(DISTRIBUTIONS),
    }

    def __init__(self, *, metadata: Metadata | None = None, numerical_distributions: dict[str, str] | None = None,
                 default_distribution: str = "empirical", enforce_min_max_values: bool = True,
                 enforce_rounding: bool = True, locale: str = "en_US", seed: int | None = 0,
                 value_protection: bool | int = True):
        super().__init__(metadata=metadata, enforce_min_max_values=enforce_min_max_values,
                         enforce_rounding=enforce_rounding, locale=locale, seed=seed,
                         value_protection=value_protection)
        self.numerical_distributions = numerical_distributions
        self.default_distribution = default_distribution

    def _make_model(self, metadata: Metadata, spans: Sequence[Any]) -> GaussianCopula:
        chosen = dict(self.numerical_distributions or {})
        unknown = sorted(set(chosen) - set(metadata.names))
        if unknown:
            raise InvalidParameterError(f"numerical_distributions names columns that are not in the table: {unknown}")
        per_span = [chosen.get(s.column) if s.kind == "continuous" else None for s in spans]
        return GaussianCopula(distributions=per_span, default_distribution=self.default_distribution)


class FastMLPreset(GaussianCopulaSynthesizer):
    """The fast preset: a Gaussian copula with empirical marginals, its correlation estimated on at most
    50,000 rows. Seconds on a million rows; a good first look and a baseline."""

    model_name: ClassVar[str] = "fast_ml"
    #: rows used for the correlation matrix
    correlation_rows: ClassVar[int] = 50_000

    def _make_model(self, metadata: Metadata, spans: Sequence[Any]) -> GaussianCopula:
        model = super()._make_model(metadata, spans)
        model.max_correlation_rows = self.correlation_rows
        return model
