"""What the classic (non-Wasserstein) GANs share: their losses and their training set-up."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .torch_utils import RowBatches, adam


def discriminator_loss(real_logit: torch.Tensor, fake_logit: torch.Tensor) -> torch.Tensor:
    """Real rows are 1, generated rows 0 (binary cross-entropy on logits)."""
    bce = nn.functional.binary_cross_entropy_with_logits
    return bce(real_logit, torch.ones_like(real_logit)) + bce(fake_logit, torch.zeros_like(fake_logit))


def fooled_loss(fake_logit: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss, -log D(G(z)): low when the discriminator takes fakes for real."""
    return nn.functional.binary_cross_entropy_with_logits(fake_logit, torch.ones_like(fake_logit))


def gan_setup(rows: np.ndarray, generator_net: nn.Module, discriminator_net: nn.Module, device: torch.device,
              generator: torch.Generator, *, batch_size: int, lr: float, betas: tuple[float, float],
              weight_decay: float) -> tuple[RowBatches, torch.optim.Optimizer, torch.optim.Optimizer]:
    """Full batches of the real ``rows`` (on ``device``) and one Adam for each network, same settings."""
    batches = RowBatches(torch.from_numpy(rows).to(device), batch_size, generator, full_only=True)
    return (batches, adam(generator_net, device, lr=lr, betas=betas, weight_decay=weight_decay),
            adam(discriminator_net, device, lr=lr, betas=betas, weight_decay=weight_decay))
