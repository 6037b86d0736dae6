"""Network blocks shared by the neural models."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .distributed import BatchNorm1d
from .torch_utils import dropout


class Residual(nn.Module):
    """Linear -> batch norm -> ReLU, with the input concatenated to the output (CTGAN's generator block)."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.bn = BatchNorm1d(out_dim)  # nn.BatchNorm1d, over the global batch when data-parallel

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


def square_side(width: int) -> int:
    """The side of the square image a row of ``width`` values is laid out in (table-GAN): the smallest
    power of two, at least 4, whose square holds the row."""
    side = 4
    while side * side < width:
        side *= 2
    return side


class ConvDiscriminator(nn.Module):
    """DCGAN discriminator over a ``1 x side x side`` image: 4x4 convolutions of stride 2 (halving the side
    down to 2, doubling the channels from ``channels``), batch norm after all but the first, LeakyReLU(0.2),
    and a linear output over the flattened features. ``forward`` returns ``(logits, features)``; the
    features are what table-GAN's information loss compares."""

    def __init__(self, side: int, channels: int, out_dim: int = 1):
        super().__init__()
        layers: list[nn.Module] = []
        size, c_in, c_out = side, 1, channels
        while size > 2:
            layers.append(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1, bias=not layers))
            if layers[1:]:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2))
            size, c_in, c_out = size // 2, c_out, c_out * 2
        self.side = side
        self.body = nn.Sequential(*layers)
        self.feature_dim = c_in * size * size
        self.out = nn.Linear(self.feature_dim, out_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(x.reshape(-1, 1, self.side, self.side)).flatten(1)
        return self.out(features), features


class ConvGenerator(nn.Module):
    """DCGAN generator: noise -> a ``channels x 2 x 2`` map (linear, batch norm, ReLU), then 4x4
    fractionally-strided convolutions of stride 2 (doubling the side, halving the channels; batch norm and
    ReLU) up to one ``side x side`` channel, flattened. The output is raw: the caller's activation
    (tanh for values, softmax for one-hot spans) follows."""

    def __init__(self, noise_dim: int, side: int, channels: int):
        super().__init__()
        steps = side.bit_length() - 2  # 2 -> side in doublings
        top = channels * 2 ** (steps - 1)
        self.top = top
        self.project = nn.Linear(noise_dim, top * 4, bias=False)
        self.project_norm = nn.BatchNorm2d(top)
        layers: list[nn.Module] = []
        c_in = top
        for i in range(steps):
            last = i == steps - 1
            c_out = 1 if last else c_in // 2
            layers.append(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=last))
            if not last:
                layers += [nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.project_norm(self.project(z).reshape(-1, self.top, 2, 2)))
        return self.body(h).flatten(1)


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination (Salimans et al., 2016): for each of ``kernels`` projections of size
    ``kernel_dim``, how close a row is to the other rows of its batch, sum_j exp(-L1(M_i - M_j));
    appended to the input so a critic can see a collapsed batch."""

    def __init__(self, in_dim: int, kernels: int, kernel_dim: int):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.projection = nn.Linear(in_dim, kernels * kernel_dim, bias=False)
        self.out_dim = in_dim + kernels

    def forward(self, x: torch.Tensor, groups: int = 1) -> torch.Tensor:
        """``groups``: ``x`` holds that many equal batches one after the other; rows are compared only
        with the rows of their own batch."""
        m = self.projection(x).reshape(groups, -1, self.kernels, self.kernel_dim).transpose(1, 2)
        distance = torch.cdist(m, m, p=1)  # [groups, kernels, batch, batch]; 4x faster than broadcasting
        closeness = torch.exp(-distance).sum(3) - 1.0  # minus each row's closeness to itself
        return torch.cat([x, closeness.transpose(1, 2).reshape(x.shape[0], self.kernels)], dim=1)


class DiversityCritic(nn.Module):
    """TGAN's discriminator: an MLP whose every layer is linear, batch norm and LeakyReLU(0.2) over the
    previous layer with its minibatch-discrimination features appended; a linear output (a logit).

    Give it real and generated rows together (``groups=2``): batch norm over a batch of generated rows
    alone subtracts that batch's own mean, so a generator whose columns are all shifted goes unseen
    (TGAN on Adult put capital-gain's scalar at 0.92 against the real 0.00, and four more columns off
    by 0.3 to 0.9, while the standard deviations matched). Minibatch features stay within each group."""

    def __init__(self, in_dim: int, hidden: Sequence[int], kernels: int = 10, kernel_dim: int = 10):
        super().__init__()
        self.layers = nn.ModuleList()
        self.diversity = nn.ModuleList()
        dim = in_dim
        for i, width in enumerate(hidden):
            if i:
                self.diversity.append(MinibatchDiscrimination(dim, kernels, kernel_dim))
                dim += kernels
            self.layers.append(nn.Sequential(nn.Linear(dim, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.2)))
            dim = width
        self.last_diversity = MinibatchDiscrimination(dim, kernels, kernel_dim)
        self.out = nn.Linear(dim + kernels, 1)

    def forward(self, x: torch.Tensor, groups: int = 1) -> torch.Tensor:
        h = self.layers[0](x)
        for diversity, layer in zip(self.diversity, self.layers[1:]):
            h = layer(diversity(h, groups))
        return self.out(self.last_diversity(h, groups))
