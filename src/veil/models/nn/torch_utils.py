"""Devices, seeded generators, parameter initialisation and state, without global RNG state.

Modules are built on the ``meta`` device (building them normally would draw their initial weights from
torch's global generator) and then initialised from an explicit ``torch.Generator``.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping

import numpy as np
import torch
from torch import nn

from ...errors import InvalidParameterError
from .distributed import rand_rows

log = logging.getLogger("veil")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """'auto' or None -> CUDA when available, else CPU; 'cuda' without a GPU falls back to CPU with a warning."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError):
        raise InvalidParameterError(f"device must be 'auto', 'cpu' or 'cuda[:N]'. Got {device!r} instead.") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        log.warning("device %r was asked for but CUDA is not available; using the CPU", str(device))
        return torch.device("cpu")
    if chosen.type not in ("cpu", "cuda"):
        raise InvalidParameterError(f"device must be 'auto', 'cpu' or 'cuda[:N]'. Got {device!r} instead.")
    return chosen


def make_generator(rng: np.random.Generator, device: torch.device) -> torch.Generator:
    """A torch generator on ``device`` seeded from ``rng``."""
    gen = torch.Generator(device=device)
    gen.manual_seed(int(rng.integers(2**62)))
    return gen


def build(factory: Callable[[], nn.Module], device: torch.device, generator: torch.Generator) -> nn.Module:
    """Build a module without drawing from torch's global RNG, then initialise it from ``generator``."""
    with torch.device("meta"):
        module = factory()
    module = module.to_empty(device=device)
    init_parameters(module, generator)
    return module


def init_parameters(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default initialisation (uniform in +-1/sqrt(fan_in)), drawn from ``generator``."""
    with torch.no_grad():
        for sub in module.modules():
            if isinstance(sub, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm)):
                if getattr(sub, "weight", None) is not None:
                    sub.weight.fill_(1.0)
                    sub.bias.zero_()
                if isinstance(sub, nn.modules.batchnorm._BatchNorm):
                    sub.reset_running_stats()
                continue
            for _, param in sub.named_parameters(recurse=False):
                fan_in = _fan_in(sub, param)
                bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                param.uniform_(-bound, bound, generator=generator)
            for _, buf in sub.named_buffers(recurse=False):
                if buf.is_floating_point():
                    buf.zero_()


def _fan_in(module: nn.Module, param: torch.Tensor) -> int:
    weight = getattr(module, "weight", None)
    if isinstance(weight, torch.Tensor) and weight.dim() >= 2:
        return int(weight.shape[1] * (weight[0][0].numel() if weight.dim() > 2 else 1))
    if param.dim() >= 2:
        return int(param.shape[1])
    return int(param.shape[0])


class RowBatches:
    """Batches of ``batch`` rows of ``data``, through a new random permutation of the rows on every pass;
    ``full_only`` skips a pass's last, smaller batch (batch norm needs more than one row)."""

    def __init__(self, data: torch.Tensor, batch: int, generator: torch.Generator, *, full_only: bool = False):
        self.data, self.batch, self.generator = data, min(batch, data.shape[0]), generator
        self.order = torch.arange(data.shape[0], device=data.device)
        self.position = data.shape[0]
        self.end = data.shape[0] - self.batch + 1 if full_only else data.shape[0]

    def __call__(self) -> torch.Tensor:
        n = self.data.shape[0]
        if self.position >= self.end:
            self.order, self.position = torch.randperm(n, generator=self.generator, device=self.data.device), 0
        rows = self.order[self.position:self.position + self.batch]
        self.position += self.batch
        return self.data[rows]


def dropout(x: torch.Tensor, p: float, generator: torch.Generator, training: bool) -> torch.Tensor:
    """Inverted dropout with an explicit generator (``nn.Dropout`` draws from the global one)."""
    if not training or p <= 0:
        return x
    # uniform draws compared with p: ``bernoulli_`` is not vectorised on CPU and was 3x slower
    keep = rand_rows(x.shape, generator, x.device, x.dtype).ge_(p)  # the global batch's mask when data-parallel
    return x * keep.mul_(1.0 / (1.0 - p))  # 0 or 1/(1-p)


def module_arrays(module: nn.Module, prefix: str) -> dict[str, np.ndarray]:
    """A module's state as CPU numpy arrays (a GPU model saves CPU tensors)."""
    return {f"{prefix}.{k}": v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def load_module_arrays(module: nn.Module, arrays: Mapping[str, np.ndarray], prefix: str) -> None:
    """Load what :func:`module_arrays` wrote; shapes must match exactly."""
    start = prefix + "."
    state = {k[len(start):]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith(start)}
    expected = module.state_dict()
    if set(state) != set(expected):
        raise ValueError(f"the saved state of {prefix} does not match its network")
    for key, value in state.items():
        if tuple(value.shape) != tuple(expected[key].shape):
            raise ValueError(f"the saved state of {prefix} does not match its network")
    module.load_state_dict(state)


def adam(module: nn.Module, device: torch.device, *, lr: float, betas: tuple[float, float],
         weight_decay: float) -> torch.optim.Optimizer:
    """Adam over ``module``'s parameters, fused where the device has the kernel."""
    return torch.optim.Adam(module.parameters(), lr=lr, betas=betas, weight_decay=weight_decay,
                            **adam_options(device))


def descend(optimizer: torch.optim.Optimizer, loss: torch.Tensor,
            sync: Callable[[], None] | None = None) -> torch.Tensor:
    """One gradient step of ``optimizer`` on ``loss``; the loss, detached (for the history). ``sync`` runs
    between the backward pass and the step (the gradients' all-reduce of data-parallel training)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if sync is not None:
        sync()
    optimizer.step()
    return loss.detach()


def adam_options(device: torch.device) -> dict[str, bool]:
    """The fused Adam kernel where this torch has one for the device (one kernel per step, not one per
    parameter tensor: most of an optimiser step's time on small networks is launch overhead)."""
    return {"fused": True} if device.type in ("cpu", "cuda") else {}


def draw_categories(logits: torch.Tensor, temperature: float, generator: torch.Generator) -> torch.Tensor:
    """One category per row from logits (inverse CDF: one uniform per row)."""
    if temperature != 1.0:
        logits = logits / temperature
    weights = torch.exp(logits - logits.amax(dim=1, keepdim=True)).cumsum_(dim=1)
    u = torch.rand(logits.shape[0], 1, generator=generator, device=logits.device, dtype=logits.dtype)
    return torch.searchsorted(weights, u * weights[:, -1:]).squeeze(1).clamp_max_(logits.shape[1] - 1)


def draw_inverse_cdf(logits: torch.Tensor, u: torch.Tensor, groups: torch.Tensor | None = None) -> torch.Tensor:
    """One category per row of softmax(``logits``) by the inverse CDF of ``u`` (one uniform in [0, 1) per row):
    the first category whose cumulative probability reaches 1 - u (in (0, 1], so a category of probability 0
    is never drawn and no clamp is needed).

    With ``groups`` ([n] row indices into ``logits``), row i draws from ``logits[groups[i]]``: rows that share a
    distribution share its softmax. The groups' normalised CDFs, shifted by the group index, make one sorted
    float64 sequence, searched once for group + 1 - u."""
    weights = torch.softmax(logits, dim=1).cumsum_(dim=1)
    if groups is None:
        threshold = u.neg().add_(1).mul_(weights[:, -1])
        return torch.searchsorted(weights, threshold[:, None]).squeeze(1)
    shifted = (weights / weights[:, -1:]).double()
    shifted += torch.arange(weights.shape[0], device=weights.device, dtype=torch.float64)[:, None]
    found = torch.searchsorted(shifted.reshape(-1), groups.double() + (1 - u.double()))
    return found - groups * weights.shape[1]
