"""TableEncoder: a table <-> a matrix and its spans, for neural models.

Only learned columns (``Column.learned``) are encoded, by ``Column.modelled_as``. Layout per column:

* numerical / datetime: ``missing`` (width 2, [present, missing]; only when the fitted data had missing
  values), then ``scalar`` (width 1), then ``mode`` (width = number of modes; ``mode_specific`` and
  ``copula``, which is mode-specific normalisation of the values' normal scores, as in CopulaGAN);
* categorical / boolean: ``category`` (one-hot, width = number of categories).

Missing cells of a continuous column get a placeholder value drawn from the column's observed values, so
the scalar looks like real data; the ``missing`` span says it is missing.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .. import _params as P
from ..errors import InvalidDataError, NotFittedError
from ..metadata.model import Column, Metadata
from .categorical import CategoricalCodec
from .datetime import DatetimeCodec
from .mixture import METHODS, Normalizer, make_normalizer, normalizer_from_state
from .numeric import NumericalCodec
from .spans import Span, SpanSample, span_slices, total_width

Codec = NumericalCodec | DatetimeCodec | CategoricalCodec
_CODECS = {c.kind: c for c in (NumericalCodec, DatetimeCodec, CategoricalCodec)}


# ---------------------------------------------------------------------- shared by the encoders
def make_codec(column: Column, *, enforce_rounding: bool = True, enforce_min_max_values: bool = True) -> Codec:
    """The codec for a learned column, by ``column.modelled_as``."""
    kind = column.modelled_as
    if kind == "numerical":
        return NumericalCodec(column.name, representation=column.representation, enforce_rounding=enforce_rounding,
                              enforce_min_max_values=enforce_min_max_values)
    if kind == "datetime":
        return DatetimeCodec(column.name, datetime_format=column.datetime_format,
                             enforce_rounding=enforce_rounding, enforce_min_max_values=enforce_min_max_values)
    if kind in ("categorical", "boolean"):
        return CategoricalCodec(column.name)
    raise InvalidDataError(f"column {column.name!r}: sdtype {column.sdtype!r} cannot be learned; set its sdtype "
                           "to numerical, categorical, boolean or datetime")


def codec_from_state(config: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> Codec:
    return _CODECS[config["kind"]].from_state(config, dict(arrays))


def category_code(codec: CategoricalCodec, column: str, value: Any, hidden: Any = ()) -> int:
    """The code of ``value`` in a categorical codec: a category of the same type; failing that, the one
    category whose text is ``str(value)`` (so ``"True"`` finds ``True``); missing (``None``/NaN) finds the
    missing category. Raises :class:`InvalidDataError` naming the column and its valid values, leaving out
    the codes in ``hidden`` (rare values protected from being shown)."""
    missing = _is_missing(value)
    if missing and codec.missing_code is not None:
        return codec.missing_code
    if not missing:
        try:
            return int(codec.to_codes(pd.Series([value], dtype=object))[0])
        except (InvalidDataError, TypeError, ValueError):
            pass
        same_text = [i for i, c in enumerate(codec.categories) if not _is_missing(c) and str(c) == str(value)]
        if len(same_text) == 1:
            return same_text[0]
    hidden = set(int(h) for h in hidden)
    known = sorted((c for i, c in enumerate(codec.categories) if not _is_missing(c) and i not in hidden),
                   key=lambda c: (str(c), repr(c)))
    valid = ", ".join([repr(c) for c in known] + ["missing"] * (codec.missing_code is not None))
    if hidden:
        valid += f" (and {len(hidden)} rare value(s), not shown)"
    shown = "missing values" if missing else f"category {value!r}"
    raise InvalidDataError(f"{column} has no {shown}; valid values: {valid}")


def learned_columns(metadata: Metadata) -> list[Column]:
    return [c for c in metadata if c.learned]


def check_table(table: Any, columns: list[Column], owner: str) -> None:
    """Raise if ``table`` is not a DataFrame holding every learned column."""
    if not isinstance(table, pd.DataFrame):
        raise InvalidDataError(f"{owner} needs a pandas DataFrame, got {type(table).__name__}")
    absent = [c.name for c in columns if c.name not in table.columns]
    if absent:
        raise InvalidDataError(f"the table lacks {len(absent)} column(s) the metadata says to learn: {absent}")


def check_matrix(matrix: Any, width: int, owner: str) -> np.ndarray:
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[1] != width:
        raise InvalidDataError(f"{owner}.decode needs a 2-D matrix with {width} columns, got shape {matrix.shape}")
    return matrix


def fill_missing(x: np.ndarray, missing: np.ndarray, rng: np.random.Generator, default: float) -> np.ndarray:
    """``x`` with missing cells replaced by values drawn from its observed cells (``default`` if none)."""
    if not missing.any():
        return x
    x = x.copy()
    observed = x[~missing]
    x[missing] = rng.choice(observed, size=int(missing.sum())) if observed.size else default
    return x


def split_state(arrays: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def unexpected_missing(column: str, count: int) -> InvalidDataError:
    return InvalidDataError(f"{count} values in column {column!r} are missing, but the data the encoder was "
                            "fitted on had none; fit on data that includes missing values")


def _is_missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and np.ndim(value) == 0 and bool(pd.isna(value)))


# ---------------------------------------------------------------------- the encoder
class TableEncoder:
    """Reversible table <-> matrix encoding with mode-specific (or quantile, or copula) normalisation."""

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "numerical": P.OneOf(METHODS),
        "max_modes": P.Interval(int, 1, 50),
        "max_fit_rows": P.Interval(int, 100, None),
        "enforce_rounding": P.BOOL,
        "enforce_min_max_values": P.BOOL,
    }

    def __init__(self, metadata: Metadata, *, numerical: str = "mode_specific", max_modes: int = 10,
                 max_fit_rows: int = 50_000, enforce_rounding: bool = True,
                 enforce_min_max_values: bool = True) -> None:
        self.metadata = metadata
        self.numerical = numerical
        self.max_modes = max_modes
        self.max_fit_rows = max_fit_rows
        self.enforce_rounding = enforce_rounding
        self.enforce_min_max_values = enforce_min_max_values
        self.codecs_: list[Codec] | None = None
        self.normalizers_: list[Normalizer | None] = []
        self.has_missing_: list[bool] = []
        self.spans: list[Span] = []

    @property
    def columns(self) -> list[str]:
        """The learned column names, in matrix order."""
        return [c.name for c in learned_columns(self.metadata)]

    @property
    def width(self) -> int:
        return total_width(self.spans)

    def _check_fitted(self) -> None:
        if self.codecs_ is None:
            raise NotFittedError("this TableEncoder is not fitted yet; call fit(table, rng=...) first")

    # ------------------------------------------------------------------ fit
    def fit(self, table: pd.DataFrame, *, rng: np.random.Generator) -> TableEncoder:
        """Learn every learned column's codec and normaliser."""
        P.validate_parameters("TableEncoder", {k: getattr(self, k) for k in self._parameter_constraints},
                              self._parameter_constraints)
        columns = learned_columns(self.metadata)
        check_table(table, columns, "TableEncoder.fit")
        if len(table) == 0:
            raise InvalidDataError("cannot fit an encoder on a table with no rows")
        codecs, normalizers, has_missing = [], [], []
        for column in columns:
            values = table[column.name]
            codec = make_codec(column, enforce_rounding=self.enforce_rounding,
                               enforce_min_max_values=self.enforce_min_max_values).fit(values)
            norm, missing = None, False
            if isinstance(codec, (NumericalCodec, DatetimeCodec)):
                x = codec.to_float(values)
                observed = ~np.isnan(x)
                missing = not observed.all()
                norm = make_normalizer(self.numerical, max_modes=self.max_modes, max_fit_rows=self.max_fit_rows)
                norm.fit(x[observed], rng=rng)
            codecs.append(codec)
            normalizers.append(norm)
            has_missing.append(missing)
        self.codecs_, self.normalizers_, self.has_missing_ = codecs, normalizers, has_missing
        self.spans = self._make_spans()
        return self

    def _make_spans(self) -> list[Span]:
        spans = []
        for codec, norm, missing in zip(self.codecs_, self.normalizers_, self.has_missing_):
            if norm is None:
                spans.append(Span("category", codec.size, codec.name, codec.size))
                continue
            if missing:
                spans.append(Span("missing", 2, codec.name, 2))
            spans.append(Span("scalar", 1, codec.name))
            if norm.n_modes:
                spans.append(Span("mode", norm.n_modes, codec.name, norm.n_modes))
        return spans

    # ------------------------------------------------------------------ encode / decode
    def encode(self, table: pd.DataFrame, *, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
        """The matrix for ``table`` (``len(table)`` rows, ``self.width`` columns)."""
        self._check_fitted()
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise InvalidDataError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
        check_table(table, learned_columns(self.metadata), "TableEncoder.encode")
        out = np.zeros((len(table), self.width), dtype=dtype)
        rows = np.arange(len(table))
        slices = iter(span_slices(self.spans))
        for codec, norm, has_missing in zip(self.codecs_, self.normalizers_, self.has_missing_):
            values = table[codec.name]
            if norm is None:
                out[rows, next(slices).start + codec.to_codes(values)] = 1.0
                continue
            x = codec.to_float(values)
            missing = np.isnan(x)
            if has_missing:
                out[rows, next(slices).start + missing.astype(np.int64)] = 1.0
            elif missing.any():
                raise unexpected_missing(codec.name, int(missing.sum()))
            scalar, modes = norm.transform(fill_missing(x, missing, rng, norm.center()), rng=rng)
            out[:, next(slices)] = scalar[:, None]
            if modes is not None:
                out[:, next(slices)] = modes
        return out

    def decode(self, rows: np.ndarray | SpanSample) -> pd.DataFrame:
        """The learned columns, with their original dtypes, from a model output: an encoded matrix, whose
        softmax spans may be soft scores (argmax picks the entry), or a :class:`SpanSample`."""
        self._check_fitted()
        scalar_of, code_of, n_rows = self._span_reader(rows)
        spans = iter(range(len(self.spans)))
        data: dict[str, pd.Series] = {}
        for codec, norm, has_missing in zip(self.codecs_, self.normalizers_, self.has_missing_):
            if norm is None:
                data[codec.name] = codec.from_codes(code_of(next(spans)))
                continue
            missing = code_of(next(spans)) == 1 if has_missing else None
            scalar = scalar_of(next(spans)).astype(np.float64)
            modes = code_of(next(spans)) if norm.n_modes else None
            x = norm.inverse(scalar, modes)
            if missing is not None:
                x[missing] = np.nan
            data[codec.name] = codec.from_float(x)
        return pd.DataFrame(data, index=pd.RangeIndex(n_rows))

    def _span_reader(self, rows: np.ndarray | SpanSample):
        """(scalar of span i, code of span i, number of rows) for a matrix or a SpanSample."""
        if isinstance(rows, SpanSample):
            scalar_index, code_index = {}, {}
            for i, span in enumerate(self.spans):
                target = scalar_index if span.kind == "scalar" else code_index
                target[i] = len(target)
            if rows.scalars.shape[1:] != (len(scalar_index),) or rows.codes.shape[1:] != (len(code_index),) \
                    or len(rows.scalars) != len(rows.codes):
                raise InvalidDataError(
                    f"TableEncoder expects a SpanSample with {len(scalar_index)} scalar and {len(code_index)} "
                    f"code columns per row; got {rows.scalars.shape} and {rows.codes.shape}.")
            return (lambda i: rows.scalars[:, scalar_index[i]]), (lambda i: rows.codes[:, code_index[i]]), len(rows)
        matrix = check_matrix(rows, self.width, "TableEncoder")
        slices = span_slices(self.spans)
        return (lambda i: matrix[:, slices[i].start]), (lambda i: np.argmax(matrix[:, slices[i]], axis=1)), len(matrix)

    # ------------------------------------------------------------------ conditions
    def discrete_spans(self) -> list[int]:
        """Indices in :attr:`spans` of the ``category`` spans (what a conditional vector chooses from)."""
        return [i for i, s in enumerate(self.spans) if s.kind == "category"]

    def category_code(self, column: str, value: Any) -> tuple[int, int]:
        """(index in :attr:`spans` of ``column``'s category span, code of ``value`` within it).

        ``value`` matches a category of the same type; failing that, the one category whose text is
        ``str(value)`` (so ``"True"`` finds ``True``). Missing (``None``/NaN) finds the missing category.
        Raises :class:`InvalidDataError` naming the column and its valid values (the model's categories).
        """
        self._check_fitted()
        spans = {self.spans[i].column: i for i in self.discrete_spans()}
        if column not in spans:
            listed = ", ".join(repr(c) for c in spans) or "none"
            kind = "is not categorical" if column in self.columns else "is not a learned column"
            raise InvalidDataError(f"{column!r} {kind}; columns with categories to condition on: {listed}")
        index = spans[column]
        return index, category_code(self.codecs_[self.columns.index(column)], column, value)

    # ------------------------------------------------------------------ state
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-able config, named arrays); :meth:`from_state` rebuilds an identical encoder."""
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        entries = []
        for i, (codec, norm, missing) in enumerate(zip(self.codecs_, self.normalizers_, self.has_missing_)):
            codec_config, codec_arrays = codec.state()
            arrays.update({f"{i}.codec.{k}": v for k, v in codec_arrays.items()})
            norm_config = None
            if norm is not None:
                norm_config, norm_arrays = norm.state()
                arrays.update({f"{i}.norm.{k}": v for k, v in norm_arrays.items()})
            entries.append({"codec": codec_config, "normalizer": norm_config, "has_missing": missing})
        config = {"encoder": "table", "version": 1,
                  "params": {"numerical": self.numerical, "max_modes": self.max_modes,
                             "max_fit_rows": self.max_fit_rows, "enforce_rounding": self.enforce_rounding,
                             "enforce_min_max_values": self.enforce_min_max_values},
                  "metadata": self.metadata.to_dict(), "columns": entries,
                  "spans": [s.to_dict() for s in self.spans]}
        return config, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> TableEncoder:
        enc = cls(Metadata.from_dict(config["metadata"]), **config["params"])
        enc.codecs_, enc.normalizers_, enc.has_missing_ = [], [], []
        for i, entry in enumerate(config["columns"]):
            enc.codecs_.append(codec_from_state(entry["codec"], split_state(arrays, f"{i}.codec.")))
            norm = entry["normalizer"]
            enc.normalizers_.append(
                None if norm is None else normalizer_from_state(norm, split_state(arrays, f"{i}.norm.")))
            enc.has_missing_.append(bool(entry["has_missing"]))
        enc.spans = [Span.from_dict(s) for s in config["spans"]]
        return enc
