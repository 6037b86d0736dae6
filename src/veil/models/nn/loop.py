"""The one training loop every neural model uses: epochs of steps, callbacks, history, early stopping,
validation, a time budget, the best weights kept and the learning rate lowered on plateaus."""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ...errors import TrainingDivergedError
from .distributed import current

Step = Callable[[], Mapping[str, torch.Tensor]]


@dataclass
class EarlyStopping:
    """Track ``monitor``: an improvement is a value below the best by more than ``min_delta``; stop after
    ``patience`` epochs without one (``None``: never stop, only track)."""

    monitor: str
    patience: int | None = 10
    min_delta: float = 0.0
    best: float = math.inf
    wait: int = 0

    def update(self, record: Mapping[str, float]) -> bool | None:
        """Whether ``record`` improved on the best (``None`` when it holds no finite value to judge)."""
        value = record.get(self.monitor)
        if value is None or not math.isfinite(value):
            return None
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
            return True
        self.wait += 1
        return False

    @property
    def exhausted(self) -> bool:
        return self.patience is not None and self.wait >= self.patience


@dataclass
class BestWeights:
    """A copy of some modules' weights at the best epoch so far; :meth:`restore` puts it back."""

    modules: Sequence[nn.Module]
    saved: list[dict[str, torch.Tensor]] | None = field(default=None, repr=False)

    def save(self) -> None:
        self.saved = [copy.deepcopy(m.state_dict()) for m in self.modules]

    def restore(self) -> None:
        if self.saved is not None:
            for module, state in zip(self.modules, self.saved):
                module.load_state_dict(state)


@dataclass
class LearningRateDecay:
    """Multiply the learning rate by ``factor`` after every ``patience`` epochs without improvement."""

    optimizer: torch.optim.Optimizer
    factor: float = 0.3
    patience: int = 2

    def plateau(self, epochs_without_improvement: int) -> None:
        if epochs_without_improvement % self.patience == 0:
            for group in self.optimizer.param_groups:
                group["lr"] *= self.factor


def _notify(callbacks: Sequence[Any], hook: str, *args: Any) -> bool:
    """Call ``hook`` on every callback that has it; True when one of them asks to stop."""
    stop = False
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if fn is not None and fn(*args) is True:
            stop = True
    return stop


def train(step: Step, *, epochs: int, steps_per_epoch: int, callbacks: Sequence[Any] = (),
          early_stopping: EarlyStopping | None = None, validate: Callable[[], Mapping[str, float]] | None = None,
          time_budget: float | None = None, best_weights: BestWeights | None = None,
          lr_decay: LearningRateDecay | None = None) -> list[dict[str, float]]:
    """Run ``epochs`` x ``steps_per_epoch`` calls of ``step`` (which returns detached loss tensors).

    Losses are summed as tensors and read once per epoch (no device sync per step). ``validate`` adds its
    figures to each epoch's record. ``early_stopping`` judges each record; on an improvement
    ``best_weights`` is saved (and restored at the end), on a plateau ``lr_decay`` lowers the learning rate.
    Training ends after ``time_budget`` seconds, mid-epoch if need be. Callbacks get
    ``on_fit_start(epochs)``, ``on_epoch_end(epoch, losses)`` (returning True stops training) and
    ``on_fit_end(history)``. Returns one record per epoch: ``{"epoch": e, loss name: mean, ...}``.

    Under data-parallel training (:mod:`.distributed`) each rank's step returns its share of the losses,
    summed over ranks here, and every decision to stop (time budget, early stopping, callbacks) is rank 0's.
    """
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    parallel = current()

    def out_of_time() -> bool:
        return time_budget is not None and parallel.agree(time.perf_counter() - started > time_budget)

    _notify(callbacks, "on_fit_start", epochs)
    for epoch in range(1, epochs + 1):
        sums: dict[str, torch.Tensor] = {}
        done = 0
        for _ in range(steps_per_epoch):
            for name, value in step().items():
                sums[name] = sums[name] + value if name in sums else value
            done += 1
            if out_of_time():
                break  # the budget ends mid-epoch on big tables
        record = {"epoch": float(epoch), **{k: float(v) / done for k, v in parallel.sum(sums).items()}}
        if validate is not None:
            record.update(validate())
        record = dict(zip(record, parallel.from_main(list(record.values()))))
        history.append(record)
        diverged = [k for k, v in record.items() if not math.isfinite(v)]
        if diverged:
            raise TrainingDivergedError(
                f"training diverged at epoch {epoch}: the {', '.join(diverged)} became NaN or infinite. Lower the "
                "learning rate or the batch size, or check the table for extreme values in a numerical column")
        stop = _notify(callbacks, "on_epoch_end", epoch, {k: v for k, v in record.items() if k != "epoch"})
        if early_stopping is not None:
            improved = early_stopping.update(record)
            if improved and best_weights is not None:
                best_weights.save()
            elif improved is False and lr_decay is not None:
                lr_decay.plateau(early_stopping.wait)
            stop = stop or early_stopping.exhausted
        if parallel.agree(stop) or out_of_time():
            break
    if best_weights is not None:
        best_weights.restore()
    _notify(callbacks, "on_fit_end", history)
    return history
