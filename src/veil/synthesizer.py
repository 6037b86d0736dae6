"""Synthesizer: what users hold. It composes metadata, PII handling, an encoder and a model.

``fit(table)`` learns; ``sample(n, seed=...)`` returns a new table; ``save(path)`` / ``veil.load(path)``
keep it. Constructor arguments are stored as given and validated at ``fit`` (scikit-learn style);
fitted attributes end in ``_``.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from . import _params as P
from .constraints.plan import ConstraintPlan
from .constraints.rules import FixedCombinations, OneHot
from .errors import InvalidDataError, InvalidParameterError, NotFittedError
from .metadata import Metadata
from .protect.dp import PREPROCESSING_SHARE, PrivateSchema
from .protect.values import DEFAULT_THRESHOLD, ValueProtection
from .sample.resynthesis import ColumnResynthesizer
from .sample.rows import RowSampler

log = logging.getLogger("veil")

#: fewer rows than this cannot be learned from
MIN_ROWS = 2
#: rows generated and decoded at a time by ``sample``
SAMPLE_CHUNK = 50_000


class Synthesizer:
    """Base class. Subclasses name their model and build encoder and model in two hooks."""

    model_name: ClassVar[str] = ""
    #: the encoder and model classes this synthesizer composes (used to rebuild it from a file)
    encoder_class: ClassVar[type]
    model_class: ClassVar[type]
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "metadata": [P.NONE, P.InstanceOf((Metadata,), "a veil.Metadata")],
        "enforce_min_max_values": P.BOOL,
        "enforce_rounding": P.BOOL,
        "locale": P.InstanceOf((str,), "a Faker locale string such as 'en_US'"),
        "seed": [P.NONE, P.Interval(int, 0, None)],
        "value_protection": [P.BOOL, P.Interval(int, 0, None)],
    }

    def __init__(self, *, metadata: Metadata | None = None, enforce_min_max_values: bool = True,
                 enforce_rounding: bool = True, locale: str = "en_US", seed: int | None = 0,
                 value_protection: bool | int = True):
        self.metadata = metadata
        self.enforce_min_max_values = enforce_min_max_values
        self.enforce_rounding = enforce_rounding
        self.locale = locale
        self.seed = seed
        self.value_protection = value_protection

    # ------------------------------------------------------------------ params
    @classmethod
    def _param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name in getattr(klass, "_parameter_constraints", {}):
                if name not in names:
                    names.append(name)
        return names

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments as given (``metadata`` excluded)."""
        return {name: getattr(self, name) for name in self._param_names() if name != "metadata"}

    def _validate_params(self) -> None:
        constraints: dict[str, Any] = {}
        for klass in reversed(type(self).__mro__):
            constraints.update(getattr(klass, "_parameter_constraints", {}))
        P.validate_parameters(type(self).__name__, {n: getattr(self, n) for n in constraints}, constraints)

    # ------------------------------------------------------------------ hooks
    def _make_encoder(self, metadata: Metadata):
        return self.encoder_class(metadata, enforce_rounding=self.enforce_rounding,
                                  enforce_min_max_values=self.enforce_min_max_values)

    def _make_model(self, metadata: Metadata, spans: Sequence[Any]):  # pragma: no cover - interface
        raise NotImplementedError

    # ------------------------------------------------------------------ fit
    def fit(self, table: pd.DataFrame, *, callbacks: Sequence[Any] = (),
            hash_key: str | bytes | None = None) -> Synthesizer:
        """Learn ``table``. The table itself is never modified.

        ``hash_key`` is the secret of columns with the policy ``hash`` (else ``$VEIL_HASH_KEY`` or the file
        named by ``$VEIL_HASH_KEY_FILE``); it is used here and never stored.
        """
        from .pii.policies import prepare_learned, resolve_hash_key

        self._validate_params()
        _check_table(table)
        metadata = self.metadata if self.metadata is not None else Metadata.detect(table)
        metadata.validate(table)
        hashed = [c.name for c in metadata if c.effective_policy == "hash"]
        key = resolve_hash_key(hash_key, columns=hashed) if hashed else None
        _check_parallel_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        started = time.perf_counter()
        learned = [c.name for c in metadata if c.learned]
        people = _link_people(table, metadata)
        self.people_ = people[1] if people else None
        self.columns_ = ([self.people_.column] if self.people_ else []) + [
            c.name for c in metadata if c.effective_policy not in ("drop", "person_id")]
        encoder = model = plan = protection = schema = None
        budget = self._privacy_budget()
        if budget is not None and metadata.constraints:
            raise InvalidParameterError("constraints learn from the rows outside the privacy budget; "
                                        "fit with dp=True without constraints (or without dp)")
        prepared = (prepare_learned(table, metadata, key=key, person=people[0] if people else None) if learned
                    else table.iloc[:, :0])
        del key
        if budget is not None:  # differential privacy: encoder and unlearned columns know only a private schema
            schema = PrivateSchema.measure(prepared, metadata, epsilon=budget["preprocessing"]["epsilon"],
                                           delta=budget["preprocessing"]["delta"], rng=_private_rng(), raw=table)
            self.resynthesizer_ = ColumnResynthesizer.fit_private(metadata, schema, locale=self.locale)
        else:
            self.resynthesizer_ = ColumnResynthesizer.fit(metadata, table, locale=self.locale)
        if learned:
            fit_on = None  # what the encoder is fitted on, when not the rows themselves
            if schema is not None:
                prepared, fit_on = schema.apply(prepared), schema.stand_in(metadata)
            else:
                protection = self._fit_protection(prepared, metadata, people[0] if people else None)
                if protection is not None:
                    prepared = protection.protect(prepared)
            if metadata.constraints:
                # metadata.validate(table) above has counted the violations already
                plan = ConstraintPlan.fit(metadata.constraints, prepared, metadata, check=False,
                                          enforce_rounding=self.enforce_rounding,
                                          enforce_min_max_values=self.enforce_min_max_values)
                prepared = plan.transform(prepared)
            model_metadata = plan.metadata if plan is not None else metadata
            encoder = self._make_encoder(model_metadata)
            encoder.fit(prepared if fit_on is None else fit_on, rng=rng)
            matrix = encoder.encode(prepared, rng=rng)
            del prepared
            model = self._make_model(model_metadata, encoder.spans)
            if budget is not None:
                model.params["dp"] = {**{k: budget["training"][k] for k in ("epsilon", "delta", "max_grad_norm")
                                         if k in budget["training"]}, "rows": schema.rows}
            model.fit(matrix, encoder.spans, rng=rng, callbacks=callbacks)
            if budget is not None:
                budget["training"]["spent"] = model.privacy_
                budget["epsilon_spent"] = budget["preprocessing"]["epsilon"] + model.privacy_["epsilon"]
        self.metadata_ = metadata
        self.constraints_ = plan
        self.protection_ = protection
        self.privacy_ = budget
        self.encoder_ = encoder
        self.model_ = model
        self.fit_rows_ = len(table) if schema is None else schema.rows  # under dp the count is noisy too
        log.info("fitted %s on %d rows x %d columns in %.2fs", type(self).__name__, len(table), len(learned),
                 time.perf_counter() - started)
        return self

    def _privacy_budget(self) -> dict[str, Any] | None:
        """The (ε, δ) split between the private schema and training when ``dp`` is on; None otherwise."""
        if not getattr(self, "dp", False):
            return None
        epsilon, delta = self.epsilon, self.delta
        if epsilon is None:
            raise InvalidParameterError(f"{type(self).__name__}(dp=True) needs epsilon=, the privacy budget (such "
                                        "as 1 or 10); and delta= (default 1e-5)")
        share = PREPROCESSING_SHARE
        return {"epsilon": epsilon, "delta": delta, "unit": "row", "accountant": "rdp (opacus) for training; "
                "basic composition across the parts",
                "preprocessing": {"epsilon": epsilon * share, "delta": delta * share},
                "training": {"epsilon": epsilon * (1 - share), "delta": delta * (1 - share),
                             **({"max_grad_norm": self.max_grad_norm} if hasattr(self, "max_grad_norm") else {})}}

    def _fit_protection(self, prepared: pd.DataFrame, metadata: Metadata,
                        people: np.ndarray | None) -> ValueProtection | None:
        """Value protection of the learned columns (None when switched off); columns whose rules read them
        as categories (OneHot, FixedCombinations) are left to their rules."""
        threshold = self._protection_threshold()
        if not threshold:
            return None
        skip = [c for rule in metadata.constraints if isinstance(rule, (OneHot, FixedCombinations))
                for c in rule.columns]
        return ValueProtection.fit(prepared, metadata, threshold=threshold, people=people,
                                   rng=self._protection_rng(), skip=skip)

    def _protection_threshold(self) -> int:
        """The fewest people a category or bound value needs (0: value protection is off)."""
        return DEFAULT_THRESHOLD if self.value_protection is True else int(self.value_protection)

    def _protection_rng(self) -> np.random.Generator:
        """Value protection's own stream, so that switching it on or off leaves the training draws alone."""
        return np.random.default_rng(None if self.seed is None else [self.seed, 0x5EED])

    def _check_fitted(self) -> None:
        if not hasattr(self, "metadata_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(table) first")

    # ------------------------------------------------------------------ sample
    def sample(self, num_rows: int, *, seed: int | None = None, conditions: Mapping[str, Any] | None = None,
               where: str | None = None) -> pd.DataFrame:
        """Generate ``num_rows`` new rows. The same seed gives the same table.

        Every row keeps the metadata's constraints. ``conditions`` and ``where`` ask for rows on demand:
        ``conditions`` maps a column to a value (``{"sex": "Female"}``), a list of values, or a range
        ``(low, high)`` with ``None`` for an open end (``{"age": (60, None)}``: 60 or more); ``where`` is an
        expression (``"sex == 'Female' and age >= 60"``, see :mod:`veil.constraints.predicate`). Both must
        hold. Models that can condition natively do (CTGAN's conditional vector, the autoregressive
        model's seeded columns); the rest of the condition, and every other model, draws rows and keeps
        those that match.
        """
        self._check_fitted()
        if isinstance(num_rows, bool) or not isinstance(num_rows, (int, np.integer)) or num_rows < 0:
            raise InvalidDataError(f"num_rows must be an int >= 0. Got {num_rows!r} instead.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise InvalidDataError(f"seed must be None or an int >= 0. Got {seed!r} instead.")
        num_rows = int(num_rows)
        rng = np.random.default_rng(seed)
        parts: dict[str, pd.Series] = {}
        predicate = self._condition(conditions, where)
        if self.model_ is not None:
            sampler = RowSampler(self, predicate)
            decoded = sampler.sample(num_rows, rng)
            for name in decoded.columns:
                parts[name] = decoded[name]
        elif predicate is not None:
            raise InvalidDataError("this synthesizer learned no column, so it cannot sample on conditions")
        return self._add_unlearned(parts, num_rows, rng)

    def sample_chunks(self, num_rows: int, *, seed: int | None = None, chunk_rows: int = 250_000,
                      conditions: Mapping[str, Any] | None = None, where: str | None = None) -> Iterator[pd.DataFrame]:
        """:meth:`sample` in chunks of at most ``chunk_rows`` rows, for tables too large to hold at once.
        Up to ``chunk_rows`` rows it yields exactly ``sample(num_rows, seed=seed)``; beyond, chunk ``i``
        takes its own seed derived from ``seed`` (the same seed, the same chunks). Person ids continue
        from chunk to chunk."""
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
            raise InvalidDataError(f"chunk_rows must be an int >= 1. Got {chunk_rows!r} instead.")
        if num_rows <= chunk_rows:
            yield self.sample(num_rows, seed=seed, conditions=conditions, where=where)
            return
        sizes = [chunk_rows] * (num_rows // chunk_rows) + ([num_rows % chunk_rows] if num_rows % chunk_rows else [])
        seeds = chunk_seeds(seed, len(sizes))
        person = self.people_.column if getattr(self, "people_", None) is not None else None
        offset = 0
        for size, chunk_seed in zip(sizes, seeds):
            chunk = self.sample(size, seed=chunk_seed, conditions=conditions, where=where)
            if person is not None and len(chunk):
                chunk[person] += offset
                offset = int(chunk[person].max())
            yield chunk

    def _add_unlearned(self, parts: dict[str, pd.Series], n: int, rng: np.random.Generator) -> pd.DataFrame:
        """The table of ``n`` rows: the learned columns in ``parts`` (index 0..n-1), plus new person ids and
        re-synthesized PII, in the synthesizer's column order."""
        person = None
        if getattr(self, "people_", None) is not None:
            person = self.people_.assign(n, rng)
            parts[self.people_.column] = pd.Series(person + 1, dtype="int64")
        parts.update(self.resynthesizer_.sample(n, rng=rng, person=person))
        # every part already has the index 0..n-1; copy=False keeps a third copy of the rows away
        return pd.DataFrame({name: parts[name] for name in self.columns_}, copy=False)

    def sample_remaining(self, known_rows: pd.DataFrame, *, seed: int | None = None) -> pd.DataFrame:
        """The rows of ``known_rows`` with every other column filled from the model, given the known ones.

        The columns of ``known_rows`` are known, every cell of them (a missing cell is the value
        "missing"); they must be learned columns. The result has the synthesizer's columns, the index of
        ``known_rows``, the known cells exactly as given, and keeps the constraints (rows that break one
        with their known values are drawn again; if the known values themselves break a rule, that is
        an error). The autoregressive model completes rows natively; other models draw candidates that
        match the known categories and keep, per row, the one closest in the known numbers."""
        from .sample.remaining import fill_remaining

        self._check_fitted()
        if not isinstance(known_rows, pd.DataFrame):
            raise InvalidDataError(f"sample_remaining expects a pandas DataFrame, got {type(known_rows).__name__}")
        learned = [c.name for c in self.metadata_ if c.learned]
        outside = [str(c) for c in known_rows.columns if c not in learned]
        if outside:
            raise InvalidDataError(f"sample_remaining knows only learned columns; {outside} are not among them "
                                   f"({learned})")
        if self.model_ is None or known_rows.shape[1] == 0:
            raise InvalidDataError("give at least one learned column of known values")
        rng = np.random.default_rng(seed)
        filled = fill_remaining(self, known_rows.reset_index(drop=True), rng)
        out = self._add_unlearned({name: filled[name] for name in filled.columns}, len(known_rows), rng)
        out.index = known_rows.index
        return out

    def _decode_rows(self, num_rows: int, rng: np.random.Generator,
                     model_conditions: Mapping[int, Any] | None) -> pd.DataFrame:
        """``num_rows`` rows of the learned columns straight from the model (constraint transforms
        reversed and bounds repaired; no row dropped)."""
        # chunks bound the memory of the encoded rows; each has its own seed drawn from rng up front,
        # so the output depends only on the seed, however the model runs the chunks (see map_chunks)
        sizes = [min(SAMPLE_CHUNK, num_rows - start) for start in range(0, num_rows, SAMPLE_CHUNK)] or [0]
        seeds = rng.integers(2**63, size=len(sizes))

        def sample_chunk(size: int, chunk_seed: int) -> pd.DataFrame:
            chunk_rng = np.random.default_rng(chunk_seed)
            rows = self.model_.sample(size, rng=chunk_rng, conditions=model_conditions or None)
            if getattr(self.encoder_, "decode_needs_rng", False):
                return self.encoder_.decode(rows, rng=chunk_rng)
            return self.encoder_.decode(rows)

        map_chunks = getattr(self.model_, "map_chunks", None) or _map_in_order
        with _system_arrow_allocator():
            chunks = list(map_chunks(sample_chunk, sizes, seeds))
            decoded = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
            del chunks
        plan = getattr(self, "constraints_", None)
        decoded = plan.reverse(decoded) if plan is not None else decoded
        protection = getattr(self, "protection_", None)
        return protection.clip(decoded) if protection is not None else decoded

    def _condition(self, conditions: Mapping[str, Any] | None, where: str | None):
        """The conditions and ``where`` as one parsed predicate over the learned columns (None if neither)."""
        from .sample.conditions import condition_predicate

        return condition_predicate(self.metadata_, conditions, where)

    def _model_conditions(self, predicate) -> dict[int, Any]:
        """What the model can condition on natively, as it sees it: span index -> category code. Values
        the model does not know raise, listing the valid ones."""
        from .sample.conditions import native_conditions

        return native_conditions(self, predicate)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted synthesizer to ``path`` (a zip of JSON and safetensors; no pickle)."""
        from .persist import save

        self._check_fitted()
        return save(self, path)

    def summary(self) -> dict[str, Any]:
        """What was learned, as data: columns, PII handling, model."""
        self._check_fitted()
        return {
            "model": self.model_name,
            "rows_fitted": self.fit_rows_,
            "columns": [{"name": c.name, "sdtype": c.sdtype, "pii": c.is_pii, "policy": c.effective_policy,
                         "learned": c.learned} for c in self.metadata_],
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


@contextmanager
def _system_arrow_allocator() -> Iterator[None]:
    """Let pyarrow (behind pandas' string columns) allocate from the system allocator for a while.

    Its default pool (mimalloc) keeps freed pages for reuse, which raised the peak memory of sampling
    200,000 Adult rows by about 90 MB. Each buffer returns to the pool it came from, so switching back
    afterwards is safe."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _map_in_order(fn: Callable[..., pd.DataFrame], *iterables: Iterable[Any]) -> Iterator[pd.DataFrame]:
    """How sampling chunks run unless the model says otherwise (``map_chunks``): one after the other."""
    return map(fn, *iterables)


def _link_people(table: pd.DataFrame, metadata: Metadata):
    """For columns with the policy ``person_id``: each record's person (record linkage) and the shape of
    records per person; ``None`` when no column has that policy."""
    from .pii.linkage import ROLE_OF_KIND, link_records
    from .pii.policies import PeopleShape

    fields = {c.name: ROLE_OF_KIND[c.sdtype] for c in metadata if c.effective_policy == "person_id"}
    if not fields:
        return None
    column = "person_id"
    if column in table.columns:
        raise InvalidDataError(f"the table already has a column {column!r}; the person_id policy adds one. "
                               "Rename that column first")
    linkage = link_records(table, fields)
    log.info("matched %d records to %d people (%d candidate pairs)", len(table), linkage.n_people,
             linkage.candidate_pairs)
    return linkage.labels, PeopleShape.fit(linkage.records_per_person(), column)


def chunk_seeds(seed: int | None, count: int) -> list[int | None]:
    """``count`` independent seeds derived from ``seed`` (None: unseeded chunks)."""
    if seed is None:
        return [None] * count
    return [int(child.generate_state(1, np.uint64)[0] >> 1) for child in np.random.SeedSequence(seed).spawn(count)]


def _private_rng() -> np.random.Generator:
    """The noise of the private schema, from the operating system's entropy: never from the seed, which may
    be public (noise that can be recomputed protects nothing). Under data-parallel training every process
    takes rank 0's secret seed, so all hold the same private schema."""
    parallel = _parallel()
    return np.random.default_rng(parallel.shared_seed() if parallel is not None else None)


def _check_parallel_seed(seed: int | None) -> None:
    """Data-parallel training needs a seed: every process must draw the same encoders and initial weights."""
    parallel = _parallel()
    if seed is None and parallel is not None and parallel.world > 1:
        raise InvalidParameterError("distributed training needs a seed (every process must draw the same "
                                    "encoders and weights); pass seed=")


def _parallel():
    """The data-parallel context, when the module that opens one is loaded (None: one process, and torch
    need not be imported for the models that do without it)."""
    module = sys.modules.get("veil.models.nn.distributed")
    return module.current() if module is not None else None


def _check_table(table: Any) -> None:
    if not isinstance(table, pd.DataFrame):
        raise InvalidDataError(f"fit expects a pandas DataFrame, got {type(table).__name__}; "
                               "read files with veil.read_table(path)")
    if table.shape[1] == 0:
        raise InvalidDataError("the table has no columns")
    if len(table) < MIN_ROWS:
        raise InvalidDataError(f"the table has {len(table)} rows; at least {MIN_ROWS} are needed to learn from")
    names = [str(c) for c in table.columns]
    if any(not isinstance(c, str) for c in table.columns):
        raise InvalidDataError("every column name must be a string; rename the columns first")
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise InvalidDataError(f"column names must be unique; repeated: {dupes}")
