"""Column types across formats: what a text cell means, and pandas <-> Arrow without loss.

The in-memory form veil reads into and writes from is pandas with nullable types where they matter:

- integers with missing values: ``Int64`` (never floats);
- booleans with missing values: ``boolean``;
- decimals: Python :class:`~decimal.Decimal` objects (never rounded through float);
- timestamps: ``datetime64[ns]``, with their time zone when they have one;
- text: Python strings (``object``), of any length.

Formats without types of their own (CSV, JSON Lines, text cells of a spreadsheet) are read as text and
typed by :func:`infer_text`; formats with types (Parquet, DuckDB) go through Arrow with
:func:`to_arrow` / :func:`from_arrow`.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

#: the precision of every decimal veil writes (scale from the data): the widest that DuckDB, Parquet's
#: decimal128 and PostgreSQL all take
DECIMAL_PRECISION = 38

_INT = re.compile(r"[-+]?\d+")
_DECIMAL = re.compile(r"[-+]?\d+\.(\d+)")
_BOOL = {"true": True, "false": False}
_LEADING_ZERO = r"[-+]?0\d"
#: timestamps as veil (and pandas) write them: a date, or a date, a space and a time, with an optional
#: +HH:MM offset. Other spellings (``T``, ``Z``, ``05/01/2024``) stay text, so the model keeps their format
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?([+-]\d{2}:\d{2})?)?")


def infer_text(values: pd.Series) -> pd.Series:
    """A column of text cells (missing: None/NaN) typed as the narrowest of boolean, integer, decimal,
    float or timestamp (in the ISO 8601 spelling veil writes) that holds every cell exactly; otherwise
    the text unchanged.

    A number with a fractional part becomes a :class:`Decimal` when float64 would change its text
    (``"12.50"``, or more digits than a float keeps) and every cell has the same number of decimals.
    """
    present = values.dropna()
    if present.empty or not all(isinstance(v, str) for v in present.iloc[:1000]):
        return values
    text = present.astype(str)
    lower = text.str.lower()
    if lower.isin(_BOOL).all():
        return _fill(values, lower.map(_BOOL), "boolean" if len(present) < len(values) else bool)
    if text.str.match(_LEADING_ZERO).any():  # codes such as 02139: a number would lose the zero
        return values
    if text.str.fullmatch(_INT.pattern).all():
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().all() and numbers.dtype.kind == "i":
            return _fill(values, numbers, "Int64" if len(present) < len(values) else "int64")
    fraction = text.str.extract(f"^{_DECIMAL.pattern}$", expand=False)
    if fraction.notna().all():
        scales = fraction.str.len()
        floats = text.astype(np.float64)
        if scales.nunique() == 1 and (floats.map(repr) != text.str.lstrip("+")).any():
            return _fill(values, text.map(Decimal), object)
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all() and numbers.dtype.kind == "f":
        return _fill(values, numbers, np.float64)
    matched = text.str.fullmatch(_ISO.pattern)
    if matched.all():
        zoned = text.str.extract(f"^{_ISO.pattern}$", expand=False).notna()
        try:
            if zoned.all():
                stamps = pd.to_datetime(text, utc=True, format="ISO8601")
            elif not zoned.any():
                stamps = pd.to_datetime(text, format="ISO8601")
            else:
                return values
        except (ValueError, OverflowError):
            return values
        out = pd.Series(pd.NaT, index=values.index, dtype=stamps.dtype)
        out[present.index] = stamps
        return out
    return values


def infer_objects(values: pd.Series) -> pd.Series:
    """A column of Python objects (from a spreadsheet or a database driver) in veil's types: integers
    with missing values as ``Int64``, booleans as ``boolean``, text cells typed by :func:`infer_text`."""
    present = values.dropna()
    if present.empty:
        return values
    kinds = {type(v) for v in present}
    if kinds <= {bool, np.bool_}:
        return _fill(values, present.astype(bool), "boolean" if len(present) < len(values) else bool)
    if kinds <= {int, np.int64}:
        return _fill(values, present.astype(np.int64), "Int64" if len(present) < len(values) else "int64")
    if kinds <= {int, float, np.int64, np.float64}:
        return pd.to_numeric(values).astype(np.float64)
    if kinds == {str}:
        return infer_text(values)
    if kinds <= {Decimal}:
        return values.astype(object).where(values.notna(), None)
    if all(hasattr(v, "isoformat") for v in present.iloc[:1000]):
        try:
            zoned = [getattr(v, "tzinfo", None) is not None for v in present.iloc[:1000]]
            return pd.Series(pd.to_datetime(values, utc=any(zoned)), index=values.index)
        except (ValueError, TypeError, OverflowError):
            return values
    return values


def _fill(values: pd.Series, typed: pd.Series, dtype: Any) -> pd.Series:
    """``typed`` (the present cells of ``values``) back on ``values``'s index, missing elsewhere."""
    if len(typed) == len(values):
        return pd.Series(typed.to_numpy(), index=values.index).astype(dtype)
    out = pd.Series(pd.array([None] * len(values), dtype=dtype if dtype is not object else object),
                    index=values.index)
    out[typed.index] = typed.to_numpy()
    return out


# ------------------------------------------------------------------------------------------ Arrow
def decimal_scale(values: pd.Series) -> int | None:
    """The largest number of decimals among a column's :class:`Decimal` cells; None when it holds
    something else."""
    present = values.dropna()
    if present.empty or not all(isinstance(v, Decimal) for v in present):
        return None
    return max(max(-int(v.as_tuple().exponent), 0) for v in present)


def arrow_type(values: pd.Series) -> pa.DataType:
    """The Arrow type that holds ``values`` without loss."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pa.timestamp(dtype.unit, tz=str(dtype.tz))
    if pd.api.types.is_datetime64_dtype(dtype):
        return pa.timestamp(np.datetime_data(dtype)[0])
    if pd.api.types.is_bool_dtype(dtype):
        return pa.bool_()
    if pd.api.types.is_integer_dtype(dtype):
        return pa.int64()
    if pd.api.types.is_float_dtype(dtype):
        return pa.float64()
    if pd.api.types.is_object_dtype(dtype):
        scale = decimal_scale(values)
        if scale is not None:
            return pa.decimal128(DECIMAL_PRECISION, scale)
        present = values.dropna()
        if len(present) and all(isinstance(v, (bool, np.bool_)) for v in present):
            return pa.bool_()
    return pa.string()


def to_arrow(table: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """``table`` as Arrow, each column in :func:`arrow_type` (or in ``schema``'s, so that the chunks of
    one output share a schema)."""
    schema = schema or pa.schema([pa.field(str(name), arrow_type(table[name])) for name in table.columns])
    arrays = []
    for field, name in zip(schema, table.columns):
        values = table[name]
        if pa.types.is_string(field.type) and not isinstance(values.dtype, pd.StringDtype) and not all(
                isinstance(v, str) for v in values.dropna()):
            values = values.astype(object).where(values.notna(), None).map(lambda v: v if v is None else str(v))
        elif pa.types.is_decimal(field.type):
            values = values.map(lambda v, s=field.type.scale, n=field.name: _exact_decimal(v, s, n))
        arrays.append(pa.array(values, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def _exact_decimal(value: Any, scale: int, column: str) -> Decimal | None:
    """``value`` with ``scale`` decimals; an error rather than a rounded value when it has more."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    number = Decimal(value)
    fixed = number.quantize(Decimal(1).scaleb(-scale))
    if fixed != number:
        from ..errors import InvalidDataError

        raise InvalidDataError(f"column {column!r}: a value has more than the {scale} decimals of the column as "
                               "first written; write the table in one chunk, or round the column first")
    return fixed


def from_arrow(table: pa.Table) -> pd.DataFrame:
    """An Arrow table in veil's pandas types: integers and booleans nullable only where they have
    missing values, decimals as :class:`Decimal`, repeated strings sharing one object."""
    columns = {}
    for name, chunked in zip(table.column_names, table.columns):
        kind = chunked.type
        has_missing = chunked.null_count > 0
        if pa.types.is_integer(kind):
            series = chunked.to_pandas(types_mapper={kind: pd.Int64Dtype()}.get)
            columns[name] = series if has_missing else series.astype(np.int64)
        elif pa.types.is_boolean(kind):
            series = chunked.to_pandas(types_mapper={kind: pd.BooleanDtype()}.get)
            columns[name] = series if has_missing else series.astype(bool)
        elif pa.types.is_null(kind):
            columns[name] = pd.Series([None] * len(chunked), dtype=object)
        elif pa.types.is_timestamp(kind):
            columns[name] = chunked.to_pandas()
        elif pa.types.is_date(kind):
            columns[name] = pd.to_datetime(chunked.to_pandas(date_as_object=True))
        else:
            series = chunked.to_pandas(deduplicate_objects=True)
            columns[name] = series.where(series.notna(), None) if series.dtype == object else series
    return with_text_dtype(pd.DataFrame(columns))


#: the dtype pandas gives a column of strings (``str`` from pandas 3, ``object`` before)
TEXT_DTYPE = pd.Series(["text"]).dtype


def with_text_dtype(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every column of Python strings in pandas' own string dtype (:data:`TEXT_DTYPE`)."""
    if pd.api.types.is_object_dtype(TEXT_DTYPE):
        return table
    for name in table.columns:
        values = table[name]
        if values.dtype == object:
            present = values.dropna()
            if len(present) and all(isinstance(v, str) for v in present):
                table[name] = values.astype(TEXT_DTYPE)
    return table


def decimal_from(value: Any, scale: int | None) -> Decimal | None:
    """A stored number as a :class:`Decimal` of ``scale`` decimals (None when missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        return None
    return number.quantize(Decimal(1).scaleb(-scale)) if scale is not None else number


def python_cells(chunk: pd.DataFrame, *, times: str = "text", decimals: str = "text") -> list[list[Any]]:
    """``chunk``'s columns as lists of plain Python values that read back as the same values, None where
    missing. ``times``: ``"text"`` (ISO 8601 with the offset), ``"naive"`` (zone-less ones as
    :class:`datetime`, for Excel) or ``"native"`` (all as :class:`datetime`); ``decimals``: ``"text"``
    (their full digits) or ``"native"`` (:class:`Decimal`)."""
    out = []
    for name in chunk.columns:
        values = chunk[name]
        dtype = values.dtype
        missing = values.isna().to_numpy()
        if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
            native = times == "native" or (times == "naive" and not isinstance(dtype, pd.DatetimeTZDtype))
            if native:
                cells = [None if m else v.to_pydatetime() for v, m in zip(values, missing)]
            else:
                cells = _iso_texts(values, missing)
        elif pd.api.types.is_bool_dtype(dtype):
            cells = [None if m else bool(v) for v, m in zip(values.astype(object), missing)]
        elif pd.api.types.is_integer_dtype(dtype):
            cells = [None if m else int(v) for v, m in zip(values.astype(object), missing)]
        elif pd.api.types.is_float_dtype(dtype):
            cells = [None if m else float(v) for v, m in zip(values.to_numpy(dtype=np.float64, na_value=np.nan),
                                                             missing)]
        else:
            text = decimals == "text"
            cells = [None if m else str(v) if text and isinstance(v, Decimal) else v.item()
                     if isinstance(v, np.generic) else v for v, m in zip(values.astype(object), missing)]
        out.append(cells)
    return out


def _iso_texts(values: pd.Series, missing: np.ndarray) -> list[str | None]:
    """Timestamps as ISO 8601 text, as pandas writes them: a date alone when every one is at midnight,
    else date and time (fractions only where there are some), with the offset when zoned."""
    present = values[~missing]
    if not isinstance(values.dtype, pd.DatetimeTZDtype) and len(present) and (present == present.dt.normalize()).all():
        return [None if m else v.strftime("%Y-%m-%d") for v, m in zip(values, missing)]
    return [None if m else v.isoformat(sep=" ") for v, m in zip(values, missing)]
