"""The Model protocol: what every generative model offers the synthesizer.

A model sees a float matrix and its spans (see :mod:`veil.encode.spans`); it never sees names,
strings or pandas, and does no I/O. Its whole learned state is a JSON-able config plus named numpy
arrays, so it can be saved without pickle and loaded on any device.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from ..encode.spans import Span

#: Rejection sampling (of a model under conditions, or of the synthesizer under rules) gives up once it
#: has drawn MIN_DRAWN rows and kept fewer than MIN_ACCEPTANCE of them, or drawn MAX_FACTOR times the rows
#: asked for (plus MIN_DRAWN) without finding them all.
MIN_ACCEPTANCE = 1e-4
MIN_DRAWN = 50_000
MAX_FACTOR = 2_000


def rejection_hopeless(found: int, drawn: int, wanted: int) -> bool:
    """Whether rejection sampling that has kept ``found`` of ``drawn`` rows, wanting ``wanted``, should stop."""
    return found < wanted and drawn >= MIN_DRAWN and (
        found / drawn < MIN_ACCEPTANCE or drawn >= MAX_FACTOR * wanted + MIN_DRAWN)


#: Conditions as the model sees them: span index -> a fixed encoded value (code or number).
Conditions = Mapping[int, float]


@runtime_checkable
class Callback(Protocol):
    """Receives training progress (see :func:`veil.models.nn.loop.train`). Each hook is optional:
    ``on_fit_start(epochs)``, ``on_epoch_end(epoch, losses)`` (returning True stops training) and
    ``on_fit_end(history)``."""

    def on_epoch_end(self, epoch: int, losses: Mapping[str, float]) -> bool | None: ...


@runtime_checkable
class Model(Protocol):
    name: ClassVar[str]

    def fit(self, matrix: np.ndarray, spans: Sequence[Span], *, rng: np.random.Generator,
            callbacks: Sequence[Any] = ()) -> Model: ...

    def sample(self, n: int, *, rng: np.random.Generator, conditions: Conditions | None = None) -> np.ndarray: ...

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> Model: ...

