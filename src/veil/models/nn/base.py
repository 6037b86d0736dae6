"""What every torch model shares: parameters, device, seeded generator, state without pickle."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ...encode.spans import Span, SpanSample
from ...errors import InvalidDataError, NotFittedError
from ..base import Conditions, rejection_hopeless
from .distributed import current
from .loop import EarlyStopping, Step, train
from .torch_utils import load_module_arrays, make_generator, module_arrays, resolve_device

#: rows generated per forward pass when sampling (bounds memory)
SAMPLE_CHUNK = 2_048
#: rows proposed at a time when sampling under conditions (most are rejected early and cost little)
PROPOSAL_CHUNK = 4_096


class TorchModel:
    """Base of the neural models. Subclasses set ``name``, ``defaults`` and ``networks`` and write
    ``_build(spans, extra, device, generator)``, ``fit(...)`` and ``sample(...)``."""

    name: ClassVar[str] = ""
    #: parameter name -> default
    defaults: ClassVar[dict[str, Any]] = {}
    #: attribute names of the fitted networks that are saved (``_build`` may narrow it per instance, as
    #: table-GAN does when it has no classifier)
    networks: tuple[str, ...] = ()
    #: run sampling chunks two at a time on a CPU (see :meth:`map_chunks`); worth it where the network is
    #: small next to the random draws and decoding around it
    chunks_side_by_side: ClassVar[bool] = False

    def __init__(self, **params: Any):
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown parameters {unknown}")
        self.params = {**self.defaults, **params}
        self.spans_: list[Span] | None = None
        self.history_: list[dict[str, float]] = []
        #: what DP-SGD spent (see :meth:`veil.models.nn.dp.DPSGD.report`); None when trained without DP
        self.privacy_: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("params")
        if params is not None and name in params:
            return params[name]
        raise AttributeError(name)

    # ------------------------------------------------------------------ hooks
    def _build(self, spans: Sequence[Span], extra: Mapping[str, Any], device: torch.device,
               generator: torch.Generator) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def _extra_state(self) -> dict[str, Any]:
        """JSON-able facts learned at fit that ``_build`` needs to rebuild the networks."""
        return {}

    # ------------------------------------------------------------------ shared
    def _prepare(self, matrix: np.ndarray, spans: Sequence[Span]) -> torch.device:
        """Check the matrix against its spans; the device to train on."""
        if matrix.ndim != 2 or matrix.shape[0] < 2:
            raise InvalidDataError(f"{type(self).__name__} needs a 2-D matrix with at least 2 rows")
        if sum(s.width for s in spans) != matrix.shape[1]:
            raise InvalidDataError("the matrix width does not match its spans")
        if not np.isfinite(matrix).all():
            raise InvalidDataError("the encoded matrix holds NaN or infinite values")
        return current().place(resolve_device(self.params.get("device")))

    def _start_fit(self, matrix: np.ndarray | None, spans: Sequence[Span], rng: np.random.Generator,
                   extra: Mapping[str, Any] | None = None) -> tuple[torch.device, torch.Generator]:
        """Check the matrix (None: the rows come from elsewhere, such as shards on disk), build the networks
        on the training device; that device and a generator on it."""
        device = self._prepare(matrix, spans) if matrix is not None else resolve_device(self.params.get("device"))
        generator = make_generator(rng, device)
        self._build(spans, extra or {}, device, generator)
        return device, generator

    def _run(self, step: Step, spans: Sequence[Span], *, steps_per_epoch: int, monitor: str,
             callbacks: Sequence[Any]) -> None:
        """Train every network with the shared loop (early stopping on ``monitor`` when asked), then
        leave them in evaluation mode and mark the model fitted."""
        networks = [getattr(self, name) for name in self.networks]
        patience = self.params.get("early_stopping_patience")
        set_train(networks, True)
        try:
            self.history_ = train(step, epochs=self.params["epochs"], steps_per_epoch=steps_per_epoch,
                                  callbacks=callbacks,
                                  early_stopping=EarlyStopping(monitor, patience=patience) if patience else None)
        finally:
            set_train(networks, False)
        self.spans_ = list(spans)

    def map_chunks(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        """Run independent sampling chunks (``fn`` over ``iterables``), two at a time where it pays.

        One chunk at a time, torch spreads each operation over its threads, but the random number
        generators and much of the decoding run on one thread. For models that set
        ``chunks_side_by_side``, on a CPU with several torch threads, two chunks run side by side
        instead, each on one torch thread (TVAE on Adult, two cores: 200,000 rows in 0.37 s instead of
        0.47 s, for about 65 MB more peak memory; CTGAN gains 7% for 240 MB, so it does not). Each
        chunk has its own seed, so the result is the same either way. While they run, torch's thread
        count is 1 for the whole process; it is restored afterwards.
        """
        tasks = list(zip(*iterables))
        threads = torch.get_num_threads()
        if not self.chunks_side_by_side or self.device_.type != "cpu" or threads < 2 or len(tasks) < 2:
            return iter([fn(*task) for task in tasks])
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                return iter(list(pool.map(lambda task: fn(*task), tasks)))
        finally:
            torch.set_num_threads(threads)

    def _sample_chunks(self, n: int, rng: np.random.Generator,
                       draw: Callable[[int, torch.Generator], SpanSample]) -> SpanSample:
        """``n`` rows as ``draw(size, generator)`` of at most :data:`SAMPLE_CHUNK` rows each (bounding memory),
        without gradients, from one generator seeded by ``rng``."""
        generator = make_generator(rng, self.device_)
        with torch.no_grad():
            parts = [draw(min(SAMPLE_CHUNK, n - start), generator) for start in range(0, n, SAMPLE_CHUNK)]
        return SpanSample.concat(parts) if parts else self.layout_.empty_sample()

    def _sample_allowed(self, n: int, rng: np.random.Generator, conditions: Conditions,
                        propose: Callable[[int, torch.Generator, dict[int, torch.Tensor]], SpanSample]) -> SpanSample:
        """``n`` rows whose every conditioned softmax span takes one of its allowed codes, by rejection.

        ``conditions`` maps a span index to a code or a list of allowed codes; ``propose(size, generator,
        allowed)`` draws ``size`` rows from the model and returns those it keeps (``allowed`` maps each
        conditioned span's position in :attr:`SpanSample.codes` to its codes), rejecting as early as the
        model allows, so a rare condition costs little per rejected row. Raises a clear error when the
        model gives the condition almost no probability."""
        allowed = self._allowed_codes(conditions)
        # two halves with their own seeds, side by side where the model allows (see map_chunks)
        sizes = [n - n // 2, n // 2] if n >= 2 * PROPOSAL_CHUNK else [n]
        seeds = rng.integers(2**62, size=len(sizes))

        def draw(wanted: int, seed: int) -> SpanSample:
            generator = make_generator(np.random.default_rng(seed), self.device_)
            parts: list[SpanSample] = []
            found = drawn = 0
            with torch.no_grad():
                while found < wanted:
                    rate = (found + 1) / (drawn + 1)
                    size = int(min(max((wanted - found) / rate * 1.1, 1_000), PROPOSAL_CHUNK))
                    part = propose(size, generator, allowed)
                    parts.append(part)
                    found, drawn = found + len(part), drawn + size
                    if rejection_hopeless(found, drawn, wanted):
                        raise InvalidDataError(
                            f"only {found} of {drawn:,} drawn rows meet the conditions; the model gives them "
                            "almost no probability. Ask for values the data holds more often")
            return SpanSample.concat(parts).take(slice(0, wanted)) if parts else self.layout_.empty_sample()

        return SpanSample.concat(list(self.map_chunks(draw, sizes, seeds)))

    def _allowed_codes(self, conditions: Conditions) -> dict[int, torch.Tensor]:
        """Conditions (span index -> code or codes) as position in :attr:`SpanSample.codes` -> allowed codes."""
        self._check_fitted()
        softmax = sorted(self.layout_.softmax_spans)
        allowed: dict[int, torch.Tensor] = {}
        for span, codes in conditions.items():
            codes = np.unique(np.atleast_1d(np.asarray(codes, dtype=np.int64)))
            span = int(span)
            if span not in softmax or not codes.size or codes.min() < 0 or codes.max() >= self.spans_[span].width:
                raise InvalidDataError("a condition names a column or value the model does not have")
            allowed[softmax.index(span)] = torch.as_tensor(codes, device=self.device_)
        return allowed

    def _check_fitted(self) -> None:
        if self.spans_ is None:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _check_unconditional(self, conditions: object) -> None:
        """Fitted, and asked for no conditions (for a model without native conditioning)."""
        self._check_fitted()
        if conditions:
            raise InvalidDataError(f"{type(self).__name__} has no native conditioning; conditional sampling comes "
                                   "with issue 8")

    @property
    def device_(self) -> torch.device:
        first = getattr(self, self.networks[0])
        return next(first.parameters()).device

    def to(self, device: str | torch.device) -> TorchModel:
        """Move the fitted networks (e.g. a model trained on a GPU, to the CPU)."""
        self._check_fitted()
        target = resolve_device(device)
        for name in self.networks:
            getattr(self, name).to(target)
        if getattr(self, "layout_", None) is not None:  # models over spans keep a device-bound layout
            self.layout_ = self.layout_.to(target)
        return self

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        for name in self.networks:
            arrays.update(module_arrays(getattr(self, name), name))
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()}
        config = {"params": params, "spans": [s.to_dict() for s in self.spans_],
                  "extra": self._extra_state(), "history": self.history_, "privacy": self.privacy_}
        return config, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> TorchModel:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in config["params"].items()}
        model = cls(**params)
        spans = [Span.from_dict(s) for s in config["spans"]]
        device = resolve_device(params.get("device"))
        generator = torch.Generator(device=device)
        generator.manual_seed(0)  # only fills weights that the saved arrays then replace
        model._build(spans, config.get("extra", {}), device, generator)
        for name in model.networks:
            load_module_arrays(getattr(model, name), arrays, name)
            getattr(model, name).eval()
        model.spans_ = spans
        model.history_ = [dict(r) for r in config.get("history", [])]
        model.privacy_ = config.get("privacy")
        return model


def set_train(modules: Sequence[nn.Module], training: bool) -> None:
    for m in modules:
        m.train(training)
