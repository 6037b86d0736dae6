"""Span-aware output heads: activations and losses over a whole row at once.

A row of the encoded matrix is a run of spans (see :mod:`veil.encode.spans`). The neural models work
on the row's columns in a *permuted* order that :class:`SpanLayout` chooses once: scalar columns
first, then the softmax spans (modes, categories, missing flags) grouped by width. Each group is then a
contiguous block that reshapes, without copying, to ``[batch, n_spans, width]``, so a Gumbel-softmax or
a cross-entropy over every span is a few tensor operations per distinct width: no loop per span, none
per row, and no gather or scatter in the training step. Models permute their data once at fit
(:meth:`SpanLayout.permute`) and hand their samples back as a :class:`~veil.encode.spans.SpanSample`
(:meth:`SpanLayout.sample`): no one-hot is written, and none is read back by an argmax.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ...encode.spans import SOFTMAX_KINDS, Span, SpanSample, span_slices
from .distributed import rand_rows

_UNDERFLOW = 1e-30  # a span sum below this has lost precision to float32 underflow


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
        #: softmax span index -> its columns in layout order
        self.columns_of: dict[int, slice] = {}
        #: per group, the first column of each of its spans in encoder order
        self.group_starts: list[np.ndarray] = []
        for w in sorted(by_width):
            self.groups.append((len(order), len(by_width[w]), w))
            self.group_starts.append(np.array([slices[i].start for i in by_width[w]], dtype=np.int64))
            for i in by_width[w]:
                self.columns_of[i] = slice(len(order), len(order) + w)
                order.extend(range(slices[i].start, slices[i].stop))
        self.n_scalar = len(scalars)
        self.scalar_columns = np.array([slices[i].start for i in scalars], dtype=np.int64)
        self.order = np.array(order, dtype=np.int64)
        self.inverse = np.argsort(self.order)
        self.device = torch.device(device)
        self._inverse_t = torch.from_numpy(self.inverse).to(self.device)
        # softmax columns (layout order, after the scalars) -> their span; a 0/1 matrix that sums columns by span
        widths = torch.tensor([spans[i].width for i in self.softmax_spans], dtype=torch.long)
        span_of_column = torch.repeat_interleave(torch.arange(len(widths)), widths)
        self._span_of_column = span_of_column.to(self.device)
        self._span_sum = (span_of_column[:, None] == torch.arange(len(widths))[None, :]).to(self.device, torch.float32)
        self._span_offsets = (torch.cumsum(widths, 0) - widths).to(self.device)
        # softmax spans in layout order -> in span order (the order of SpanSample.codes)
        self._codes_order = torch.from_numpy(np.argsort(self.softmax_spans)).to(self.device)

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

    def _blocks(self, raw: torch.Tensor, offset: int = 0):
        """Each group of ``raw`` as ``[batch, n spans, width]``; ``offset``: columns missing from ``raw``'s left."""
        for start, n, w in self.groups:
            yield raw[:, start - offset:start - offset + n * w].reshape(raw.shape[0], n, w)

    # ------------------------------------------------------------------ activations
    def activate(self, raw: torch.Tensor, *, tau: float, generator: torch.Generator,
                 hard: bool = False) -> torch.Tensor:
        """Training-time output: tanh on scalars, Gumbel-softmax (temperature ``tau``) on softmax spans
        (one Gumbel draw for all of them, then a softmax per span group). ``hard``: the spans are exact
        one-hot vectors going forward, their gradient the soft sample's (straight-through)."""
        k = self.n_scalar
        parts = [torch.tanh(raw[:, :k])]
        if self.groups:
            noisy = (raw[:, k:] + _gumbel(raw[:, k:].shape, generator, raw.device, raw.dtype)) / tau
            for block in self._blocks(noisy, offset=k):
                soft = torch.softmax(block, dim=-1)
                if hard:
                    exact = nn.functional.one_hot(soft.argmax(-1), soft.shape[-1]).to(soft.dtype)
                    soft = exact + (soft - soft.detach())  # exactly one-hot: the bracket is 0
                parts.append(soft.reshape(raw.shape[0], -1))
        return torch.cat(parts, dim=1)

    def softmax(self, raw: torch.Tensor) -> torch.Tensor:
        """Tanh on scalars and a plain softmax on every softmax span (no Gumbel noise)."""
        k = self.n_scalar
        return torch.cat([torch.tanh(raw[:, :k]),
                          *[torch.softmax(block, dim=-1).reshape(raw.shape[0], -1) for block in self._blocks(raw, k)]],
                         dim=1)

    def smooth(self, rows: torch.Tensor, noise: float, generator: torch.Generator) -> torch.Tensor:
        """Rows (layout order) whose one-hot spans get uniform noise in [0, ``noise``) on every entry and
        are renormalised to sum to 1 (TGAN's smoothing of real one-hot vectors); scalars unchanged."""
        k = self.n_scalar
        if not self.groups or noise <= 0:
            return rows
        soft = rows[:, k:] + noise * torch.rand(rows[:, k:].shape, generator=generator, device=rows.device,
                                                dtype=rows.dtype)
        sums = soft @ self._span_sum.to(rows.dtype)
        return torch.cat([rows[:, :k], soft / sums.index_select(1, self._span_of_column)], dim=1)

    def marginal_kl(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """Sum over softmax spans of KL(real batch's mean one-hot || fake batch's mean probabilities):
        how far the fake batch's category frequencies are from the real batch's (TGAN's extra loss)."""
        k = self.n_scalar
        p, q = real[:, k:].mean(0).clamp_min(1e-8), fake[:, k:].mean(0).clamp_min(1e-8)
        return (p * (p.log() - q.log())).sum()

    def sample(self, raw: torch.Tensor, *, generator: torch.Generator, temperature: float = 1.0,
               scalars: torch.Tensor | None = None) -> SpanSample:
        """Sampling-time output: one entry drawn per softmax span (inverse CDF, one uniform per span),
        and tanh of the scalars (or ``scalars``), as a :class:`SpanSample`."""
        values = torch.tanh(raw[:, :self.n_scalar]) if scalars is None else scalars
        soft = raw[:, self.n_scalar:] if temperature == 1.0 else raw[:, self.n_scalar:] / temperature
        # one shift per row (its largest logit) instead of a max per span; spans that underflow redo it
        weights = torch.exp(soft - soft.amax(dim=1, keepdim=True)) if self.groups else soft
        choices = []
        for (start, n, w), logits in zip(self.groups, self._blocks(soft, offset=self.n_scalar)):
            cdf = weights[:, start - self.n_scalar:start - self.n_scalar + n * w].reshape(-1, n, w).cumsum(dim=-1)
            if bool((cdf[..., -1] < _UNDERFLOW).any()):
                cdf = torch.exp(logits - logits.amax(dim=-1, keepdim=True)).cumsum_(dim=-1)
            u = torch.rand(cdf.shape[:2] + (1,), generator=generator, device=raw.device, dtype=raw.dtype)
            choices.append(torch.searchsorted(cdf, u * cdf[..., -1:]).squeeze(-1).clamp_max_(w - 1))
        codes = (torch.cat(choices, dim=1).index_select(1, self._codes_order) if choices
                 else torch.zeros(raw.shape[0], 0, dtype=torch.long, device=raw.device))
        return SpanSample(values.detach().cpu().numpy(), codes.cpu().numpy())

    def most_likely(self, raw: torch.Tensor) -> SpanSample:
        """The largest entry of every softmax span and tanh of the scalars, as a :class:`SpanSample` (for
        models trained against smoothed one-hot rows, whose outputs keep the true entry on top but
        spread the rest over the others: drawing from them would scatter the categories)."""
        choices = [block.argmax(dim=-1) for block in self._blocks(raw[:, self.n_scalar:], offset=self.n_scalar)]
        codes = (torch.cat(choices, dim=1).index_select(1, self._codes_order) if choices
                 else torch.zeros(raw.shape[0], 0, dtype=torch.long, device=raw.device))
        return SpanSample(torch.tanh(raw[:, :self.n_scalar]).cpu().numpy(), codes.cpu().numpy())

    def empty_sample(self) -> SpanSample:
        """A sample of no rows."""
        return SpanSample(np.zeros((0, self.n_scalar), dtype=np.float32),
                          np.zeros((0, len(self.softmax_spans)), dtype=np.int64))

    # ------------------------------------------------------------------ losses
    def span_logsumexp(self, raw: torch.Tensor) -> torch.Tensor:
        """log-sum-exp of every softmax span of ``raw`` (layout order): ``[batch, n_softmax]``.

        One exp and one matrix product for all spans (a log-sum-exp per span group dominated TVAE's
        step). Each row is shifted by its largest softmax logit; if a whole span then underflows (its
        logits more than ~70 below another span's), the rows are shifted span by span instead, so the
        result is always exact."""
        soft = raw[:, self.n_scalar:]
        if not self.groups:
            return soft.new_zeros(raw.shape[0], 0)
        peak = soft.detach().amax(dim=1, keepdim=True)
        sums = torch.exp(soft - peak) @ self._span_sum.to(raw.dtype)
        if bool((sums < _UNDERFLOW).any()):
            with torch.no_grad():
                peak = torch.cat([block.amax(dim=-1) for block in self._blocks(raw.detach())], dim=1)
            sums = torch.exp(soft - peak.index_select(1, self._span_of_column)) @ self._span_sum.to(raw.dtype)
        return torch.log(sums) + peak

    def total_cross_entropy(self, raw: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Sum over rows and softmax spans of the cross-entropy of ``raw`` against one-hot rows ``x``
        (both in layout order): sum of the spans' log-sum-exp minus sum(raw * x) over the softmax columns,
        so no target index is ever gathered."""
        k = self.n_scalar
        return self.span_logsumexp(raw).sum() - (raw[:, k:] * x[:, k:]).sum()

    def blockwise_cross_entropy(self, raw: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """:meth:`total_cross_entropy` with a log-sum-exp per span group and no data-dependent branch, so
        that ``torch.func.vmap`` can take it row by row (per-sample gradients under DP-SGD)."""
        k = self.n_scalar
        logsumexp = sum((torch.logsumexp(block, dim=-1).sum() for block in self._blocks(raw)), raw.new_zeros(()))
        return logsumexp - (raw[:, k:] * x[:, k:]).sum()

    def cross_entropy(self, raw: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of every softmax span of ``raw`` against ``targets`` (``[batch, n_softmax]``)."""
        picked = raw[:, self.n_scalar:].gather(1, targets + self._span_offsets)
        return self.span_logsumexp(raw) - picked

def _gumbel(shape: torch.Size, generator: torch.Generator, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Standard Gumbel noise: -log(-log(U)) with U ~ Uniform(0, 1).

    Uniform draws are vectorised on CPU; ``exponential_`` is not, and was 4x slower for CTGAN's batches."""
    draws = rand_rows(shape, generator, device, dtype)  # the global batch's draws when data-parallel
    return draws.clamp_min_(1e-20).log_().neg_().log_().neg_()
