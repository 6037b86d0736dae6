"""Fidelity: how closely a synthetic table follows the real one, column by column and pair by pair.

The definitions are those of the SDMetrics quality report, so that scores can be compared:

* column shapes - ``KSComplement`` (1 - the two-sample Kolmogorov-Smirnov statistic, missing values
  dropped) for numerical and datetime columns; ``TVComplement`` (1 - total variation distance between
  the category frequencies) for the others.
* column pair trends - ``CorrelationSimilarity`` (1 - |r_real - r_synthetic| / 2, Pearson's r on the
  rows where both values are present) for two numerical/datetime columns; ``ContingencySimilarity``
  (1 - total variation distance between the two-way frequency tables, missing as a category) for any
  other pair, a numerical/datetime column being cut into 10 equal-width bins.

A few details of SDMetrics 0.32's quality report are debatable; ``sdmetrics_compat`` picks between
reproducing them and a stricter reading:

* ``sdmetrics_compat=True`` (default; reproduces the report): TVComplement drops missing values; each
  table's numerical column is binned on its own range (``numpy.histogram_bin_edges``, then
  ``numpy.digitize``, where the maximum shares the last code with missing values); only pairs that are
  related in the real table count in the pair-trends average (|Pearson r| > 0.5, Cramer's V > 0.3;
  the other pairs are still scored and listed, with ``contributes`` False); a score that cannot be
  computed (an all-missing column) is NaN.
* ``sdmetrics_compat=False`` (stricter): TVComplement counts missing values as one
  more category; bins are fitted on the real column only, with open-ended outer bins, so synthetic
  values beyond the real range land in the end bins and a shifted column is penalised; every pair
  counts; an all-missing synthetic column scores 0.

Only columns the model learns (``Column.learned``) that both tables hold are scored, and of those only
numerical, datetime, categorical and boolean ones (free text is not). Datetimes are
compared as numbers (days since 1970). Each table is sampled to at most ``max_rows`` rows with a
seeded generator. A score that cannot be computed (a constant column in a correlation, an empty
column) is NaN and left out of the averages.
"""
from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, InvalidParameterError
from ..metadata import Column, Metadata
from ._checks import check_common, check_tables

MAX_ROWS = 50_000
N_BINS = 10
#: with ``sdmetrics_compat``, only pairs whose real |Pearson r| or Cramer's V exceeds these count
CORRELATION_THRESHOLD = 0.5
ASSOCIATION_THRESHOLD = 0.3
_NUMERIC = ("numerical", "datetime")
_SCORED = ("numerical", "datetime", "categorical", "boolean")
_DENSE_CELLS = 1 << 20  # two-way tables with more cells are counted sparsely
_EPOCH = pd.Timestamp("1970-01-01")


@dataclass
class _Prepared:
    """One scored column of both tables: numbers (float, NaN missing) or shared category codes."""

    name: str
    numeric: bool
    real: np.ndarray
    syn: np.ndarray
    n_codes: int = 0  # categorical: codes run 0..n_codes-1, the last one possibly 'missing'
    compat: bool = True
    _binned: tuple[np.ndarray, np.ndarray, int] | None = field(default=None, repr=False)

    def codes(self) -> tuple[np.ndarray, np.ndarray, int]:
        """Category codes (the last one for missing values); numbers are binned first."""
        if not self.numeric:
            return self.real, self.syn, self.n_codes
        if self._binned is None:
            self._binned = _discretize_each(self.real, self.syn) if self.compat else _discretize(self.real, self.syn)
        return self._binned


# -------------------------------------------------------------------------------------- public API
def column_shapes(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata, *,
                  max_rows: int = MAX_ROWS, seed: int = 0, sdmetrics_compat: bool = True) -> pd.DataFrame:
    """One row per scored column: ``column``, ``metric`` (KSComplement / TVComplement), ``score``."""
    return _shapes(_prepare(real, synthetic, metadata, max_rows, seed, sdmetrics_compat))


def column_pair_trends(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata, *,
                       max_rows: int = MAX_ROWS, seed: int = 0, sdmetrics_compat: bool = True) -> pd.DataFrame:
    """One row per pair of scored columns: ``column_1``, ``column_2``, ``metric``, ``score``,
    ``real_value`` and ``synthetic_value`` (Pearson's r for CorrelationSimilarity, Cramer's V for
    ContingencySimilarity) and ``contributes`` (whether the pair counts in the property's average)."""
    return _pairs(_prepare(real, synthetic, metadata, max_rows, seed, sdmetrics_compat))


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata, *,
                  max_rows: int = MAX_ROWS, seed: int = 0, sdmetrics_compat: bool = True) -> dict[str, float]:
    """``column_shapes`` and ``column_pair_trends`` (the mean score of each property, NaN scores left
    out) and ``overall`` (the mean of the two), all in [0, 1]."""
    return quality_report(real, synthetic, metadata, max_rows=max_rows, seed=seed,
                          sdmetrics_compat=sdmetrics_compat)[0]


def quality_report(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata, *, max_rows: int = MAX_ROWS,
                   seed: int = 0, sdmetrics_compat: bool = True) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    """(:func:`quality_score`, :func:`column_shapes`, :func:`column_pair_trends`) from one pass over the data."""
    prepared = _prepare(real, synthetic, metadata, max_rows, seed, sdmetrics_compat)
    if not prepared:
        raise InvalidDataError("the real and synthetic tables share no learned column to score; "
                               "check that both have the columns the metadata describes")
    shapes_table, pairs_table = _shapes(prepared), _pairs(prepared)
    shapes = _mean(shapes_table["score"])
    pairs = _mean(pairs_table.loc[pairs_table["contributes"], "score"])
    scores = {"column_shapes": shapes, "column_pair_trends": pairs, "overall": _mean(pd.Series([shapes, pairs]))}
    return scores, shapes_table, pairs_table


# ----------------------------------------------------------------------------------------- metrics
def ks_complement(real: np.ndarray, synthetic: np.ndarray, *, empty: float = np.nan) -> float:
    """1 - the two-sample Kolmogorov-Smirnov statistic; NaNs are dropped. ``empty`` is the score when
    exactly one side has no values."""
    a = np.sort(real[~np.isnan(real)])
    b = np.sort(synthetic[~np.isnan(synthetic)])
    if len(a) == 0 or len(b) == 0:
        return np.nan if len(a) == len(b) else empty
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(1.0 - np.max(np.abs(cdf_a - cdf_b)))


def tv_complement(real_codes: np.ndarray, syn_codes: np.ndarray, n_codes: int, *,
                  empty: float = np.nan) -> float:
    """1 - total variation distance between the frequencies of integer codes 0..n_codes-1."""
    if len(real_codes) == 0 or len(syn_codes) == 0:
        return np.nan if len(real_codes) == len(syn_codes) else empty
    p = np.bincount(real_codes, minlength=n_codes) / len(real_codes)
    q = np.bincount(syn_codes, minlength=n_codes) / len(syn_codes)
    return float(1.0 - 0.5 * np.abs(p - q).sum())


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    if len(x) < 2:
        return np.nan
    dx, dy = x - x.mean(), y - y.mean()
    denom = np.sqrt((dx * dx).sum() * (dy * dy).sum())
    if denom == 0 or not np.isfinite(denom):
        return np.nan
    return float(np.clip((dx * dy).sum() / denom, -1.0, 1.0))


def _contingency(a_real: np.ndarray, b_real: np.ndarray, a_syn: np.ndarray, b_syn: np.ndarray, ka: int,
                 kb: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of the (a, b) cells seen in either table: (cell keys a * kb + b, real counts, synthetic counts)."""
    key_real = a_real.astype(np.int64) * kb + b_real
    key_syn = a_syn.astype(np.int64) * kb + b_syn
    if ka * kb <= _DENSE_CELLS:
        c_real = np.bincount(key_real, minlength=ka * kb)
        c_syn = np.bincount(key_syn, minlength=ka * kb)
        seen = (c_real > 0) | (c_syn > 0)
        return np.flatnonzero(seen), c_real[seen], c_syn[seen]
    keys, inverse = np.unique(np.concatenate([key_real, key_syn]), return_inverse=True)
    inverse = inverse.reshape(-1)
    return (keys, np.bincount(inverse[: len(key_real)], minlength=len(keys)),
            np.bincount(inverse[len(key_real):], minlength=len(keys)))


def _cramers_v(keys: np.ndarray, counts: np.ndarray, ka: int, kb: int) -> float:
    """Cramer's V (no continuity correction) of a two-way table given as cell keys and counts."""
    n = counts.sum()
    if n == 0:
        return np.nan
    rows, cols = keys // kb, keys % kb
    row_total = np.bincount(rows, weights=counts, minlength=ka)
    col_total = np.bincount(cols, weights=counts, minlength=kb)
    k = min(int((row_total > 0).sum()), int((col_total > 0).sum())) - 1
    if k < 1:
        return np.nan
    cell = counts > 0
    chi2 = n * ((counts[cell] ** 2 / (row_total[rows[cell]] * col_total[cols[cell]])).sum() - 1.0)
    return float(np.sqrt(max(chi2, 0.0) / (n * k)))


def _shapes(prepared: list[_Prepared]) -> pd.DataFrame:
    rows = []
    for p in prepared:
        empty = np.nan if p.compat else 0.0
        if p.numeric:
            # SDMetrics rounds to 14 decimals first, so that float noise does not count as a difference
            score = ks_complement(np.round(p.real, 14), np.round(p.syn, 14), empty=empty)
            rows.append((p.name, "KSComplement", score))
        else:
            real, syn, k = p.real, p.syn, p.n_codes
            if p.compat:  # missing values dropped; the last code is 'missing'
                real, syn = real[real != k - 1], syn[syn != k - 1]
            rows.append((p.name, "TVComplement", tv_complement(real, syn, k, empty=empty)))
    return pd.DataFrame(rows, columns=["column", "metric", "score"]).astype({"score": float})


def _pairs(prepared: list[_Prepared]) -> pd.DataFrame:
    rows = []
    for p1, p2 in itertools.combinations(prepared, 2):
        if p1.numeric and p2.numeric:
            r_real, r_syn = _pearson(p1.real, p2.real), _pearson(p1.syn, p2.syn)
            score = 1.0 - abs(r_real - r_syn) / 2.0
            strong = bool(abs(r_real) > CORRELATION_THRESHOLD)  # False for NaN
            rows.append((p1.name, p2.name, "CorrelationSimilarity", score, r_real, r_syn,
                         strong or not p1.compat))
            continue
        a_real, a_syn, ka = p1.codes()
        b_real, b_syn, kb = p2.codes()
        keys, c_real, c_syn = _contingency(a_real, b_real, a_syn, b_syn, ka, kb)
        n_real, n_syn = c_real.sum(), c_syn.sum()
        if n_real == 0 or n_syn == 0:
            score = np.nan if n_real == n_syn or p1.compat else 0.0
        else:
            score = 1.0 - 0.5 * np.abs(c_real / n_real - c_syn / n_syn).sum()
        v_real = _cramers_v(keys, c_real, ka, kb)
        strong = bool(v_real > ASSOCIATION_THRESHOLD)
        rows.append((p1.name, p2.name, "ContingencySimilarity", score, v_real, _cramers_v(keys, c_syn, ka, kb),
                     strong or not p1.compat))
    columns = ["column_1", "column_2", "metric", "score", "real_value", "synthetic_value", "contributes"]
    return pd.DataFrame(rows, columns=columns).astype({"score": float, "real_value": float,
                                                       "synthetic_value": float, "contributes": bool})


def _mean(scores: pd.Series) -> float:
    values = scores.to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


# ------------------------------------------------------------------------------------- preparation
def scored_columns(metadata: Metadata, *tables: pd.DataFrame) -> list[Column]:
    """The columns every metric scores: learned, numerical, datetime, categorical or boolean, and held by
    all of ``tables``."""
    return [c for c in metadata
            if c.learned and c.modelled_as in _SCORED and all(c.name in t.columns for t in tables)]


def _check(real: object, synthetic: object, metadata: object, max_rows: object, seed: object,
           compat: object) -> None:
    check_tables({"real": real, "synthetic": synthetic})
    check_common(metadata, seed=seed, max_rows=max_rows)
    if not isinstance(compat, (bool, np.bool_)):
        raise InvalidParameterError(f"The 'sdmetrics_compat' parameter must be a bool. Got {compat!r} instead.")


def _sample(table: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(table) <= max_rows:
        return table
    return table.iloc[np.sort(rng.choice(len(table), size=max_rows, replace=False))]


def _prepare(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata, max_rows: int,
             seed: int, compat: bool) -> list[_Prepared]:
    _check(real, synthetic, metadata, max_rows, seed, compat)
    compat = bool(compat)
    columns = scored_columns(metadata, real, synthetic)
    rng = np.random.default_rng(seed)
    real = _sample(real, int(max_rows), rng)
    synthetic = _sample(synthetic, int(max_rows), rng)
    out = []
    for col in columns:
        r, s = real[col.name], synthetic[col.name]
        if isinstance(r, pd.DataFrame) or isinstance(s, pd.DataFrame):
            raise InvalidDataError(f"column {col.name!r} appears more than once in a table")
        if col.modelled_as in _NUMERIC:
            out.append(_Prepared(col.name, True, _as_number(r, col), _as_number(s, col), compat=compat))
        else:
            real_codes, syn_codes, n_codes = _categories(r, s)
            out.append(_Prepared(col.name, False, real_codes, syn_codes, n_codes, compat=compat))
    return out


def _as_number(values: pd.Series, column: Column) -> np.ndarray:
    """Numbers as float64 (NaN where missing or unreadable); datetimes as days since 1970."""
    if column.modelled_as == "datetime" and not pd.api.types.is_numeric_dtype(values):
        if pd.api.types.is_datetime64_any_dtype(values):
            stamps = values
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "could not infer format": parsed one by one
                stamps = pd.to_datetime(values, format=column.datetime_format, errors="coerce")
        if isinstance(stamps.dtype, pd.DatetimeTZDtype):
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        days = (stamps - _EPOCH) / pd.Timedelta(days=1)
        return days.to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float).to_numpy(dtype=float, na_value=np.nan)
    numbers = pd.to_numeric(values, errors="coerce")
    out = pd.Series(numbers).to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isinf(out), np.nan, out)


def _categories(real: pd.Series, synthetic: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Shared integer codes for the categories of both columns; missing values get one code of their own."""
    numeric = [pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x) for x in (real, synthetic)]
    if numeric[0] != numeric[1]:  # e.g. 1 in one table and "1" in the other: compare as text
        real, synthetic = _as_text(real), _as_text(synthetic)
    both = pd.concat([real.astype(object), synthetic.astype(object)], ignore_index=True)
    codes, uniques = pd.factorize(both, use_na_sentinel=True)
    k = len(uniques)
    codes = np.where(codes < 0, k, codes).astype(np.int64)
    return codes[: len(real)], codes[len(real):], k + 1


def _as_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = values.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(num) & (num == np.round(num))
        text = pd.Series(num).astype(str).to_numpy(dtype=object)
        text[whole] = pd.Series(num[whole].astype(np.int64)).astype(str).to_numpy(dtype=object)
        text[np.isnan(num)] = None
        return pd.Series(text, dtype=object)
    missing = values.isna().to_numpy()
    text = values.astype(str).to_numpy(dtype=object)
    text[missing] = None
    return pd.Series(text, dtype=object)


def _discretize(real: np.ndarray, synthetic: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes 0..N_BINS-1 from equal-width bins fitted on the real values, outer bins open-ended;
    code N_BINS for missing values."""
    present = real[~np.isnan(real)]
    if len(present) == 0:
        present = synthetic[~np.isnan(synthetic)]
    inner = _edges(present)[1:-1]

    def cut(x: np.ndarray) -> np.ndarray:
        codes = np.searchsorted(inner, x, side="right").astype(np.int64)
        codes[np.isnan(x)] = N_BINS
        return codes

    return cut(real), cut(synthetic), N_BINS + 1


def _discretize_each(real: np.ndarray, synthetic: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """SDMetrics 0.32's report: each table binned on its own range, codes as ``numpy.digitize`` gives
    them (0 below the first edge, N_BINS + 1 for the maximum and for missing values)."""

    def cut(x: np.ndarray) -> np.ndarray:
        return np.searchsorted(_edges(x[~np.isnan(x)]), x, side="right").astype(np.int64)

    return cut(real), cut(synthetic), N_BINS + 2


def _edges(values: np.ndarray) -> np.ndarray:
    return np.histogram_bin_edges(values, bins=N_BINS)
