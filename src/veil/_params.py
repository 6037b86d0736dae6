"""Validation of constructor parameters at ``fit`` time, in the scikit-learn style.

Constraints are small objects that know how to check a value and describe what they accept, so that
messages read "The 'epochs' parameter of CTGAN must be an int in the range [1, inf). Got -3 instead."
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidParameterError


class Constraint:
    def accepts(self, value: Any) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Interval(Constraint):
    kind: type  # int or float
    low: float | None = None
    high: float | None = None
    closed: str = "both"  # both | left | right | neither

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, numbers.Integral):
            return False
        if self.kind is float and not isinstance(value, numbers.Real):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        lo_ok = self.low is None or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        hi_ok = self.high is None or (value <= self.high if self.closed in ("both", "right") else value < self.high)
        return lo_ok and hi_ok

    def describe(self) -> str:
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{'an int' if self.kind is int else 'a float'} in the range {left}{lo}, {hi}{right}"


@dataclass(frozen=True)
class OneOf(Constraint):
    options: tuple

    def accepts(self, value: Any) -> bool:
        try:
            return value in self.options
        except TypeError:
            return False

    def describe(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)


@dataclass(frozen=True)
class InstanceOf(Constraint):
    types: tuple
    label: str

    def accepts(self, value: Any) -> bool:
        return isinstance(value, self.types) and not (bool not in self.types and isinstance(value, bool))

    def describe(self) -> str:
        return self.label


@dataclass(frozen=True)
class Predicate(Constraint):
    check: Callable[[Any], bool]
    label: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.check(value))
        except Exception:  # noqa: BLE001 - a predicate that cannot judge a value rejects it
            return False

    def describe(self) -> str:
        return self.label


NONE = OneOf((None,))
BOOL = InstanceOf((bool,), "a bool")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_parameters(owner: str, params: Mapping[str, Any],
                        constraints: Mapping[str, Iterable[Constraint] | Constraint]) -> None:
    """Check every parameter; raise once with every failure, each naming parameter, range and value."""
    problems = []
    for name, rule in constraints.items():
        rules = [rule] if isinstance(rule, Constraint) else list(rule)
        value = params.get(name)
        if not any(r.accepts(value) for r in rules):
            allowed = " or ".join(r.describe() for r in rules)
            problems.append(f"The {name!r} parameter of {owner} must be {allowed}. Got {_short(value)} instead.")
    if len(problems) == 1:
        raise InvalidParameterError(problems[0])
    if problems:
        raise InvalidParameterError("\n".join(problems))
