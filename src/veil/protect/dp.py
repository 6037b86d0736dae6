"""Differential privacy before training: what an encoder may know about the table, measured privately.

An encoder learns data-dependent things at fit: which categories exist, whether a column has missing
values, the range of the numbers (and, for some encoders, their modes or quantiles). Under differential
privacy none of that may come from the rows directly. :class:`PrivateSchema` measures one histogram per
learned column, each with Gaussian noise of the same sigma (a row adds 1 to one bin of each, so the
whole schema is d / (2 sigma^2)-zCDP, converted to (ε, δ) at the end):

- categorical: a bin per category seen and one for missing values; a category is kept only when its
  noisy count clears a threshold that a category of one row clears with probability at most δ / (2d),
  so the set of categories is private even though it is not known in advance. Text columns always have
  the :data:`~veil.pii.kinds.RARE_TOKEN` category, which the categories not kept become;
- numerical and datetime: fixed, data-independent bins (powers of two of either sign and zero for
  numbers; calendar months for datetimes) and one for missing values; the bounds are the outer edges of
  the lowest and highest bins whose noisy count is clearly above the noise (a level that any of the
  empty bins reaches with probability 1%), as in the "approximate bounds" of Google's DP libraries.

Two more kinds of query share the same sigma, each of sensitivity 1: the number of rows (so the model
file's row count and DP-SGD's sampling rate are noisy too), and, for each column the model does not learn
(ids, free text, fake PII, made anew at sampling: :mod:`veil.sample.resynthesis`), its count of missing
cells and, for free text, its words per row clipped to :data:`MAX_WORDS` and summed in units of
:data:`MAX_WORDS`. Nothing else about those columns is read: ids take a shape from the noisy row count,
fakes come from the first reserved space of their kind.

Then the rows are clipped and mapped onto it (:meth:`PrivateSchema.apply`) and the encoder is fitted on
a stand-in table built from the schema alone (:meth:`PrivateSchema.stand_in`): evenly spread numbers
between the bounds, each kept category, missing values where the noisy count says so. Everything after
that reads the rows only through the model's own private mechanism.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..encode.table import _is_missing
from ..errors import InvalidParameterError
from ..metadata import Metadata
from ..pii.kinds import RARE_TOKEN
from .values import _order_keys, _plain

#: share of ε (and of δ) spent on the schema; the rest goes to the model
PREPROCESSING_SHARE = 0.1
#: rows of the stand-in table
STAND_IN_ROWS = 1_000
#: words per row beyond which a free-text cell counts no more in the private mean
MAX_WORDS = 64


def numeric_edges() -> np.ndarray:
    """Bin edges for numbers: ±2^k for k in -20..64, and 0 (data-independent)."""
    positive = 2.0 ** np.arange(-20, 65)
    return np.concatenate([-positive[::-1], [0.0], positive])


def datetime_edges() -> np.ndarray:
    """Bin edges for datetimes: the first of every month from 1800 to 2200, as nanoseconds since 1970."""
    return pd.date_range("1800-01-01", "2200-01-01", freq="MS").as_unit("ns").asi8.astype(np.float64)


def gaussian_threshold(sigma: float, delta: float) -> float:
    """The noisy count a category must reach to be kept: a category of one row, with count
    1 + N(0, sigma^2), reaches it with probability ``delta``."""
    from scipy.stats import norm

    return 1.0 + sigma * float(norm.isf(delta))


def rho_for(epsilon: float, delta: float) -> float:
    """The ρ of zCDP whose (ε, δ) conversion (ε = ρ + 2 sqrt(ρ ln(1/δ))) spends exactly ε."""
    log_term = math.log(1 / delta)
    root = -math.sqrt(log_term) + math.sqrt(log_term + epsilon)
    return root * root


@dataclass
class PrivateSchema:
    """The per-column facts an encoder may use under DP, and how they were bought."""

    categories: dict[str, list[Any]] = field(default_factory=dict)
    counts: dict[str, list[float]] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: per numeric column: the noisy histogram between the bounds, as (bin edges, weights)
    histograms: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    missing: dict[str, bool] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str | None] = field(default_factory=dict)
    #: the noisy number of rows
    rows: int = 0
    #: per unlearned column: its noisy share of missing cells, and for free text its noisy mean of words
    unlearned: dict[str, dict[str, float]] = field(default_factory=dict)
    epsilon: float = 0.0
    delta: float = 0.0
    sigma: float = 0.0

    @classmethod
    def measure(cls, table: pd.DataFrame, metadata: Metadata, *, epsilon: float, delta: float,
                rng: np.random.Generator, raw: pd.DataFrame | None = None) -> PrivateSchema:
        """Measure ``table``'s learned columns, its row count, and the unlearned columns of ``raw`` (the
        table as given; default ``table``), with (ε, δ) in all: half of δ for turning zCDP into (ε, δ),
        half for the thresholds that keep categories."""
        if not (epsilon > 0 and 0 < delta < 1):
            raise InvalidParameterError("the preprocessing budget needs epsilon > 0 and 0 < delta < 1")
        raw = table if raw is None else raw
        columns = [c for c in metadata if c.learned and c.name in table.columns]
        unlearned = [c for c in metadata if _resynthesized(c) and c.name in raw.columns]
        d = len(columns) + 1 + len(unlearned) + sum(c.sdtype == "text" for c in unlearned)
        sigma = math.sqrt(d / (2 * rho_for(epsilon, delta / 2)))
        out = cls(epsilon=epsilon, delta=delta, sigma=sigma)
        out.rows = max(int(round(len(table) + rng.normal(0.0, sigma))), 1)
        for column in unlearned:
            out.unlearned[column.name] = out._measure_unlearned(raw[column.name], column.sdtype == "text", sigma, rng)
        threshold = gaussian_threshold(sigma, delta / (2 * max(len(columns), 1)))
        for column in columns:
            values = table[column.name]
            kind = column.modelled_as
            out.kinds[column.name] = kind
            out.formats[column.name] = column.datetime_format
            if kind in ("numerical", "datetime"):
                out._measure_numbers(column.name, values, kind, column.datetime_format, sigma, rng)
            else:
                out._measure_categories(column.name, values, sigma, threshold, rng)
        return out

    def _measure_unlearned(self, values: pd.Series, text: bool, sigma: float,
                           rng: np.random.Generator) -> dict[str, float]:
        missing = values.isna()
        share = float(np.clip((missing.sum() + rng.normal(0.0, sigma)) / self.rows, 0.0, 1.0))
        out = {"missing_rate": round(share, 4)}
        if text:
            words = values[~missing].astype(str).str.split().str.len().clip(upper=MAX_WORDS)
            present = max(self.rows * (1 - share), 1.0)
            total = (float(words.sum()) / MAX_WORDS + rng.normal(0.0, sigma)) * MAX_WORDS
            out["words"] = round(float(np.clip(total / present, 1.0, MAX_WORDS)), 1)
        return out

    def _measure_categories(self, name: str, values: pd.Series, sigma: float, threshold: float,
                            rng: np.random.Generator) -> None:
        counts = values.value_counts(dropna=False)
        noisy = counts.to_numpy(dtype=np.float64) + rng.normal(0.0, sigma, len(counts))
        keep = noisy >= threshold
        kept = [v for v, k in zip(counts.index, keep) if k]
        self.missing[name] = any(_is_missing(v) for v in kept)
        categories = [_plain(v) for v in kept if not _is_missing(v)]
        weights = [float(c) for v, c, k in zip(counts.index, noisy, keep) if k and not _is_missing(v)]
        texts = values.dropna()
        if len(texts) and isinstance(texts.iloc[0], str) and RARE_TOKEN not in categories:
            categories.append(RARE_TOKEN)
            weights.append(0.0)
        if not categories:  # nothing cleared the threshold: the column is learned as one rare value
            categories, weights = [RARE_TOKEN if len(texts) and isinstance(texts.iloc[0], str) else None], [1.0]
        self.categories[name], self.counts[name] = categories, weights

    def _measure_numbers(self, name: str, values: pd.Series, kind: str, fmt: str | None, sigma: float,
                         rng: np.random.Generator) -> None:
        keys = _order_keys(values, kind, fmt)
        missing = np.isnan(keys)
        edges = datetime_edges() if kind == "datetime" else numeric_edges()
        # a tree of histograms over the bins between edges (bin i holds [edges[i], edges[i + 1]); values
        # beyond them are clipped): the finest level, then neighbours merged in pairs up to one bin. A
        # row adds 1 to one bin per level (L2 sensitivity sqrt(levels)), so every count gets noise
        # sigma * sqrt(levels): the tree costs what one histogram with noise sigma does
        bins = np.searchsorted(edges, keys[~missing], side="right") - 1
        bins = bins[(bins >= 0) & (bins < len(edges) - 1)]
        levels = _tree(edges, np.bincount(bins, minlength=len(edges) - 1).astype(np.float64))
        scale = sigma * math.sqrt(len(levels))
        noisy = [(e, c + rng.normal(0.0, scale, len(c)), scale * (gaussian_threshold(1.0, 0.01 / len(c)) - 1))
                 for e, c in levels]
        self.missing[name] = bool(missing.sum() + rng.normal(0.0, scale) >= scale * (gaussian_threshold(1.0, 0.01) - 1))
        low, high, level = _bounds_top_down(noisy)
        edges, counts, _ = noisy[level]
        inside = (edges[:-1] >= low) & (edges[1:] <= high)
        self.bounds[name] = (float(low), float(high))
        # each bin's weight, cut to zero, shapes the stand-in (post-processing)
        self.histograms[name] = (np.append(edges[:-1][inside], high), np.clip(counts[inside], 0, None))

    # ------------------------------------------------------------------ use
    def apply(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table``'s rows on the schema: numbers clipped to the bounds, categories not kept replaced by
        the rare token (text) or the most common kept category; missing cells filled where the schema has
        no missing values. ``table`` itself is not modified."""
        out = table.copy(deep=False)
        for name, kind in self.kinds.items():
            if name not in out.columns:
                continue
            values = out[name]
            if name in self.bounds:
                fmt = self.formats.get(name)
                values = self._clip(values, kind, self.bounds[name], fmt)
                if not self.missing[name] and values.isna().any():
                    values = values.fillna(self._middle(values, kind, self.bounds[name], fmt))
            else:
                values = self._map_categories(values, self.categories[name], self.counts[name], self.missing[name])
            out[name] = values
        return out

    def stand_in(self, metadata: Metadata) -> pd.DataFrame:
        """A table built from the schema alone, for an encoder to fit on (no row of the data in it)."""
        n = STAND_IN_ROWS
        columns = {}
        for name, kind in self.kinds.items():
            if name in self.bounds:
                spread = self._spread(name, n)
                if kind == "datetime":  # whole seconds: the real data's precision is not known privately
                    values = pd.Series(pd.to_datetime(np.floor(spread / 1e9).astype(np.int64) * 10**9))
                    column = metadata[name]
                    if column.datetime_format:
                        values = values.dt.strftime(column.datetime_format)
                elif metadata[name].representation == "int":
                    values = pd.Series(np.round(spread)).astype(np.int64)
                else:
                    values = pd.Series(spread)
            else:
                cats = self.categories[name]
                values = pd.Series([cats[i % len(cats)] for i in range(n)], dtype=object)
            columns[name] = values.reset_index(drop=True)
        table = pd.DataFrame(columns)
        # then a tenth more rows, each with one column missing in turn where the schema has missing values
        holes = [name for name in self.kinds if self.missing[name]]
        if holes:
            extra = table.iloc[np.arange(n // 10) % n].reset_index(drop=True).astype(object)
            for i, name in enumerate(holes):
                extra.loc[i % len(extra)::len(holes), name] = None
            table = pd.concat([table, extra], ignore_index=True)
            for name in self.kinds:
                like = columns[name].dtype
                if name not in holes:
                    table[name] = table[name].astype(like)
                elif pd.api.types.is_integer_dtype(like):
                    table[name] = table[name].astype("Int64")
                elif pd.api.types.is_float_dtype(like):
                    table[name] = pd.to_numeric(table[name])
                elif pd.api.types.is_datetime64_any_dtype(like):
                    table[name] = pd.to_datetime(table[name])
        return table

    def _spread(self, name: str, n: int) -> np.ndarray:
        """``n`` numbers shaped like the noisy histogram: each bin's share of them, evenly spaced within
        it (a bin that starts at 0 starts its values at 0 exactly, so a heap of zeros stays one value)."""
        edges, weights = self.histograms[name]
        if weights.sum() <= 0:
            return np.linspace(*self.bounds[name], n)
        share = np.floor(weights / weights.sum() * n).astype(int)
        share[int(np.argmax(weights))] += n - share.sum()
        parts = [np.full(k, lo) if hi - lo < 1e-5 else np.linspace(lo, hi, k, endpoint=False)
                 for lo, hi, k in zip(edges[:-1], edges[1:], share) if k]
        return np.append(np.concatenate(parts)[:n - 1], self.bounds[name][1])  # the top bound itself too

    def report(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "delta": self.delta, "columns": len(self.kinds),
                "unlearned_columns": len(self.unlearned), "sigma": self.sigma,
                "mechanisms": "Gaussian histograms (zCDP): categories kept above a δ threshold; numeric bounds "
                              "from fixed power-of-two (datetimes: monthly) bins; noisy counts of rows and of "
                              "the unlearned columns' missing cells; a noisy clipped sum of free text's words"}

    @staticmethod
    def _clip(values: pd.Series, kind: str, bounds: tuple[float, float], fmt: str | None) -> pd.Series:
        keys = _order_keys(values, kind, fmt)
        low, high = bounds
        with np.errstate(invalid="ignore"):
            below, above = keys < low, keys > high
        if not (below.any() or above.any()):
            return values
        out = values.copy()
        if kind == "datetime":
            low_v, high_v = pd.Timestamp(int(low)), pd.Timestamp(int(high))
            tz = getattr(values.dt, "tz", None) if pd.api.types.is_datetime64_any_dtype(values.dtype) else None
            if tz is not None:
                low_v, high_v = low_v.tz_localize("UTC").tz_convert(tz), high_v.tz_localize("UTC").tz_convert(tz)
            if not pd.api.types.is_datetime64_any_dtype(values.dtype):  # dates stored as text
                low_v, high_v = (v.strftime(fmt) if fmt else v.isoformat() for v in (low_v, high_v))
        elif pd.api.types.is_integer_dtype(values.dtype):
            low_v, high_v = int(math.ceil(low)), int(math.floor(high))
        else:
            low_v, high_v = low, high
        out[below] = low_v
        out[above] = high_v
        return out

    @staticmethod
    def _middle(values: pd.Series, kind: str, bounds: tuple[float, float], fmt: str | None) -> Any:
        mid = (bounds[0] + bounds[1]) / 2
        if kind == "datetime":
            stamp = pd.Timestamp(int(mid))
            if pd.api.types.is_datetime64_any_dtype(values.dtype):
                return stamp
            return stamp.strftime(fmt) if fmt else stamp.isoformat()
        return int(round(mid)) if pd.api.types.is_integer_dtype(values.dtype) else mid

    @staticmethod
    def _map_categories(values: pd.Series, categories: list[Any], counts: list[float], missing: bool) -> pd.Series:
        known = [c for c in categories if c is not None]
        outside = values.notna() & ~values.isin(known)
        fallback = RARE_TOKEN if RARE_TOKEN in known else known[int(np.argmax(counts))] if known else None
        out = values.astype(object).mask(outside, fallback) if outside.any() else values
        if not missing and out.isna().any():
            out = out.astype(object).fillna(fallback)
        return out


def _resynthesized(column: Any) -> bool:
    """Whether a column is made anew at sampling (not learned, not dropped, not the person id)."""
    return not column.learned and column.effective_policy not in ("drop", "person_id")


def _tree(edges: np.ndarray, counts: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The histogram at every resolution, finest first, each level merging neighbouring bins in pairs."""
    levels = [(edges, counts)]
    while len(counts) > 1:
        counts = np.add.reduceat(counts, np.arange(0, len(counts), 2))
        edges = np.append(edges[:-1:2], edges[-1])
        levels.append((edges, counts))
    return levels


def _bounds_top_down(levels: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[float, float, int]:
    """The range of the data from the noisy levels: from the coarsest down, the outer edges of the
    outermost bins that stand out, narrowing while the finer level's outermost bin lies inside the coarser
    one's (a finer bin outside it stood out by chance); (low, high, the finest level both reached)."""
    spans: dict[str, tuple[float, float]] = {}
    reached = {"low": len(levels) - 1, "high": len(levels) - 1}
    for index in range(len(levels) - 1, -1, -1):
        edges, counts, level = levels[index]
        clear = np.flatnonzero(counts >= level)
        if not clear.size:
            break
        first, last = int(clear.min()), int(clear.max())
        moved = False
        for side, position in (("low", first), ("high", last)):
            span = (float(edges[position]), float(edges[position + 1]))
            previous = spans.get(side)
            if previous is None or (previous[0] <= span[0] and span[1] <= previous[1]):
                spans[side], reached[side], moved = span, index, True
        if not moved:
            break
    if not spans:  # nothing stands out even as one bin: the whole grid
        edges = levels[-1][0]
        return float(edges[0]), float(edges[-1]), len(levels) - 1
    low, high = spans["low"][0], spans["high"][1]
    return low, max(high, low), max(reached["low"], reached["high"])
