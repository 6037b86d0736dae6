"""Reversible per-column codecs and the table encoders built from them (see :mod:`veil.encode.spans`)."""
from __future__ import annotations

from .categorical import CategoricalCodec
from .copula import CopulaEncoder
from .datetime import DatetimeCodec
from .mixture import ModeNormalizer, QuantileNormalizer
from .numeric import NumericalCodec
from .spans import Span, span_slices, total_width
from .table import TableEncoder, make_codec

__all__ = ["CategoricalCodec", "CopulaEncoder", "DatetimeCodec", "ModeNormalizer", "NumericalCodec",
           "QuantileNormalizer", "Span", "TableEncoder", "make_codec", "span_slices", "total_width"]
