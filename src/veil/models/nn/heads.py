"""Span-aware output heads: activations and losses over a whole row at once.

A row of the encoded matrix is a run of spans (see :mod:`veil.encode.spans`). Instead of looping over
spans at every step, :class:`SpanLayout` precomputes index tensors once: ``tanh`` spans are one column
index list, and softmax spans (modes, categories, missing flags) are grouped by width, so that each
group is one ``[batch, n_spans, width]`` gather and a Gumbel-softmax or a cross-entropy over every span
is a few tensor operations per distinct width (no padding, no loop per span or per row).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from ...encode.spans import Span, span_slices

SOFTMAX_KINDS = ("mode", "category", "missing")


class SpanLayout:
    """Index tensors describing where each kind of span sits in a row of width ``width``."""

    def __init__(self, spans: Sequence[Span], device: torch.device | str = "cpu"):
        spans = list(spans)
        unknown = sorted({s.kind for s in spans} - {"scalar", *SOFTMAX_KINDS})
        if unknown:
            raise ValueError(f"neural models read scalar, mode, category and missing spans, got {unknown}")
        slices = span_slices(spans)
        self.spans = spans
        self.width = sum(s.width for s in spans)
        self.softmax_spans = [i for i, s in enumerate(spans) if s.kind in SOFTMAX_KINDS]
        self.scalar_index = torch.tensor([sl.start for s, sl in zip(spans, slices) if s.kind == "scalar"],
                                         dtype=torch.long, device=device)
        category_cols = [c for s, sl in zip(spans, slices) if s.kind == "category" for c in range(sl.start, sl.stop)]
        #: the columns of every category span, in order (CTGAN's conditional vector has this layout)
        self.category_columns = torch.tensor(category_cols, dtype=torch.long, device=device)
        by_width: dict[int, list[tuple[int, int]]] = {}
        for position, i in enumerate(self.softmax_spans):
            by_width.setdefault(spans[i].width, []).append((position, slices[i].start))
        #: (width, column index [n, width], positions of these spans among the softmax spans [n])
        self.groups = [(w, torch.tensor([list(range(st, st + w)) for _, st in members], dtype=torch.long,
                                        device=device),
                        torch.tensor([pos for pos, _ in members], dtype=torch.long, device=device))
                       for w, members in sorted(by_width.items())]

    def to(self, device: torch.device | str) -> SpanLayout:
        return SpanLayout(self.spans, device)

    # ------------------------------------------------------------------ activations
    def activate(self, raw: torch.Tensor, *, tau: float, generator: torch.Generator) -> torch.Tensor:
        """Training-time output: tanh on scalars, Gumbel-softmax (temperature ``tau``) on softmax spans."""
        out = raw.new_empty(raw.shape)
        out[:, self.scalar_index] = torch.tanh(raw[:, self.scalar_index])
        for _, index, _ in self.groups:
            logits = raw[:, index]
            gumbel = _gumbel(logits.shape, generator, raw.device, raw.dtype)
            out[:, index.reshape(-1)] = torch.softmax((logits + gumbel) / tau, dim=-1).reshape(raw.shape[0], -1)
        return out

    def sample(self, raw: torch.Tensor, *, generator: torch.Generator, temperature: float = 1.0,
               scalars: torch.Tensor | None = None) -> torch.Tensor:
        """Sampling-time output: one-hot draws from each softmax span (Gumbel-max), tanh on scalars
        (or the given ``scalars``)."""
        out = raw.new_zeros(raw.shape)
        out[:, self.scalar_index] = torch.tanh(raw[:, self.scalar_index]) if scalars is None else scalars
        for _, index, _ in self.groups:
            logits = raw[:, index]
            if temperature != 1.0:
                logits = logits / temperature
            choice = torch.argmax(logits + _gumbel(logits.shape, generator, raw.device, raw.dtype), dim=-1)
            out.scatter_(1, index.expand(raw.shape[0], -1, -1).gather(2, choice.unsqueeze(-1)).squeeze(-1), 1.0)
        return out

    # ------------------------------------------------------------------ losses
    def softmax_cross_entropy(self, raw: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of every softmax span of ``raw`` against the active entries of the rows ``x``:
        ``[batch, n_softmax]``, in the order of ``softmax_spans``."""
        out = raw.new_empty(raw.shape[0], len(self.softmax_spans))
        for _, index, positions in self.groups:
            targets = x[:, index].argmax(dim=-1, keepdim=True)
            logp = torch.log_softmax(raw[:, index], dim=-1)
            out[:, positions] = -logp.gather(-1, targets).squeeze(-1)
        return out


def _gumbel(shape: torch.Size, generator: torch.Generator, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, device=device, dtype=dtype).clamp_min_(1e-10)
    return u.log_().neg_().clamp_min_(1e-10).log_().neg_()
