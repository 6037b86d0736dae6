"""veil's autoregressive synthesizer: every column given the ones before it, over tokenised columns.

See :mod:`veil.models.autoregressive` for the model and :mod:`veil.encode.tokens` for the tokens.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .. import _params as P
from ..encode.tokens import TokenEncoder
from ..errors import InvalidDataError
from ..metadata import Metadata
from .deep import DEVICE, POSITIVE_FLOAT, POSITIVE_INT, PRIVATE_PARAMS, NeuralSynthesizer, _LazyClass

FRACTION = P.Interval(float, 0, 0.5, closed="left")


class AutoregressiveSynthesizer(NeuralSynthesizer):
    """Autoregressive over tokens: p(row) = prod_k p(column k | columns before k); one masked network with
    a head per column, early stopping on a validation split within ``time_budget`` seconds. Categories seen
    fewer than ``rare_category_threshold`` times share one token (0 turns this protection off)."""

    model_name: ClassVar[str] = "autoregressive"
    model_class: ClassVar[type] = _LazyClass("..models.autoregressive", "AutoregressiveModel")
    encoder_class: ClassVar[type] = TokenEncoder
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "hidden_dim": POSITIVE_INT, "learning_rate": POSITIVE_FLOAT, "weight_decay": P.Interval(float, 0, None),
        "dropout": P.Interval(float, 0, 1, closed="left"), "validation_fraction": FRACTION,
        "time_budget": [P.NONE, POSITIVE_FLOAT], "random_order": P.BOOL, "device": DEVICE,
        "rare_category_threshold": P.Interval(int, 0, None), **PRIVATE_PARAMS,
    }

    def __init__(self, *, metadata: Metadata | None = None, enforce_min_max_values: bool = True,
                 enforce_rounding: bool = True, locale: str = "en_US", seed: int | None = 0,
                 value_protection: bool | int = True,
                 epochs: int = 200, batch_size: int = 512, embedding_dim: int = 16, hidden_dim: int = 64,
                 learning_rate: float = 3e-3, weight_decay: float = 1e-4, dropout: float = 0.4,
                 validation_fraction: float = 0.1, early_stopping_patience: int | None = 5,
                 time_budget: float | None = 120.0, random_order: bool = False, rare_category_threshold: int = 5,
                 verbose: bool = False, device: str = "auto", dp: bool = False, epsilon: float | None = None,
                 delta: float = 1e-5, max_grad_norm: float = 1.0):
        super().__init__(metadata=metadata, enforce_min_max_values=enforce_min_max_values,
                         enforce_rounding=enforce_rounding, locale=locale, seed=seed,
                         value_protection=value_protection)
        self.epochs, self.batch_size = epochs, batch_size
        self.embedding_dim, self.hidden_dim = embedding_dim, hidden_dim
        self.learning_rate, self.weight_decay, self.dropout = learning_rate, weight_decay, dropout
        self.validation_fraction, self.early_stopping_patience = validation_fraction, early_stopping_patience
        self.time_budget, self.random_order = time_budget, random_order
        self.rare_category_threshold = rare_category_threshold
        self.verbose, self.device = verbose, device
        self.dp, self.epsilon, self.delta, self.max_grad_norm = dp, epsilon, delta, max_grad_norm

    #: DP-SGD learns more from large batches at a higher rate, in a smaller network (on Adult at ε = 10:
    #: quality 0.925 with these, 0.891 with batches of 2,048 at 3e-3; benchmarks/RESULTS.md)
    private_defaults: ClassVar[dict[str, Any]] = {"batch_size": 8192, "learning_rate": 1e-2, "embedding_dim": 8,
                                                  "hidden_dim": 32, "epochs": 20}

    def _make_encoder(self, metadata: Metadata) -> TokenEncoder:
        return TokenEncoder(metadata, enforce_rounding=self.enforce_rounding,
                            enforce_min_max_values=self.enforce_min_max_values,
                            rare_category_threshold=0 if self.dp else self.rare_category_threshold)

    def sample(self, num_rows: int, *, seed: int | None = None, conditions: Mapping[str, Any] | None = None,
               where: str | None = None, temperature: float = 1.0) -> pd.DataFrame:
        """``num_rows`` new rows (see :meth:`Synthesizer.sample` for ``conditions`` and ``where``; equalities
        on categorical columns, any number of them, are seeded: drawn first, the rest given them).
        ``temperature`` < 1 sharpens every column's distribution, > 1 flattens it."""
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
            raise InvalidDataError(f"temperature must be a number > 0. Got {temperature!r} instead.")
        self._check_fitted()
        if self.model_ is None:
            return super().sample(num_rows, seed=seed, conditions=conditions, where=where)
        self.model_.temperature = float(temperature)
        try:
            return super().sample(num_rows, seed=seed, conditions=conditions, where=where)
        finally:
            self.model_.temperature = 1.0

    def impute(self, table: pd.DataFrame, *, seed: int | None = None, candidates: int = 16) -> pd.DataFrame:
        """A copy of ``table`` whose missing cells in the learned columns are drawn from the model, given
        the other cells of their row (importance resampling over ``candidates`` completions per row; see
        :meth:`~veil.models.autoregressive.AutoregressiveModel.complete`). The filled values are never the
        missing value. Learned columns absent from ``table``, hashed and generalized ones are not given to
        the model as known; every other column and cell is returned as it was."""
        self._check_fitted()
        if not isinstance(table, pd.DataFrame):
            raise InvalidDataError(f"impute expects a pandas DataFrame, got {type(table).__name__}")
        if isinstance(candidates, bool) or not isinstance(candidates, int) or candidates < 1:
            raise InvalidDataError(f"candidates must be an int >= 1. Got {candidates!r} instead.")
        given = [c.name for c in self.metadata_ if c.learned and c.name in table.columns
                 and c.effective_policy not in ("hash", "generalize")]
        if self.model_ is None or not given:
            learned = [c.name for c in self.metadata_ if c.learned]
            raise InvalidDataError("the table holds none of the columns the model learned, so there is nothing to "
                                   f"impute from; the learned columns are {learned}")
        encoder, model = self.encoder_, self.model_
        rng = np.random.default_rng(seed)
        n = len(table)
        tokens = np.zeros((n, len(encoder.sizes)), dtype=np.int64)  # unknown cells are all drawn by complete()
        known = np.zeros_like(tokens, dtype=bool)
        starts = encoder.starts
        holes = {}
        # the model is given the known cells as it learned them (value protection's rare token and bounds)
        seen = self.protection_.protect(table[given]) if self.protection_ is not None else table[given]
        for name in given:
            j = encoder.columns.index(name)
            missing = table[name].isna().to_numpy()
            holes[name] = missing
            if (~missing).any():
                tokens[~missing, starts[j]:starts[j + 1]] = encoder.encode_column(name, seen[name][~missing])
                known[~missing, starts[j]:starts[j + 1]] = True
        filled = encoder.decode(model.complete(tokens, known, rng=rng, forbid=encoder.missing_tokens(),
                                               candidates=candidates), rng=rng)
        filled.index = table.index
        out = table.copy()
        for name, missing in holes.items():
            if missing.any():
                out[name] = table[name].where(~missing, filled[name])
        return out


__all__: Sequence[str] = ["AutoregressiveSynthesizer"]
