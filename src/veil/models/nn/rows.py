"""Where a model's training rows come from: a tensor in memory, or shards on disk streamed through a
shuffle buffer (:class:`veil.scale.stream.TokenShards`). Both give the same three things: the token
counts of every column (for the starting marginals), a validation split, and one epoch's batches."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import torch


class RowSource(Protocol):
    """Token rows for training: ``[rows, columns]`` int64 batches."""

    @property
    def training_rows(self) -> int:
        """Rows in one epoch (the validation rows excluded)."""

    @property
    def validation(self) -> torch.Tensor:
        """The validation rows, ``[n_val, columns]`` int64 (empty when there are too few rows)."""

    def counts(self, sizes: Sequence[int]) -> list[torch.Tensor]:
        """Each column's token counts over every row (training and validation)."""

    def epoch(self, batch: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """One epoch: ``training_rows // batch`` batches of ``batch`` rows, in a new random order."""


class TokenRows:
    """Token rows held in memory; the validation split is drawn from ``generator`` once, here."""

    def __init__(self, tokens: torch.Tensor, validation_fraction: float, generator: torch.Generator):
        n = tokens.shape[0]
        self.tokens = tokens
        n_val = int(round(n * validation_fraction)) if n >= 50 else 0
        perm = torch.randperm(n, generator=generator, device=tokens.device)
        self._validation, self.fit_rows = tokens[perm[:n_val]], tokens[perm[n_val:]]

    @property
    def training_rows(self) -> int:
        return int(self.fit_rows.shape[0])

    @property
    def validation(self) -> torch.Tensor:
        return self._validation

    def counts(self, sizes: Sequence[int]) -> list[torch.Tensor]:
        return [torch.bincount(self.tokens[:, j], minlength=size) for j, size in enumerate(sizes)]

    def epoch(self, batch: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
        order = torch.randperm(self.training_rows, generator=generator, device=self.fit_rows.device)
        for s in range(max(self.training_rows // batch, 1)):
            yield self.fit_rows[order[s * batch:(s + 1) * batch]]
