"""The exceptions veil raises. Every error a user sees derives from :class:`VeilError`
and from the builtin they would naturally catch (``ValueError``, ``FileNotFoundError``...)."""
from __future__ import annotations

from collections.abc import Iterable


class VeilError(Exception):
    """Root of every error veil raises on purpose."""


class InvalidDataError(VeilError, ValueError):
    """The table (or metadata describing it) cannot be used as given."""


class InvalidParameterError(VeilError, ValueError):
    """A constructor or call argument is out of its allowed range."""


class NotFittedError(VeilError, ValueError, AttributeError):
    """A method that needs a fitted object was called before ``fit``."""


class ModelFileError(VeilError, ValueError):
    """A model file is truncated, foreign, hostile or from an unknown format version."""


class SourceError(VeilError, OSError):
    """A data file or database cannot be read or written."""


class TrainingDivergedError(VeilError, ArithmeticError):
    """A training loss became NaN or infinite, so the weights are no longer usable."""


def raise_all(problems: Iterable[str], header: str, error: type[VeilError] = InvalidDataError) -> None:
    """Raise ``error`` once, listing every problem, if there are any (collect first, then raise)."""
    problems = list(problems)
    if not problems:
        return
    if len(problems) == 1:
        raise error(f"{header}: {problems[0]}")
    listed = "\n".join(f"  - {p}" for p in problems)
    raise error(f"{header} ({len(problems)} problems):\n{listed}")
