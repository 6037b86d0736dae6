"""Check that a table fits its metadata: every problem at once, counted, never quoting a value."""
from __future__ import annotations

import warnings

import pandas as pd
from pandas.api import types as ptypes

from ..pii.kinds import DATE_KINDS
from .model import Column, Metadata

_BOOLEAN_WORDS = ("true", "false", "1", "0", "1.0", "0.0")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def table_problems(metadata: Metadata, table: pd.DataFrame) -> list[str]:
    """Every way ``table`` does not fit ``metadata``, as messages that name columns and count values."""
    if not isinstance(table, pd.DataFrame):
        return [f"the table must be a pandas DataFrame, got {type(table).__name__}"]
    problems: list[str] = []
    if table.shape[1] == 0:
        problems.append("the table has no columns")
    elif len(table) == 0:
        problems.append("the table has no rows")
    names = list(table.columns)
    dupes = sorted({str(n) for n in table.columns[table.columns.duplicated()]})
    problems += [f"column {n!r} appears more than once in the table" for n in dupes]
    present = set(names)
    known = set(metadata.names)
    problems += [f"column {c.name!r} is in the metadata but not in the table" for c in metadata
                 if c.name not in present]
    problems += [f"column {str(n)!r} is in the table but not in the metadata; add it to the metadata "
                 "or drop it from the table" for n in names if n not in known]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for column in metadata:
            if column.name not in present or column.name in dupes:
                continue
            problem = column_problem(column, table[column.name])
            if problem:
                problems.append(problem)
        key = metadata.primary_key
        if key is not None and key in present and key not in dupes:
            problems += _key_problems(key, table[key])
    return problems


def column_problem(column: Column, values: pd.Series) -> str | None:
    """What is wrong with one column's values for its sdtype, or ``None``."""
    nonnull = values.dropna()
    if len(nonnull) == 0:
        return None
    kind = column.sdtype
    if kind == "numerical":
        bad = _count_not_numbers(nonnull)
        if bad:
            return f"{_plural(bad, 'value', 'values')} in numerical column {column.name!r} " \
                   f"{'is not a number' if bad == 1 else 'are not numbers'}"
    elif kind == "datetime" or kind in DATE_KINDS:
        bad = _count_not_dates(nonnull, column.datetime_format)
        if bad:
            how = f"with format {column.datetime_format!r}" if column.datetime_format else "as dates"
            return f"{_plural(bad, 'value', 'values')} in column {column.name!r} " \
                   f"{'does' if bad == 1 else 'do'} not parse {how}"
    elif kind == "boolean":
        bad = _count_not_booleans(nonnull)
        if bad:
            return f"{_plural(bad, 'value', 'values')} in boolean column {column.name!r} " \
                   f"{'is' if bad == 1 else 'are'} not True/False"
    return None


def _count_not_numbers(nonnull: pd.Series) -> int:
    if ptypes.is_numeric_dtype(nonnull.dtype):
        return 0
    try:
        return int(pd.to_numeric(nonnull, errors="coerce").isna().sum())
    except (TypeError, ValueError):  # containers and other objects: judge their text
        return int(pd.to_numeric(nonnull.astype(str).str.strip(), errors="coerce").isna().sum())


def _count_not_dates(nonnull: pd.Series, fmt: str | None) -> int:
    if ptypes.is_datetime64_any_dtype(nonnull.dtype):
        return 0
    if ptypes.infer_dtype(nonnull, skipna=True) in ("datetime", "datetime64", "date"):
        return 0
    if fmt is not None:
        parsed = pd.to_datetime(nonnull.astype(str).str.strip(), format=fmt, errors="coerce")
    else:
        try:
            parsed = pd.to_datetime(nonnull, format="mixed", errors="coerce")
        except (TypeError, ValueError):
            return len(nonnull)
    return int(parsed.isna().sum())


def _count_not_booleans(nonnull: pd.Series) -> int:
    if ptypes.is_bool_dtype(nonnull.dtype):
        return 0
    if ptypes.is_numeric_dtype(nonnull.dtype):
        return int((~nonnull.isin([0, 1])).sum())
    words = nonnull.astype(str).str.strip().str.lower()
    return int((~words.isin(_BOOLEAN_WORDS)).sum())


def _key_problems(name: str, values: pd.Series) -> list[str]:
    out = []
    missing = int(values.isna().sum())
    if missing:
        out.append(f"primary key {name!r} has {_plural(missing, 'missing value', 'missing values')}")
    repeats = int(values[values.notna()].duplicated().sum())
    if repeats:
        out.append(f"primary key {name!r} is not unique: {_plural(repeats, 'row repeats', 'rows repeat')} "
                   "an earlier key")
    return out
