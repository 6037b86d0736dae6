"""What the ``hash``, ``generalize`` and ``person_id`` policies do to a table before it is learned.

* :func:`resolve_hash_key` finds the secret key of ``hash``: given directly, else the environment variable
  ``VEIL_HASH_KEY``, else the file named by ``VEIL_HASH_KEY_FILE``. It is used during fit and never stored.
* :func:`keyed_hash` is HMAC-SHA256 of the normalised value ('123-45-6789' and '123456789' hash alike).
* :func:`prepare_learned` returns the learned columns with hashed and generalized columns replaced (a new
  table; the caller's is not modified).
* :class:`PeopleShape` keeps how many records each person has (from :func:`veil.pii.linkage.link_records`),
  with its largest counts clipped, and deals synthetic rows out to synthetic people with the same shape.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, InvalidParameterError
from ..metadata.model import Column, Metadata
from .kinds import RARE_PEOPLE, RARE_TOKEN

HASH_KEY_ENV = "VEIL_HASH_KEY"
HASH_KEY_FILE_ENV = "VEIL_HASH_KEY_FILE"
MIN_KEY_BYTES = 16
HASH_HEX_CHARS = 16  # 64 bits of the HMAC: no collisions among any table's distinct values in practice
#: the largest person sizes are clipped to the CLIP_PEOPLE-th largest, so that no single person's count is kept
CLIP_PEOPLE = 5


# ------------------------------------------------------------------------------------------ hash
def resolve_hash_key(key: str | bytes | None = None, *, key_file: str | Path | None = None,
                     columns: list[str] | None = None) -> bytes:
    """The secret key of the ``hash`` policy: ``key``, else the contents of ``key_file``, else
    ``$VEIL_HASH_KEY``, else the file named by ``$VEIL_HASH_KEY_FILE``. Raises a clear error when there is
    none or it is shorter than 16 bytes."""
    source = "the key given"
    if key is None and key_file is not None:
        key, source = _read_key_file(key_file), "the key file"
    if key is None and os.environ.get(HASH_KEY_ENV):
        key, source = os.environ[HASH_KEY_ENV], f"${HASH_KEY_ENV}"
    if key is None and os.environ.get(HASH_KEY_FILE_ENV):
        key, source = _read_key_file(os.environ[HASH_KEY_FILE_ENV]), f"the file named by ${HASH_KEY_FILE_ENV}"
    which = f"column(s) {columns} use" if columns else "the policy 'hash' uses"
    if key is None:
        raise InvalidParameterError(
            f"{which} the policy 'hash', which needs a secret key: pass hash_key=... to fit, set "
            f"${HASH_KEY_ENV}, or name a file holding it in ${HASH_KEY_FILE_ENV} (veil fit --hash-key-file). "
            "The key is used during fit and never stored.")
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    raw = raw.strip()
    if len(raw) < MIN_KEY_BYTES:
        raise InvalidParameterError(f"{source} is {len(raw)} bytes long; a hash key needs at least {MIN_KEY_BYTES} "
                                    "(for example: python -c 'import secrets; print(secrets.token_hex(32))')")
    return raw


def _read_key_file(path: str | Path) -> bytes:
    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(f"hash key file {str(path)!r} does not exist")
    return path.read_bytes()


def keyed_hash(values: pd.Series, key: bytes, kind: str) -> pd.Series:
    """HMAC-SHA256 (first 16 hex characters) of each normalised value; missing values stay missing."""
    from .fake import _keys

    present = values.notna().to_numpy()
    out = pd.Series(np.full(len(values), None, dtype=object), index=values.index, dtype=object)
    if not present.any():
        return out
    normalised = pd.Series(_keys(kind, values[present].to_numpy(dtype=object), None)).astype(str)
    codes, distinct = pd.factorize(normalised)
    digests = np.array([hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]
                        for v in distinct], dtype=object)
    out[present] = digests[codes]
    return out


def merge_rare(values: pd.Series, person: np.ndarray | None) -> pd.Series:
    """Values held by fewer than RARE_PEOPLE distinct people (rows, without ``person``) -> RARE_TOKEN."""
    who = pd.Series(np.arange(len(values)) if person is None else person, index=values.index)
    people = who.groupby(values, dropna=True).nunique()
    rare = people.index[people < RARE_PEOPLE]
    return values.where(~values.isin(rare), RARE_TOKEN)


# ------------------------------------------------------------------------------------------ generalize
def _width(generalization: str) -> int:
    _, _, width = generalization.partition(":")
    return int(width) if width else 1


def _dates(values: pd.Series, column: Column) -> pd.Series:
    if column.datetime_format:
        return pd.to_datetime(values, format=column.datetime_format, errors="coerce")
    stamps = pd.to_datetime(values, errors="coerce", format="mixed")
    return stamps.dt.tz_localize(None) if getattr(stamps.dt, "tz", None) is not None else stamps


def _band_labels(low: pd.Series, width: int, integer: bool) -> pd.Series:
    def fmt(x: float) -> str:
        return f"{x:g}"

    present = low.notna()
    top = low + (width - 1 if integer else width)
    labels = pd.Series(None, index=low.index, dtype=object)
    labels[present] = low[present].map(fmt) + "-" + top[present].map(fmt)
    return labels


def generalize(values: pd.Series, column: Column, *, today: _dt.date) -> pd.Series:
    """The generalized column: a year (int), or band / prefix labels (strings)."""
    how = column.effective_generalization or ""
    name = how.partition(":")[0]
    if name == "year":
        return _dates(values, column).dt.year.astype("Int64")
    if name == "age_band":
        born = _dates(values, column)
        age = np.floor((pd.Timestamp(today) - born).dt.days / 365.2425)
        width = _width(how)
        return _band_labels(np.floor(age / width) * width, width, integer=True)
    if name == "prefix":
        keep = _width(how)
        text = values.astype("string")
        if pd.api.types.is_numeric_dtype(values.dtype):
            text = pd.Series(pd.array(values, dtype="Int64")).astype("string").str.zfill(5)
            text.index = values.index
        out = text.str[:keep] + text.str[keep:].str.replace(r".", "*", regex=True)
        return out.astype(object).where(values.notna(), None)
    if name == "band":
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        width = _width(how)
        integer = column.representation == "int" or bool(
            np.all(np.mod(numbers.dropna().to_numpy(), 1) == 0))
        return _band_labels(np.floor(numbers / width) * width, width, integer=integer)
    raise InvalidDataError(f"column {column.name!r}: cannot generalize with {how!r}")


def prepare_learned(table: pd.DataFrame, metadata: Metadata, *, key: bytes | None = None,
                    person: np.ndarray | None = None, today: _dt.date | None = None) -> pd.DataFrame:
    """The learned columns of ``table`` as the model sees them: hashed and generalized columns replaced,
    the others as they are (shared, not copied). ``table`` itself is not modified."""
    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    columns: dict[str, pd.Series] = {}
    for col in metadata:
        if not col.learned or col.name not in table.columns:
            continue
        values = table[col.name]
        policy = col.effective_policy
        if policy == "hash":
            if key is None:
                resolve_hash_key(None, columns=[col.name])  # raises the clear error
            values = merge_rare(keyed_hash(values, key, col.sdtype), person)
        elif policy == "generalize":
            values = generalize(values, col, today=today)
        columns[col.name] = values
    return pd.DataFrame(columns, index=table.index, copy=False)


# ------------------------------------------------------------------------------------------ people
@dataclass
class PeopleShape:
    """How many records each person has (count -> number of people), the largest counts clipped."""

    sizes: np.ndarray
    people: np.ndarray
    column: str = "person_id"

    @classmethod
    def fit(cls, records_per_person: np.ndarray, column: str = "person_id") -> PeopleShape:
        counts = np.sort(np.asarray(records_per_person, dtype=np.int64))
        counts = counts[counts > 0]
        if len(counts) == 0:
            raise InvalidDataError("no records to count people from")
        cap = counts[-min(CLIP_PEOPLE, len(counts))]  # the CLIP_PEOPLE-th largest
        sizes, people = np.unique(np.minimum(counts, cap), return_counts=True)
        return cls(sizes, people, column)

    def assign(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """A synthetic person number (0, 1, ...) for each of ``n`` rows; a person's rows are adjacent."""
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        p = self.people / self.people.sum()
        mean = float((self.sizes * p).sum())
        drawn: list[np.ndarray] = []
        total = 0
        while total < n:
            batch = self.sizes[rng.choice(len(self.sizes), size=int((n - total) / mean * 1.1) + 16, p=p)]
            drawn.append(batch)
            total += int(batch.sum())
        sizes = np.concatenate(drawn)
        sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
        return np.repeat(np.arange(len(sizes)), sizes)[:n]

    def state(self) -> dict[str, Any]:
        return {"sizes": self.sizes.tolist(), "people": self.people.tolist(), "column": self.column}

    @classmethod
    def from_state(cls, config: Mapping[str, Any]) -> PeopleShape:
        sizes = np.asarray(config["sizes"], dtype=np.int64)
        people = np.asarray(config["people"], dtype=np.int64)
        if sizes.ndim != 1 or sizes.shape != people.shape or len(sizes) == 0 or (sizes < 1).any() or (people < 1).any():
            raise ValueError("bad person shape")
        return cls(sizes, people, str(config.get("column", "person_id")))
