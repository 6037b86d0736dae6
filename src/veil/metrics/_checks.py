"""Argument checks shared by the metric modules: messages name the argument, what it must be and what
it was (never a value from the tables)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, InvalidParameterError
from ..metadata import Metadata


def check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InvalidParameterError(f"The {name!r} parameter must be an int in the range [{low}, inf). "
                                    f"Got {value!r} instead.")


def check_tables(tables: Mapping[str, object]) -> None:
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise InvalidDataError(f"the {name} table must be a pandas DataFrame, got {type(table).__name__}")


def check_common(metadata: object, *, seed: object, max_rows: object = None) -> None:
    """``metadata`` is a Metadata, ``seed`` an int >= 0, and ``max_rows`` (when given) an int >= 1."""
    if not isinstance(metadata, Metadata):
        raise InvalidParameterError(f"metadata must be a veil Metadata, got {type(metadata).__name__}")
    if max_rows is not None:
        check_int("max_rows", max_rows, 1)
    check_int("seed", seed, 0)
