"""Value protection: what no synthesizer learns, whatever its model (on by default).

Before any encoder sees the learned columns:

- a category that fewer than ``k`` distinct people have (rows, when no column matches records to
  people) is replaced by :data:`~veil.pii.kinds.RARE_TOKEN` in a column of text, and merged into the
  column's most common category in any other (numbers or booleans used as categories);
- numbers and datetimes are clipped to their ``k``-th smallest and ``k``-th largest value (taken over
  each person's smallest and largest value), so no extreme is learned and no exact minimum or maximum
  is ever stored; the rows a synthesizer returns are clipped to the same bounds.

``k`` is ``threshold`` plus a random 0 to 2, drawn once per fit from the synthesizer's seed, so that a
category's presence says only that at least ``threshold`` people have it, not exactly how many. The same
``k`` serves every column: where one column never exceeds another in the real rows, their clipped values
keep that order (order statistics keep it), so a rule such as ``Inequality`` still holds.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelFileError
from ..metadata import Column, Metadata
from ..pii.kinds import RARE_TOKEN

#: the fewest distinct people a category or a bound value must have by default
DEFAULT_THRESHOLD = 5
#: k is the threshold plus a random integer in [0, JITTER]
JITTER = 2


@dataclass
class _Bounds:
    """A column's clip bounds: each as an order key (float, or int nanoseconds) and as a cell value."""

    column: str
    kind: str  # "numerical" or "datetime"
    low_key: float
    high_key: float
    low: Any
    high: Any
    datetime_format: str | None = None

    def keys(self, values: pd.Series) -> np.ndarray:
        return _order_keys(values, self.kind, self.datetime_format)

    def clip(self, values: pd.Series) -> pd.Series:
        keys = self.keys(values)
        with np.errstate(invalid="ignore"):
            below, above = keys < self.low_key, keys > self.high_key
        if not (below.any() or above.any()):
            return values
        out = values.copy()
        out[below] = self._cell(self.low, values)
        out[above] = self._cell(self.high, values)
        return out

    def _cell(self, value: Any, like: pd.Series) -> Any:
        if isinstance(value, dict) and "decimal" in value:
            return Decimal(value["decimal"])
        if self.kind == "datetime" and pd.api.types.is_datetime64_any_dtype(like.dtype):
            stamp = pd.Timestamp(value)
            tz = getattr(like.dt, "tz", None)
            return stamp.tz_localize(tz) if tz is not None and stamp.tzinfo is None else stamp
        if pd.api.types.is_integer_dtype(like.dtype) and isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "kind": self.kind, "low_key": self.low_key, "high_key": self.high_key,
                "low": self.low, "high": self.high, "datetime_format": self.datetime_format}


@dataclass
class ValueProtection:
    """Fitted value protection of one table (see the module docstring). Holds no rare value: the
    categories kept, each column's clip bounds (k-th values, never the extremes) and what stands in for
    the rare categories."""

    threshold: int = DEFAULT_THRESHOLD
    kept: dict[str, list[Any]] = field(default_factory=dict)
    replacement: dict[str, Any] = field(default_factory=dict)
    bounds: dict[str, _Bounds] = field(default_factory=dict)

    @classmethod
    def fit(cls, table: pd.DataFrame, metadata: Metadata, *, threshold: int = DEFAULT_THRESHOLD,
            people: np.ndarray | None = None, rng: np.random.Generator, skip: Iterable[str] = ()) -> ValueProtection:
        """Protection of ``table``'s learned columns (``skip`` left alone); ``people``: one label per row
        naming its person (each row is a person without it)."""
        k = threshold + int(rng.integers(0, JITTER + 1))
        who = pd.Series(np.arange(len(table)) if people is None else np.asarray(people), index=table.index)
        out = cls(threshold=threshold)
        skipped = set(skip)
        for column in metadata:
            if column.name not in table.columns or column.name in skipped or not column.learned:
                continue
            values = table[column.name]
            if column.modelled_as in ("categorical", "boolean"):
                out._fit_categories(column.name, values, who, k)
            elif column.modelled_as in ("numerical", "datetime"):
                bounds = _fit_bounds(column, values, who, k)
                if bounds is not None:
                    out.bounds[column.name] = bounds
        return out

    @classmethod
    def from_statistics(cls, metadata: Metadata, *, threshold: int = DEFAULT_THRESHOLD, rng: np.random.Generator,
                        counts: Mapping[str, pd.Series], extremes: Mapping[str, Extremes],
                        skip: Iterable[str] = ()) -> ValueProtection:
        """Protection from a scan of a table too large for memory, each row a person: ``counts`` holds
        every categorical column's exact category counts, ``extremes`` every numerical and datetime
        column's smallest and largest values (at least ``threshold + JITTER`` of each). The same result
        as :meth:`fit` on the whole table."""
        k = threshold + int(rng.integers(0, JITTER + 1))
        out = cls(threshold=threshold)
        skipped = set(skip)
        for column in metadata:
            if column.name in skipped or not column.learned:
                continue
            if column.name in counts:
                out._keep_categories(column.name, counts[column.name], k)
            elif column.name in extremes and extremes[column.name].present:
                out.bounds[column.name] = extremes[column.name].bounds(column, k)
        return out

    def _fit_categories(self, name: str, values: pd.Series, who: pd.Series, k: int) -> None:
        self._keep_categories(name, who.groupby(values, dropna=True, observed=True).nunique(), k)

    def _keep_categories(self, name: str, counts: pd.Series, k: int) -> None:
        """Keep the categories that ``counts`` (category -> distinct people) gives at least ``k``."""
        if counts.empty:
            return
        kept = counts[counts >= k]
        if len(kept) == len(counts):
            return
        if all(isinstance(v, str) for v in counts.index):
            self.replacement[name] = RARE_TOKEN
        else:  # numbers or booleans used as categories: merged into the most common one
            self.replacement[name] = _plain(counts.idxmax())
        self.kept[name] = [_plain(v) for v in kept.index]

    # ------------------------------------------------------------------ apply
    def protect(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` (the learned columns, before any encoder) with rare categories replaced and numbers
        and datetimes clipped; ``table`` itself is not modified."""
        out = table.copy(deep=False)
        for name, kept in self.kept.items():
            if name in out.columns:
                out[name] = self._replace_rare(out[name], kept, self.replacement[name])
        return self.clip(out)

    def clip(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` with numbers and datetimes clipped to their bounds (rows a synthesizer returns)."""
        out = None
        for name, bounds in self.bounds.items():
            if name in table.columns:
                clipped = bounds.clip(table[name])
                if clipped is not table[name]:
                    out = table.copy(deep=False) if out is None else out
                    out[name] = clipped
        return table if out is None else out

    @staticmethod
    def _replace_rare(values: pd.Series, kept: list[Any], replacement: Any) -> pd.Series:
        rare = values.notna() & ~values.isin(kept)
        if not rare.any():
            return values
        if isinstance(values.dtype, pd.CategoricalDtype) and replacement not in values.cat.categories:
            values = values.cat.add_categories([replacement])
        if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
            return values.mask(rare, replacement).astype(values.dtype)
        return values.mask(rare, replacement)

    # ------------------------------------------------------------------ state
    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "kept": self.kept, "replacement": self.replacement,
                "bounds": [b.to_dict() for b in self.bounds.values()]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValueProtection:
        try:
            bounds = [_Bounds(**b) for b in data.get("bounds", [])]
            return cls(threshold=int(data["threshold"]), kept={str(k): list(v) for k, v in data["kept"].items()},
                       replacement=dict(data["replacement"]), bounds={b.column: b for b in bounds})
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"the model file's value protection is malformed ({type(exc).__name__})") from None


def _fit_bounds(column: Column, values: pd.Series, who: pd.Series, k: int) -> _Bounds | None:
    """The k-th smallest of each person's smallest value, and the k-th largest of their largest."""
    kind = column.modelled_as
    fmt = column.datetime_format if kind == "datetime" else None
    keys = pd.Series(_order_keys(values, kind, fmt), index=values.index)
    present = keys.notna()
    if not present.any():
        return None
    by_person = keys[present].groupby(who[present])
    lows, highs = by_person.idxmin().to_numpy(), by_person.idxmax().to_numpy()
    low_rows = keys.loc[lows].sort_values(kind="stable").index
    high_rows = keys.loc[highs].sort_values(kind="stable", ascending=False).index
    if len(low_rows) >= 2 * k:
        low_row, high_row = low_rows[k - 1], high_rows[k - 1]
    else:  # too few people to have k on each side: every value becomes the middle one
        low_row = high_row = low_rows[(len(low_rows) - 1) // 2]
    return _Bounds(column.name, kind, _plain(keys[low_row]), _plain(keys[high_row]), _cell_value(values[low_row]),
                   _cell_value(values[high_row]), fmt)


@dataclass
class Extremes:
    """A column's ``keep`` smallest and largest values seen so far, over batches of rows (each row a
    person): their order keys and the cells themselves, and how many values were present."""

    kind: str
    datetime_format: str | None
    keep: int
    present: int = 0
    low: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"key": [], "value": []}))
    high: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"key": [], "value": []}))

    def update(self, values: pd.Series) -> None:
        keys = _order_keys(values, self.kind, self.datetime_format)
        present = np.flatnonzero(~np.isnan(keys))
        self.present += len(present)
        self.low = self._merge(self.low, values, keys, present, ascending=True)
        self.high = self._merge(self.high, values, keys, present, ascending=False)

    def _merge(self, kept: pd.DataFrame, values: pd.Series, keys: np.ndarray, present: np.ndarray, *,
               ascending: bool) -> pd.DataFrame:
        """``kept`` and the batch's candidates (every value up to its keep-th key, ties included, in row
        order), the first ``keep`` of them by key (ties in order of arrival)."""
        signed = keys[present] if ascending else -keys[present]
        if len(signed) > self.keep:
            present = present[signed <= np.partition(signed, self.keep - 1)[self.keep - 1]]
        batch = pd.DataFrame({"key": keys[present], "value": values.iloc[present].to_numpy(dtype=object)})
        both = pd.concat([kept, batch], ignore_index=True) if len(kept) else batch
        return both.sort_values("key", kind="stable", ascending=ascending).head(self.keep).reset_index(drop=True)

    def bounds(self, column: Column, k: int) -> _Bounds:
        """The k-th smallest and k-th largest values (the middle one when fewer than 2k are present)."""
        if self.present >= 2 * k:
            low, high = self.low.iloc[k - 1], self.high.iloc[k - 1]
        else:
            low = high = self.low.iloc[(self.present - 1) // 2]
        return _Bounds(column.name, self.kind, _plain(low["key"]), _plain(high["key"]), _cell_value(low["value"]),
                       _cell_value(high["value"]), self.datetime_format)


def _order_keys(values: pd.Series, kind: str, datetime_format: str | None) -> np.ndarray:
    """Values as numbers that sort like them (datetimes: nanoseconds since 1970 in UTC); NaN when missing."""
    if kind == "numerical":
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values
    else:
        stamps = pd.to_datetime(values, format=datetime_format or "mixed", errors="coerce", utc=True)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    nanos = stamps.astype("datetime64[ns]").to_numpy().astype(np.int64).astype(np.float64)
    nanos[stamps.isna().to_numpy()] = np.nan
    return nanos


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON can hold."""
    return value.item() if isinstance(value, np.generic) else value


def _cell_value(value: Any) -> Any:
    """A bound's cell as JSON can hold it (timestamps as ISO text)."""
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    return _plain(value)
