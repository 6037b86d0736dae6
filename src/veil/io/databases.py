"""Tables in databases: SQLite and DuckDB files, and any SQLAlchemy URL (PostgreSQL tested, and fast).

Reading never changes the source: SQLite opens read-only, DuckDB with ``read_only``, and a SQLAlchemy
connection reads inside a read-only transaction where the database has one (PostgreSQL); on other
databases a ``--query`` must be a ``SELECT`` (or ``WITH``). Rows come ``batch_rows`` at a time (server-side
cursors on PostgreSQL) and are kept as Arrow until the end, so a large table costs little more than its
values.

Writing goes in one transaction: the table appears whole or not at all, and an existing table is
replaced only when asked (``overwrite``). PostgreSQL takes the rows through ``COPY``.
"""
from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InvalidDataError, InvalidParameterError, SourceError
from .location import Location, scrub
from .typed import (
    DECIMAL_PRECISION,
    arrow_type,
    decimal_from,
    decimal_scale,
    from_arrow,
    infer_text,
    python_cells,
    to_arrow,
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?")


def quote(name: str) -> str:
    """A table or column name as a quoted SQL identifier (``schema.table`` keeps its dot)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in str(name).split("."))


def _check_table_name(name: str) -> None:
    if not name or not name.strip():
        raise InvalidParameterError("--table needs a name")


# ------------------------------------------------------------------------------------------ read
def read_database(location: Location, *, batch_rows: int) -> Iterator[pa.Table]:
    """The rows of a database table or query, as Arrow tables of at most ``batch_rows`` rows."""
    if location.table is not None:
        _check_table_name(location.table)
    reader = {"sqlite": _read_sqlite, "duckdb": _read_duckdb}.get(location.format, _read_sqlalchemy)
    try:
        yield from reader(location, batch_rows)
    except (SourceError, InvalidDataError, InvalidParameterError):
        raise
    except Exception as exc:  # noqa: BLE001 - a driver's error, shown without a traceback or a password
        raise SourceError(f"cannot read {location.describe()}: {scrub(_first_line(exc))}") from None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _select(location: Location) -> str:
    return location.query if location.query is not None else f"SELECT * FROM {quote(location.table)}"


def _read_sqlite(location: Location, batch_rows: int) -> Iterator[pa.Table]:
    path = location.path
    if not path.exists():
        raise SourceError(f"database file {str(path)!r} does not exist")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        declared = {}
        if location.table is not None:
            info = con.execute(f"PRAGMA table_info({quote(location.table)})").fetchall()
            if not info:
                raise SourceError(f"{location.describe()}: no such table in {path}")
            declared = {row[1]: (row[2] or "").upper() for row in info}
        cursor = con.execute(_select(location))
        names = [d[0] for d in cursor.description]
        while rows := cursor.fetchmany(batch_rows):
            columns = list(zip(*rows))
            yield pa.table({name: _sqlite_column(list(values), declared.get(name, ""))
                            for name, values in zip(names, columns)})
    finally:
        con.close()


def _sqlite_column(values: list[Any], declared: str) -> pa.Array:
    """One column read from SQLite, typed by its declared type (SQLite itself keeps few types)."""
    if declared.startswith("BOOL"):
        return pa.array([None if v is None else bool(v) for v in values], type=pa.bool_())
    match = re.match(r"(DECIMAL|NUMERIC)(?:_TEXT)?\s*\(\s*(\d+)\s*(?:,\s*(\d+))?\s*\)", declared)
    if match:
        scale = int(match.group(3) or 0)
        return pa.array([decimal_from(v, scale) for v in values], type=pa.decimal128(DECIMAL_PRECISION, scale))
    if declared.startswith(("TIMESTAMP", "DATETIME", "DATE")) and any(isinstance(v, str) for v in values):
        zoned = declared.startswith("TIMESTAMPTZ") or "TIME ZONE" in declared
        stamps = pd.to_datetime(pd.Series(values, dtype=object), utc=zoned, format="ISO8601")
        return pa.array(stamps, from_pandas=True)
    if not declared and any(isinstance(v, str) for v in values):  # a query's column: typed by its text
        typed = infer_text(pd.Series(values, dtype=object))
        if typed.dtype != object or any(isinstance(v, Decimal) for v in typed):
            return pa.array(typed, from_pandas=True)
    return _python_column(values)


def _read_duckdb(location: Location, batch_rows: int) -> Iterator[pa.Table]:
    import duckdb

    if not location.path.exists():
        raise SourceError(f"database file {str(location.path)!r} does not exist")
    con = duckdb.connect(str(location.path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'").fetchall()
        for batch in con.sql(_select(location)).to_arrow_reader(batch_rows):
            yield pa.Table.from_batches([batch])
    finally:
        con.close()


def engine_for(location: Location):
    """A SQLAlchemy engine for ``location``; PostgreSQL sessions in UTC."""
    from sqlalchemy import create_engine

    options: dict[str, Any] = {}
    if location.format == "postgresql":
        options["connect_args"] = {"options": "-c TimeZone=UTC"}
    try:
        return create_engine(location.url, **options)
    except Exception as exc:  # noqa: BLE001 - a missing driver, say
        name = getattr(exc, "name", None)
        hint = f" (pip install {name})" if isinstance(exc, ModuleNotFoundError) and name else ""
        raise SourceError(f"cannot open {location.describe()}: {scrub(_first_line(exc))}{hint}") from None


def _read_sqlalchemy(location: Location, batch_rows: int) -> Iterator[pa.Table]:
    from sqlalchemy import text

    engine = engine_for(location)
    readonly = location.format == "postgresql"
    if location.query is not None and not readonly and not re.match(r"\s*(SELECT|WITH)\b", location.query, re.I):
        raise InvalidParameterError("--query must be a SELECT (or WITH ... SELECT); veil never changes the source")
    try:
        with engine.connect() as con:
            if readonly:
                con = con.execution_options(postgresql_readonly=True)
            result = con.execution_options(stream_results=True, max_row_buffer=batch_rows).execute(
                text(_select(location)))
            names = list(result.keys())
            for rows in result.partitions(batch_rows):
                columns = list(zip(*rows))
                yield pa.table({name: _python_column(list(values)) for name, values in zip(names, columns)})
    finally:
        engine.dispose()


def _python_column(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds: kept as text
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def frame_from_batches(batches: list[pa.Table]) -> pd.DataFrame:
    """The batches as one pandas table in veil's types."""
    if not batches:
        return pd.DataFrame()
    table = pa.concat_tables(batches, promote_options="permissive") if len(batches) > 1 else batches[0]
    return from_arrow(table)


# ------------------------------------------------------------------------------------------ write
class DatabaseSink:
    """Chunks of one table into a database table, in one transaction committed by :meth:`commit`."""

    def __init__(self, location: Location, *, overwrite: bool):
        _check_table_name(location.table or "")
        self.location, self.overwrite = location, overwrite
        self.rows = 0
        self.created = False
        self._open()

    # -------------------------------------------------------------- per database
    def _open(self) -> None:
        fmt = self.location.format
        try:
            if fmt == "sqlite":
                self.location.path.parent.mkdir(parents=True, exist_ok=True)
                self.con = sqlite3.connect(self.location.path, isolation_level=None)
                self.con.execute("BEGIN")
                exists = self.con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                          (self.location.table,)).fetchone() is not None
            elif fmt == "duckdb":
                import duckdb

                self.location.path.parent.mkdir(parents=True, exist_ok=True)
                self.con = duckdb.connect(str(self.location.path))
                self._run("SET TimeZone = 'UTC'")
                self._run("BEGIN TRANSACTION")
                schema, _, name = self.location.table.rpartition(".")
                exists = bool(self._run(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND "
                    "(? = '' OR table_schema = ?)", [name, schema, schema])[0][0])
            else:
                from sqlalchemy import inspect

                self.engine = engine_for(self.location)
                self.con = self.engine.connect()
                self.transaction = self.con.begin()
                schema, _, name = self.location.table.rpartition(".")
                exists = inspect(self.con).has_table(name, schema=schema or None)
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise SourceError(f"cannot open {self.location.describe()}: {scrub(_first_line(exc))}") from None
        if exists and not self.overwrite:
            self.abort()
            raise SourceError(f"{self.location.describe()} already exists; pass --overwrite to replace it")
        self.exists = exists

    def write(self, chunk: pd.DataFrame) -> None:
        try:
            if not self.created:
                self._create(chunk)
                self.created = True
            fmt = self.location.format
            if fmt == "sqlite":
                self._insert_sqlite(chunk)
            elif fmt == "duckdb":
                arrow = to_arrow(chunk, self._schema)
                self.con.register("veil_chunk", arrow)
                self._run(f"INSERT INTO {quote(self.location.table)} SELECT * FROM veil_chunk")
                self.con.unregister("veil_chunk")
            elif fmt == "postgresql":
                self._copy_postgresql(chunk)
            else:
                self._insert_sqlalchemy(chunk)
        except (InvalidDataError, SourceError):
            raise
        except Exception as exc:  # noqa: BLE001
            raise SourceError(f"cannot write to {self.location.describe()}: {scrub(_first_line(exc))}") from None
        self.rows += len(chunk)

    def commit(self) -> None:
        if not self.created:
            raise InvalidDataError("nothing to write: the table has no columns")
        self._end(commit=True)

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the connection may be gone already; nothing was committed
            self._end(commit=False)

    def _end(self, *, commit: bool) -> None:
        """Commit or roll back the one transaction the whole table was written in, and close."""
        if self.location.format in ("sqlite", "duckdb"):
            self._run("COMMIT" if commit else "ROLLBACK")
        elif commit:
            self.transaction.commit()
        else:
            self.transaction.rollback()
        self.con.close()
        if self.location.format not in ("sqlite", "duckdb"):
            self.engine.dispose()

    # -------------------------------------------------------------- create
    def _create(self, chunk: pd.DataFrame) -> None:
        table = quote(self.location.table)
        fmt = self.location.format
        if self.exists:
            self._run(f"DROP TABLE {table}") if fmt in ("sqlite", "duckdb") else self._sql(f"DROP TABLE {table}")
        if fmt == "duckdb":
            self._schema = to_arrow(chunk).schema
            self.con.register("veil_chunk", self._schema.empty_table())
            self._run(f"CREATE TABLE {table} AS SELECT * FROM veil_chunk")
            self.con.unregister("veil_chunk")
            return
        types = [sql_type(chunk[name], fmt) for name in chunk.columns]
        self._kinds = types
        self._schema = pa.schema([pa.field(str(n), arrow_type(chunk[n])) for n in chunk.columns]) \
            if fmt == "postgresql" else None
        columns = ", ".join(f"{quote(str(n))} {t}" for n, t in zip(chunk.columns, types))
        if fmt == "sqlite":
            self._run(f"CREATE TABLE {table} ({columns})")
        else:
            self._sql(f"CREATE TABLE {table} ({columns})")

    def _run(self, statement: str, params: Any = ()) -> list[Any]:
        """A statement on the SQLite or DuckDB connection, its result read to the end."""
        return self.con.execute(statement, params).fetchall()

    def _sql(self, statement: str) -> None:
        from sqlalchemy import text

        self.con.execute(text(statement))

    # -------------------------------------------------------------- rows
    def _insert_sqlite(self, chunk: pd.DataFrame) -> None:
        cells = _sqlite_cells(chunk, self._kinds)
        marks = ", ".join("?" * len(cells))
        self.con.executemany(f"INSERT INTO {quote(self.location.table)} VALUES ({marks})", zip(*cells))

    def _copy_postgresql(self, chunk: pd.DataFrame) -> None:
        """The chunk through COPY, as CSV written by Arrow: every present value quoted, so that an
        unquoted empty field is NULL and a quoted one an empty string."""
        import pyarrow.csv as pcsv

        raw = self.con.connection.driver_connection  # psycopg's own connection, inside our transaction
        names = ", ".join(quote(str(n)) for n in chunk.columns)
        options = pcsv.WriteOptions(include_header=False, quoting_style="all_valid")
        statement = f"COPY {quote(self.location.table)} ({names}) FROM STDIN WITH (FORMAT csv)"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            step = 100_000
            for start in range(0, len(chunk), step):
                buffer = pa.BufferOutputStream()
                pcsv.write_csv(to_arrow(chunk.iloc[start:start + step], self._schema), buffer, options)
                copy.write(buffer.getvalue().to_pybytes())

    def _insert_sqlalchemy(self, chunk: pd.DataFrame) -> None:
        from sqlalchemy import column, table

        target = table(self.location.table, *[column(str(n)) for n in chunk.columns])
        cells = python_cells(chunk, times="native", decimals="native")
        names = [str(n) for n in chunk.columns]
        records = [dict(zip(names, row)) for row in zip(*cells)]
        if records:
            self.con.execute(target.insert(), records)


def sql_type(values: pd.Series, dialect: str) -> str:
    """The column type that keeps ``values`` exactly in ``dialect``."""
    dtype = values.dtype
    zoned = isinstance(dtype, pd.DatetimeTZDtype)
    if zoned or pd.api.types.is_datetime64_dtype(dtype):
        if dialect == "sqlite":
            return "TIMESTAMPTZ" if zoned else "TIMESTAMP"
        return "TIMESTAMP WITH TIME ZONE" if zoned else "TIMESTAMP"
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "INTEGER" if dialect == "sqlite" else "BIGINT"
    if pd.api.types.is_float_dtype(dtype):
        return "REAL" if dialect == "sqlite" else "DOUBLE PRECISION"
    scale = decimal_scale(values) if pd.api.types.is_object_dtype(dtype) else None
    if scale is not None:  # SQLite: a name with TEXT in it keeps the digits as written (NUMERIC would round)
        return f"DECIMAL{'_TEXT' if dialect == 'sqlite' else ''}({DECIMAL_PRECISION},{scale})"
    present = values.dropna()
    if pd.api.types.is_object_dtype(dtype) and len(present) and all(isinstance(v, (bool, np.bool_)) for v in present):
        return "BOOLEAN"
    return "TEXT"


def _sqlite_cells(values: pd.DataFrame, kinds: list[str]) -> list[list[Any]]:
    """The columns as SQLite stores them under the declared types veil writes."""
    columns = python_cells(values)  # timestamps and decimals as text
    return [[None if v is None else int(v) for v in cells] if kind == "BOOLEAN" else cells
            for cells, kind in zip(columns, kinds)]
