"""The one training loop every neural model uses: epochs of steps, callbacks, history, early stopping."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

Step = Callable[[], Mapping[str, torch.Tensor]]


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    monitor: str
    patience: int = 10
    min_delta: float = 0.0
    best: float = math.inf
    wait: int = 0

    def should_stop(self, record: Mapping[str, float]) -> bool:
        value = record.get(self.monitor)
        if value is None or not math.isfinite(value):
            return False
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
            return False
        self.wait += 1
        return self.wait >= self.patience


def _notify(callbacks: Sequence[Any], hook: str, *args: Any) -> bool:
    """Call ``hook`` on every callback that has it; True when one of them asks to stop."""
    stop = False
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if fn is not None and fn(*args) is True:
            stop = True
    return stop


def train(step: Step, *, epochs: int, steps_per_epoch: int, callbacks: Sequence[Any] = (),
          early_stopping: EarlyStopping | None = None) -> list[dict[str, float]]:
    """Run ``epochs`` x ``steps_per_epoch`` calls of ``step`` (which returns detached loss tensors).

    Losses are summed as tensors and read once per epoch (no device sync per step). Callbacks get
    ``on_fit_start(epochs)``, ``on_epoch_end(epoch, losses)`` (returning True stops training) and
    ``on_fit_end(history)``. Returns one record per epoch: ``{"epoch": e, loss name: mean, ...}``.
    """
    history: list[dict[str, float]] = []
    _notify(callbacks, "on_fit_start", epochs)
    for epoch in range(1, epochs + 1):
        sums: dict[str, torch.Tensor] = {}
        for _ in range(steps_per_epoch):
            for name, value in step().items():
                sums[name] = sums[name] + value if name in sums else value
        record = {"epoch": float(epoch), **{k: float(v) / steps_per_epoch for k, v in sums.items()}}
        history.append(record)
        stop = _notify(callbacks, "on_epoch_end", epoch, {k: v for k, v in record.items() if k != "epoch"})
        if stop or (early_stopping is not None and early_stopping.should_stop(record)):
            break
    _notify(callbacks, "on_fit_end", history)
    return history
