"""Reading and writing tables from files, by extension (CSV and Parquet for now)."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..errors import InvalidDataError, SourceError

READERS = (".csv", ".csv.gz", ".parquet", ".pq")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for ext in (".csv.gz", ".csv", ".parquet", ".pq"):
        if name.endswith(ext):
            return ext
    return path.suffix.lower()


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (empty cells are missing; strings such as 'NA' or 'None' stay values) or Parquet file."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"data file {str(path)!r} does not exist")
    if path.is_dir():
        raise SourceError(f"{str(path)!r} is a folder, not a data file")
    ext = _suffix(path)
    try:
        if ext in (".csv", ".csv.gz"):
            table = pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)
        elif ext in (".parquet", ".pq"):
            table = pd.read_parquet(path)
        else:
            raise SourceError(f"cannot read {str(path)!r}: unsupported file type {ext or '(none)'!r}; "
                              f"veil reads {', '.join(READERS)}")
    except SourceError:
        raise
    except pd.errors.EmptyDataError:
        raise InvalidDataError(f"data file {str(path)!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise SourceError(f"cannot read {str(path)!r} as {ext[1:]} ({type(exc).__name__}); "
                          "check the file is not damaged") from None
    if table.shape[1] == 0 or len(table) == 0:
        raise InvalidDataError(f"data file {str(path)!r} holds no rows")
    return table


def write_table(table: pd.DataFrame, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write a CSV or Parquet file; the file appears whole or not at all."""
    path = Path(path)
    ext = _suffix(path)
    if ext not in READERS:
        raise SourceError(f"cannot write {str(path)!r}: unsupported file type {ext or '(none)'!r}; "
                          f"veil writes {', '.join(READERS)}")
    if path.exists() and not overwrite:
        raise SourceError(f"{str(path)!r} already exists; pass overwrite to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    if ext in (".csv", ".csv.gz"):
        table.to_csv(tmp, index=False, compression="gzip" if ext == ".csv.gz" else None)
    else:
        table.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return path
