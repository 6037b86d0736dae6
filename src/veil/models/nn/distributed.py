"""Data-parallel training over several processes (``torchrun``), for CTGAN, TVAE and the autoregressive model.

Every process (rank) runs the same pipeline with the same seed, so it holds the same encoders, the same
initial weights and the same random generators; :meth:`DataParallel.sync_gradients` checks the weights
the first time it meets them (a checksum all-reduce) and raises a clear error if the ranks differ. At
each step every rank draws the same *global* batch (the same shuffle) and works on its contiguous slice
of it (:meth:`DataParallel.local_rows`). Per-row random draws stay those of one
process: the models draw model-level noise (latent noise, conditional vectors) for the global batch and
cut out their rows, and inside :meth:`DataParallel.local_batch` the draws hidden in the networks
(dropout masks, Gumbel noise, through :func:`rand_rows`) are made for the global batch and cut too,
while :class:`BatchNorm1d` normalises with the global batch's statistics. A run of ``n`` processes
therefore computes the gradients of one process, up to the order of floating-point sums.

After the backward pass the gradients of all ranks are summed in one flat buffer (the all-reduce
``DistributedDataParallel`` performs), each weighted by its share of the global batch. The models do it
explicitly rather than through ``DistributedDataParallel``, whose hooks cannot follow CTGAN's gradient
penalty (a double backward through the critic) nor DP-SGD's per-sample gradients. Decisions that end
training (early stopping, the time budget, callbacks) are rank 0's, broadcast (see :mod:`.loop`), so no
rank waits for one that has stopped.

Without ``torchrun`` (or before :func:`launch`) :func:`current` is :data:`LOCAL`, a one-process instance
whose every method costs nothing, so the models call it unconditionally.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import torch
from torch import nn

from ...errors import InvalidDataError, InvalidParameterError

#: the models that train data-parallel
SUPPORTED = ("ctgan", "tvae", "autoregressive")
#: what torchrun sets in each process's environment
TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
LAUNCH_HINT = "torchrun --nproc-per-node 2 -m veil fit data.csv -o model.veil --distributed"

#: (global rows, this rank's rows in them) while a network runs on a slice of a global batch
_window: tuple[int, slice | torch.Tensor] | None = None


def _count(rows: slice | torch.Tensor) -> int:
    return rows.stop - rows.start if isinstance(rows, slice) else int(rows.shape[0])


class DataParallel:
    """This process's place among ``world`` processes training one model together (rank 0 is the main)."""

    def __init__(self, rank: int = 0, world: int = 1, device: torch.device | None = None):
        self.rank, self.world = rank, world
        #: where the collectives' tensors live (the GPU under NCCL)
        self.device = device or torch.device("cpu")
        #: id -> weak reference of the parameters whose first synchronisation checked that every rank holds
        #: the same values (a freed parameter's id may come back, on one rank and not another)
        self._verified: dict[int, weakref.ref] = {}

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    # ------------------------------------------------------------------ batches
    def local_rows(self, global_rows: int) -> slice:
        """This rank's contiguous share of ``global_rows`` (shares differ by at most one row)."""
        return slice(global_rows * self.rank // self.world, global_rows * (self.rank + 1) // self.world)

    def local_batch(self, global_rows: int, rows: slice | torch.Tensor) -> contextlib.AbstractContextManager:
        """While open, a network runs on ``rows`` (a slice or index) of a global batch of ``global_rows``:
        :func:`rand_rows` draws for the whole batch and keeps those rows, and :class:`BatchNorm1d` uses
        the global batch's statistics."""
        if self.world == 1:
            return contextlib.nullcontext()
        return _opened(global_rows, rows)

    def share(self, value: torch.Tensor, local_n: int, global_n: int) -> torch.Tensor:
        """A per-row mean over this rank's rows, weighted by their share of the global batch, so that the
        shares of all ranks add up to the global mean (what a step reports, summed over ranks by the loop)."""
        if self.world == 1:
            return value
        return value * (local_n / global_n) if local_n else torch.zeros_like(value)

    # ------------------------------------------------------------------ gradients
    def sync_gradients(self, parameters: Iterable[nn.Parameter], local_n: int, global_n: int) -> None:
        """Make every rank's gradients the gradient of the per-row-mean loss over the global batch: the sum
        over ranks of each one's gradient times ``local_n / global_n``, in one flat all-reduce."""
        if self.world > 1:
            self._all_reduce(list(parameters), local_n / global_n)

    def sum_gradients(self, parameters: Iterable[nn.Parameter]) -> None:
        """Sum the gradients over ranks (DP-SGD: sums of clipped per-sample gradients, and rank 0's noise)."""
        if self.world > 1:
            self._all_reduce(list(parameters), 1.0)

    def _all_reduce(self, params: list[nn.Parameter], weight: float) -> None:
        import torch.distributed as dist

        known = self._verified.get(id(params[0])) if params else None
        if params and (known is None or known() is not params[0]):
            self.check_same(params, "the initial weights")
            self._verified.update((id(p), weakref.ref(p)) for p in params)
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads]).to(self.device)
        flat = flat.mul_(weight) if weight else flat.zero_()  # an empty slice's mean is NaN: it adds nothing
        dist.all_reduce(flat)
        start = 0
        for p in params:
            size = p.numel()
            p.grad = flat[start:start + size].view_as(p).to(p.device, p.dtype)
            start += size

    # ------------------------------------------------------------------ agreement
    def check_same(self, tensors: Iterable[torch.Tensor], what: str) -> None:
        """Raise :class:`InvalidDataError` unless every rank holds the same ``tensors`` (compared through a
        few float64 checksums: element count, sum, sum of squares and a position-weighted sum)."""
        if self.world == 1:
            return
        import torch.distributed as dist

        sums = torch.zeros(4, dtype=torch.float64, device=self.device)
        with torch.no_grad():
            for t in tensors:
                flat = t.detach().reshape(-1).to(self.device, torch.float64)
                ramp = torch.linspace(1.0, 2.0, flat.numel(), dtype=torch.float64, device=self.device)
                sums += torch.stack([flat.new_tensor(float(flat.numel())), flat.sum(), (flat * flat).sum(),
                                     (flat * ramp).sum()])
        low, high = sums.clone(), sums.clone()
        dist.all_reduce(low, op=dist.ReduceOp.MIN)
        dist.all_reduce(high, op=dist.ReduceOp.MAX)
        if not torch.equal(low, high):
            raise InvalidDataError(
                f"the {self.world} training processes do not hold the same {what}: every process must read "
                "the same table with the same seed and the same options")

    def agree(self, flag: bool) -> bool:
        """Rank 0's ``flag`` on every rank (so that all stop together)."""
        if self.world == 1:
            return flag
        return bool(self.from_main([float(flag)])[0])

    def from_main(self, values: list[float]) -> list[float]:
        """Rank 0's ``values`` on every rank (same length everywhere)."""
        if self.world == 1:
            return values
        import torch.distributed as dist

        buffer = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.broadcast(buffer, src=0)
        return buffer.tolist()

    def sum(self, values: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Each value summed over ranks (every rank must pass the same names, in the same order)."""
        if self.world == 1 or not values:
            return dict(values)
        import torch.distributed as dist

        stacked = torch.stack([v.detach().reshape(()).to(self.device, torch.float64) for v in values.values()])
        dist.all_reduce(stacked)
        return dict(zip(values, stacked.unbind()))

    def total(self, value: float) -> float:
        """``value`` summed over ranks."""
        return value if self.world == 1 else float(self.sum({"v": torch.tensor(value, dtype=torch.float64)})["v"])

    def shared_seed(self) -> int | None:
        """A secret seed drawn by rank 0 and sent to every rank (for the releases of differential privacy
        that every rank must draw alike: noisy counts, the private schema, Poisson sampling); ``None`` in
        one process, where callers use their own entropy as before."""
        if self.world == 1:
            return None
        import torch.distributed as dist

        seed = torch.tensor([secrets.randbits(63) if self.is_main else 0], dtype=torch.int64, device=self.device)
        dist.broadcast(seed, src=0)
        return int(seed.item())

    def place(self, device: torch.device) -> torch.device:
        """The training device of this rank: ``cuda:LOCAL_RANK`` under NCCL, else ``device``."""
        return self.device if device.type == "cuda" and self.device.type == "cuda" else device


#: the one-process instance: every method is free
LOCAL = DataParallel()
_current = LOCAL


def current() -> DataParallel:
    """The data-parallel context of this process (:data:`LOCAL` unless :func:`launch` is open)."""
    return _current


@contextlib.contextmanager
def _opened(global_rows: int, rows: slice | torch.Tensor) -> Iterator[None]:
    global _window
    previous, _window = _window, (global_rows, rows)
    try:
        yield
    finally:
        _window = previous


def rand_rows(shape: torch.Size | tuple[int, ...], generator: torch.Generator | None, device: torch.device,
              dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Uniform draws of ``shape`` whose first dimension is rows. Inside :meth:`DataParallel.local_batch`
    they are drawn for the global batch and this rank's rows kept, so every rank's generator stays in step
    and the draws are those of one process."""
    if _window is None:
        return torch.rand(shape, generator=generator, device=device, dtype=dtype)
    global_rows, rows = _window
    if shape[0] != _count(rows):
        raise RuntimeError(f"a per-row draw of {shape[0]} rows inside a local batch of {_count(rows)}")
    draws = torch.rand((global_rows, *shape[1:]), generator=generator, device=device, dtype=dtype)
    return draws[rows]


class _SumOverRanks(torch.autograd.Function):
    """All-reduce (sum) whose backward sums the ranks' gradients weighted by their shares of the batch and
    divides by this rank's (its gradients are multiplied by it again in ``sync_gradients``)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, share: float) -> torch.Tensor:
        import torch.distributed as dist

        ctx.share = share
        out = x.clone()
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        import torch.distributed as dist

        grad = grad * ctx.share
        dist.all_reduce(grad)
        return (grad / ctx.share if ctx.share else torch.zeros_like(grad)), None


class BatchNorm1d(nn.BatchNorm1d):
    """``nn.BatchNorm1d`` (same parameters, buffers and state) that, inside
    :meth:`DataParallel.local_batch` while training, normalises with the mean and variance of the global
    batch (two all-reduces, differentiable) and updates its running statistics with them, as one process
    would. Elsewhere it is ``nn.BatchNorm1d``. (torch's ``SyncBatchNorm`` takes GPU tensors only.)"""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _window is None or not self.training:
            return super().forward(x)
        global_rows, rows = _window
        share = x.shape[0] / global_rows
        stats = _SumOverRanks.apply(torch.cat([x.sum(0), x.new_tensor([float(x.shape[0])])]), share)
        n = stats[-1].detach()
        mean = stats[:-1] / n
        var = _SumOverRanks.apply(((x - mean) ** 2).sum(0), share) / n
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean.mul_(1 - momentum).add_(momentum * mean.detach())
                self.running_var.mul_(1 - momentum).add_(momentum * var.detach() * n / (n - 1).clamp_min(1))
        out = (x - mean) / torch.sqrt(var + self.eps)
        return out * self.weight + self.bias if self.affine else out


def from_environment() -> dict[str, int]:
    """Rank, world size and local rank from torchrun's environment; a clear error when it is not there."""
    missing = [v for v in TORCHRUN_VARIABLES if not os.environ.get(v)]
    if missing:
        raise InvalidParameterError(
            f"--distributed needs the environment torchrun sets ({', '.join(missing)} missing); start every "
            f"process with torchrun, for example: {LAUNCH_HINT}")
    try:
        return {k: int(os.environ[k.upper()]) for k in ("rank", "world_size", "local_rank")}
    except ValueError:
        raise InvalidParameterError("RANK, WORLD_SIZE and LOCAL_RANK must be whole numbers") from None


@contextlib.contextmanager
def launch(device: str | torch.device | None = None) -> Iterator[DataParallel]:
    """Join the process group torchrun describes (gloo on the CPU, NCCL on CUDA, where each rank takes
    ``cuda:LOCAL_RANK``), make it :func:`current` for the models, and leave it at the end."""
    import torch.distributed as dist

    from .torch_utils import resolve_device

    global _current
    env = from_environment()
    cuda = resolve_device(device).type == "cuda"
    place = torch.device("cuda", env["local_rank"]) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(place)
    dist.init_process_group("nccl" if cuda else "gloo", rank=env["rank"], world_size=env["world_size"],
                            **({"device_id": place} if cuda else {}))
    previous, _current = _current, DataParallel(env["rank"], env["world_size"], place)
    try:
        yield _current
    finally:
        _current = previous
        dist.destroy_process_group()
