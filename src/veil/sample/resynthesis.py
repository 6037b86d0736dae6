"""Columns the model does not learn, made anew at sampling time: ids, free text, and fake PII.

What is kept from the real table is only what shapes the output and identifies no one: the kind, the
missing rate, the representation, and for ids their shape (digit count or character classes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..metadata import Column, Metadata

_WORDS = np.array(("data table person record value model sample privacy column study report note visit "
                   "result review update change request service account order item status summary").split())


@dataclass
class ColumnSpec:
    """How to make one unlearned column."""

    name: str
    kind: str  # 'id', 'text', or a PII kind
    missing_rate: float = 0.0
    representation: str | None = None
    datetime_format: str | None = None
    id_shape: dict[str, Any] | None = None  # ids: digit count or character classes (pii.fake.id_spec)
    words: float | None = None  # free text: mean number of words

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class ColumnResynthesizer:
    """Makes every unlearned column of a table from :class:`ColumnSpec`s."""

    def __init__(self, specs: list[ColumnSpec], locale: str = "en_US"):
        self.specs = specs
        self.locale = locale

    @classmethod
    def fit(cls, metadata: Metadata, table: pd.DataFrame, *, locale: str = "en_US") -> ColumnResynthesizer:
        specs = []
        for col in metadata:
            if col.learned or (col.is_pii and col.effective_policy == "drop"):
                continue
            specs.append(_spec(col, table[col.name]))
        return cls(specs, locale)

    def sample(self, n: int, *, rng: np.random.Generator) -> dict[str, pd.Series]:
        out = {}
        for spec in self.specs:
            if spec.kind == "id":
                values = _ids(spec, n, rng)
            elif spec.kind == "text":
                values = _text(spec, n, rng)
            else:
                values = _fake(spec, n, rng, self.locale)
            if spec.missing_rate > 0 and spec.kind != "id":
                values = values.mask(rng.random(n) < spec.missing_rate)
            out[spec.name] = values
        return out

    def state(self) -> dict[str, Any]:
        return {"locale": self.locale, "columns": [s.to_dict() for s in self.specs]}

    @classmethod
    def from_state(cls, config: dict[str, Any]) -> ColumnResynthesizer:
        return cls([ColumnSpec(**c) for c in config["columns"]], config.get("locale", "en_US"))


def _spec(col: Column, values: pd.Series) -> ColumnSpec:
    missing = round(float(values.isna().mean()), 4)
    if col.sdtype == "id":
        from ..pii.fake import id_spec

        return ColumnSpec(col.name, "id", id_shape=id_spec(values))
    if col.sdtype == "text":
        present = values.dropna().astype(str)
        words = float(present.str.split().str.len().mean()) if len(present) else 8.0
        return ColumnSpec(col.name, "text", missing_rate=missing, words=round(words, 1))
    return ColumnSpec(col.name, col.sdtype, missing_rate=missing, representation=col.representation,
                      datetime_format=col.datetime_format)


def _ids(spec: ColumnSpec, n: int, rng: np.random.Generator) -> pd.Series:
    from ..pii.fake import fake_values

    values = fake_values("id", n, rng=rng, spec=spec.id_shape)
    return pd.Series(values, dtype="int64" if (spec.id_shape or {}).get("type") == "int" else object)


def _text(spec: ColumnSpec, n: int, rng: np.random.Generator) -> pd.Series:
    lengths = np.maximum(1, rng.poisson(spec.words or 8.0, size=n))
    words = rng.choice(_WORDS, size=int(lengths.sum()))
    if n == 0:
        return pd.Series([], dtype=object)
    # one row id per word, then join the words of each row in one grouped pass
    row = np.repeat(np.arange(n), lengths)
    sentences = pd.Series(words).groupby(row).agg(" ".join).str.capitalize() + "."
    return pd.Series(sentences.to_numpy(), dtype=object)


def _fake(spec: ColumnSpec, n: int, rng: np.random.Generator, locale: str) -> pd.Series:
    from ..pii.fake import fake_values

    values = fake_values(spec.kind, n, rng=rng, locale=locale)
    if spec.kind == "date_of_birth":
        dates = pd.Series(pd.to_datetime(np.asarray(values, dtype="datetime64[ns]")))
        if spec.datetime_format:
            return dates.dt.strftime(spec.datetime_format).astype(object)
        return dates
    if spec.kind == "postal_code" and spec.representation == "int":
        return pd.Series(pd.to_numeric(pd.Series(values)), dtype="int64")
    if spec.representation == "int" and spec.kind == "credit_card":
        return pd.Series(values).astype(str).str.replace(r"[ -]", "", regex=True).astype("int64")
    return pd.Series(values, dtype=object)
