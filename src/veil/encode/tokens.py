"""TokenEncoder: a table <-> one integer token per cell, for autoregressive models.

Each learned column becomes a small vocabulary (built on the per-column codecs of :mod:`.table`):

* categorical / boolean: one token per category (the codec's codes; missing is a category of its own);
* numerical / datetime: values that are frequent (at least ``1 / n_bins`` of the rows) or that belong to a
  column with few distinct values get a token each (exact values); the rest fall into quantile bins, and
  a sampled bin token becomes a value drawn uniformly within its bin, so values are not limited to those
  seen; missing values get a token of their own.

The model sees the usual encoder contract: a float32 matrix ``[rows, columns]`` of token numbers and one
``discrete`` :class:`~veil.encode.spans.Span` per column whose ``size`` is the vocabulary size; it never
sees names, strings or pandas.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, NotFittedError
from ..metadata.model import Metadata
from .spans import Span
from .table import Codec, category_code, check_table, codec_from_state, learned_columns, make_codec

#: numbers with at most this many distinct values get one token per value
MAX_EXACT = 128
#: quantile bins for the other numbers
N_BINS = 100


@dataclass
class NumberTokens:
    """The vocabulary of a numerical / datetime column: exact values, then bins, then missing."""

    exact: np.ndarray  # sorted distinct values with a token each
    edges: np.ndarray  # bin edges (len = bins + 1), or empty
    has_missing: bool

    @property
    def n_bins(self) -> int:
        return max(len(self.edges) - 1, 0)

    @property
    def size(self) -> int:
        return len(self.exact) + self.n_bins + int(self.has_missing)

    @classmethod
    def fit(cls, x: np.ndarray, n_bins: int = N_BINS, max_exact: int = MAX_EXACT) -> NumberTokens:
        seen = x[~np.isnan(x)]
        has_missing = bool(np.isnan(x).any())
        if seen.size == 0:
            return cls(np.zeros(0), np.zeros(0), has_missing)
        values, counts = np.unique(seen, return_counts=True)
        if len(values) <= max_exact:
            return cls(values, np.zeros(0), has_missing)
        frequent = values[counts >= seen.size / n_bins]
        rest = seen[~np.isin(seen, frequent)]
        edges = np.unique(np.quantile(rest, np.linspace(0.0, 1.0, n_bins + 1))) if rest.size else np.zeros(0)
        if len(edges) == 1:  # one value left over: it is exact too
            frequent, edges = np.union1d(frequent, edges), np.zeros(0)
        return cls(frequent, edges, has_missing)

    def encode(self, x: np.ndarray) -> np.ndarray:
        tokens = np.empty(len(x), dtype=np.int64)
        missing = np.isnan(x)
        tokens[missing] = self.size - 1
        present = ~missing
        xp = x[present]
        out = np.full(len(xp), -1, dtype=np.int64)
        if len(self.exact):
            pos = np.clip(np.searchsorted(self.exact, xp), 0, len(self.exact) - 1)
            hit = self.exact[pos] == xp
            out[hit] = pos[hit]
        if self.n_bins:
            left = out < 0
            b = np.clip(np.searchsorted(self.edges, xp[left], side="right") - 1, 0, self.n_bins - 1)
            out[left] = len(self.exact) + b
        else:  # values between exact ones (not seen at fit): the nearest exact value
            left = out < 0
            if left.any():
                pos = np.clip(np.searchsorted(self.exact, xp[left]), 1, len(self.exact) - 1)
                lower = np.abs(xp[left] - self.exact[pos - 1]) <= np.abs(self.exact[pos] - xp[left])
                out[left] = np.where(lower, pos - 1, pos)
        tokens[present] = out
        return tokens

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = np.full(len(tokens), np.nan)
        k = len(self.exact)
        exact = tokens < k
        x[exact] = self.exact[tokens[exact]]
        binned = (tokens >= k) & (tokens < k + self.n_bins)
        if binned.any():
            b = tokens[binned] - k
            low, high = self.edges[b], self.edges[b + 1]
            x[binned] = low + rng.random(int(binned.sum())) * (high - low)
        return x

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"has_missing": self.has_missing}, {"exact": self.exact.astype(np.float64),
                                                   "edges": self.edges.astype(np.float64)}

    @classmethod
    def from_state(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> NumberTokens:
        return cls(np.asarray(arrays["exact"], dtype=np.float64), np.asarray(arrays["edges"], dtype=np.float64),
                   bool(config["has_missing"]))


class TokenEncoder:
    """Learned columns <-> a matrix of tokens; :attr:`sizes` is each column's vocabulary size."""

    #: decoding draws values within bins, from the sampling chunk's generator
    decode_needs_rng = True

    def __init__(self, metadata: Metadata, *, enforce_rounding: bool = True, enforce_min_max_values: bool = True,
                 n_bins: int = N_BINS):
        self.metadata = metadata
        self.enforce_rounding = enforce_rounding
        self.enforce_min_max_values = enforce_min_max_values
        self.n_bins = n_bins
        self.columns = [c.name for c in learned_columns(metadata)]
        self.codecs_: list[Codec] | None = None
        self.numbers_: list[NumberTokens | None] = []

    def _check_fitted(self) -> None:
        if self.codecs_ is None:
            raise NotFittedError("the token encoder is not fitted; call fit first")

    @property
    def sizes(self) -> list[int]:
        self._check_fitted()
        return [codec.size if tokens is None else tokens.size
                for codec, tokens in zip(self.codecs_, self.numbers_)]

    @property
    def spans(self) -> list[Span]:
        """One ``discrete`` span per column, sized by its vocabulary."""
        return [Span("discrete", 1, name, size=size) for name, size in zip(self.columns, self.sizes)]

    def fit(self, table: pd.DataFrame, *, rng: np.random.Generator | None = None) -> TokenEncoder:
        cols = learned_columns(self.metadata)
        check_table(table, cols, "TokenEncoder.fit")
        self.codecs_, self.numbers_ = [], []
        for col in cols:
            codec = make_codec(col, enforce_rounding=self.enforce_rounding,
                               enforce_min_max_values=self.enforce_min_max_values)
            values = table[col.name]
            codec.fit(values)
            self.codecs_.append(codec)
            self.numbers_.append(None if codec.kind == "categorical"
                                 else NumberTokens.fit(codec.to_float(values), self.n_bins))
        return self

    def encode(self, table: pd.DataFrame, *, rng: np.random.Generator | None = None) -> np.ndarray:
        self._check_fitted()
        check_table(table, learned_columns(self.metadata), "TokenEncoder.encode")
        out = np.empty((len(table), len(self.columns)), dtype=np.float32)
        for j, (name, codec, tokens) in enumerate(zip(self.columns, self.codecs_, self.numbers_)):
            values = table[name]
            out[:, j] = codec.to_codes(values) if tokens is None else tokens.encode(codec.to_float(values))
        return out

    def decode(self, tokens: np.ndarray, *, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        tokens = np.rint(np.asarray(tokens, dtype=np.float64)).astype(np.int64)
        parts = {}
        for j, (name, codec, numbers) in enumerate(zip(self.columns, self.codecs_, self.numbers_)):
            column = tokens[:, j]
            parts[name] = (codec.from_codes(column) if numbers is None
                           else codec.from_float(numbers.decode(column, rng)))
        return pd.DataFrame(parts, copy=False)

    def category_code(self, column: str, value: Any) -> tuple[int, int]:
        """(column index, token) of a categorical value, for conditions."""
        self._check_fitted()
        if column not in self.columns:
            raise InvalidDataError(f"{column!r} is not a learned column; learned columns: {self.columns}")
        j = self.columns.index(column)
        codec = self.codecs_[j]
        if self.numbers_[j] is not None:
            raise InvalidDataError(f"{column!r} is not categorical; conditions on numbers come with ranges")
        return j, category_code(codec, column, value)

    # ------------------------------------------------------------------ state
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        configs, arrays = [], {}
        for j, (codec, numbers) in enumerate(zip(self.codecs_, self.numbers_)):
            config, codec_arrays = codec.state()
            arrays.update({f"{j}/codec/{k}": v for k, v in codec_arrays.items()})
            entry = {"codec": config}
            if numbers is not None:
                number_config, number_arrays = numbers.state()
                entry["tokens"] = number_config
                arrays.update({f"{j}/tokens/{k}": v for k, v in number_arrays.items()})
            configs.append(entry)
        return {"kind": "tokens", "metadata": self.metadata.to_dict(), "n_bins": self.n_bins,
                "enforce_rounding": self.enforce_rounding, "enforce_min_max_values": self.enforce_min_max_values,
                "columns": configs}, arrays

    @classmethod
    def from_state(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> TokenEncoder:
        enc = cls(Metadata.from_dict(config["metadata"]), enforce_rounding=bool(config["enforce_rounding"]),
                  enforce_min_max_values=bool(config["enforce_min_max_values"]), n_bins=int(config["n_bins"]))
        enc.codecs_, enc.numbers_ = [], []
        for j, entry in enumerate(config["columns"]):
            prefix = f"{j}/codec/"
            enc.codecs_.append(codec_from_state(entry["codec"], {k[len(prefix):]: v for k, v in arrays.items()
                                                                 if k.startswith(prefix)}))
            if "tokens" in entry:
                prefix = f"{j}/tokens/"
                enc.numbers_.append(NumberTokens.from_state(entry["tokens"], {
                    k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}))
            else:
                enc.numbers_.append(None)
        if len(enc.codecs_) != len(enc.columns):
            raise ValueError("the token encoder's columns do not match its metadata")
        return enc
