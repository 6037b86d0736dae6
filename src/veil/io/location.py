"""Where a table lives: a file (by its extension) or a database (by URL), and the credentials to reach it.

A location is written as a path (``people.csv``, ``out.parquet``, ``shop.duckdb``) or a URL
(``sqlite:///shop.db``, ``duckdb:///shop.duckdb``, ``postgresql://user@host/db``, any SQLAlchemy URL).
A database location also names a table (``--table``) or, to read, a query (``--query``).

Passwords come from the URL, from ``$VEIL_DB_PASSWORD``, or from a ``.pgpass``-style file
(``$VEIL_PASSFILE``, else ``$PGPASSFILE``, else ``~/.pgpass``: lines ``host:port:database:user:password``,
``*`` matching anything). They are never printed: :meth:`Location.describe` hides them, and
:func:`scrub` removes them from any message before it is shown.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidParameterError, SourceError

#: file formats by extension, longest first
FILE_FORMATS = {".csv.gz": "csv", ".tsv.gz": "csv", ".jsonl.gz": "jsonl", ".csv": "csv", ".tsv": "csv",
                ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
                ".xlsx": "xlsx"}
#: database files by extension
DATABASE_FILES = {".duckdb": "duckdb", ".ddb": "duckdb", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_secrets: set[str] = set()  # passwords seen in this process, removed from every message shown


@dataclass
class Location:
    """A file, or a table (or query) in a database."""

    kind: str  # 'file' or 'database'
    format: str  # file: csv, parquet, jsonl, xlsx; database: sqlite, duckdb, postgresql, or the URL's dialect
    path: Path | None = None  # files and embedded databases
    url: str | None = None  # databases reached through SQLAlchemy (password filled in, never shown)
    table: str | None = None
    query: str | None = None
    compression: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """The location for messages: the path, or the URL with its password hidden, and the table."""
        if self.kind == "file":
            return str(self.path)
        where = str(self.path) if self.path is not None and self.url is None else _hide_password(self.url or "")
        return f"{where} ({'query' if self.query else 'table ' + repr(self.table)})" if (self.table or self.query) \
            else where


def parse_location(text: str | os.PathLike, *, table: str | None = None, query: str | None = None,
                   reading: bool = True) -> Location:
    """The :class:`Location` that ``text`` names; ``table``/``query`` are needed for databases."""
    if table is not None and query is not None:
        raise InvalidParameterError("give --table or --query, not both")
    if query is not None and not reading:
        raise InvalidParameterError("--query reads rows; to write, name a --table")
    raw = os.fspath(text)
    if _URL.match(raw) and not raw.lower().startswith("file://"):
        location = _database_url(raw)
    else:
        path = Path(raw[7:] if raw.lower().startswith("file://") else raw)
        name = path.name.lower()
        fmt = next((f for ext, f in FILE_FORMATS.items() if name.endswith(ext)), None)
        database = next((f for ext, f in DATABASE_FILES.items() if name.endswith(ext)), None)
        if fmt is not None:
            if table is not None or query is not None:
                raise InvalidParameterError(f"{path} is a {fmt} file; --table and --query are for databases")
            return Location("file", fmt, path=path, compression="gzip" if name.endswith(".gz") else None)
        if database is None:
            known = ", ".join(sorted({*FILE_FORMATS, *DATABASE_FILES}))
            raise SourceError(f"cannot tell the format of {str(path)!r} from its name; veil reads and writes {known}, "
                              "and databases by URL (sqlite:///..., duckdb:///..., postgresql://...)")
        location = Location("database", database, path=path)
    if table is None and query is None:
        raise InvalidParameterError(f"{location.describe()} is a database: name a --table"
                                    + (" or a --query" if reading else ""))
    location.table, location.query = table, query
    return location


def _database_url(raw: str) -> Location:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw)
    except ArgumentError:
        raise SourceError(f"cannot read the database URL {_hide_password(raw)!r}; write it as "
                          "dialect://user@host:port/database") from None
    dialect = url.get_backend_name()
    if dialect in ("sqlite", "duckdb"):
        if not url.database or url.database == ":memory:":
            raise SourceError(f"{dialect}:/// needs a file path, such as {dialect}:///data/shop.{dialect}")
        return Location("database", dialect, path=Path(url.database))
    if url.password:
        _remember(str(url.password))
    else:
        password = _find_password(url.host, url.port, url.database, url.username)
        if password is not None:
            _remember(password)
            url = url.set(password=password)
    if dialect == "postgresql" and url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")  # the driver veil installs (COPY, server-side cursors)
    return Location("database", dialect, url=url.render_as_string(hide_password=False))


def _remember(password: str) -> None:
    """Hide ``password`` from every message, as written and as a URL encodes it."""
    from urllib.parse import quote, quote_plus

    _secrets.update({password, quote(password, safe=""), quote_plus(password)})


def _find_password(host: str | None, port: int | None, database: str | None, user: str | None) -> str | None:
    """A password for a URL without one: ``$VEIL_DB_PASSWORD``, else the first matching line of a
    ``.pgpass``-style file."""
    if os.environ.get("VEIL_DB_PASSWORD"):
        return os.environ["VEIL_DB_PASSWORD"]
    name = os.environ.get("VEIL_PASSFILE") or os.environ.get("PGPASSFILE") or str(Path.home() / ".pgpass")
    try:
        lines = Path(name).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    wanted = [host or "localhost", str(port or 5432), database or "", user or ""]
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = re.split(r"(?<!\\):", line, maxsplit=4)
        if len(fields) != 5:
            continue
        fields = [f.replace("\\:", ":").replace("\\\\", "\\") for f in fields]
        if all(f == "*" or f == w for f, w in zip(fields[:4], wanted)):
            return fields[4]
    return None


def _hide_password(url: str) -> str:
    hidden = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
    return scrub(hidden)


def scrub(message: str) -> str:
    """``message`` with every password veil has seen replaced by ``***``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret:
            message = message.replace(secret, "***")
    return message
