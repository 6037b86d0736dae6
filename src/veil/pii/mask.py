"""Masking for display: show the shape of a value, never the value."""
from __future__ import annotations

import re

import pandas as pd

_UPPER = re.compile(r"[A-Z\u00C0-\u00DE]")
_LOWER = re.compile(r"[a-z\u00DF-\u00FF]")
_DIGIT = re.compile(r"[0-9]")
_OTHER_LETTER = re.compile(r"[^\W\d_]")


def mask_value(value: object) -> str:
    """'Ann Lee' -> 'Xxx Xxx'; '123-45-6789' -> '999-99-9999'. Punctuation and spaces are kept."""
    text = str(value)
    text = _UPPER.sub("X", text)
    text = _LOWER.sub("x", text)
    text = _DIGIT.sub("9", text)
    text = _OTHER_LETTER.sub("x", text)
    return text if len(text) <= 40 else text[:37] + "..."


def mask_example(values: pd.Series) -> str:
    """The masked shape of the first present value of a column ('' if there is none)."""
    present = values.dropna()
    return mask_value(present.iloc[0]) if len(present) else ""
