"""Columns the model does not learn, made anew at sampling time: ids, free text, and fake PII.

What is kept from the real table is only what shapes the output and identifies no one: the kind, the
missing rate, the representation, for ids their shape (digit count or character classes), and for national
id numbers their scheme (e.g. ``dni``).
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
    space: int | None = None  # fake PII: the reserved space of its fakes (pii.fake_spaces)
    scheme: str | None = None  # national ids: the most common scheme (pii.detectors.national_id_scheme)

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
            if col.learned or col.effective_policy in ("drop", "person_id"):
                continue
            specs.append(_spec(col, table[col.name]))
        return cls(specs, locale)

    @classmethod
    def fit_private(cls, metadata: Metadata, schema: Any, *, locale: str = "en_US") -> ColumnResynthesizer:
        """The specs under differential privacy, from the metadata and a private schema
        (:class:`veil.protect.dp.PrivateSchema`) alone: missing rates and words per row are its noisy
        measurements; an id takes as many digits as the noisy row count needs (at least 6); fake PII comes
        from the first reserved space of its kind, in the locale's scheme for national ids."""
        from ..pii.fake_spaces import choose_space

        digits = max(6, len(str(schema.rows)))
        specs = []
        for col in metadata:
            measured = schema.unlearned.get(col.name)
            if measured is None:
                continue
            missing = measured["missing_rate"]
            if col.sdtype == "id":
                shape = ({"type": "int", "digits": digits} if col.representation == "int"
                         else {"type": "str", "pattern": [["lit", "ID-"], ["digit", digits]]})
                specs.append(ColumnSpec(col.name, "id", id_shape=shape))
            elif col.sdtype == "text":
                specs.append(ColumnSpec(col.name, "text", missing_rate=missing, words=measured["words"]))
            else:
                choose_space(col.sdtype, pd.Series([], dtype=object), col.name)  # refuses kinds it cannot fake
                specs.append(ColumnSpec(col.name, col.sdtype, missing_rate=missing, representation=col.representation,
                                        datetime_format=col.datetime_format, space=0))
        return cls(specs, locale)

    def sample(self, n: int, *, rng: np.random.Generator, person: np.ndarray | None = None) -> dict[str, pd.Series]:
        """The unlearned columns for ``n`` rows; ``person`` (a synthetic person number per row, 0..k-1)
        makes fake PII the same on all rows of one person."""
        out = {}
        for spec in self.specs:
            if spec.kind == "id":
                values = _ids(spec, n, rng)
            elif spec.kind == "text":
                values = _text(spec, n, rng)
            elif person is not None and len(person):
                per_person = _fake(spec, int(person.max()) + 1, rng, self.locale)
                values = per_person.iloc[person].reset_index(drop=True)
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
    from ..pii.fake import NUMERIC_NATIONAL_IDS
    from ..pii.fake_spaces import choose_space

    scheme = _national_id_scheme(values) if col.sdtype == "national_id" else None
    if scheme is not None and col.representation == "int" and scheme not in NUMERIC_NATIONAL_IDS:
        scheme = "bsn"  # an integer column needs digits only
    return ColumnSpec(col.name, col.sdtype, missing_rate=missing, representation=col.representation,
                      datetime_format=col.datetime_format, scheme=scheme,
                      space=choose_space(col.sdtype, values, col.name, scheme))


_SCHEME_ROWS = 2_000  # rows read to find a national id column's scheme


def _national_id_scheme(values: pd.Series) -> str | None:
    """The most common national id scheme in (evenly spaced rows of) a column; integers may have lost a
    leading zero."""
    from ..pii.detectors import national_id_scheme

    present = values.dropna()
    if len(present) > _SCHEME_ROWS:
        present = present.iloc[np.linspace(0, len(present) - 1, _SCHEME_ROWS).round().astype(np.int64)]
    if pd.api.types.is_numeric_dtype(present.dtype):
        text = pd.Series(present.to_numpy(dtype=np.int64).astype(str), dtype=object).str.zfill(9)
    else:
        text = present.astype(str)
    counted = text.value_counts(sort=False)
    return national_id_scheme(pd.Series(np.asarray(counted.index, dtype=object), dtype=object), counted.to_numpy())


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
    from ..pii.fake import NUMERIC_NATIONAL_IDS, fake_values, national_id_scheme_for
    from ..pii.fake_spaces import fake_in_space

    scheme = None
    if spec.kind == "national_id":
        scheme = spec.scheme or national_id_scheme_for(locale)
        if spec.representation == "int" and scheme not in NUMERIC_NATIONAL_IDS:
            scheme = "bsn"  # an integer column needs digits only
    if spec.space is not None:
        values = fake_in_space(spec.kind, n, rng=rng, locale=locale, space=spec.space, scheme=scheme)
    elif scheme is not None:  # a model file from before reserved spaces
        values = fake_values(spec.kind, n, rng=rng, locale=locale, spec={"scheme": scheme})
    else:
        values = fake_values(spec.kind, n, rng=rng, locale=locale)
    if spec.kind == "date_of_birth":
        dates = pd.Series(pd.to_datetime(np.asarray(values, dtype="datetime64[ns]")))
        if spec.datetime_format:
            return dates.dt.strftime(spec.datetime_format).astype(object)
        return dates
    if spec.kind == "postal_code" and spec.representation == "int":
        return pd.Series(pd.to_numeric(pd.Series(values)), dtype="int64")
    if spec.representation == "int" and spec.kind in ("credit_card", "national_id"):
        return pd.Series(values).astype(str).str.replace(r"[ -]", "", regex=True).astype("int64")
    return pd.Series(values, dtype=object)
