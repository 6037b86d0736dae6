"""Sources and sinks: files (CSV, Parquet, JSON Lines, Excel) and databases (SQLite, DuckDB, any
SQLAlchemy URL), with the types of every column kept on the way in and out.

    >>> table = read_table("postgresql://me@db/shop", table="people")
    >>> write_table(synthetic, "out.duckdb", table="people_synthetic")
    >>> with open_sink("big.parquet") as sink:      # chunk by chunk
    ...     for chunk in chunks: sink.write(chunk)
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from ..errors import InvalidDataError, SourceError
from .location import Location, parse_location, scrub

#: rows read from a database (or a Parquet file) per batch, and written per chunk
BATCH_ROWS = 100_000

__all__ = ["BATCH_ROWS", "Location", "iter_batches", "open_sink", "parse_location", "read_table", "scrub",
           "write_table"]


def read_table(source: str | os.PathLike, *, table: str | None = None, query: str | None = None,
               batch_rows: int = BATCH_ROWS) -> pd.DataFrame:
    """Read a table from a file (by extension) or a database (a path ending ``.duckdb``/``.sqlite``/``.db``,
    or a URL; name its ``table`` or give a ``query``). The source is never changed."""
    location = source if isinstance(source, Location) else parse_location(source, table=table, query=query)
    if location.kind == "file":
        from .files import read_whole

        frame = read_whole(location, batch_rows=batch_rows)
    else:
        from .databases import frame_from_batches, read_database

        frame = frame_from_batches(list(read_database(location, batch_rows=batch_rows)))
    if frame.shape[1] == 0 or len(frame) == 0:
        raise InvalidDataError(f"{location.describe()} holds no rows")
    from .typed import with_text_dtype

    return with_text_dtype(frame)


def iter_batches(source: str | os.PathLike, *, table: str | None = None, query: str | None = None,
                 batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """The rows of a source too large for memory, batch by batch in veil's types: a Parquet file, a folder
    of Parquet files (a dataset), or a database table or query (read through a server-side cursor where
    the database has one). Each batch is read when asked for; the source is never changed."""
    from .typed import from_arrow, with_text_dtype

    path = None if isinstance(source, Location) or (isinstance(source, str) and "://" in source) \
        else os.fspath(source)
    if path is not None and os.path.isdir(path):
        files = sorted(os.path.join(top, name) for top, _, names in os.walk(path) for name in names
                       if name.endswith((".parquet", ".pq")))
        if not files:
            raise SourceError(f"the folder {path!r} holds no Parquet files (*.parquet) to read")
        batches = _parquet_batches(files, batch_rows)
        location = None
    else:
        location = source if isinstance(source, Location) else parse_location(source, table=table, query=query)
        if location.kind == "file" and location.format != "parquet":
            raise SourceError(f"a streaming read takes Parquet files and folders, or databases; "
                              f"{location.describe()} is {location.format}: convert it to Parquet first "
                              f"(veil sample writes Parquet; so do pandas, DuckDB and Arrow)")
        if location.kind == "file":
            if not location.path.exists():
                raise SourceError(f"data file {str(location.path)!r} does not exist")
            batches = _parquet_batches([str(location.path)], batch_rows)
        else:
            from .databases import read_database

            batches = read_database(location, batch_rows=batch_rows)
    import pyarrow as pa

    rows = 0
    for batch in batches:
        if batch.num_rows:
            rows += batch.num_rows
            part = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
            yield with_text_dtype(from_arrow(part))
    if not rows:
        raise InvalidDataError(f"{location.describe() if location else path} holds no rows")


def _parquet_batches(files: list[str], batch_rows: int) -> Iterator[Any]:
    """The files' record batches, one file and one batch at a time (no read-ahead: memory stays flat however
    many files there are)."""
    import pyarrow.parquet as pq

    schema = None
    for name in files:
        try:
            handle = pq.ParquetFile(name)
            if schema is None:
                schema = handle.schema_arrow
            elif not handle.schema_arrow.equals(schema):
                raise SourceError(f"{name!r} has other columns or types than the dataset's first file; the files "
                                  "of a Parquet dataset must share one schema")
            yield from handle.iter_batches(batch_size=batch_rows, use_threads=False)
        except (OSError, ValueError) as exc:
            raise SourceError(f"cannot read {name!r} as Parquet ({type(exc).__name__}); check that the file is "
                              "not damaged") from None


class _Sink:
    """Where chunks of one table go; see :func:`open_sink`."""

    def __init__(self, target: Any, progress: Callable[[int], None] | None):
        self._target, self._progress = target, progress

    @property
    def rows(self) -> int:
        return self._target.rows

    def write(self, chunk: pd.DataFrame) -> None:
        self._target.write(chunk)
        if self._progress is not None:
            self._progress(self._target.rows)


@contextmanager
def open_sink(target: str | os.PathLike, *, table: str | None = None, overwrite: bool = False,
              progress: Callable[[int], None] | None = None) -> Iterator[_Sink]:
    """A place to write one table chunk by chunk: ``sink.write(chunk)``. It appears whole when the block
    ends, and not at all if it raises. An existing file or table is replaced only with ``overwrite``."""
    location = target if isinstance(target, Location) else parse_location(target, table=table, reading=False)
    if location.kind == "file":
        from .files import FileSink

        if location.path.exists() and not overwrite:
            raise SourceError(f"{str(location.path)!r} already exists; pass --overwrite to replace it")
        if location.path.is_dir():
            raise SourceError(f"{str(location.path)!r} is a folder; name a file to write")
        sink: Any = FileSink(location)
    else:
        from .databases import DatabaseSink

        sink = DatabaseSink(location, overwrite=overwrite)
    try:
        yield _Sink(sink, progress)
    except BaseException:
        sink.abort()
        raise
    sink.commit()


def write_table(data: pd.DataFrame, target: str | os.PathLike, *, table: str | None = None,
                overwrite: bool = False, chunk_rows: int = BATCH_ROWS,
                progress: Callable[[int], None] | None = None) -> Location:
    """Write ``data`` to a file or database table (see :func:`open_sink`), ``chunk_rows`` at a time."""
    location = target if isinstance(target, Location) else parse_location(target, table=table, reading=False)
    with open_sink(location, overwrite=overwrite, progress=progress) as sink:
        for start in range(0, max(len(data), 1), chunk_rows):
            sink.write(data.iloc[start:start + chunk_rows])
    return location
