"""Guess each column's sdtype, representation, datetime format and PII kind from a sample of rows.

The guess works on a seeded sample (bounded work on any table) and on the distinct values of each
column, weighted by how often they occur. Personal data is found by value, helped by the column's
name: a name hint lowers the value threshold but never decides alone.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .._params import Interval, validate_parameters
from ..errors import InvalidDataError, raise_all
from ..pii import detectors as pii
from .model import Column, Metadata

#: tried in order; the first under which >= 99 % of the sampled values parse wins
DATETIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d",
    "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M",
    "%Y/%m/%d %H:%M:%S", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y", "%d %B %Y", "%B %d, %Y", "%m/%d/%y",
    "%d/%m/%y", "%d.%m.%y", "%Y%m%dT%H%M%S",
)
DATETIME_MIN_FRACTION = 0.99
VALUE_THRESHOLD = 0.9  # a value match alone decides at this fraction of sampled values
HINTED_THRESHOLD = 0.5  # ... and at this fraction when the column name suggests the kind
ID_TOKENS = frozenset({"id", "uuid", "guid", "key", "nbr", "no", "number", "pk", "identifier"})
COUNT_TOKENS = frozenset({"num", "number", "count", "cnt", "n", "nb", "times", "previous", "visits"})
FEW_VALUES = 10  # integer columns with at most this many distinct values are categorical
MOSTLY_UNIQUE = 0.5
PII_ROWS = 2_000  # rows of the sample whose values are checked for personal data (fractions within ~1 %)
_BIG_INT = 2.0 ** 53


def detect_metadata(table: pd.DataFrame, *, sample_size: int = 10_000, seed: int = 0) -> Metadata:
    """Detect a :class:`Metadata` for ``table`` from a seeded sample of ``sample_size`` rows."""
    if not isinstance(table, pd.DataFrame):
        raise InvalidDataError(f"detect needs a pandas DataFrame, got {type(table).__name__}")
    validate_parameters("Metadata.detect", {"sample_size": sample_size, "seed": seed},
                        {"sample_size": Interval(int, 1, None), "seed": Interval(int, 0, None)})
    problems = [f"column name {name!r} is not a non-empty string; rename the column"
                for name in table.columns if not isinstance(name, str) or not name]
    dupes = table.columns[table.columns.duplicated()].unique()
    problems += [f"column {name!r} appears more than once; give every column a distinct name"
                 for name in dupes]
    raise_all(problems, "cannot detect metadata")

    rng = np.random.default_rng(seed)
    sample = table
    if len(table) > sample_size:
        rows = np.sort(rng.choice(len(table), size=sample_size, replace=False))
        sample = table.iloc[rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        columns = [detect_column(name, sample[name], full=table[name]) for name in table.columns]
    return Metadata(columns=columns, primary_key=_primary_key(table, columns))


def detect_column(name: str, values: pd.Series, *, full: pd.Series | None = None) -> Column:
    """Guess one column from (a sample of) its values; ``full`` (the whole column) is read only to
    confirm that a numeric column with few values in the sample has few values overall."""
    dtype = values.dtype
    if ptypes.is_bool_dtype(dtype):
        return Column(name, "boolean")
    if isinstance(dtype, pd.CategoricalDtype):
        values = values.astype(object)
        dtype = values.dtype
    if ptypes.is_datetime64_any_dtype(dtype):
        return _datetime_column(name, values.dropna(), None)
    if ptypes.is_timedelta64_dtype(dtype):
        return Column(name, "numerical", representation="float")
    if ptypes.is_numeric_dtype(dtype):
        return _numeric_column(name, values, full)
    nonnull = values.dropna()
    inferred = ptypes.infer_dtype(nonnull, skipna=True) if len(nonnull) else "empty"
    if inferred == "boolean":
        return Column(name, "boolean")
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        numbers = pd.to_numeric(values, errors="coerce")
        if inferred == "integer":
            numbers = numbers.astype("Int64" if numbers.isna().any() else "int64")
        return _numeric_column(name, numbers, full)
    if inferred in ("datetime", "datetime64", "date"):
        return _datetime_column(name, pd.Series(pd.to_datetime(nonnull, errors="coerce")).dropna(), None)
    return _string_column(name, values, full)


# ------------------------------------------------------------------------------------------ numbers
def _numeric_column(name: str, values: pd.Series, full: pd.Series | None = None) -> Column:
    integer_dtype = ptypes.is_integer_dtype(values.dtype)
    rep = "int" if integer_dtype else "float"
    nonnull = values.dropna()
    numbers = nonnull.to_numpy(dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    if numbers.size == 0:
        return Column(name, "categorical", representation=rep)
    integral = integer_dtype or bool(np.all(numbers == np.floor(numbers)))
    uniq, counts = np.unique(numbers, return_counts=True)
    distinct = len(uniq) / numbers.size
    if integral:
        found = _integer_pii(name, nonnull, uniq, counts)
        if found is not None:
            return Column(name, found[0], representation=rep, confidence=found[1], detected_by=found[2])
    n_unique = len(uniq)
    if n_unique <= FEW_VALUES and full is not None and len(full) > len(values):
        integral, n_unique = _whole_column_values(full, integral)  # rare values the sample missed
    if n_unique == 1:  # a constant number stays a number (it is modelled as a constant either way)
        return Column(name, "numerical", representation=rep)
    if not integral:
        return Column(name, "numerical", representation=rep)
    distinct = _overall_share(distinct, full, len(values))
    if np.abs(uniq).max() > _BIG_INT:
        return Column(name, "id" if distinct >= MOSTLY_UNIQUE else "categorical", representation=rep)
    if _has_id_token(name) and distinct >= MOSTLY_UNIQUE:
        return Column(name, "id", representation=rep)
    if n_unique <= FEW_VALUES and not _looks_like_count(name, uniq, n_unique):
        return Column(name, "categorical", representation=rep)
    if _looks_like_code(name) and distinct < MOSTLY_UNIQUE:
        return Column(name, "categorical", representation=rep)
    return Column(name, "numerical", representation=rep)


def _overall_share(sample_share: float, full: pd.Series | None, n_sample: int) -> float:
    """The share of distinct values: a sample over-states it (repeats are rarely drawn twice), so when
    the sample says "mostly unique" the whole column is counted (one hash pass)."""
    if sample_share < MOSTLY_UNIQUE or full is None or len(full) <= n_sample:
        return sample_share
    present = full.dropna()
    if len(present) == 0:
        return sample_share
    try:
        return float(present.nunique()) / len(present)
    except TypeError:  # unhashable objects
        return float(present.astype(str).nunique()) / len(present)


def _whole_column_values(full: pd.Series, integral: bool) -> tuple[bool, int]:
    """Whether the whole column is integral, and its number of distinct values (one hash pass)."""
    numbers = full.dropna().to_numpy(dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    if integral and not ptypes.is_integer_dtype(full.dtype):
        integral = bool(np.all(numbers == np.floor(numbers)))
    return integral, int(pd.unique(numbers).size)


def _integer_pii(name: str, nonnull: pd.Series, uniq: np.ndarray, counts: np.ndarray
                 ) -> tuple[str, float, str] | None:
    """Card numbers by value; postal codes, phone and national id numbers (NIR, BSN, SIN) only with a name
    hint."""
    hints = pii.name_hints(name)
    if np.abs(uniq).max() >= 1e11:  # 12+ digits: exact digits from the original values, not the floats
        exact = pd.Series(nonnull.unique())
        exact_counts = nonnull.value_counts(sort=False).reindex(exact).to_numpy()
        fractions = {"credit_card": pii.credit_card_fraction(exact, exact_counts)}
        if "phone" in hints:
            fractions["phone"] = pii.phone_fraction(exact, exact_counts, plain_digits=True)
        if "national_id" in hints:
            fractions["national_id"] = pii.national_id_fraction(exact, exact_counts, plain_digits=True)
    else:
        fractions = {}
        if "phone" in hints and np.abs(uniq).max() >= 1e9:
            exact = pd.Series(uniq.astype(np.int64))
            fractions["phone"] = pii.phone_fraction(exact, counts, plain_digits=True)
        if "national_id" in hints and np.abs(uniq).max() >= 1e7:  # BSN / SIN; a BSN may have lost a leading 0
            nine = pd.Series(uniq.astype(np.int64)).astype(str).str.zfill(9)
            fractions["national_id"] = pii.national_id_fraction(nine, counts, plain_digits=True)
    if "postal_code" in hints:
        fractions["postal_code"] = pii.postal_code_fraction(pd.Series(uniq), counts, integer=True)
    return _choose(fractions, hints)


def _has_id_token(name: str) -> bool:
    return any(t in ID_TOKENS for t in pii.name_tokens(name))


def _looks_like_count(name: str, uniq: np.ndarray, n_unique: int) -> bool:
    """A small count (0, 1, 2, ... events) is a number even with few distinct values: it starts at 0,
    has at least 3 values, and its name says it counts (num_, number_, count...)."""
    if n_unique < 3 or uniq[0] != 0:
        return False
    return any(t in COUNT_TOKENS for t in pii.name_tokens(name))


def _looks_like_code(name: str) -> bool:
    tokens = pii.name_tokens(name)
    return bool(tokens) and (tokens[-1] in ("id", "code", "cd") or str(name).lower().endswith("code"))


# ------------------------------------------------------------------------------------------ strings
def _string_column(name: str, values: pd.Series, full: pd.Series | None = None) -> Column:
    nonnull = values.dropna()
    if len(nonnull) == 0:
        return Column(name, "categorical")
    counted = nonnull.astype(str).value_counts(sort=False)
    distinct_values = pd.Series(np.asarray(counted.index, dtype=object), dtype=object).str.strip()
    counts = counted.to_numpy()
    hints = pii.name_hints(name)

    if len(nonnull) > PII_ROWS:  # evenly spaced rows of the (random) sample
        spaced = np.linspace(0, len(nonnull) - 1, PII_ROWS).round().astype(np.int64)
        few = nonnull.iloc[spaced].astype(str).value_counts(sort=False)
        found = _string_pii(pd.Series(np.asarray(few.index, dtype=object), dtype=object).str.strip(),
                            few.to_numpy(), hints)
    else:
        found = _string_pii(distinct_values, counts, hints)
    if found is not None:
        return Column(name, found[0], confidence=found[1], detected_by=found[2])

    fmt = detect_datetime_format(distinct_values, counts)
    if fmt is not None:
        parsed = pd.to_datetime(distinct_values, format=fmt, errors="coerce")
        return _datetime_column(name, parsed, fmt, counts, date_only=not _has_time(fmt))

    n_unique, total = len(distinct_values), int(counts.sum())
    distinct = n_unique / total
    if (_has_id_token(name) and distinct >= MOSTLY_UNIQUE and n_unique > 1
            and _overall_share(distinct, full, len(values)) >= MOSTLY_UNIQUE):
        return Column(name, "id")
    if n_unique == total and n_unique > 1 and not values.isna().any() and _uniform_structure(distinct_values):
        return Column(name, "id")
    if n_unique == 1:
        return Column(name, "categorical")
    lengths = distinct_values.str.len().to_numpy(dtype=float)
    spaced = distinct_values.str.contains(r"\s", regex=True).to_numpy(dtype=bool)
    mean_len = float((lengths * counts).sum() / total)
    space_share = float((spaced * counts).sum() / total)
    if distinct >= MOSTLY_UNIQUE and mean_len > 30 and space_share >= 0.5:
        return Column(name, "text")
    return Column(name, "categorical")


def _string_pii(values: pd.Series, counts: np.ndarray, hints: set[str]) -> tuple[str, float, str] | None:
    fractions = {}
    worth_checking = set(pii.candidate_kinds(values, counts, at_least=HINTED_THRESHOLD))
    for kind, fraction in pii.STRING_DETECTORS.items():
        if kind not in worth_checking:
            continue
        if kind in ("phone", "national_id"):
            fractions[kind] = fraction(values, counts, plain_digits=kind in hints)
        else:
            fractions[kind] = fraction(values, counts)
    return _choose(fractions, hints)


def _choose(fractions: dict[str, float], hints: set[str]) -> tuple[str, float, str] | None:
    """The kind with the highest match fraction above its threshold (first listed wins ties)."""
    best: tuple[str, float, str] | None = None
    for kind, frac in fractions.items():
        hinted = kind in hints
        if frac >= (HINTED_THRESHOLD if hinted else VALUE_THRESHOLD) and (best is None or frac > best[1]):
            best = (kind, round(frac, 3), "name+value" if hinted else "value")
    return best


def _uniform_structure(values: pd.Series) -> bool:
    """Every value has the same length (>= 6) and punctuation at the same places, most contain a digit
    (UUIDs, account codes): the shape of a generated identifier, not of words."""
    lengths = values.str.len()
    if lengths.min() < 6 or lengths.nunique() != 1:
        return False
    shapes = values.str.replace(r"[0-9A-Za-z]", "x", regex=True)
    return shapes.nunique() == 1 and values.str.contains(r"\d").mean() >= 0.9


# ------------------------------------------------------------------------------------------ dates
def detect_datetime_format(values: pd.Series, counts: np.ndarray | None = None) -> str | None:
    """The first format in :data:`DATETIME_FORMATS` under which >= 99 % of the (weighted) values parse;
    ``None`` if none does. Digit-only strings are never dates."""
    text = pd.Series(values, dtype=object).astype(str).str.strip()
    if len(text) == 0:
        return None
    weights = np.ones(len(text)) if counts is None else np.asarray(counts, dtype=float)
    groups = text.str.count(r"\d+")
    shape_ok = (text.str.len().between(6, 40) & ~text.str.fullmatch(r"\d+")
                & ((groups >= 3) | ((groups >= 2) & text.str.contains(r"[A-Za-z]"))))
    if float((shape_ok.to_numpy(dtype=bool) * weights).sum() / weights.sum()) < DATETIME_MIN_FRACTION:
        return None
    probe = text.iloc[:50]
    for fmt in DATETIME_FORMATS:
        if pd.to_datetime(probe, format=fmt, errors="coerce").notna().mean() < 0.9:
            continue
        parsed = pd.to_datetime(text, format=fmt, errors="coerce").notna().to_numpy()
        if float((parsed * weights).sum() / weights.sum()) >= DATETIME_MIN_FRACTION:
            return fmt
    return None


def _has_time(fmt: str) -> bool:
    return any(code in fmt for code in ("%H", "%M", "%S", "%I", "%f"))


def _datetime_column(name: str, dates: pd.Series, fmt: str | None, counts: np.ndarray | None = None,
                     date_only: bool | None = None) -> Column:
    """A datetime column, or ``date_of_birth`` for dates (no time part) that look or are named like one."""
    dates = pd.Series(dates)
    if date_only is None:
        stamps = pd.to_datetime(dates, errors="coerce").dropna()
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)
        date_only = bool(len(stamps)) and bool((stamps == stamps.dt.normalize()).all())
    if date_only and len(dates):
        frac = pii.date_of_birth_fraction(dates, counts)
        hinted = "date_of_birth" in pii.name_hints(name)
        if hinted or frac >= VALUE_THRESHOLD:
            by = ("name+value" if frac >= HINTED_THRESHOLD else "name") if hinted else "value"
            return Column(name, "date_of_birth", datetime_format=fmt, confidence=round(frac, 3),
                          detected_by=by)
    return Column(name, "datetime", datetime_format=fmt)


# ------------------------------------------------------------------------------------------ key
def _primary_key(table: pd.DataFrame, columns: list[Column]) -> str | None:
    """The id column (preferring one whose name has an id word) that is unique with no missing values."""
    candidates = [c.name for c in columns if c.sdtype == "id"]
    candidates.sort(key=lambda n: not _has_id_token(n))
    for name in candidates:
        col = table[name]
        if len(col) and not col.isna().any() and col.is_unique:
            return name
    return None
