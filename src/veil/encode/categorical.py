"""Discrete codec for categorical and boolean columns: values <-> integer codes.

Categories keep their Python type (``1``, ``1.0``, ``True`` and ``"1"`` are four categories) so that
decoding gives back exactly the values and dtype that were fitted. Missing is one category of its own;
the empty string is an ordinary category. The state is JSON-safe: each category is a type-tagged pair
(``["s", "abc"]``, ``["i", 5]``, ``["f", 1.5]``, ``["b", true]``, ``["t", "2020-01-01T00:00:00"]``,
``["na", "none"]``); integers beyond 2**53 are written as strings so JSON readers keep them exact.
"""
from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, pandas_dtype

from ..errors import InvalidDataError, NotFittedError

_EXACT_INT = 2**53
_INFER_TAG = {"string": "s", "empty": "s", "integer": "i", "floating": "f", "boolean": "b", "datetime": "t"}


def _tag_of(value: Any) -> str:
    """Type tag of one non-missing value ('?' when it cannot be a category)."""
    if isinstance(value, str):
        return "s"
    if isinstance(value, (bool, np.bool_)):
        return "b"
    if isinstance(value, (int, np.integer)):
        return "i"
    if isinstance(value, (float, np.floating)):
        return "f"
    if isinstance(value, (pd.Timestamp, _dt.datetime, np.datetime64)):
        return "t"
    return "?"


def _missing_marker(values: pd.Series) -> str:
    """Which missing marker an object column uses (the first one seen)."""
    first = values[values.isna()].iloc[0]
    if first is None:
        return "none"
    if first is pd.NaT:
        return "nat"
    if first is pd.NA:
        return "na"
    return "nan"


_MARKERS = {"none": None, "nan": float("nan"), "na": pd.NA, "nat": pd.NaT}


def _to_json(tag: str, value: Any) -> list:
    if tag == "s":
        return ["s", str(value)]
    if tag == "b":
        return ["b", bool(value)]
    if tag == "i":
        v = int(value)
        return ["i", v if abs(v) <= _EXACT_INT else str(v)]
    if tag == "f":
        v = float(value)
        return ["f", v if math.isfinite(v) else repr(v)]
    if tag == "t":
        return ["t", pd.Timestamp(value).isoformat()]
    return ["na", value]


def _from_json(item: list) -> tuple[str, Any]:
    tag, value = item[0], item[1] if len(item) > 1 else "none"
    if tag == "s":
        return tag, str(value)
    if tag == "b":
        return tag, bool(value)
    if tag == "i":
        return tag, int(value)
    if tag == "f":
        return tag, float(value)
    if tag == "t":
        return tag, pd.Timestamp(value)
    if tag == "na":
        return tag, value
    raise InvalidDataError(f"unknown category tag {tag!r} in a saved encoder state")


class CategoricalCodec:
    """Maps a categorical or boolean column to codes ``0..k-1``, most frequent category first."""

    kind = "categorical"

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.categories: list[Any] | None = None
        self.frequencies: np.ndarray | None = None
        self._tags: list[str] = []
        self._dtype: str = "object"
        self._dtype_categories: list[list] | None = None
        self._dtype_ordered = False
        self._marker = "none"

    # ------------------------------------------------------------------ helpers
    @property
    def missing_code(self) -> int | None:
        """The code of the missing category, ``None`` when the column had no missing values."""
        return self._tags.index("na") if "na" in self._tags else None

    @property
    def size(self) -> int:
        self._check_fitted()
        return len(self._tags)

    def _check_fitted(self) -> None:
        if self.categories is None:
            raise NotFittedError(f"the codec of column {self.name!r} is not fitted; call fit first")

    def _value_tags(self, values: pd.Series) -> np.ndarray | str:
        """One tag for the whole (non-missing) series when it is homogeneous, else one per value."""
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return self._value_tags(pd.Series(dtype.categories))
        if pd.api.types.is_bool_dtype(dtype):
            return "b"
        if pd.api.types.is_integer_dtype(dtype):
            return "i"
        if pd.api.types.is_float_dtype(dtype):
            return "f"
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return "t"
        inferred = infer_dtype(values, skipna=True)
        if inferred in _INFER_TAG:
            return _INFER_TAG[inferred]
        tags = values.map(_tag_of).to_numpy(dtype=object)
        bad = tags == "?"
        if bad.any():
            kinds = sorted({type(v).__name__ for v in values[bad].iloc[:1000]})
            raise InvalidDataError(f"{int(bad.sum())} values in column {self.name!r} are of a type that cannot be "
                                   f"a category ({', '.join(kinds)}); convert the column to strings")
        return tags

    def _groups(self, values: pd.Series) -> list[tuple[str, np.ndarray]]:
        """(tag, positions) for each type present among the non-missing values."""
        present = np.flatnonzero(~values.isna().to_numpy())
        sub = values.iloc[present]
        tags = self._value_tags(sub)
        if isinstance(tags, str):
            return [(tags, present)] if present.size else []
        return [(t, present[tags == t]) for t in sorted(set(tags))]

    # ------------------------------------------------------------------ fit
    def fit(self, values: pd.Series) -> CategoricalCodec:
        """Learn the categories (most frequent first, ties in order of first appearance)."""
        self.__dict__.pop("_lookup", None)
        values = pd.Series(values).reset_index(drop=True)
        dtype = values.dtype
        self._dtype = str(dtype)
        if isinstance(dtype, pd.CategoricalDtype):
            cats = pd.Series(dtype.categories)
            cat_tags = self._value_tags(cats)
            tags = [cat_tags] * len(cats) if isinstance(cat_tags, str) else list(cat_tags)
            self._dtype_categories = [_to_json(t, v) for t, v in zip(tags, cats.tolist())]
            self._dtype_ordered = bool(dtype.ordered)
        entries: list[tuple[int, int, str, Any]] = []  # (count, first position, tag, value)
        for tag, pos in self._groups(values):
            codes, uniques = pd.factorize(values.iloc[pos].to_numpy(dtype=object if tag != "t" else None))
            counts = np.bincount(codes, minlength=len(uniques))
            _, first = np.unique(codes, return_index=True)
            for j, value in enumerate(list(uniques)):
                entries.append((int(counts[j]), int(pos[first[j]]), tag, value))
        missing = values.isna().to_numpy()
        if missing.any():
            self._marker = _missing_marker(values) if self._dtype == "object" else "nan"
            entries.append((int(missing.sum()), int(np.argmax(missing)), "na", self._marker))
        order = sorted(range(len(entries)), key=lambda i: (-entries[i][0], entries[i][1]))
        self._tags = [entries[i][2] for i in order]
        self.categories = [_MARKERS[self._marker] if entries[i][2] == "na" else entries[i][3] for i in order]
        counts = np.array([entries[i][0] for i in order], dtype=np.float64)
        self.frequencies = counts / counts.sum() if counts.size else counts
        return self

    # ------------------------------------------------------------------ transform
    def to_codes(self, values: pd.Series) -> np.ndarray:
        """Codes of ``values``; raises :class:`InvalidDataError` for values not seen at fit."""
        self._check_fitted()
        values = pd.Series(values).reset_index(drop=True)
        codes = np.full(len(values), -1, dtype=np.int64)
        for tag, pos in self._groups(values):
            idx = [i for i, t in enumerate(self._tags) if t == tag]
            if not idx:
                continue
            known = pd.Index([self.categories[i] for i in idx], dtype=object)
            found = known.get_indexer(values.iloc[pos].to_numpy(dtype=object))
            codes[pos] = np.where(found >= 0, np.asarray(idx, dtype=np.int64)[found], -1)
        missing = values.isna().to_numpy()
        if self.missing_code is not None:
            codes[missing] = self.missing_code
        unseen = int((codes < 0).sum())
        if unseen:
            n_missing = int(missing.sum()) if self.missing_code is None else 0
            detail = f" ({n_missing} of them missing values, which the fitted data had none of)" if n_missing else ""
            raise InvalidDataError(f"{unseen} values in column {self.name!r} were not seen when the encoder was "
                                   f"fitted{detail}; fit on data that contains every category")
        return codes

    def from_codes(self, codes: np.ndarray) -> pd.Series:
        """Values for ``codes``, with the column's original dtype."""
        self._check_fitted()
        codes = np.clip(np.asarray(codes, dtype=np.int64), 0, max(self.size - 1, 0))
        lookup = self._typed_lookup()
        if lookup is not None and self.size:
            return pd.Series(lookup.take(codes))
        table = np.empty(self.size, dtype=object)
        table[:] = self.categories
        values = table[codes] if self.size else np.full(len(codes), None, dtype=object)
        has_missing = self.missing_code is not None and bool((codes == self.missing_code).any())
        return _restore(values, self._dtype, has_missing, self._dtype_categories, self._dtype_ordered)

    def _typed_lookup(self):
        """The categories as an array of the column's own dtype, so decoding is one vectorised ``take``
        (no Python object per row); ``None`` where the dtype cannot hold them all (e.g. ints with a
        missing category), and the general path applies."""
        cached = self.__dict__.get("_lookup", False)
        if cached is not False:
            return cached
        lookup = None
        if self._dtype not in ("object", "category"):
            dtype = pandas_dtype(self._dtype)
            plain_int = isinstance(dtype, np.dtype) and dtype.kind in "biu" and self.missing_code is not None
            if not plain_int:
                try:
                    lookup = pd.array(list(self.categories), dtype=dtype)
                except (TypeError, ValueError):
                    lookup = None
        self._lookup = lookup
        return lookup

    # ------------------------------------------------------------------ state
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        config = {"kind": self.kind, "name": self.name, "dtype": self._dtype, "marker": self._marker,
                  "categories": [_to_json(t, v) if t != "na" else ["na", self._marker]
                                 for t, v in zip(self._tags, self.categories)],
                  "dtype_categories": self._dtype_categories, "dtype_ordered": self._dtype_ordered}
        return config, {"frequencies": np.asarray(self.frequencies, dtype=np.float64)}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> CategoricalCodec:
        codec = cls(config.get("name", ""))
        codec._dtype = config["dtype"]
        codec._marker = config.get("marker", "none")
        codec._dtype_categories = config.get("dtype_categories")
        codec._dtype_ordered = bool(config.get("dtype_ordered", False))
        pairs = [_from_json(item) for item in config["categories"]]
        codec._tags = [t for t, _ in pairs]
        codec.categories = [_MARKERS[codec._marker] if t == "na" else v for t, v in pairs]
        codec.frequencies = np.asarray(arrays["frequencies"], dtype=np.float64)
        return codec


def _restore(values: np.ndarray, dtype_name: str, has_missing: bool,
             dtype_categories: list[list] | None, ordered: bool) -> pd.Series:
    """An object array of decoded values as a Series of the fitted dtype."""
    if dtype_name == "object":
        return pd.Series(values, dtype=object)
    if dtype_name == "category":
        cats = [_from_json(item)[1] for item in dtype_categories or []]
        return pd.Series(pd.Categorical(values, categories=cats, ordered=ordered))
    dtype = pandas_dtype(dtype_name)
    if isinstance(dtype, np.dtype) and dtype.kind in "biu" and has_missing:
        nullable = {"b": "boolean"}.get(dtype.kind, dtype.name.replace("u", "U").replace("i", "I", 1))
        return pd.Series(values, dtype=object).astype(nullable)
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = np.where(pd.isna(values), np.nan, values)
    return pd.Series(values, dtype=object).astype(dtype)
