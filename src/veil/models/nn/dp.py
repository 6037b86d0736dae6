"""DP-SGD for the neural models: Poisson-sampled batches, per-sample gradients, clipping, Gaussian noise,
and an RDP accountant (Abadi et al., 2016; Mironov, 2017).

Clipping, noise and accounting are opacus's: its :class:`~opacus.optimizers.DPOptimizer` clips each
row's whole gradient to ``max_grad_norm`` and adds N(0, (noise_multiplier * max_grad_norm)^2) to their
sum, and its :class:`~opacus.accountants.RDPAccountant` composes the subsampled Gaussian mechanism step
by step. The per-sample gradients are computed here with ``torch.func`` (``vmap`` of ``grad`` over the
rows), so that any of veil's networks, whatever its layers, can be trained privately: the model writes
the loss of one row, the trainer does the rest.

The noise multiplier is chosen before training, so that ``epochs`` passes at sampling rate
``batch_size / rows`` spend exactly the training budget; training never takes a step past it.

Data-parallel (:mod:`.distributed`): every rank draws the same Poisson batch (a sampling generator whose
secret seed rank 0 sends to all), the models give each rank its slice of it, each rank sums the clipped
per-sample gradients of its slice, rank 0 alone adds the Gaussian noise (from its own secret generator:
the other ranks never draw any), the sums are all-reduced and divided by the global expected batch
size. The accountant sees the global sampling rate: the mechanism is exactly one process's.
"""
from __future__ import annotations

import math
import secrets
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from ...errors import InvalidParameterError
from .distributed import current

#: the unit of privacy: one row of the training table (add / remove adjacency)
UNIT = "row"
#: noise multiplier of the private counts a model may release before training (sigma = this x sqrt(columns))
MARGINAL_NOISE = 10.0


def accountant_epsilon(noise_multiplier: float, sample_rate: float, steps: int, delta: float,
                       prior: Sequence[tuple[float, float, int]] = ()) -> float:
    """ε after ``steps`` steps of the Poisson-subsampled Gaussian mechanism (RDP accountant, opacus), after
    the releases in ``prior`` (each (noise multiplier, sample rate, steps))."""
    from opacus.accountants import RDPAccountant

    history = [*prior, *([(noise_multiplier, sample_rate, steps)] if steps > 0 else [])]
    if not history:
        return 0.0
    accountant = RDPAccountant()
    accountant.history.extend(history)
    with warnings.catch_warnings():  # "optimal order is the largest alpha": the bound is valid, if loose
        warnings.simplefilter("ignore", UserWarning)
        return float(accountant.get_epsilon(delta=delta))


def noise_for_budget(epsilon: float, delta: float, sample_rate: float, steps: int,
                     prior: Sequence[tuple[float, float, int]] = ()) -> float:
    """The smallest noise multiplier (to 1%) whose ``steps`` steps at ``sample_rate``, after ``prior``,
    spend at most ε."""
    if not prior:
        from opacus.accountants.utils import get_noise_multiplier

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return float(get_noise_multiplier(target_epsilon=epsilon, target_delta=delta, sample_rate=sample_rate,
                                              steps=steps, accountant="rdp"))
    if accountant_epsilon(0.0, sample_rate, 0, delta, prior) >= epsilon:
        raise InvalidParameterError("the privacy budget is too small for this training; raise epsilon")
    low, high = 0.0, 10.0
    while accountant_epsilon(high, sample_rate, steps, delta, prior) > epsilon:
        low, high = high, 2 * high
    while high - low > 0.01 * high:
        middle = (low + high) / 2
        if accountant_epsilon(middle, sample_rate, steps, delta, prior) > epsilon:
            low = middle
        else:
            high = middle
    return high


def secret_generator(device: torch.device, *, shared: bool = False) -> torch.Generator:
    """A generator seeded from the operating system's entropy: private noise never follows the seed.
    ``shared``: under data-parallel training, every rank gets rank 0's secret seed (for draws that all
    ranks must make alike)."""
    seed = current().shared_seed() if shared else None
    generator = torch.Generator(device=device)
    generator.manual_seed(secrets.randbits(63) if seed is None else seed)
    return generator


def noisy_counts(columns: torch.Tensor, sizes: Sequence[int],
                 noise_multiplier: float = MARGINAL_NOISE) -> tuple[list[torch.Tensor], tuple[float, float, int]]:
    """Every token column's counts with Gaussian noise: a row adds 1 to one bin of each of the k columns
    (L2 sensitivity sqrt(k)), so the noise is ``noise_multiplier * sqrt(k)``; with the release as the
    accountant sees it (one step at sampling rate 1)."""
    generator = secret_generator(columns.device, shared=True)  # the same counts on every rank
    scale = noise_multiplier * math.sqrt(len(sizes))
    counts = [torch.bincount(columns[:, j], minlength=size).to(torch.float32)
              + scale * torch.randn(size, generator=generator, device=columns.device)
              for j, size in enumerate(sizes)]
    return counts, (noise_multiplier, 1.0, 1)


def private_options(dp: Mapping[str, Any]) -> dict[str, Any]:
    """A model's ``dp`` parameter (epsilon, delta, optional max_grad_norm, optional rows: the noisy row
    count of the private schema) as :class:`DPSGD` arguments."""
    return {"epsilon": float(dp["epsilon"]), "delta": float(dp["delta"]),
            "max_grad_norm": float(dp.get("max_grad_norm", 1.0)),
            "public_rows": int(dp["rows"]) if dp.get("rows") else None}


def functional(module: nn.Module, params: Mapping[str, torch.Tensor], prefix: str) -> Callable[..., Any]:
    """``module`` called with the entries of ``params`` whose names start with ``prefix.`` as its weights."""
    own = {name[len(prefix) + 1:]: value for name, value in params.items() if name.startswith(prefix + ".")}

    def call(*args: Any, **kwargs: Any) -> Any:
        return functional_call(module, own, args, kwargs)

    return call


class DPSGD:
    """Differentially private training of the named parameters of some modules.

    ``step(loss_of_row, *columns)``: ``columns`` are tensors with one entry per row of a Poisson batch
    (see :meth:`batch`); ``loss_of_row(params, *row)`` returns the scalar loss of one row, computing the
    networks with :func:`functional` over ``params``. One call is one private step.
    """

    def __init__(self, modules: Mapping[str, nn.Module], optimizer: torch.optim.Optimizer, *, rows: int,
                 batch_size: int, epochs: int, epsilon: float, delta: float, max_grad_norm: float,
                 noise_multiplier: float | None = None, prior: Sequence[tuple[float, float, int]] = (),
                 public_rows: int | None = None):
        from opacus.optimizers import DPOptimizer

        if not (epsilon > 0 and 0 < delta < 1 and max_grad_norm > 0):
            raise InvalidParameterError("differential privacy needs epsilon > 0, 0 < delta < 1 and max_grad_norm > 0")
        self.modules = dict(modules)
        self.params = {f"{m}.{name}": p for m, module in self.modules.items()
                       for name, p in module.named_parameters() if p.requires_grad}
        # sampling and noise must stay secret, so they never come from the (possibly public) seed
        self.generator = secret_generator(next(iter(self.params.values())).device)
        self.parallel = current()
        # Poisson sampling: the same batches on every rank when data-parallel; noise: rank 0's generator only
        self.sampling = (self.generator if self.parallel.world == 1
                         else secret_generator(self.generator.device, shared=True))
        self.rows = rows
        # the sampling rate is released in the model file, so it comes from the noisy row count when known
        self.sample_rate = min(batch_size / (public_rows or rows), 1.0)
        self.batch_size = batch_size
        self.steps = epochs * self.steps_per_epoch
        self.epsilon, self.delta, self.max_grad_norm = epsilon, delta, max_grad_norm
        self.prior = list(prior)  # releases made before training (such as noisy marginals), in the same budget
        self.noise_multiplier = (noise_for_budget(epsilon, delta, self.sample_rate, self.steps, self.prior)
                                 if noise_multiplier is None else noise_multiplier)
        self.optimizer = DPOptimizer(optimizer, noise_multiplier=self.noise_multiplier, max_grad_norm=max_grad_norm,
                                     expected_batch_size=max(int(round(self.sample_rate * (public_rows or rows))), 1),
                                     generator=self.generator)
        self.taken = 0

    @property
    def steps_per_epoch(self) -> int:
        """Steps that sample each row once on average."""
        return max(int(round(1 / self.sample_rate)), 1)

    @property
    def spent(self) -> float:
        """ε spent so far (δ fixed)."""
        if self.noise_multiplier <= 0:
            return math.inf if self.taken else 0.0
        return accountant_epsilon(self.noise_multiplier, self.sample_rate, self.taken, self.delta, self.prior)

    @property
    def exhausted(self) -> bool:
        return self.taken >= self.steps

    def batch(self) -> torch.Tensor:
        """Row indices of a Poisson batch: each row independently with probability ``sample_rate``."""
        device = next(iter(self.params.values())).device
        keep = torch.rand(self.rows, generator=self.sampling, device=device) < self.sample_rate
        return keep.nonzero().squeeze(1)

    def per_sample_gradients(self, loss_of_row: Callable[..., torch.Tensor],
                             columns: Sequence[torch.Tensor]) -> dict[str, torch.Tensor]:
        """Each row's gradient of ``loss_of_row``, per parameter: ``{name: [rows, *shape]}``."""
        params = {name: p.detach() for name, p in self.params.items()}
        n = columns[0].shape[0]
        if n == 0:
            return {name: torch.zeros((0, *p.shape), device=p.device, dtype=p.dtype) for name, p in params.items()}

        def one(params: dict[str, torch.Tensor], *row: torch.Tensor) -> torch.Tensor:
            return loss_of_row(params, *(r.unsqueeze(0) for r in row))

        return vmap(grad(one), in_dims=(None, *([0] * len(columns))))(params, *columns)

    def step(self, loss_of_row: Callable[..., torch.Tensor], *columns: torch.Tensor) -> None:
        """One private step on the rows in ``columns`` (a Poisson batch): clip, noise, update, account."""
        if self.exhausted:
            raise RuntimeError("the privacy budget is spent; no further step may be taken")
        grads = self.per_sample_gradients(loss_of_row, columns)
        for name, p in self.params.items():
            p.grad_sample = grads[name]
        if self.parallel.world == 1:
            self.optimizer.step()
        else:
            self._parallel_step()
        self.optimizer.zero_grad(set_to_none=True)
        self.taken += 1

    def _parallel_step(self) -> None:
        """DPOptimizer's step with the ranks' clipped sums all-reduced, noise added by rank 0 alone."""
        optimizer = self.optimizer
        optimizer.clip_and_accumulate()  # each p.summed_grad: this rank's sum of clipped per-sample gradients
        if self.parallel.is_main:
            optimizer.add_noise()
        else:
            for p in optimizer.params:
                p.grad = p.summed_grad.view_as(p).clone()
        self.parallel.sum_gradients(optimizer.params)
        optimizer.scale_grad()  # / the global expected batch size
        optimizer.original_optimizer.step()

    def report(self) -> dict[str, Any]:
        """What the model file records about the training's privacy."""
        return {"epsilon": self.spent, "delta": self.delta, "noise_multiplier": self.noise_multiplier,
                "max_grad_norm": self.max_grad_norm, "sample_rate": self.sample_rate, "steps": self.taken,
                "unit": UNIT, "accountant": "rdp (opacus)",
                "before_training": [{"noise_multiplier": z, "sample_rate": q, "steps": t} for z, q, t in self.prior]}
