"""Declarative constraints: rules every synthetic row must keep, written as data.

Each rule is a small frozen object that names columns, checks a table column-wise (:meth:`Rule.is_valid`:
one bool per row; a row whose cells the rule reads are missing passes) and round-trips through JSON
(:meth:`Rule.to_dict` / :func:`rule_from_dict`). They live in the metadata (``Metadata.constraints``) and
so in the model file. How a synthesizer makes them hold (by transforming columns before the model, by
repairing values or by drawing again) is :mod:`veil.constraints.plan`'s job.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import InvalidDataError
from .predicate import Predicate

Bound = Any  # a column name (str) or a constant (number or timestamp)


def _numbers(series: pd.Series) -> np.ndarray:
    """A numeric or datetime column as float64 (datetimes: seconds since 1970), NaN where missing."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        ns = series.to_numpy(dtype="datetime64[ns]")
        out = ns.astype(np.int64).astype(np.float64) / 1e9
        out[np.isnat(ns)] = np.nan
        return out
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("Int8")
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _constant(value: Any) -> float:
    """A constant bound on the scale of :func:`_numbers`."""
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return stamp.value / 1e9
    return float(value)


def _bound_to_json(bound: Bound) -> dict[str, Any] | None:
    if bound is None:
        return None
    if isinstance(bound, str):
        return {"column": bound}
    if isinstance(bound, (pd.Timestamp, np.datetime64)) or hasattr(bound, "isoformat"):
        return {"date": pd.Timestamp(bound).isoformat()}
    return {"value": float(bound)}


def _bound_from_json(data: Any) -> Bound:
    if data is None:
        return None
    if not isinstance(data, Mapping) or len(data) != 1:
        raise InvalidDataError("a range bound must be null, {\"column\": name}, {\"value\": number} or "
                               "{\"date\": \"YYYY-MM-DD\"}")
    (key, value), = data.items()
    if key == "column" and isinstance(value, str):
        return value
    if key == "value" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if key == "date" and isinstance(value, str):
        return pd.Timestamp(value)
    raise InvalidDataError(f"cannot read the range bound {dict(data)!r}")


@dataclass(frozen=True)
class Rule:
    """Base class of the constraints."""

    kind: ClassVar[str] = ""

    @property
    def columns(self) -> list[str]:  # pragma: no cover - interface
        """Every column the rule reads."""
        raise NotImplementedError

    def columns_in(self, names: Sequence[str]) -> list[str]:
        """The columns read, given the table's names (only an expression needs them, to read ``a-b`` right)."""
        return self.columns

    def is_valid(self, table: pd.DataFrame) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        """The rule in words, for messages (names columns, never data values)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def problems(self, kinds: Mapping[str, str]) -> list[str]:
        """What is wrong with the rule for columns of the given kinds (name -> modelled kind); the base
        checks that each column exists and is learned."""
        return [f"{self.describe()}: column {c!r} is not a column the model learns (it must be in the metadata, "
                "and not an id, free text, or PII the model does not learn)" for c in self.columns if c not in kinds]

    def _need_kinds(self, kinds: Mapping[str, str], allowed: Sequence[str], what: str) -> list[str]:
        return [f"{self.describe()}: column {c!r} is {kinds[c]}, and this rule needs {what}"
                for c in self.columns if c in kinds and kinds[c] not in allowed]


@dataclass(frozen=True)
class Range(Rule):
    """``low <= column <= high`` (``<`` with ``strict``); each bound a column name, a constant, or None."""

    column: str
    low: Bound = None
    high: Bound = None
    strict: bool = False
    kind: ClassVar[str] = "range"

    def __post_init__(self) -> None:
        if self.low is None and self.high is None:
            raise InvalidDataError(f"Range on {self.column!r} needs a low or a high bound (or both)")

    @property
    def columns(self) -> list[str]:
        return [self.column] + [b for b in (self.low, self.high) if isinstance(b, str)]

    def _side(self, table: pd.DataFrame, bound: Bound) -> np.ndarray | float | None:
        if bound is None:
            return None
        return _numbers(table[bound]) if isinstance(bound, str) else _constant(bound)

    def is_valid(self, table: pd.DataFrame) -> np.ndarray:
        x = _numbers(table[self.column])
        ok = np.ones(len(x), dtype=bool)
        with np.errstate(invalid="ignore"):
            for bound, below in ((self.low, True), (self.high, False)):
                side = self._side(table, bound)
                if side is None:
                    continue
                low, high = (side, x) if below else (x, side)
                ok &= (low < high if self.strict else low <= high) | np.isnan(x) | np.isnan(side)
        return ok

    def describe(self) -> str:
        op = "<" if self.strict else "<="
        parts = [str(b) if isinstance(b, str) else repr(b) for b in (self.low,) if b is not None]
        text = f"{parts[0]} {op} " if parts else ""
        text += self.column
        if self.high is not None:
            text += f" {op} {self.high if isinstance(self.high, str) else repr(self.high)}"
        return f"Range({text})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "column": self.column, "low": _bound_to_json(self.low),
                "high": _bound_to_json(self.high), "strict": self.strict}

    def problems(self, kinds: Mapping[str, str]) -> list[str]:
        return super().problems(kinds) or self._need_kinds(kinds, ("numerical", "datetime"), "numbers or datetimes")


@dataclass(frozen=True)
class Inequality(Rule):
    """``low <= high`` between two columns (``<`` with ``strict``), numbers or datetimes."""

    low: str
    high: str
    strict: bool = False
    kind: ClassVar[str] = "inequality"

    @property
    def columns(self) -> list[str]:
        return [self.low, self.high]

    def is_valid(self, table: pd.DataFrame) -> np.ndarray:
        a, b = _numbers(table[self.low]), _numbers(table[self.high])
        with np.errstate(invalid="ignore"):
            holds = a < b if self.strict else a <= b
        return holds | np.isnan(a) | np.isnan(b)

    def describe(self) -> str:
        return f"Inequality({self.low} {'<' if self.strict else '<='} {self.high})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "low": self.low, "high": self.high, "strict": self.strict}

    def problems(self, kinds: Mapping[str, str]) -> list[str]:
        out = super().problems(kinds) or self._need_kinds(kinds, ("numerical", "datetime"), "numbers or datetimes")
        if not out and kinds[self.low] != kinds[self.high]:
            out.append(f"{self.describe()}: {self.low!r} is {kinds[self.low]} and {self.high!r} is "
                       f"{kinds[self.high]}; compare columns of one kind (or write an Expression)")
        return out


@dataclass(frozen=True)
class Positive(Rule):
    """``column >= 0`` (``> 0`` with ``strict``)."""

    column: str
    strict: bool = False
    kind: ClassVar[str] = "positive"
    sign: ClassVar[float] = 1.0

    @property
    def columns(self) -> list[str]:
        return [self.column]

    def is_valid(self, table: pd.DataFrame) -> np.ndarray:
        x = self.sign * _numbers(table[self.column])
        with np.errstate(invalid="ignore"):
            return (x > 0 if self.strict else x >= 0) | np.isnan(x)

    def describe(self) -> str:
        return f"{type(self).__name__}({self.column}{', strict' if self.strict else ''})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "column": self.column, "strict": self.strict}

    def problems(self, kinds: Mapping[str, str]) -> list[str]:
        return super().problems(kinds) or self._need_kinds(kinds, ("numerical",), "numbers")


@dataclass(frozen=True)
class Negative(Positive):
    """``column <= 0`` (``< 0`` with ``strict``)."""

    kind: ClassVar[str] = "negative"
    sign: ClassVar[float] = -1.0


@dataclass(frozen=True)
class FixedIncrements(Rule):
    """Every value of ``column`` is a multiple of ``increment`` (e.g. prices in steps of 1,000)."""

    column: str
    increment: float
    kind: ClassVar[str] = "fixed_increments"

    def __post_init__(self) -> None:
        if isinstance(self.increment, bool) or not isinstance(self.increment, (int, float)) or \
                not np.isfinite(self.increment) or self.increment <= 0:
            raise InvalidDataError(f"FixedIncrements on {self.column!r}: the increment must be a number > 0, got "
                                   f"{self.increment!r}")

    @property
    def columns(self) -> list[str]:
        return [self.column]

    def is_valid(self, table: pd.DataFrame) -> np.ndarray:
        x = _numbers(table[self.column]) / self.increment
        return (np.abs(x - np.round(x)) <= 1e-9 * np.maximum(np.abs(x), 1)) | np.isnan(x)

    def describe(self) -> str:
        return f"FixedIncrements({self.column} in steps of {self.increment:g})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "column": self.column, "increment": self.increment}

    def problems(self, kinds: Mapping[str, str]) -> list[str]:
        return super().problems(kinds) or self._need_kinds(kinds, ("numerical",), "numbers")


@dataclass(frozen=True)
class _ColumnSet(Rule):
    """A rule over a list of different columns (at least ``minimum``)."""

    columns_: tuple[str, ...] = field(default=())
    minimum: ClassVar[int] = 2

    def __init__(self, columns: Sequence[str] | str):
        if isinstance(columns, str) and self.minimum == 1:
            columns = [columns]
        if isinstance(columns, str) or len(columns) < self.minimum or len(set(columns)) != len(columns):
            raise InvalidDataError(f"{type(self).__name__} needs {'two' if self.minimum == 2 else 'one'} or more "
                                   "different columns, as a list")
        object.__setattr__(self, "columns_", tuple(columns))

    @property
    def columns(self) -> list[str]:
        return list(self.columns_)

    def describe(self) -> str:
        return f"{type(self).__name__}({', '.join(self.columns_)})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "columns": list(self.columns_)}


@dataclass(frozen=True, init=False)
class FixedCombinations(_ColumnSet):
    """Only the combinations of ``columns`` seen in the real data (city, state and zip; brand and model)."""

    kind: ClassVar[str] = "fixed_combinations"

    def is_valid(self, table: pd.DataFrame) -> np.ndarray:  # checked against the fitted combinations (plan)
        return np.ones(len(table), dtype=bool)

    def problems(self, kinds: Mapping[str, str]) -> list[str]:
        return super().problems(kinds) or self._need_kinds(kinds, ("categorical", "boolean", "numerical"),
                                                           "categories")


@dataclass(frozen=True, init=False)
class OneHot(_ColumnSet):
    """Exactly one of ``columns`` is 1 and the others 0 in every row."""

    kind: ClassVar[str] = "one_hot"

    def is_valid(self, table: pd.DataFrame) -> np.ndarray:
        x = np.column_stack([_numbers(table[c]) for c in self.columns_])
        return ((x == 1).sum(axis=1) == 1) & ((x == 0) | (x == 1)).all(axis=1)

    def problems(self, kinds: Mapping[str, str]) -> list[str]:
        return super().problems(kinds) or self._need_kinds(kinds, ("numerical", "boolean", "categorical"),
                                                           "0 / 1 values")


@dataclass(frozen=True, init=False)
class Unique(_ColumnSet):
    """No two synthetic rows share the values of ``columns`` (a single column or a combination)."""

    kind: ClassVar[str] = "unique"
    minimum: ClassVar[int] = 1

    def is_valid(self, table: pd.DataFrame) -> np.ndarray:
        """False for every row after the first with the same values (missing cells pass)."""
        keys = table[list(self.columns_)]
        return ~keys.duplicated(keep="first").to_numpy() | keys.isna().any(axis=1).to_numpy()


@dataclass(frozen=True)
class Expression(Rule):
    """Any condition in veil's expression language (see :mod:`veil.constraints.expression`), e.g.
    ``"year(date) >= yr_built"``; a row where the result is unknown (a missing cell) passes."""

    text: str
    kind: ClassVar[str] = "expression"

    def __post_init__(self) -> None:
        Predicate.parse(self.text)  # a rule that cannot be read fails now, not at fit

    def parsed(self, columns: Sequence[str] = ()) -> Predicate:
        return Predicate.parse(self.text, columns)

    @property
    def columns(self) -> list[str]:
        return self.parsed().columns

    def columns_in(self, names: Sequence[str]) -> list[str]:
        """The columns read, when the table's names (with ``-`` or ``.``) are known."""
        return self.parsed(names).columns

    def is_valid(self, table: pd.DataFrame) -> np.ndarray:
        return self.parsed(table.columns).evaluate(table, unknown=True)

    def describe(self) -> str:
        return f"Expression({self.text})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text}

    def problems(self, kinds: Mapping[str, str]) -> list[str]:
        names = list(kinds)
        return [f"{self.describe()}: column {c!r} is not a column the model learns" for c in self.columns_in(names)
                if c not in kinds]


RULES: dict[str, type[Rule]] = {r.kind: r for r in (Range, Inequality, Positive, Negative, FixedIncrements,
                                                     FixedCombinations, OneHot, Unique, Expression)}


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    """A rule from its JSON form; raises :class:`InvalidDataError` saying what is wrong."""
    if not isinstance(data, Mapping) or data.get("kind") not in RULES:
        kinds = ", ".join(sorted(RULES))
        raise InvalidDataError(f"a constraint must be a JSON object with a 'kind' among {kinds}")
    kind = data["kind"]
    args = {k: v for k, v in data.items() if k != "kind"}
    try:
        if kind == "range":
            return Range(args["column"], _bound_from_json(args.get("low")), _bound_from_json(args.get("high")),
                         bool(args.get("strict", False)))
        if kind in ("fixed_combinations", "one_hot", "unique"):
            return RULES[kind](list(args["columns"]))
        return RULES[kind](**args)
    except (KeyError, TypeError) as exc:
        raise InvalidDataError(f"cannot read the {kind} constraint {dict(data)!r}: {exc}") from None
