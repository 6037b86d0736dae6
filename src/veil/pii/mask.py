"""Masking for display: show the shape of a value, never the value."""
from __future__ import annotations

import re

import pandas as pd

_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def _shape(match: re.Match) -> str:
    ch = match.group(0)
    if ch.isdigit():
        return "9"
    return "X" if ch.isupper() else "x"


def mask_value(value: object) -> str:
    """'Ann Lee' -> 'Xxx Xxx'; '123-45-6789' -> '999-99-9999'. Punctuation and spaces are kept."""
    text = _LETTER_OR_DIGIT.sub(_shape, str(value))
    return text if len(text) <= 40 else text[:37] + "..."


def mask_example(values: pd.Series) -> str:
    """The masked shape of the first present value of a column ('' if there is none)."""
    present = values.dropna()
    return mask_value(present.iloc[0]) if len(present) else ""
