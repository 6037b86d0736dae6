"""Continuous codec for datetime columns: values <-> float64 offsets (NaN where missing).

A datetime is turned into the number of *precision units* since a reference instant (the fitted
minimum). The precision is the coarsest of day, hour, minute, second, ms, us and ns that every fitted
offset is a whole multiple of, so the floats are whole numbers and exact in float64 (up to 2**53 units
from the minimum). Native ``datetime64`` columns keep their unit and time zone (tz-aware values are
handled as UTC instants); text columns are parsed and written back with their ``datetime_format``.
The reference instant and range are state held in arrays, never shown in a message.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import pandas_dtype

from ..errors import InvalidDataError, NotFittedError

TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
#: precision name -> length in nanoseconds, coarsest first
PRECISIONS: dict[str, int] = {"day": 86_400 * 10**9, "hour": 3_600 * 10**9, "minute": 60 * 10**9,
                              "second": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_NAT = np.iinfo(np.int64).min
_DEFAULT_FORMATS = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:%M:%S", "minute": "%Y-%m-%d %H:%M:%S",
                    "second": "%Y-%m-%d %H:%M:%S"}


class DatetimeCodec:
    """Datetimes (native or text) <-> float offsets in units of the learned precision."""

    kind = "datetime"

    def __init__(self, name: str = "", *, datetime_format: str | None = None, enforce_rounding: bool = True,
                 enforce_min_max_values: bool = True) -> None:
        self.name = name
        self.datetime_format = datetime_format
        self.enforce_rounding = enforce_rounding  # datetimes are always rounded to their precision
        self.enforce_min_max_values = enforce_min_max_values
        self.dtype: str | None = None
        self.native = True
        self.unit = "ns"
        self.tz: str | None = None
        self.precision = "ns"
        self.step = 1
        self.out_format: str | None = None
        self.origin = np.zeros(1, dtype=np.int64)
        self.bounds = np.array([np.nan, np.nan])

    def _check_fitted(self) -> None:
        if self.dtype is None:
            raise NotFittedError(f"the codec of column {self.name!r} is not fitted; call fit first")

    # ------------------------------------------------------------------ parsing
    def _parse(self, values: pd.Series) -> pd.Series:
        """A datetime64 Series (naive wall time, or tz-aware) for ``values``."""
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            return values
        missing = values.isna().to_numpy()
        try:
            if self.datetime_format is not None:
                parsed = pd.to_datetime(values, format=self.datetime_format, errors="coerce")
            else:
                parsed = pd.to_datetime(values, format="mixed", errors="coerce")
        except (ValueError, TypeError, OverflowError):
            parsed = None
        if parsed is None or not pd.api.types.is_datetime64_any_dtype(parsed.dtype):
            raise InvalidDataError(f"column {self.name!r} cannot be read as datetimes (mixed time zones or "
                                   "types); set its datetime_format in the metadata or change its sdtype")
        bad = int((parsed.isna().to_numpy() & ~missing).sum())
        if bad:
            fmt = f"the datetime format {self.datetime_format!r}" if self.datetime_format else "any datetime format"
            raise InvalidDataError(f"{bad} values in column {self.name!r} do not match {fmt}; fix them or the "
                                   "column's datetime_format in the metadata")
        return parsed

    def _ticks(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """(int64 ticks of ``self.unit``, UTC for tz-aware values; missing mask)."""
        parsed = self._parse(pd.Series(values).reset_index(drop=True))
        if parsed.dt.unit != self.unit:
            parsed = parsed.dt.as_unit(self.unit)
        ticks = pd.DatetimeIndex(parsed).asi8.copy()
        return ticks, ticks == _NAT

    # ------------------------------------------------------------------ fit
    def fit(self, values: pd.Series) -> DatetimeCodec:
        """Learn representation, precision, reference instant and range."""
        values = pd.Series(values).reset_index(drop=True)
        self.native = pd.api.types.is_datetime64_any_dtype(values.dtype)
        parsed = self._parse(values)
        self.dtype = str(values.dtype)
        self.unit = parsed.dt.unit
        tz = getattr(parsed.dtype, "tz", None)
        self.tz = None if tz is None else str(tz)
        ticks, missing = self._ticks(parsed)
        seen = ticks[~missing]
        per_ns = TICKS_PER_SECOND[self.unit] / 10**9
        self.precision, self.step = "ns", 1
        if seen.size:
            # unsigned: two instants more than 292 years apart in nanoseconds overflow a signed difference
            offsets = seen.astype(np.uint64) - np.uint64(int(seen.min()) % 2**64)
            for name, ns in PRECISIONS.items():
                step = round(ns * per_ns)
                if ns * per_ns >= 1 and np.all(offsets % step == 0):
                    self.precision, self.step = name, step
                    break
            self.origin = np.array([seen.min()], dtype=np.int64)
            self.bounds = np.array([0.0, float((int(seen.max()) - int(seen.min())) // self.step)])
        if not self.native:
            self.out_format = self.datetime_format or _DEFAULT_FORMATS.get(self.precision, "%Y-%m-%d %H:%M:%S.%f")
        return self

    # ------------------------------------------------------------------ transform
    def to_float(self, values: pd.Series) -> np.ndarray:
        """Offsets from the reference instant in precision units, NaN where missing."""
        self._check_fitted()
        ticks, missing = self._ticks(values)
        origin = int(self.origin[0])
        if self.step == 1:  # floats: a signed difference of far-apart nanoseconds could overflow
            x = ticks.astype(np.float64) - float(origin)
        else:  # whole steps and the rest apart, each without overflow
            whole = ticks // self.step - origin // self.step
            rest = ticks % self.step - origin % self.step
            x = whole.astype(np.float64) + rest.astype(np.float64) / self.step
        x[missing] = np.nan
        return x

    def from_float(self, x: np.ndarray) -> pd.Series:
        """Datetimes in the fitted representation (NaN -> missing), rounded to the precision."""
        self._check_fitted()
        x = np.rint(np.asarray(x, dtype=np.float64))
        if self.enforce_min_max_values and not np.isnan(self.bounds).any():
            x = np.clip(x, self.bounds[0], self.bounds[1])
        missing = np.isnan(x)
        limit = 2.0**62
        origin = int(self.origin[0])
        x = np.clip(x, (-limit - origin) / self.step, (limit - origin) / self.step)
        ticks = origin + np.where(missing, 0, x).astype(np.int64) * self.step
        ticks[missing] = _NAT
        out = pd.Series(ticks.view(f"datetime64[{self.unit}]"))
        if self.tz is not None:
            out = out.dt.tz_localize("UTC").dt.tz_convert(self.tz)
        if self.native:
            return out.astype(pandas_dtype(self.dtype))
        text = out.dt.strftime(self.out_format)
        return text.astype(object) if self.dtype == "object" else text.astype(pandas_dtype(self.dtype))

    # ------------------------------------------------------------------ state
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        config = {"kind": self.kind, "name": self.name, "datetime_format": self.datetime_format,
                  "enforce_rounding": self.enforce_rounding, "enforce_min_max_values": self.enforce_min_max_values,
                  "dtype": self.dtype, "native": self.native, "unit": self.unit, "tz": self.tz,
                  "precision": self.precision, "step": self.step, "out_format": self.out_format}
        return config, {"origin": self.origin.astype(np.int64), "bounds": self.bounds.astype(np.float64)}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> DatetimeCodec:
        codec = cls(config.get("name", ""), datetime_format=config.get("datetime_format"),
                    enforce_rounding=config.get("enforce_rounding", True),
                    enforce_min_max_values=config.get("enforce_min_max_values", True))
        for key in ("dtype", "native", "unit", "tz", "precision", "step", "out_format"):
            setattr(codec, key, config[key])
        codec.origin = np.asarray(arrays["origin"], dtype=np.int64)
        codec.bounds = np.asarray(arrays["bounds"], dtype=np.float64)
        return codec
