"""Span-aware output heads: activations and losses over a whole row at once.

A row of the encoded matrix is a run of spans (see :mod:`veil.encode.spans`). The neural models work
on the row's columns in a *permuted* order that :class:`SpanLayout` chooses once: scalar columns
first, then the softmax spans (modes, categories, missing flags) grouped by width. Each group is then a
contiguous block that reshapes, without copying, to ``[batch, n_spans, width]``, so a Gumbel-softmax or
a cross-entropy over every span is a few tensor operations per distinct width: no loop per span, none
per row, and no gather or scatter in the training step. Models permute their data once at fit
(:meth:`SpanLayout.permute`) and their samples back once (:meth:`SpanLayout.unpermute`).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ...encode.spans import Span, span_slices

SOFTMAX_KINDS = ("mode", "category", "missing")


class SpanLayout:
    """The permuted column order of the neural models, and the span groups within it."""

    def __init__(self, spans: Sequence[Span], device: torch.device | str = "cpu"):
        spans = list(spans)
        unknown = sorted({s.kind for s in spans} - {"scalar", *SOFTMAX_KINDS})
        if unknown:
            raise ValueError(f"neural models read scalar, mode, category and missing spans, got {unknown}")
        slices = span_slices(spans)
        self.spans = spans
        self.width = sum(s.width for s in spans)
        scalars = [i for i, s in enumerate(spans) if s.kind == "scalar"]
        by_width: dict[int, list[int]] = {}
        for i, s in enumerate(spans):
            if s.kind in SOFTMAX_KINDS:
                by_width.setdefault(s.width, []).append(i)
        #: softmax spans in layout order (grouped by width); a span's position in it indexes targets
        self.softmax_spans = [i for w in sorted(by_width) for i in by_width[w]]
        self.soft_position = {span: k for k, span in enumerate(self.softmax_spans)}
        order = [slices[i].start for i in scalars]
        self.groups: list[tuple[int, int, int]] = []  # (start column in layout order, n spans, width)
        #: per group, the first column of each of its spans in encoder order
        self.group_starts: list[np.ndarray] = []
        for w in sorted(by_width):
            self.groups.append((len(order), len(by_width[w]), w))
            self.group_starts.append(np.array([slices[i].start for i in by_width[w]], dtype=np.int64))
            for i in by_width[w]:
                order.extend(range(slices[i].start, slices[i].stop))
        self.n_scalar = len(scalars)
        self.scalar_columns = np.array([slices[i].start for i in scalars], dtype=np.int64)
        self.order = np.array(order, dtype=np.int64)
        self.inverse = np.argsort(self.order)
        self.device = torch.device(device)
        self._inverse_t = torch.from_numpy(self.inverse).to(self.device)

    def to(self, device: torch.device | str) -> SpanLayout:
        return SpanLayout(self.spans, device)

    # ------------------------------------------------------------------ data
    def permute(self, matrix: np.ndarray) -> np.ndarray:
        """Encoded rows (encoder order) -> layout order."""
        return np.ascontiguousarray(matrix[:, self.order], dtype=np.float32)

    def unpermute(self, rows: torch.Tensor) -> torch.Tensor:
        """Rows in layout order -> encoder order."""
        return rows[:, self._inverse_t]

    def targets(self, matrix: np.ndarray) -> np.ndarray:
        """The active entry of every softmax span of encoded rows (encoder order): ``[n, n_softmax]``."""
        permuted = matrix[:, self.order]
        blocks = [permuted[:, start:start + n * w].reshape(len(matrix), n, w).argmax(-1)
                  for start, n, w in self.groups]
        return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(matrix), 0), dtype=np.int64)

    def _blocks(self, raw: torch.Tensor):
        for start, n, w in self.groups:
            yield raw[:, start:start + n * w].reshape(raw.shape[0], n, w)

    # ------------------------------------------------------------------ activations
    def activate(self, raw: torch.Tensor, *, tau: float, generator: torch.Generator) -> torch.Tensor:
        """Training-time output: tanh on scalars, Gumbel-softmax (temperature ``tau``) on softmax spans."""
        parts = [torch.tanh(raw[:, :self.n_scalar])]
        for logits in self._blocks(raw):
            gumbel = _gumbel(logits.shape, generator, raw.device, raw.dtype)
            parts.append(torch.softmax((logits + gumbel) / tau, dim=-1).reshape(raw.shape[0], -1))
        return torch.cat(parts, dim=1)

    def sample(self, raw: torch.Tensor, *, generator: torch.Generator, temperature: float = 1.0,
               scalars: torch.Tensor | None = None) -> np.ndarray:
        """Sampling-time output as encoded rows in *encoder* order: one category drawn per softmax span
        (inverse CDF, one uniform per span) written as a one-hot, and tanh on scalars (or ``scalars``)."""
        n_rows = raw.shape[0]
        out = np.zeros((n_rows, self.width), dtype=np.float32)
        values = torch.tanh(raw[:, :self.n_scalar]) if scalars is None else scalars
        out[:, self.scalar_columns] = values.detach().cpu().numpy()
        flat = out.reshape(-1)
        row_base = (np.arange(n_rows, dtype=np.int64) * self.width)[:, None]
        for logits, starts in zip(self._blocks(raw), self.group_starts):
            if temperature != 1.0:
                logits = logits / temperature
            weights = torch.exp(logits - logits.amax(dim=-1, keepdim=True)).cumsum_(dim=-1)  # unnormalised CDF
            u = torch.rand(weights.shape[:2] + (1,), generator=generator, device=raw.device, dtype=raw.dtype)
            choice = torch.searchsorted(weights, u * weights[..., -1:]).squeeze(-1).clamp_max_(weights.shape[-1] - 1)
            flat[(row_base + starts[None, :] + choice.cpu().numpy()).reshape(-1)] = 1.0
        return out

    # ------------------------------------------------------------------ losses
    def total_cross_entropy(self, raw: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Sum over rows and softmax spans of the cross-entropy of ``raw`` against one-hot rows ``x``
        (both in layout order): sum(logsumexp per span) - sum(raw * x) over the softmax columns, so no
        target index is ever gathered."""
        soft = raw[:, self.n_scalar:]
        total = -(soft * x[:, self.n_scalar:]).sum()
        for logits in self._blocks(raw):
            total = total + torch.logsumexp(logits, dim=-1).sum()
        return total

    def cross_entropy(self, raw: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of every softmax span of ``raw`` against ``targets`` (``[batch, n_softmax]``)."""
        parts, k = [], 0
        for logits in self._blocks(raw):
            n = logits.shape[1]
            logp = torch.log_softmax(logits, dim=-1)
            parts.append(-logp.gather(-1, targets[:, k:k + n].unsqueeze(-1)).squeeze(-1))
            k += n
        return torch.cat(parts, dim=1) if parts else raw.new_zeros(raw.shape[0], 0)


def _gumbel(shape: torch.Size, generator: torch.Generator, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, device=device, dtype=dtype).clamp_min_(1e-10)
    return u.log_().neg_().clamp_min_(1e-10).log_().neg_()
