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

__all__ = ["BATCH_ROWS", "Location", "open_sink", "parse_location", "read_table", "scrub", "write_table"]


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
