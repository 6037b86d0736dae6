"""Network blocks shared by the neural models."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .torch_utils import dropout


class Residual(nn.Module):
    """Linear -> batch norm -> ReLU, with the input concatenated to the output (CTGAN's generator block)."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class ResidualGenerator(nn.Module):
    """Noise (and a conditional vector) -> raw row logits, through residual blocks."""

    def __init__(self, in_dim: int, hidden: Sequence[int], out_dim: int):
        super().__init__()
        blocks, dim = [], in_dim
        for width in hidden:
            blocks.append(Residual(dim, width))
            dim += width
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Linear(dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(x))


class PacCritic(nn.Module):
    """PacGAN critic: ``pac`` rows are judged together; LeakyReLU(0.2) and dropout(0.5) per layer."""

    def __init__(self, in_dim: int, hidden: Sequence[int], pac: int, dropout_p: float = 0.5):
        super().__init__()
        self.pac = pac
        self.dropout_p = dropout_p
        dims = [in_dim * pac, *hidden]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], 1)

    def forward(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        h = x.reshape(-1, x.shape[1] * self.pac)
        for layer in self.layers:
            h = dropout(nn.functional.leaky_relu(layer(h), 0.2), self.dropout_p, generator, self.training)
        return self.out(h)


class MLP(nn.Module):
    """Linear + ReLU layers, then a linear output."""

    def __init__(self, in_dim: int, hidden: Sequence[int], out_dim: int):
        super().__init__()
        layers, dim = [], in_dim
        for width in hidden:
            layers += [nn.Linear(dim, width), nn.ReLU()]
            dim = width
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x))
