"""The encoder -> model contract, as data.

An encoder turns a table into a matrix and a list of :class:`Span`; each span says what a run of
matrix columns holds. A model reads only the matrix and the spans, never names, strings or pandas. A model may hand its
samples back either as such a matrix or as a :class:`SpanSample`, the same rows with every softmax
span given by the index of its active entry instead of a one-hot (smaller, and no argmax to decode).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: kind -> (activation a generator's head should use, description)
SPAN_KINDS: dict[str, tuple[str, str]] = {
    "scalar": ("tanh", "a number normalised to about [-1, 1] (within its mode when a mode span follows)"),
    "mode": ("softmax", "one-hot: which mixture mode a number belongs to"),
    "category": ("softmax", "one-hot: which category"),
    "missing": ("softmax", "one-hot of width 2: [present, missing]"),
    "continuous": ("identity", "an unbounded real value (copula-style encoders)"),
    "discrete": ("code", "an integer code in [0, size) stored as a float (copula-style encoders)"),
}


@dataclass(frozen=True)
class Span:
    """``width`` consecutive matrix columns of one ``kind``, encoding (part of) ``column``.

    ``size`` is the number of codes for ``discrete`` spans (``width`` is 1 for them); for softmax spans
    it equals ``width``.
    """

    kind: str
    width: int
    column: str
    size: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in SPAN_KINDS:
            raise ValueError(f"unknown span kind {self.kind!r}; known: {sorted(SPAN_KINDS)}")
        if self.width < 1:
            raise ValueError("a span is at least one column wide")

    @property
    def activation(self) -> str:
        return SPAN_KINDS[self.kind][0]

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Span:
        return cls(**data)


def span_slices(spans: list[Span]) -> list[slice]:
    """The matrix columns of each span, in order."""
    out, start = [], 0
    for s in spans:
        out.append(slice(start, start + s.width))
        start += s.width
    return out


def total_width(spans: list[Span]) -> int:
    return sum(s.width for s in spans)


SOFTMAX_KINDS = ("mode", "category", "missing")


@dataclass(frozen=True)
class SpanSample:
    """Encoded rows in compact form.

    ``scalars`` holds the value of every ``scalar`` span (shape ``[n, number of scalar spans]``) and
    ``codes`` the active entry of every softmax span (``[n, number of softmax spans]``), each in the
    order of the spans. Only scalar and softmax spans can be written this way.
    """

    scalars: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def concat(cls, parts: list[SpanSample]) -> SpanSample:
        if len(parts) == 1:
            return parts[0]
        return cls(np.concatenate([p.scalars for p in parts]), np.concatenate([p.codes for p in parts]))

    def take(self, rows: np.ndarray | slice) -> SpanSample:
        """The rows ``rows`` (a boolean mask, indices or a slice)."""
        return SpanSample(self.scalars[rows], self.codes[rows])

    def to_matrix(self, spans: list[Span]) -> np.ndarray:
        """The same rows as a dense encoded matrix (one-hot softmax spans)."""
        out = np.zeros((len(self), total_width(spans)), dtype=np.float32)
        n_scalar = n_soft = 0
        for span, cols in zip(spans, span_slices(spans)):
            if span.kind == "scalar":
                out[:, cols.start] = self.scalars[:, n_scalar]
                n_scalar += 1
            elif span.kind in SOFTMAX_KINDS:
                out[np.arange(len(out)), cols.start + self.codes[:, n_soft]] = 1.0
                n_soft += 1
            else:
                raise ValueError(f"a SpanSample holds scalar and softmax spans only, not {span.kind!r}")
        return out
