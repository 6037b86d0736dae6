"""Continuous codec for numerical columns: values <-> float64 (NaN where missing).

The codec learns the column's dtype, whether it holds integers, and how many decimals its values need
(at most 10), so that :meth:`NumericalCodec.from_float` gives back the same dtype: integers as integers
(nullable ``Int64`` and friends when missing values must be returned), floats rounded to the learned
decimals, and values kept inside the fitted range. The range is state held in arrays, never shown in a
message.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import pandas_dtype

from ..errors import InvalidDataError, NotFittedError

MAX_DECIMALS = 10


def nullable_dtype(dtype: Any) -> str:
    """The pandas nullable counterpart of a numpy bool/int/uint dtype (``int64`` -> ``Int64``)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return "boolean"
    if dtype.kind == "u":
        return "UInt" + str(dtype.itemsize * 8)
    return "Int" + str(dtype.itemsize * 8)


def learn_decimals(x: np.ndarray, eps: float = float(np.finfo(np.float64).eps)) -> int | None:
    """The fewest decimals (<= 10) that represent every value of ``x`` up to float noise; ``None`` if more."""
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 0
    tol = 8 * eps * np.abs(x)
    for d in range(MAX_DECIMALS + 1):
        if np.all(np.abs(np.round(x, d) - x) <= tol):
            return d
    return None


#: the dtype a codec records for a column of :class:`Decimal` values
DECIMAL_DTYPE = "decimal"


def _all_decimals(values: pd.Series) -> bool:
    present = values.dropna()
    return pd.api.types.is_object_dtype(values.dtype) and len(present) > 0 and all(
        isinstance(v, Decimal) for v in present)


def _is_integer_dtype(dtype: Any) -> bool:
    return pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


class NumericalCodec:
    """Numbers <-> float64, remembering dtype, decimals and range."""

    kind = "numerical"

    def __init__(self, name: str = "", *, representation: str | None = None, enforce_rounding: bool = True,
                 enforce_min_max_values: bool = True) -> None:
        self.name = name
        self.representation = representation
        self.enforce_rounding = enforce_rounding
        self.enforce_min_max_values = enforce_min_max_values
        self.dtype: str | None = None
        self.integer = False
        self.decimals: int | None = None
        self.bounds = np.array([np.nan, np.nan])

    def _check_fitted(self) -> None:
        if self.dtype is None:
            raise NotFittedError(f"the codec of column {self.name!r} is not fitted; call fit first")

    # ------------------------------------------------------------------ fit
    def fit(self, values: pd.Series) -> NumericalCodec:
        """Learn dtype, decimals and [min, max] from ``values``."""
        values = pd.Series(values)
        in_dtype = values.dtype
        x = self._convert(values)
        if _is_integer_dtype(in_dtype):
            self.integer, self.decimals, self.dtype = True, 0, str(in_dtype)
        elif pd.api.types.is_float_dtype(in_dtype):
            eps = float(np.finfo(np.float32 if str(in_dtype).lower() == "float32" else np.float64).eps)
            self.decimals = learn_decimals(x, eps)
            self.integer, self.dtype = False, str(in_dtype)
        elif _all_decimals(values):  # exact decimals (money): given back as Decimal, with their scale
            present = values.dropna()
            self.decimals = max(max(-int(v.as_tuple().exponent), 0) for v in present)
            self.integer, self.dtype = False, DECIMAL_DTYPE
        else:  # numbers stored as text or Python objects
            self.decimals = learn_decimals(x)
            self.integer = self.decimals == 0 and self.representation != "float"
            self.dtype = "Int64" if self.integer else "float64"
        seen = x[~np.isnan(x)]
        self.bounds = np.array([seen.min(), seen.max()]) if seen.size else np.array([np.nan, np.nan])
        return self

    def _convert(self, values: pd.Series) -> np.ndarray:
        if pd.api.types.is_bool_dtype(values.dtype):
            values = values.astype("Int8")
        numbers = pd.Series(pd.to_numeric(values, errors="coerce"))
        x = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = int((np.isnan(x) & ~values.isna().to_numpy()).sum())
        if bad:
            raise InvalidDataError(f"{bad} values in column {self.name!r} are not numbers; fix them or change the "
                                   "column's sdtype in the metadata")
        infinite = int(np.isinf(x).sum())
        if infinite:
            raise InvalidDataError(f"{infinite} values in column {self.name!r} are infinite; replace them with "
                                   "missing values or finite numbers")
        return x

    # ------------------------------------------------------------------ transform
    def to_float(self, values: pd.Series) -> np.ndarray:
        """float64 values, NaN where missing."""
        self._check_fitted()
        return self._convert(pd.Series(values))

    def from_float(self, x: np.ndarray) -> pd.Series:
        """Values of the fitted dtype from floats (NaN -> missing), rounded and clipped as configured."""
        self._check_fitted()
        x = np.array(x, dtype=np.float64)
        if self.integer:
            x = np.round(x)
        elif self.enforce_rounding and self.decimals is not None:
            x = np.round(x, self.decimals)
        if self.enforce_min_max_values and not np.isnan(self.bounds).any():
            x = np.clip(x, self.bounds[0], self.bounds[1])
        missing = np.isnan(x)
        if self.dtype == DECIMAL_DTYPE:
            quantum = Decimal(1).scaleb(-(self.decimals or 0))
            return pd.Series([None if m else Decimal(repr(float(v))).quantize(quantum) for v, m in zip(x, missing)],
                             dtype=object)
        dtype = pandas_dtype(self.dtype)
        if isinstance(dtype, np.dtype) and dtype.kind in "biu":
            info = np.iinfo(dtype) if dtype.kind != "b" else np.iinfo(np.int8)
            x = np.clip(x, max(float(info.min), -2.0**63), min(float(info.max), 2.0**63 - 1024))
            if missing.any():
                return pd.Series(x).astype(nullable_dtype(dtype))
            return pd.Series(x.astype(dtype))
        if not isinstance(dtype, np.dtype) and _is_integer_dtype(dtype):
            x = np.clip(x, -2.0**63, 2.0**63 - 1024)
        return pd.Series(x).astype(dtype)

    # ------------------------------------------------------------------ state
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        config = {"kind": self.kind, "name": self.name, "representation": self.representation,
                  "enforce_rounding": self.enforce_rounding, "enforce_min_max_values": self.enforce_min_max_values,
                  "dtype": self.dtype, "integer": self.integer, "decimals": self.decimals}
        return config, {"bounds": self.bounds.astype(np.float64)}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> NumericalCodec:
        codec = cls(config.get("name", ""), representation=config.get("representation"),
                    enforce_rounding=config.get("enforce_rounding", True),
                    enforce_min_max_values=config.get("enforce_min_max_values", True))
        codec.dtype, codec.integer, codec.decimals = config["dtype"], config["integer"], config["decimals"]
        codec.bounds = np.asarray(arrays["bounds"], dtype=np.float64)
        return codec
