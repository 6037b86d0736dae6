"""CopulaEncoder: a table <-> a float64 matrix of raw values and integer codes, for copula-style models.

One matrix column per span. Per learned column, by ``Column.modelled_as``:

* numerical / datetime: ``discrete`` (size 2: 0 present, 1 missing; only when the fitted data had missing
  values), then ``continuous`` (the codec's float: the number itself, or a datetime's offset in units of
  its precision). Missing cells get a value drawn from the column's observed values.
* categorical / boolean: ``discrete`` (size = number of categories; the category code as a float, most
  frequent category first).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .. import _params as P
from ..errors import InvalidDataError, NotFittedError
from ..metadata.model import Metadata
from .categorical import CategoricalCodec
from .spans import Span
from .table import (
    Codec,
    category_code,
    check_matrix,
    check_table,
    codec_from_state,
    fill_missing,
    learned_columns,
    make_codec,
    split_state,
    unexpected_missing,
)


class CopulaEncoder:
    """Reversible table <-> matrix encoding for copula-style models (``continuous`` and ``discrete`` spans)."""

    _parameter_constraints: ClassVar[dict[str, Any]] = {"enforce_rounding": P.BOOL, "enforce_min_max_values": P.BOOL}

    def __init__(self, metadata: Metadata, *, enforce_rounding: bool = True,
                 enforce_min_max_values: bool = True) -> None:
        self.metadata = metadata
        self.enforce_rounding = enforce_rounding
        self.enforce_min_max_values = enforce_min_max_values
        self.codecs_: list[Codec] | None = None
        self.has_missing_: list[bool] = []
        self.spans: list[Span] = []

    @property
    def columns(self) -> list[str]:
        """The learned column names, in matrix order."""
        return [c.name for c in learned_columns(self.metadata)]

    def _check_fitted(self) -> None:
        if self.codecs_ is None:
            raise NotFittedError("this CopulaEncoder is not fitted yet; call fit(table, rng=...) first")

    def fit(self, table: pd.DataFrame, *, rng: np.random.Generator | None = None) -> CopulaEncoder:
        """Learn every learned column's codec (``rng`` is accepted for symmetry; fitting is deterministic)."""
        P.validate_parameters("CopulaEncoder", {k: getattr(self, k) for k in self._parameter_constraints},
                              self._parameter_constraints)
        columns = learned_columns(self.metadata)
        check_table(table, columns, "CopulaEncoder.fit")
        if len(table) == 0:
            raise InvalidDataError("cannot fit an encoder on a table with no rows")
        codecs, has_missing = [], []
        for column in columns:
            values = table[column.name]
            codec = make_codec(column, enforce_rounding=self.enforce_rounding,
                               enforce_min_max_values=self.enforce_min_max_values).fit(values)
            codecs.append(codec)
            has_missing.append(not isinstance(codec, CategoricalCodec) and bool(np.isnan(codec.to_float(values)).any()))
        self.codecs_, self.has_missing_ = codecs, has_missing
        self.spans = []
        for codec, missing in zip(codecs, has_missing):
            if isinstance(codec, CategoricalCodec):
                self.spans.append(Span("discrete", 1, codec.name, codec.size))
                continue
            if missing:
                self.spans.append(Span("discrete", 1, codec.name, 2))
            self.spans.append(Span("continuous", 1, codec.name))
        return self

    def encode(self, table: pd.DataFrame, *, rng: np.random.Generator) -> np.ndarray:
        """The float64 matrix for ``table``: one column per span."""
        self._check_fitted()
        check_table(table, learned_columns(self.metadata), "CopulaEncoder.encode")
        out = np.zeros((len(table), len(self.spans)))
        j = 0
        for codec, has_missing in zip(self.codecs_, self.has_missing_):
            values = table[codec.name]
            if isinstance(codec, CategoricalCodec):
                out[:, j] = codec.to_codes(values)
                j += 1
                continue
            x = codec.to_float(values)
            missing = np.isnan(x)
            if has_missing:
                out[:, j] = missing
                j += 1
            elif missing.any():
                raise unexpected_missing(codec.name, int(missing.sum()))
            out[:, j] = fill_missing(x, missing, rng, 0.0)
            j += 1
        return out

    def category_code(self, column: str, value: Any) -> tuple[int, int]:
        """(index in :attr:`spans` of ``column``'s discrete span, code of ``value``), for conditions; raises
        naming the valid values."""
        self._check_fitted()
        if column not in self.columns or not isinstance(self.codecs_[self.columns.index(column)], CategoricalCodec):
            raise InvalidDataError(f"{column!r} is not a categorical column the encoder learned")
        index = next(i for i, s in enumerate(self.spans) if s.column == column)
        return index, category_code(self.codecs_[self.columns.index(column)], column, value)

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        """The learned columns, with their original dtypes; codes are rounded and clipped to their range."""
        self._check_fitted()
        matrix = check_matrix(matrix, len(self.spans), "CopulaEncoder").astype(np.float64, copy=False)
        data: dict[str, pd.Series] = {}
        j = 0
        for codec, has_missing in zip(self.codecs_, self.has_missing_):
            if isinstance(codec, CategoricalCodec):
                codes = np.clip(np.rint(np.nan_to_num(matrix[:, j])), 0, codec.size - 1).astype(np.int64)
                data[codec.name] = codec.from_codes(codes)
                j += 1
                continue
            missing = None
            if has_missing:
                missing = np.rint(np.nan_to_num(matrix[:, j])) >= 1
                j += 1
            x = matrix[:, j].copy()
            j += 1
            if missing is not None:
                x[missing] = np.nan
            data[codec.name] = codec.from_float(x)
        return pd.DataFrame(data, index=pd.RangeIndex(len(matrix)))

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-able config, named arrays); :meth:`from_state` rebuilds an identical encoder."""
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        entries = []
        for i, (codec, missing) in enumerate(zip(self.codecs_, self.has_missing_)):
            codec_config, codec_arrays = codec.state()
            arrays.update({f"{i}.codec.{k}": v for k, v in codec_arrays.items()})
            entries.append({"codec": codec_config, "has_missing": missing})
        config = {"encoder": "copula", "version": 1,
                  "params": {"enforce_rounding": self.enforce_rounding,
                             "enforce_min_max_values": self.enforce_min_max_values},
                  "metadata": self.metadata.to_dict(), "columns": entries,
                  "spans": [s.to_dict() for s in self.spans]}
        return config, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> CopulaEncoder:
        enc = cls(Metadata.from_dict(config["metadata"]), **config["params"])
        enc.codecs_ = [codec_from_state(e["codec"], split_state(arrays, f"{i}.codec."))
                       for i, e in enumerate(config["columns"])]
        enc.has_missing_ = [bool(e["has_missing"]) for e in config["columns"]]
        enc.spans = [Span.from_dict(s) for s in config["spans"]]
        return enc
