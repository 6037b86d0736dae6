"""CTGAN's conditional vectors and training-by-sampling, vectorised (no loop per row).

For a batch, a discrete column is picked uniformly, then one of its categories with probability
proportional to log(1 + frequency); the conditional vector is the one-hot of that choice over all
discrete columns. Real rows with that category are drawn to match (training-by-sampling). At sampling
time the category is drawn by its real frequency, or fixed by a condition.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...encode.spans import Span, span_slices


class ConditionalSampler:
    """Conditional vectors over the ``category`` spans of an encoded matrix."""

    def __init__(self, matrix: np.ndarray, spans: Sequence[Span], *, log_frequency: bool = True):
        slices = span_slices(list(spans))
        self.span_ids = [i for i, s in enumerate(spans) if s.kind == "category"]
        self.widths = np.array([spans[i].width for i in self.span_ids], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.widths)[:-1]]).astype(np.int64)
        self.width = int(self.widths.sum())
        n = matrix.shape[0]
        self.n_rows = n
        k_max = int(self.widths.max()) if self.span_ids else 1
        train_prob = np.zeros((len(self.span_ids), k_max))
        real_prob = np.zeros((len(self.span_ids), k_max))
        orders, counts = [], []
        for d, i in enumerate(self.span_ids):
            codes = matrix[:, slices[i]].argmax(axis=1)
            count = np.bincount(codes, minlength=self.widths[d]).astype(np.float64)
            weight = np.log1p(count) if log_frequency else count.copy()
            train_prob[d, : self.widths[d]] = weight / weight.sum()
            real_prob[d, : self.widths[d]] = count / count.sum()
            orders.append(np.argsort(codes, kind="stable"))
            counts.append(count.astype(np.int64))
        self.train_cumulative = np.cumsum(train_prob, axis=1)
        self.real_cumulative = np.cumsum(real_prob, axis=1)
        # rows of every (column, category) pair, contiguous: row_order[starts[g]: starts[g] + counts[g]]
        self.row_order = np.concatenate(orders) if orders else np.zeros(0, dtype=np.int64)
        flat_counts = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
        column_base = np.repeat(np.arange(len(self.span_ids)) * n, self.widths)
        within = np.concatenate([np.concatenate([[0], np.cumsum(c)[:-1]]) for c in counts]) if counts else flat_counts
        self.pair_starts = column_base + within
        self.pair_counts = flat_counts

    def state(self) -> dict[str, Any] | None:
        """What sampling needs (span ids, widths, real frequencies), as JSON; ``None`` with no category span.
        A sampler rebuilt from it draws conditional vectors but no real rows."""
        if self.n_discrete == 0:
            return None
        return {"span_ids": self.span_ids, "widths": self.widths.tolist(),
                "real_cumulative": self.real_cumulative.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> ConditionalSampler | None:
        if state is None:
            return None
        sampler = cls.__new__(cls)
        sampler.span_ids = [int(i) for i in state["span_ids"]]
        sampler.widths = np.array(state["widths"], dtype=np.int64)
        sampler.offsets = np.concatenate([[0], np.cumsum(sampler.widths)[:-1]]).astype(np.int64)
        sampler.width = int(sampler.widths.sum())
        sampler.real_cumulative = np.array(state["real_cumulative"], dtype=np.float64)
        return sampler

    @property
    def n_discrete(self) -> int:
        return len(self.span_ids)

    def _draw(self, n: int, cumulative: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        column = rng.integers(self.n_discrete, size=n)
        u = rng.random(n)
        category = (cumulative[column] < u[:, None]).sum(axis=1)
        category = np.minimum(category, self.widths[column] - 1)
        return column, category

    def _vectors(self, column: np.ndarray, category: np.ndarray) -> np.ndarray:
        vec = np.zeros((column.size, self.width), dtype=np.float32)
        vec[np.arange(column.size), self.offsets[column] + category] = 1.0
        return vec

    def sample_train(self, n: int, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(conditional vectors, chosen discrete column, chosen category, a matching real row) per row."""
        column, category = self._draw(n, self.train_cumulative, rng)
        pair = self.offsets[column] + category
        pick = (rng.random(n) * self.pair_counts[pair]).astype(np.int64)
        rows = self.row_order[self.pair_starts[pair] + pick]
        return self._vectors(column, category), column, category, rows

    def sample_original(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Conditional vectors drawn by the real frequencies (for unconditional sampling)."""
        column, category = self._draw(n, self.real_cumulative, rng)
        return self._vectors(column, category)

    def fixed(self, n: int, conditions: Mapping[int, float]) -> np.ndarray:
        """Conditional vectors fixing one category span (given by its span index) to one code."""
        if len(conditions) != 1:
            raise ValueError("CTGAN's conditional vector fixes exactly one discrete column")
        (span_index, code), = conditions.items()
        d = self.span_ids.index(span_index)
        vec = np.zeros((n, self.width), dtype=np.float32)
        vec[:, self.offsets[d] + int(code)] = 1.0
        return vec
