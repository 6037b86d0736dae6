"""MST: the marginal-based differentially private synthesizer (see :mod:`veil.models.mst`).

Always private: ``epsilon`` (default 1) and ``delta`` (default 1e-5) bound everything it learns from
the rows. A tenth of the budget buys the private schema (categories, numeric bounds, missing values:
:mod:`veil.protect.dp`), the rest the model. Numbers become ``n_bins`` equal-width bins between their
private bounds (values drawn within a bin), datetimes their calendar parts.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from .. import _params as P
from ..encode.tokens import TokenEncoder
from ..metadata import Metadata
from ..models.mst import MST
from ..synthesizer import Synthesizer


class MSTSynthesizer(Synthesizer):
    """Noisy one-way and two-way marginals on a privately chosen maximum spanning tree; good utility at
    ε <= 1 on tables whose columns depend on each other mostly in pairs."""

    model_name: ClassVar[str] = "mst"
    encoder_class: ClassVar[type] = TokenEncoder
    model_class: ClassVar[type] = MST
    #: differential privacy is not optional here
    dp: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "epsilon": P.Interval(float, 0, None, closed="neither"),
        "delta": P.Interval(float, 0, 1, closed="neither"),
        "n_bins": P.Interval(int, 2, None),
    }

    def __init__(self, *, metadata: Metadata | None = None, enforce_min_max_values: bool = True,
                 enforce_rounding: bool = True, locale: str = "en_US", seed: int | None = 0,
                 value_protection: bool | int = True, epsilon: float = 1.0, delta: float = 1e-5, n_bins: int = 32):
        super().__init__(metadata=metadata, enforce_min_max_values=enforce_min_max_values,
                         enforce_rounding=enforce_rounding, locale=locale, seed=seed,
                         value_protection=value_protection)
        self.epsilon, self.delta, self.n_bins = epsilon, delta, n_bins

    def _make_encoder(self, metadata: Metadata) -> TokenEncoder:
        return TokenEncoder(metadata, enforce_rounding=self.enforce_rounding,
                            enforce_min_max_values=self.enforce_min_max_values, n_bins=self.n_bins,
                            rare_category_threshold=0)

    def _make_model(self, metadata: Metadata, spans: Sequence[Any]) -> MST:
        return MST()
