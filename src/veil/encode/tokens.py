"""TokenEncoder: a table <-> one integer token per cell, for autoregressive models.

Each learned column becomes a small vocabulary (built on the per-column codecs of :mod:`.table`):

* categorical / boolean: one token per category (the codec's codes; missing is a category of its own),
  except that categories seen fewer than ``rare_category_threshold`` times (default 5) share one token,
  decoded as one of them drawn uniformly (:class:`CategoryTokens`);
* numerical: values that are frequent (at least ``1 / n_bins`` of the rows) or that belong to a column with
  few distinct values get a token each (exact values); the rest fall into quantile bins, and a sampled bin
  token becomes a value drawn within its bin through finer quantiles kept inside it (the data's shape
  there, so a long top bin does not spread values evenly up to the maximum), so values are not limited to
  those seen; missing values get a token of their own;
* datetime: its calendar parts, one token column each, coarse to fine: year, month, day, then hour,
  minute and second down to the column's precision, then the rest of the second (binned); each part is
  tokenised like a number, and parts that never vary are kept as constants instead of tokens.

The model sees the usual encoder contract: a float32 matrix ``[rows, token columns]`` of token numbers
and one ``discrete`` :class:`~veil.encode.spans.Span` per token column whose ``size`` is the vocabulary
size (a datetime has several, one per varying part); it never sees names, strings or pandas.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, NotFittedError
from ..metadata.model import Metadata
from .datetime import TICKS_PER_SECOND, DatetimeCodec
from .spans import Span
from .table import Codec, category_code, check_table, codec_from_state, learned_columns, make_codec

#: numbers with at most this many distinct values get one token per value
MAX_EXACT = 128
#: quantile bins for the other numbers
N_BINS = 100
#: categories seen fewer times than this share one token (see CategoryTokens)
RARE_CATEGORY_THRESHOLD = 5
#: quantiles kept inside each bin, so a value drawn in a bin follows the data's shape there
KNOTS_PER_BIN = 10


@dataclass
class NumberTokens:
    """The vocabulary of a numerical / datetime column: exact values, then bins, then missing."""

    exact: np.ndarray  # sorted distinct values with a token each
    edges: np.ndarray  # bin edges (len = bins + 1), or empty
    has_missing: bool
    knots: np.ndarray | None = None  # finer quantiles of the binned values (every edge among them), or None

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
        if not rest.size:
            return cls(frequent, np.zeros(0), has_missing)
        knots = np.quantile(rest, np.linspace(0.0, 1.0, n_bins * KNOTS_PER_BIN + 1))
        edges = np.unique(knots[::KNOTS_PER_BIN])
        if len(edges) == 1:  # one value left over: it is exact too
            return cls(np.union1d(frequent, edges), np.zeros(0), has_missing)
        return cls(frequent, edges, has_missing, knots)

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
            u = rng.random(int(binned.sum()))
            if self.knots is None:  # uniform within the bin
                low, high = self.edges[b], self.edges[b + 1]
                x[binned] = low + u * (high - low)
            else:  # through the knots inside the bin: the data's shape within it (e.g. a long top bin)
                first = np.searchsorted(self.knots, self.edges[b], side="left")
                last = np.searchsorted(self.knots, self.edges[b + 1], side="right") - 1
                position = first + u * (last - first)
                below = np.floor(position).astype(np.int64)
                above = np.minimum(below + 1, last)
                x[binned] = self.knots[below] + (position - below) * (self.knots[above] - self.knots[below])
        return x

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {"exact": self.exact.astype(np.float64), "edges": self.edges.astype(np.float64)}
        if self.knots is not None:
            arrays["knots"] = self.knots.astype(np.float64)
        return {"has_missing": self.has_missing}, arrays

    @classmethod
    def from_state(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> NumberTokens:
        knots = arrays.get("knots")
        tokens = cls(np.asarray(arrays["exact"], dtype=np.float64), np.asarray(arrays["edges"], dtype=np.float64),
                     bool(config["has_missing"]), None if knots is None else np.asarray(knots, dtype=np.float64))
        if tokens.knots is not None and not np.isin(tokens.edges, tokens.knots).all():
            raise ValueError("a number's token state does not hold together")
        return tokens


#: calendar parts, coarse to fine, and the datetime precisions (see DatetimeCodec) that have each
PARTS = ("year", "month", "day", "hour", "minute", "second", "subsecond")
_PARTS_OF = {"day": 3, "hour": 4, "minute": 5, "second": 6}


def _datetime_parts(ticks: np.ndarray, unit: str) -> np.ndarray:
    """int64 ticks of ``unit`` -> [n, 7] calendar parts (year, month, day, hour, minute, second, ticks
    within the second)."""
    t = ticks.view(f"datetime64[{unit}]")
    months = t.astype("datetime64[M]")
    days = t.astype("datetime64[D]")
    per_second = TICKS_PER_SECOND[unit]
    in_day = (t - days.astype(t.dtype)).astype(np.int64)
    seconds, rest = np.divmod(in_day, per_second)
    m = months.astype(np.int64)
    return np.column_stack([m // 12 + 1970, m % 12 + 1, (days - months.astype(days.dtype)).astype(np.int64) + 1,
                            seconds // 3600, seconds // 60 % 60, seconds % 60, rest])


def _datetime_ticks(parts: np.ndarray, unit: str) -> np.ndarray:
    """[n, 7] calendar parts -> int64 ticks of ``unit``; a day past its month's end becomes the last day."""
    parts = parts.astype(np.int64)
    months = ((parts[:, 0] - 1970) * 12 + np.clip(parts[:, 1], 1, 12) - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    day = first + (np.clip(parts[:, 2], 1, length) - 1)
    per_second = TICKS_PER_SECOND[unit]
    seconds = np.clip(parts[:, 3], 0, 23) * 3600 + np.clip(parts[:, 4], 0, 59) * 60 + np.clip(parts[:, 5], 0, 59)
    return day.astype(f"datetime64[{unit}]").astype(np.int64) + seconds * per_second + np.clip(
        parts[:, 6], 0, per_second - 1)


@dataclass
class DatetimeTokens:
    """A datetime column as calendar parts (see :data:`PARTS`), on the offsets of its :class:`DatetimeCodec`
    (the codec's ``origin`` + offset x ``step`` ticks of its ``unit``). ``numbers`` tokenises each varying
    part; ``constants`` holds the value of each part that never varies (NaN for a varying one)."""

    codec: DatetimeCodec
    used: int  # how many of PARTS the precision has
    numbers: list[NumberTokens]
    constants: np.ndarray

    @property
    def varying(self) -> list[int]:
        return [i for i in range(self.used) if np.isnan(self.constants[i])]

    @property
    def names(self) -> list[str]:
        return [PARTS[i] for i in self.varying]

    @property
    def sizes(self) -> list[int]:
        return [t.size for t in self.numbers]

    @staticmethod
    def _parts(x: np.ndarray, codec: DatetimeCodec) -> np.ndarray:
        """Offsets (NaN where missing) -> [n, 7] float calendar parts (NaN rows where missing)."""
        missing = np.isnan(x)
        origin, step, limit = int(codec.origin[0]), int(codec.step), 2.0**62
        x = np.clip(np.rint(np.where(missing, 0, x)), (-limit - origin) / step, (limit - origin) / step)
        ticks = origin + x.astype(np.int64) * step
        parts = _datetime_parts(ticks, codec.unit).astype(np.float64)
        parts[missing] = np.nan
        return parts

    @classmethod
    def fit(cls, x: np.ndarray, codec: DatetimeCodec, n_bins: int = N_BINS) -> DatetimeTokens:
        used = _PARTS_OF.get(codec.precision, len(PARTS))
        missing = np.isnan(x)
        parts = cls._parts(x, codec)
        constants, numbers = np.full(len(PARTS), np.nan), []
        for i in range(used):
            seen = np.unique(parts[~missing, i])
            if len(seen) <= 1 and (i > 0 or not missing.any()):
                constants[i] = seen[0] if len(seen) else 0.0
            else:
                numbers.append(NumberTokens.fit(parts[:, i], n_bins))
        constants[used:] = 0.0
        return cls(codec, used, numbers, constants)

    def encode(self, x: np.ndarray) -> np.ndarray:
        parts = self._parts(x, self.codec)
        return np.column_stack([t.encode(parts[:, i]) for t, i in zip(self.numbers, self.varying)]
                               ) if self.numbers else np.empty((len(x), 0), dtype=np.int64)

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(tokens)
        parts = np.tile(self.constants, (n, 1))
        missing = np.zeros(n, dtype=bool)
        for j, (t, i) in enumerate(zip(self.numbers, self.varying)):
            value = t.decode(tokens[:, j], rng)
            gap = np.isnan(value)
            if i == 0:
                missing = gap  # the year decides; a later part drawn missing takes its smallest value
            parts[:, i] = np.where(gap, t.exact[0] if len(t.exact) else np.nanmin(t.edges), np.rint(value))
        ticks = _datetime_ticks(parts, self.codec.unit)
        x = (ticks - int(self.codec.origin[0])) // int(self.codec.step)
        return np.where(missing, np.nan, x.astype(np.float64))

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The parts only: the unit, origin and step are the codec's, saved with it."""
        config = {"used": self.used, "numbers": []}
        arrays = {"constants": self.constants.astype(np.float64)}
        for j, t in enumerate(self.numbers):
            number_config, number_arrays = t.state()
            config["numbers"].append(number_config)
            arrays.update({f"{j}/{k}": v for k, v in number_arrays.items()})
        return config, arrays

    @classmethod
    def from_state(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
                   codec: DatetimeCodec) -> DatetimeTokens:
        numbers = [NumberTokens.from_state(c, {k.split("/", 1)[1]: v for k, v in arrays.items()
                                               if k.startswith(f"{j}/")}) for j, c in enumerate(config["numbers"])]
        tokens = cls(codec, int(config["used"]), numbers, np.asarray(arrays["constants"], dtype=np.float64))
        if not isinstance(codec, DatetimeCodec) or codec.unit not in TICKS_PER_SECOND or int(codec.step) < 1 \
                or len(tokens.varying) != len(numbers):
            raise ValueError("a datetime's token state does not hold together")
        return tokens


@dataclass
class CategoryTokens:
    """A categorical column's tokens when some categories are rare: every category seen fewer than
    ``threshold`` times shares one token (the last), so the model never learns what goes with any one of
    them, and that token decodes to one of them drawn uniformly. The missing category is never merged."""

    token_of: np.ndarray  # category code -> token
    rare: np.ndarray  # the codes that share the rare token

    @property
    def size(self) -> int:
        return int(self.token_of.max()) + 1 if self.token_of.size else 0

    @classmethod
    def fit(cls, codes: np.ndarray, n_codes: int, threshold: int, missing_code: int | None,
            weights: np.ndarray | None = None) -> CategoryTokens | None:
        """The merged vocabulary, or None when fewer than two categories are rare (nothing to merge);
        ``weights``: how many rows each code stands for (one each without it)."""
        counts = np.bincount(codes, weights=weights, minlength=n_codes)
        rare = (counts < threshold) & (counts > 0)
        if missing_code is not None:
            rare[missing_code] = False
        if rare.sum() < 2:
            return None
        token_of = np.empty(n_codes, dtype=np.int64)
        token_of[~rare] = np.arange(int((~rare).sum()))
        token_of[rare] = int((~rare).sum())
        return cls(token_of, np.flatnonzero(rare))

    def encode(self, codes: np.ndarray) -> np.ndarray:
        return self.token_of[codes]

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        code_of = np.flatnonzero(~np.isin(np.arange(len(self.token_of)), self.rare))
        rare = tokens >= len(code_of)
        codes = code_of[np.minimum(tokens, len(code_of) - 1)] if len(code_of) else np.zeros(len(tokens), np.int64)
        codes[rare] = self.rare[rng.integers(len(self.rare), size=int(rare.sum()))]
        return codes

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"token_of": self.token_of.astype(np.int64), "rare": self.rare.astype(np.int64)}

    @classmethod
    def from_state(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> CategoryTokens:
        tokens = cls(np.asarray(arrays["token_of"], dtype=np.int64), np.asarray(arrays["rare"], dtype=np.int64))
        common = len(tokens.token_of) - len(tokens.rare)
        if tokens.rare.size < 2 or tokens.token_of.min(initial=0) < 0 or tokens.size != common + 1 or (
                tokens.token_of[tokens.rare] != common).any():
            raise ValueError("a category's token state does not hold together")
        return tokens


ColumnTokens = NumberTokens | DatetimeTokens | CategoryTokens | None
_STATE_KEYS = {NumberTokens: "tokens", DatetimeTokens: "datetime_tokens", CategoryTokens: "category_tokens"}


class TokenEncoder:
    """Learned columns <-> a matrix of tokens; :attr:`sizes` is each token column's vocabulary size."""

    #: decoding draws values within bins, from the sampling chunk's generator
    decode_needs_rng = True

    def __init__(self, metadata: Metadata, *, enforce_rounding: bool = True, enforce_min_max_values: bool = True,
                 n_bins: int = N_BINS, rare_category_threshold: int = RARE_CATEGORY_THRESHOLD):
        self.metadata = metadata
        self.enforce_rounding = enforce_rounding
        self.enforce_min_max_values = enforce_min_max_values
        self.n_bins = n_bins
        self.rare_category_threshold = rare_category_threshold
        self.columns = [c.name for c in learned_columns(metadata)]
        self.codecs_: list[Codec] | None = None
        self.tokens_: list[ColumnTokens] = []

    def _check_fitted(self) -> None:
        if self.codecs_ is None:
            raise NotFittedError("the token encoder is not fitted; call fit first")

    def _column_sizes(self, j: int) -> list[int]:
        tokens = self.tokens_[j]
        if tokens is None:
            return [self.codecs_[j].size]
        return tokens.sizes if isinstance(tokens, DatetimeTokens) else [tokens.size]

    @property
    def starts(self) -> list[int]:
        """Each table column's first token column."""
        self._check_fitted()
        return [int(x) for x in np.cumsum([0] + [len(self._column_sizes(j)) for j in range(len(self.columns))])]

    @property
    def sizes(self) -> list[int]:
        self._check_fitted()
        return [size for j in range(len(self.columns)) for size in self._column_sizes(j)]

    @property
    def spans(self) -> list[Span]:
        """One ``discrete`` span per token column, sized by its vocabulary (a datetime's parts share its name)."""
        self._check_fitted()
        return [Span("discrete", 1, name, size=size) for j, name in enumerate(self.columns)
                for size in self._column_sizes(j)]

    def fit(self, table: pd.DataFrame, *, rng: np.random.Generator | None = None,
            category_counts: Mapping[str, pd.Series] | None = None) -> TokenEncoder:
        """Learn every column's vocabulary from ``table``. ``category_counts`` (column -> category -> rows)
        gives a categorical column's exact counts when ``table`` is only a sample of the rows (a streaming
        fit): they decide which categories are rare, and every category in them is in the vocabulary."""
        cols = learned_columns(self.metadata)
        check_table(table, cols, "TokenEncoder.fit")
        self.codecs_, self.tokens_ = [], []
        for col in cols:
            codec = make_codec(col, enforce_rounding=self.enforce_rounding,
                               enforce_min_max_values=self.enforce_min_max_values)
            values = table[col.name]
            codec.fit(values)
            self.codecs_.append(codec)
            if codec.kind == "categorical":
                counts = (category_counts or {}).get(col.name)
                if counts is None:
                    codes, weights = codec.to_codes(values), None
                else:
                    codes, weights = codec.to_codes(pd.Series(counts.index, dtype=object)), counts.to_numpy(float)
                self.tokens_.append(CategoryTokens.fit(codes, codec.size, self.rare_category_threshold,
                                                        codec.missing_code, weights))
            elif codec.kind == "datetime":
                self.tokens_.append(DatetimeTokens.fit(codec.to_float(values), codec, self.n_bins))
            else:
                self.tokens_.append(NumberTokens.fit(codec.to_float(values), self.n_bins))
        return self

    def encode(self, table: pd.DataFrame, *, rng: np.random.Generator | None = None) -> np.ndarray:
        self._check_fitted()
        check_table(table, learned_columns(self.metadata), "TokenEncoder.encode")
        starts = self.starts
        out = np.empty((len(table), starts[-1]), dtype=np.float32)
        for j, name in enumerate(self.columns):
            out[:, starts[j]:starts[j + 1]] = self.encode_column(name, table[name])
        return out

    def encode_column(self, name: str, values: pd.Series) -> np.ndarray:
        """One learned column's values -> its tokens ``[rows, token columns of the column]`` (int64)."""
        self._check_fitted()
        j = self.columns.index(name)
        codec, tokens = self.codecs_[j], self.tokens_[j]
        if tokens is None:
            block = codec.to_codes(values)
        elif isinstance(tokens, CategoryTokens):
            block = tokens.encode(codec.to_codes(values))
        else:
            block = tokens.encode(codec.to_float(values))
        return np.asarray(block, dtype=np.int64).reshape(len(values), -1)

    def missing_tokens(self) -> list[int | None]:
        """Each token column's missing token (``None`` when the column had no missing values)."""
        self._check_fitted()
        out: list[int | None] = []
        for codec, tokens in zip(self.codecs_, self.tokens_):
            if tokens is None:
                out.append(codec.missing_code)
            elif isinstance(tokens, CategoryTokens):
                out.append(None if codec.missing_code is None else int(tokens.token_of[codec.missing_code]))
            else:
                for part in tokens.numbers if isinstance(tokens, DatetimeTokens) else [tokens]:
                    out.append(part.size - 1 if part.has_missing else None)
        return out

    def decode(self, tokens: np.ndarray, *, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        tokens = np.rint(np.asarray(tokens, dtype=np.float64)).astype(np.int64)
        starts = self.starts
        parts = {}
        for j, (name, codec, numbers) in enumerate(zip(self.columns, self.codecs_, self.tokens_)):
            block = tokens[:, starts[j]:starts[j + 1]]
            if numbers is None:
                parts[name] = codec.from_codes(block[:, 0])
            elif isinstance(numbers, CategoryTokens):
                parts[name] = codec.from_codes(numbers.decode(block[:, 0], rng))
            else:
                parts[name] = codec.from_float(numbers.decode(block if isinstance(numbers, DatetimeTokens)
                                                              else block[:, 0], rng))
        return pd.DataFrame(parts, copy=False)

    def range_tokens(self, column: str, low: float | None, high: float | None) -> tuple[int, np.ndarray] | None:
        """(token column, tokens that can hold a value in [low, high]) of a numerical column: its exact
        values inside and the bins that overlap (a value drawn in an edge bin may still fall outside: the
        caller checks the values). None for other columns."""
        self._check_fitted()
        if column not in self.columns:
            return None
        j = self.columns.index(column)
        numbers = self.tokens_[j]
        if self.codecs_[j].kind != "numerical" or not isinstance(numbers, NumberTokens):
            return None
        low = -np.inf if low is None else float(low)
        high = np.inf if high is None else float(high)
        exact = np.flatnonzero((numbers.exact >= low) & (numbers.exact <= high))
        bins = np.flatnonzero((numbers.edges[1:] >= low) & (numbers.edges[:-1] <= high)) + len(numbers.exact)
        return self.starts[j], np.concatenate([exact, bins]).astype(np.int64)

    def hidden_codes(self, column: str) -> list[int]:
        """The category codes of ``column`` that share the rare token (never shown in messages)."""
        self._check_fitted()
        tokens = self.tokens_[self.columns.index(column)]
        return [int(c) for c in tokens.rare] if isinstance(tokens, CategoryTokens) else []

    def category_code(self, column: str, value: Any) -> tuple[int, int]:
        """(token column, token) of a categorical value, for conditions."""
        self._check_fitted()
        if column not in self.columns:
            raise InvalidDataError(f"{column!r} is not a learned column; learned columns: {self.columns}")
        j = self.columns.index(column)
        codec, tokens = self.codecs_[j], self.tokens_[j]
        if codec.kind != "categorical":
            raise InvalidDataError(f"{column!r} is not categorical; conditions on numbers come with ranges")
        code = category_code(codec, column, value, self.hidden_codes(column))
        if isinstance(tokens, CategoryTokens):
            if code in tokens.rare:
                raise InvalidDataError(f"{column!r} = {value!r} is too rare to condition on: categories seen fewer "
                                       f"than {self.rare_category_threshold} times share one token, to protect the "
                                       "people who have them")
            code = int(tokens.token_of[code])
        return self.starts[j], code

    # ------------------------------------------------------------------ state
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        configs, arrays = [], {}
        for j, (codec, numbers) in enumerate(zip(self.codecs_, self.tokens_)):
            config, codec_arrays = codec.state()
            arrays.update({f"{j}/codec/{k}": v for k, v in codec_arrays.items()})
            entry = {"codec": config}
            if numbers is not None:
                number_config, number_arrays = numbers.state()
                entry[_STATE_KEYS[type(numbers)]] = number_config
                arrays.update({f"{j}/tokens/{k}": v for k, v in number_arrays.items()})
            configs.append(entry)
        return {"kind": "tokens", "metadata": self.metadata.to_dict(), "n_bins": self.n_bins,
                "rare_category_threshold": self.rare_category_threshold,
                "enforce_rounding": self.enforce_rounding, "enforce_min_max_values": self.enforce_min_max_values,
                "columns": configs}, arrays

    @classmethod
    def from_state(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> TokenEncoder:
        enc = cls(Metadata.from_dict(config["metadata"]), enforce_rounding=bool(config["enforce_rounding"]),
                  enforce_min_max_values=bool(config["enforce_min_max_values"]), n_bins=int(config["n_bins"]),
                  rare_category_threshold=int(config.get("rare_category_threshold", 0)))
        enc.codecs_, enc.tokens_ = [], []
        for j, entry in enumerate(config["columns"]):
            prefix = f"{j}/codec/"
            enc.codecs_.append(codec_from_state(entry["codec"], {k[len(prefix):]: v for k, v in arrays.items()
                                                                 if k.startswith(prefix)}))
            prefix = f"{j}/tokens/"
            own = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            if "tokens" in entry:
                enc.tokens_.append(NumberTokens.from_state(entry["tokens"], own))
            elif "datetime_tokens" in entry:
                enc.tokens_.append(DatetimeTokens.from_state(entry["datetime_tokens"], own, enc.codecs_[-1]))
            elif "category_tokens" in entry:
                enc.tokens_.append(CategoryTokens.from_state(entry["category_tokens"], own))
            else:
                enc.tokens_.append(None)
        if len(enc.codecs_) != len(enc.columns):
            raise ValueError("the token encoder's columns do not match its metadata")
        return enc
