"""MST (McKenna, Miklau & Sheldon, 2021): a differentially private model of noisy marginals on a tree.

Over token columns (see :class:`~veil.encode.tokens.TokenEncoder`), with the budget in zero-concentrated
DP (ρ), a third for each step:

1. every column's counts, with Gaussian noise; tokens whose noisy count is below ``3 sigma`` are then
   merged into one (post-processing: the pair tables get smaller, so less noise per cell matters);
2. a maximum spanning tree over the columns, chosen privately: Kruskal's algorithm where each edge is
   picked by the exponential mechanism, scored by how far the pair's real counts are from what the
   noisy one-way counts predict if the two were independent (L1; sensitivity 1);
3. the counts of every tree edge's pair, with Gaussian noise.

Estimation (ours): the tree is rooted at its first column; each column's distribution combines its own
noisy counts with the margins of its edges' tables, weighted by the inverse of their noise variance;
each child column takes its distribution given its parent from the edge's table (negative counts cut to
zero, a row with no mass falls back to the child's own distribution). That is a tree-shaped Bayesian
network, consistent by construction; rows are drawn from it root first (ancestral sampling), and a
merged token becomes one of its tokens in proportion to their noisy counts.

The unit of privacy is one row (add / remove): a row changes one cell of every table by 1.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from ..encode.spans import Span
from ..errors import InvalidDataError, InvalidParameterError, NotFittedError
from ..protect.dp import rho_for
from .base import Conditions


class MST:
    """The MST model over token columns; ``dp`` = {"epsilon": ..., "delta": ...} (set before fit)."""

    name: ClassVar[str] = "mst"
    defaults: ClassVar[dict[str, Any]] = {"dp": None}
    native_conditions: ClassVar[str] = "none"

    def __init__(self, **params: Any):
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise TypeError(f"MST got unknown parameters {unknown}")
        self.params = {**self.defaults, **params}
        self.sizes_: list[int] | None = None
        self.privacy_: dict[str, Any] | None = None

    # ------------------------------------------------------------------ fit
    def fit(self, matrix: np.ndarray, spans: Sequence[Span], *, rng: np.random.Generator,
            callbacks: Sequence[Any] = ()) -> MST:
        dp = self.params["dp"]
        if not dp:
            raise InvalidParameterError("MST is a private model: give it a budget, dp={'epsilon': ..., 'delta': ...}")
        epsilon, delta = float(dp["epsilon"]), float(dp["delta"])
        if any(s.kind != "discrete" for s in spans):
            raise InvalidDataError("MST reads token columns (TokenEncoder's discrete spans)")
        noise = np.random.default_rng()  # secret: never from the seed
        tokens = matrix.astype(np.int64)
        sizes = [int(s.size) for s in spans]
        d = len(sizes)
        rho = rho_for(epsilon, delta)
        one_way_rho = rho / 3 if d > 1 else rho
        sigma1 = math.sqrt(d / (2 * one_way_rho))
        counts = [np.bincount(tokens[:, j], minlength=sizes[j]).astype(np.float64) + noise.normal(0, sigma1, sizes[j])
                  for j in range(d)]
        groups = [self._compress(c, sigma1) for c in counts]  # token -> merged index
        merged = np.column_stack([g[tokens[:, j]] for j, g in enumerate(groups)]) if d else tokens
        widths = [int(g.max()) + 1 for g in groups]
        one_way = [np.bincount(g, weights=c, minlength=w) for g, c, w in zip(groups, counts, widths)]
        variances = [sigma1 ** 2 * np.bincount(g, minlength=w) for g, w in zip(groups, widths)]
        edges: list[tuple[int, int]] = []
        tables: list[np.ndarray] = []
        sigma2 = 0.0
        if d > 1:
            edges = self._select_tree(merged, widths, one_way, rho / 3, noise)
            sigma2 = math.sqrt((d - 1) / (2 * rho / 3))
            for i, j in edges:
                real = np.zeros((widths[i], widths[j]))
                np.add.at(real, (merged[:, i], merged[:, j]), 1.0)
                tables.append(real + noise.normal(0, sigma2, real.shape))
        self._estimate(one_way, variances, edges, tables, sigma2, widths)
        # within a merged group, tokens in proportion to their noisy counts (cut to zero)
        self.members_ = []
        for g, c in zip(groups, counts):
            weights = np.clip(c, 0, None) + 1e-9
            self.members_.append([(np.flatnonzero(g == k), weights[g == k] / weights[g == k].sum())
                                  for k in range(int(g.max()) + 1)])
        self.sizes_, self.groups_ = sizes, groups
        self.privacy_ = {"epsilon": epsilon, "delta": delta, "rho": rho, "unit": "row",
                         "accountant": "zCDP, converted to (ε, δ)", "one_way_sigma": sigma1,
                         "pair_sigma": sigma2, "edges": len(edges)}
        return self

    @staticmethod
    def _compress(counts: np.ndarray, sigma: float) -> np.ndarray:
        """Tokens whose noisy count is below 3 sigma share one merged index (the last); the others keep one each."""
        small = counts < 3 * sigma
        if small.sum() <= 1:
            return np.arange(len(counts))
        out = np.empty(len(counts), dtype=np.int64)
        big = np.flatnonzero(~small)
        out[big] = np.arange(len(big))
        out[small] = len(big)
        return out

    def _select_tree(self, merged: np.ndarray, widths: list[int], one_way: list[np.ndarray], rho: float,
                     noise: np.random.Generator) -> list[tuple[int, int]]:
        """Kruskal's algorithm, each edge picked by the exponential mechanism on its L1 independence gap."""
        d = len(widths)
        total = max(sum(o.clip(0).sum() for o in one_way) / d, 1.0)
        probs = [np.clip(o, 0, None) / max(np.clip(o, 0, None).sum(), 1e-9) for o in one_way]
        scores = {}
        for i in range(d):
            for j in range(i + 1, d):
                real = np.zeros((widths[i], widths[j]))
                np.add.at(real, (merged[:, i], merged[:, j]), 1.0)
                scores[(i, j)] = float(np.abs(real - total * np.outer(probs[i], probs[j])).sum())
        epsilon = math.sqrt(8 * rho / (d - 1))  # each selection is ρ/(d-1)-zCDP
        component = list(range(d))

        def find(a: int) -> int:
            while component[a] != a:
                component[a] = component[component[a]]
                a = component[a]
            return a

        chosen: list[tuple[int, int]] = []
        while len(chosen) < d - 1:
            candidates = [e for e in scores if find(e[0]) != find(e[1])]
            values = np.array([scores[e] for e in candidates])
            logits = epsilon * values / 2  # sensitivity 1
            weights = np.exp(logits - logits.max())
            pick = candidates[noise.choice(len(candidates), p=weights / weights.sum())]
            chosen.append(pick)
            component[find(pick[0])] = find(pick[1])
        return chosen

    def _estimate(self, one_way: list[np.ndarray], variances: list[np.ndarray], edges: list[tuple[int, int]],
                  tables: list[np.ndarray], sigma2: float, widths: list[int]) -> None:
        """Marginals by inverse-variance weighting, then the tree's conditionals (see the module docstring)."""
        d = len(widths)
        sums = [o / np.maximum(v, 1e-12) for o, v in zip(one_way, variances)]
        precision = [1 / np.maximum(v, 1e-12) for v in variances]
        for (i, j), table in zip(edges, tables):
            for column, margin, cells in ((i, table.sum(1), widths[j]), (j, table.sum(0), widths[i])):
                var = sigma2 ** 2 * cells
                sums[column] = sums[column] + margin / var
                precision[column] = precision[column] + 1 / var
        marginals = []
        for s, p in zip(sums, precision):
            m = np.clip(s / p, 0, None) + 1e-9
            marginals.append(m / m.sum())
        # root each tree component at its first column; a child's conditional comes from its edge
        neighbours: dict[int, list[tuple[int, int]]] = {k: [] for k in range(d)}
        for e, (i, j) in enumerate(edges):
            neighbours[i].append((j, e))
            neighbours[j].append((i, e))
        order, parent, seen = [], {}, set()
        for root in range(d):
            if root in seen:
                continue
            stack = [root]
            seen.add(root)
            while stack:
                node = stack.pop()
                order.append(node)
                for other, e in neighbours[node]:
                    if other not in seen:
                        seen.add(other)
                        parent[other] = (node, e)
                        stack.append(other)
        conditionals: dict[int, np.ndarray] = {}
        for child, (up, e) in parent.items():
            i, _ = edges[e]
            table = np.clip(tables[e] if i == up else tables[e].T, 0, None)  # [parent, child]
            rows = table.sum(1, keepdims=True)
            cond = np.where(rows > 0, table / np.maximum(rows, 1e-12), marginals[child][None, :])
            conditionals[child] = cond / cond.sum(1, keepdims=True)
        self.order_, self.parent_ = order, {c: p for c, (p, _) in parent.items()}
        self.marginals_, self.conditionals_ = marginals, conditionals

    # ------------------------------------------------------------------ sample
    def sample(self, n: int, *, rng: np.random.Generator, conditions: Conditions | None = None) -> np.ndarray:
        if self.sizes_ is None:
            raise NotFittedError("this MST is not fitted yet; call fit first")
        if conditions:
            raise InvalidDataError("MST has no native conditioning; conditions are met by drawing and keeping rows")
        d = len(self.sizes_)
        merged = np.zeros((n, d), dtype=np.int64)
        for column in self.order_:
            if column in self.parent_:
                cond = self.conditionals_[column][merged[:, self.parent_[column]]]
                cdf = np.cumsum(cond, axis=1)
                u = rng.random((n, 1)) * cdf[:, -1:]
                merged[:, column] = np.minimum((cdf < u).sum(1), cond.shape[1] - 1)
            else:
                merged[:, column] = rng.choice(len(self.marginals_[column]), size=n, p=self.marginals_[column])
        out = np.zeros((n, d), dtype=np.float32)
        for j in range(d):
            for k, (tokens, weights) in enumerate(self.members_[j]):
                rows = np.flatnonzero(merged[:, j] == k)
                if rows.size:
                    out[rows, j] = tokens[rng.choice(len(tokens), size=rows.size, p=weights)] if len(tokens) > 1 \
                        else tokens[0]
        return out

    # ------------------------------------------------------------------ state
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        if self.sizes_ is None:
            raise NotFittedError("this MST is not fitted yet; call fit first")
        arrays = {f"marginal.{j}": m for j, m in enumerate(self.marginals_)}
        arrays.update({f"conditional.{j}": c for j, c in self.conditionals_.items()})
        arrays.update({f"group.{j}": g for j, g in enumerate(self.groups_)})
        for j, members in enumerate(self.members_):
            arrays[f"member_weights.{j}"] = np.concatenate([w for _, w in members])
        config = {"params": self.params, "sizes": self.sizes_, "order": self.order_,
                  "parent": {str(k): v for k, v in self.parent_.items()}, "privacy": self.privacy_}
        return config, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> MST:
        model = cls(**config["params"])
        model.sizes_ = [int(s) for s in config["sizes"]]
        model.order_ = [int(k) for k in config["order"]]
        model.parent_ = {int(k): int(v) for k, v in config["parent"].items()}
        model.privacy_ = config.get("privacy")
        d = len(model.sizes_)
        model.marginals_ = [np.asarray(arrays[f"marginal.{j}"], dtype=np.float64) for j in range(d)]
        model.conditionals_ = {j: np.asarray(arrays[f"conditional.{j}"], dtype=np.float64) for j in model.parent_}
        model.groups_ = [np.asarray(arrays[f"group.{j}"], dtype=np.int64) for j in range(d)]
        model.members_ = []
        for j, g in enumerate(model.groups_):
            weights, start, members = arrays[f"member_weights.{j}"], 0, []
            for k in range(int(g.max()) + 1):
                tokens = np.flatnonzero(g == k)
                members.append((tokens, np.asarray(weights[start:start + len(tokens)], dtype=np.float64)))
                start += len(tokens)
            model.members_.append(members)
        return model
