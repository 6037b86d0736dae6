"""Tables in files: CSV (encoding and delimiter sniffed), Parquet, JSON Lines and Excel (.xlsx).

Reading types every column (:mod:`veil.io.typed`); writing goes chunk by chunk into a temporary file
beside the target, renamed over it only when the last chunk is in, so a file appears whole or not at all.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, SourceError
from .location import Location
from .typed import from_arrow, infer_objects, infer_text, python_cells, to_arrow

#: bytes read to guess a text file's encoding and delimiter
SNIFF_BYTES = 1 << 20
#: encodings tried in turn; latin-1 reads any bytes, so it is last
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ",;\t|"
#: Excel's limits
EXCEL_ROWS = 1_048_576
EXCEL_CELL_CHARS = 32_767


# ------------------------------------------------------------------------------------------ read
def read_file(location: Location, *, batch_rows: int) -> Iterator[pd.DataFrame]:
    """The rows of a file, in one piece (a text column's type is decided by all of its cells)."""
    path = location.path
    assert path is not None
    if not path.exists():
        raise SourceError(f"data file {str(path)!r} does not exist")
    if path.is_dir():
        raise SourceError(f"{str(path)!r} is a folder, not a data file")
    if path.stat().st_size == 0:
        raise InvalidDataError(f"data file {str(path)!r} is empty")
    reader = {"csv": _read_csv, "parquet": _read_parquet, "jsonl": _read_jsonl, "xlsx": _read_xlsx}[location.format]
    try:
        yield from reader(path, location.compression, batch_rows)
    except (SourceError, InvalidDataError):
        raise
    except pd.errors.EmptyDataError:
        raise InvalidDataError(f"data file {str(path)!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError, KeyError, EOFError) as exc:
        raise SourceError(f"cannot read {str(path)!r} as {location.format} ({type(exc).__name__}); check that the "
                          "file is not damaged and that its name says its format") from None


def sniff_csv(path: Path, compression: str | None) -> tuple[str, str, list[str]]:
    """(encoding, delimiter, column names) of a text table, from its first megabyte."""
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    for encoding in ENCODINGS:
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4 and encoding.startswith("utf-8"):  # a character cut at the end
                text = head[:exc.start].decode(encoding)
                break
    lines = text.splitlines()[:50]
    if not lines:
        raise InvalidDataError(f"data file {str(path)!r} is empty")
    if str(path).lower().endswith((".tsv", ".tsv.gz")):
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
        except csv.Error:  # one column, or no clear winner: the delimiter seen most often in the header
            header = lines[0]
            delimiter = max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","
    names = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    return encoding, delimiter, names


def _read_csv(path: Path, compression: str | None, batch_rows: int) -> Iterator[pd.DataFrame]:
    """Every cell as text (an unquoted empty cell is missing, a quoted one ``""`` an empty string), then
    typed column by column."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    encoding, delimiter, names = sniff_csv(path, compression)
    if len(set(names)) < len(names):
        raise InvalidDataError(f"data file {str(path)!r} repeats a column name in its header; name each column once")
    table = pcsv.read_csv(
        path, read_options=pcsv.ReadOptions(encoding="utf8" if encoding == "utf-8-sig" else encoding),
        parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                            strings_can_be_null=True, quoted_strings_can_be_null=False))
    frame = table.to_pandas(types_mapper={pa.string(): pd.ArrowDtype(pa.string())}.get)
    yield pd.DataFrame({name: infer_text(frame[name].astype(object).where(frame[name].notna(), None))
                        for name in frame.columns})


def _read_parquet(path: Path, compression: str | None, batch_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    yield from_arrow(pq.read_table(path))


def _read_jsonl(path: Path, compression: str | None, batch_rows: int) -> Iterator[pd.DataFrame]:
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        records = [json.loads(line, parse_float=float) for line in handle if line.strip()]
    if not records or not all(isinstance(r, dict) for r in records):
        raise InvalidDataError(f"{str(path)!r} holds no JSON objects, one per line")
    names = list(dict.fromkeys(k for r in records for k in r))
    table = pd.DataFrame({n: pd.Series([r.get(n) for r in records], dtype=object) for n in names})
    yield table.apply(infer_objects)


def _read_xlsx(path: Path, compression: str | None, batch_rows: int) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        names = [str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(header)]
        width = len(names)
        table = pd.DataFrame([(list(r) + [None] * width)[:width] for r in rows], columns=names, dtype=object)
    finally:
        book.close()
    yield table.where(table.notna(), None).apply(infer_objects)


# ------------------------------------------------------------------------------------------ write
class FileSink:
    """Chunks of one table into one file: to ``NAME.partial`` beside it, renamed over it on :meth:`commit`."""

    def __init__(self, location: Location):
        self.location = location
        self.path = location.path
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(self.path.name + ".partial")
        self.rows = 0
        self._handle: Any = None
        self._schema: Any = None
        self._columns: list[str] | None = None

    def write(self, chunk: pd.DataFrame) -> None:
        if self._columns is None:
            self._columns = [str(c) for c in chunk.columns]
        fmt = self.location.format
        if fmt == "csv":
            self._write_csv(chunk)
        elif fmt == "jsonl":
            self._write_jsonl(chunk)
        elif fmt == "parquet":
            self._write_parquet(chunk)
        else:
            self._write_xlsx(chunk)
        self.rows += len(chunk)

    def commit(self) -> None:
        if self._columns is None:
            raise InvalidDataError("nothing to write: the table has no rows and no columns")
        if self.location.format == "parquet" and self._handle is not None:
            self._handle.close()
        elif self.location.format == "xlsx" and self._handle is not None:
            self._handle.save(self.tmp)
        elif self._handle is not None:
            self._handle.close()
        self._handle = None
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            if self._handle is not None and hasattr(self._handle, "close"):
                self._handle.close()
        finally:
            self._handle = None
            self.tmp.unlink(missing_ok=True)

    # -------------------------------------------------------------- formats
    def _text_handle(self):
        if self._handle is None:
            opener = gzip.open if self.location.compression == "gzip" else open
            self._handle = io.TextIOWrapper(opener(self.tmp, "wb"), encoding="utf-8", newline="")  # noqa: SIM115
        return self._handle

    def _write_csv(self, chunk: pd.DataFrame) -> None:
        handle = self._text_handle()
        sep = "\t" if self.path.name.lower().endswith((".tsv", ".tsv.gz")) else ","
        # every text cell quoted, so that an empty string ("") differs from a missing cell (nothing)
        writer = csv.writer(handle, delimiter=sep, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        if self.rows == 0 and handle.tell() == 0:
            writer.writerow([str(c) for c in chunk.columns])
        columns = [[_MISSING if v is None else v for v in cells] for cells in python_cells(chunk)]
        writer.writerows(zip(*columns))

    def _write_jsonl(self, chunk: pd.DataFrame) -> None:
        handle = self._text_handle()
        names = [str(c) for c in chunk.columns]
        for row in zip(*python_cells(chunk)):
            handle.write(json.dumps(dict(zip(names, row)), ensure_ascii=False, default=_json_default))
            handle.write("\n")

    def _write_parquet(self, chunk: pd.DataFrame) -> None:
        import pyarrow.parquet as pq

        arrow = to_arrow(chunk, self._schema)
        if self._handle is None:
            self._schema = arrow.schema
            self._handle = pq.ParquetWriter(self.tmp, self._schema)
        self._handle.write_table(arrow)

    def _write_xlsx(self, chunk: pd.DataFrame) -> None:
        from openpyxl import Workbook

        if self.rows + len(chunk) > EXCEL_ROWS - 1:
            raise InvalidDataError(f"an Excel sheet holds at most {EXCEL_ROWS - 1:,} rows below its header; write "
                                   "this many rows to CSV, Parquet or a database instead")
        if self._handle is None:
            self._handle = Workbook(write_only=True)
            self._sheet = self._handle.create_sheet("data")
            self._sheet.append([str(c) for c in chunk.columns])
        for row in zip(*python_cells(chunk, times='naive')):
            for value in row:
                if isinstance(value, str) and len(value) > EXCEL_CELL_CHARS:
                    raise InvalidDataError(f"an Excel cell holds at most {EXCEL_CELL_CHARS:,} characters and a "
                                           f"value has {len(value):,}; write CSV, Parquet or a database instead")
            self._sheet.append(list(row))


class _Missing(float):
    """A missing cell for the csv module: a number (so never quoted) written as nothing."""

    def __str__(self) -> str:
        return ""

    __repr__ = __str__


_MISSING = _Missing("nan")


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_whole(location: Location, *, batch_rows: int) -> pd.DataFrame:
    """All the rows of a file, in one table."""
    parts = list(read_file(location, batch_rows=batch_rows))
    return parts[0].reset_index(drop=True) if len(parts) == 1 else pd.DataFrame()
