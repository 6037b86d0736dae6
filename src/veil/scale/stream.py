"""Fit the autoregressive synthesizer on a table larger than memory: Parquet files and folders, or a
database table or query read through a cursor.

Two passes over the source, then training from disk; memory does not grow with the number of rows:

1. **Scan** (:class:`Scan`): every batch is prepared as :meth:`Synthesizer.fit` prepares a table; the
   pass counts rows, keeps each categorical column's exact category counts (rare-value protection
   needs them), each numerical and datetime column's smallest and largest values (protection's
   bounds), and a uniform sample of ``sample_rows`` rows (bottom-k of random keys). The sample is the
   quantile sketch of the numbers: the bins of the token encoder come from it, as do the unlearned
   columns' patterns. Metadata is detected on the first batch unless given.
2. **Encode** (:class:`TokenShards`): each batch is protected and encoded to int32 tokens, its rows
   scattered at random over shard files on disk (so each shard is a uniform share of the table), a
   validation split (at most ``VALIDATION_ROWS``) kept in memory, and every token counted.
3. **Train**: the model reads an epoch as the shards in a random order through a shuffle buffer
   (:meth:`TokenShards.epoch`). ``max_training_rows`` caps the rows training uses (a uniform share).

Row-level privacy holds as in memory: rare categories and extremes are decided on the exact counts.
Not streamed (each needs every row at once): differential privacy, hashed columns (rare hashes are
merged by count), records matched to people, and constraints; those fit in memory.
"""
from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..errors import InvalidDataError, InvalidParameterError
from ..metadata import Metadata
from ..protect.values import DEFAULT_THRESHOLD, JITTER, Extremes, ValueProtection

#: rows in the uniform sample the encoder's bins and the unlearned columns are fitted on
SAMPLE_ROWS = 200_000
#: training rows per shard file (an epoch holds at most two shards and the buffer in memory)
SHARD_ROWS = 500_000
#: rows mixed in the shuffle buffer
BUFFER_ROWS = 500_000
#: the most validation rows kept (the in-memory fit takes validation_fraction of the rows)
VALIDATION_ROWS = 100_000
#: a categorical column's exact counts are kept up to this many distinct categories; past it the sample's
#: counts decide (never more than the exact ones, so protection only grows stricter)
MAX_COUNTED = 200_000


class Scan:
    """Pass 1 over the prepared batches (see the module docstring)."""

    def __init__(self, metadata: Metadata, *, sample_rows: int, keep_extremes: int, rng: np.random.Generator):
        self.metadata, self.sample_rows, self.rng = metadata, sample_rows, rng
        self.rows = 0
        self.sample: pd.DataFrame | None = None  # raw rows (every column), for the unlearned columns too
        self._keys = np.zeros(0)
        self.counts: dict[str, pd.Series | None] = {}
        self.extremes: dict[str, Extremes] = {}
        for column in metadata:
            if not column.learned:
                continue
            if column.modelled_as in ("categorical", "boolean"):
                self.counts[column.name] = pd.Series(dtype="int64")
            elif column.modelled_as in ("numerical", "datetime"):
                self.extremes[column.name] = Extremes(
                    column.modelled_as, column.datetime_format if column.modelled_as == "datetime" else None,
                    keep_extremes)

    def add(self, raw: pd.DataFrame, prepared: pd.DataFrame) -> None:
        self.rows += len(raw)
        for name, counts in self.counts.items():
            if counts is None:
                continue
            merged = counts.add(prepared[name].value_counts(dropna=True), fill_value=0).astype("int64")
            self.counts[name] = merged if len(merged) <= MAX_COUNTED else None
        for name, extremes in self.extremes.items():
            extremes.update(prepared[name])
        keys = self.rng.random(len(raw))
        if len(self._keys) == self.sample_rows:  # full: only rows whose key beats the largest kept can enter
            enter = keys < self._keys.max()
            if not enter.any():
                return
            raw, keys = raw[enter], keys[enter]
        sample = raw if self.sample is None else pd.concat([self.sample, raw], ignore_index=True)
        keys = np.concatenate([self._keys, keys])
        if len(keys) > self.sample_rows:
            keep = np.sort(np.argpartition(keys, self.sample_rows)[:self.sample_rows])
            sample, keys = sample.iloc[keep].reset_index(drop=True), keys[keep]
        self.sample, self._keys = sample, keys


class TokenShards:
    """Pass 2's token rows on disk: training rows scattered over ``shards`` raw int32 files of
    ``[rows, columns]``, the validation rows in memory, every token counted. Implements
    :class:`veil.models.nn.rows.RowSource`."""

    def __init__(self, folder: Path, sizes: Sequence[int], *, total_rows: int, validation_fraction: float,
                 max_training_rows: int | None, rng: np.random.Generator):
        self.folder, self.sizes, self.rng = folder, list(sizes), rng
        self.k = len(sizes)
        n_val = min(int(round(total_rows * validation_fraction)), VALIDATION_ROWS) if total_rows >= 50 else 0
        self._p_val = n_val / total_rows if total_rows else 0.0
        expected = max(total_rows - n_val, 1)
        self._p_train = 1.0 if not max_training_rows else min(1.0, max_training_rows / expected)
        self.n_shards = max(1, math.ceil(min(expected, max_training_rows or expected) / SHARD_ROWS))
        self.paths = [folder / f"shard-{i:05d}.int32" for i in range(self.n_shards)]
        self.shard_rows = [0] * self.n_shards
        self._validation: list[np.ndarray] = []
        self._counts = [np.zeros(size, dtype=np.int64) for size in self.sizes]
        self._files = [open(path, "wb") for path in self.paths]  # noqa: SIM115 - closed in finish()

    def add(self, tokens: np.ndarray) -> None:
        """Encoded rows ``[n, columns]`` (float tokens from the encoder): split, counted, written."""
        tokens = np.rint(tokens).astype(np.int32)
        u = self.rng.random(len(tokens))
        validation = u < self._p_val
        training = ~validation & (u < self._p_val + (1 - self._p_val) * self._p_train)
        used = tokens[validation | training]
        for j, size in enumerate(self.sizes):
            self._counts[j] += np.bincount(used[:, j], minlength=size)
        if validation.any():
            self._validation.append(tokens[validation])
        rows = tokens[training]
        shard = self.rng.integers(self.n_shards, size=len(rows))
        for i in range(self.n_shards):
            part = rows[shard == i]
            if len(part):
                self._files[i].write(np.ascontiguousarray(part).tobytes())
                self.shard_rows[i] += len(part)

    def finish(self) -> TokenShards:
        for handle in self._files:
            handle.close()
        self._files = []
        return self

    # ------------------------------------------------------------------ RowSource
    @property
    def training_rows(self) -> int:
        return int(sum(self.shard_rows))

    @property
    def validation(self) -> torch.Tensor:
        rows = np.concatenate(self._validation) if self._validation else np.zeros((0, self.k), np.int32)
        return torch.from_numpy(rows.astype(np.int64))

    def counts(self, sizes: Sequence[int]) -> list[torch.Tensor]:
        return [torch.from_numpy(c) for c in self._counts]

    def _read(self, i: int) -> torch.Tensor:
        rows = np.fromfile(self.paths[i], dtype=np.int32).reshape(-1, self.k)
        return torch.from_numpy(rows.astype(np.int64))

    def epoch(self, batch: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """The shards in a random order through a shuffle buffer of ``BUFFER_ROWS``: ``training_rows //
        batch`` batches, each row at most once."""
        pool = torch.zeros((0, self.k), dtype=torch.long)
        for i in torch.randperm(self.n_shards, generator=generator).tolist():
            pool = torch.cat([pool, self._read(i)])
            if len(pool) >= BUFFER_ROWS + batch:
                pool = pool[torch.randperm(len(pool), generator=generator)]
                ready = (len(pool) - BUFFER_ROWS) // batch * batch
                yield from pool[:ready].split(batch)
                pool = pool[ready:].clone()
        pool = pool[torch.randperm(len(pool), generator=generator)]
        full = len(pool) // batch * batch
        yield from pool[:full].split(batch)


def fit_streaming(synthesizer: Any, source: str | os.PathLike | Iterable[pd.DataFrame], *,
                  table: str | None = None, query: str | None = None, sample_rows: int = SAMPLE_ROWS,
                  max_training_rows: int | None = None, work_dir: str | os.PathLike | None = None,
                  batch_rows: int = 100_000, callbacks: Sequence[Any] = (), log: Any = None) -> Any:
    """Fit ``synthesizer`` (an :class:`~veil.AutoregressiveSynthesizer`) on ``source`` without holding it in
    memory (see the module docstring). ``source`` is a Parquet file or folder, a database (with ``table``
    or ``query``), or a list of DataFrames (it is read twice). Shards go to a temporary folder under
    ``work_dir`` (default: the system's temporary folder), removed at the end."""
    from ..io import iter_batches
    from ..pii.policies import prepare_learned
    from ..sample.resynthesis import ColumnResynthesizer
    from ..synthesizers.autoregressive import AutoregressiveSynthesizer
    from ..synthesizers.deep import _LogEpochs

    if not isinstance(synthesizer, AutoregressiveSynthesizer):
        raise InvalidParameterError(f"a streaming fit trains the autoregressive model (the default); "
                                    f"{type(synthesizer).__name__} fits in memory")
    if getattr(synthesizer, "dp", False):
        raise InvalidParameterError("differential privacy needs every row in memory (Poisson sampling over the "
                                    "table); fit without --streaming")
    if max_training_rows is not None and max_training_rows < 1:
        raise InvalidParameterError(f"max_training_rows must be >= 1, got {max_training_rows}")
    synthesizer._validate_params()
    say = log or (lambda message: None)

    def batches() -> Iterator[pd.DataFrame]:
        if isinstance(source, (str, os.PathLike)):
            return iter_batches(source, table=table, query=query, batch_rows=batch_rows)
        return iter(source)

    started = time.perf_counter()
    first = True
    rng = np.random.default_rng(synthesizer.seed)
    scan = metadata = None
    for raw in batches():
        if first:
            metadata = synthesizer.metadata if synthesizer.metadata is not None else Metadata.detect(raw)
            _check_streamable(metadata)
            threshold = synthesizer._protection_threshold()
            scan = Scan(metadata, sample_rows=sample_rows, keep_extremes=(threshold or DEFAULT_THRESHOLD) + JITTER,
                        rng=np.random.default_rng(None if synthesizer.seed is None else [synthesizer.seed, 0x5CA7]))
            first = False
        metadata.validate(raw)
        scan.add(raw, prepare_learned(raw, metadata))
    if scan is None or scan.rows < 2:
        raise InvalidDataError("the source holds fewer than 2 rows")
    say(f"scanned {scan.rows:,} rows in {time.perf_counter() - started:.1f}s")
    learned = [c.name for c in metadata if c.learned]
    if not learned:
        raise InvalidDataError("no column is learned (every one is dropped, faked or an id): nothing to stream; "
                               "fit in memory")
    sample = prepare_learned(scan.sample, metadata)
    protection = _protection(synthesizer, metadata, scan, sample)
    if protection is not None:
        sample = protection.protect(sample)
    encoder = synthesizer._make_encoder(metadata)
    counts = _protected_counts(scan.counts, protection)
    encoder.fit(_with_every_category(sample, counts, protection), rng=rng, category_counts=counts)
    model = synthesizer._make_model(metadata, encoder.spans)
    folder = Path(tempfile.mkdtemp(prefix="veil-shards-", dir=work_dir))
    try:
        shards = TokenShards(folder, encoder.sizes, total_rows=scan.rows,
                             validation_fraction=model.params["validation_fraction"],
                             max_training_rows=max_training_rows, rng=np.random.default_rng(
                                 None if synthesizer.seed is None else [synthesizer.seed, 0x5A4D]))
        encoded = time.perf_counter()
        for raw in batches():
            prepared = prepare_learned(raw, metadata)
            if protection is not None:
                prepared = protection.protect(prepared)
            shards.add(encoder.encode(prepared))
        shards.finish()
        say(f"encoded {shards.training_rows:,} training rows into {shards.n_shards} shards in "
            f"{time.perf_counter() - encoded:.1f}s")
        if shards.training_rows < 1:
            raise InvalidDataError("no training rows are left (raise max_training_rows)")
        extra = [_LogEpochs(type(synthesizer).__name__)] if synthesizer.verbose else []
        model.fit_rows(shards, encoder.spans, rng=rng, callbacks=[*callbacks, *extra])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    synthesizer.resynthesizer_ = ColumnResynthesizer.fit(metadata, scan.sample, locale=synthesizer.locale)
    synthesizer.people_ = None
    synthesizer.columns_ = [c.name for c in metadata if c.effective_policy not in ("drop", "person_id")]
    synthesizer.metadata_, synthesizer.constraints_, synthesizer.protection_ = metadata, None, protection
    synthesizer.privacy_, synthesizer.encoder_, synthesizer.model_ = None, encoder, model
    synthesizer.fit_rows_ = scan.rows
    say(f"fitted in {time.perf_counter() - started:.1f}s")
    return synthesizer


def _check_streamable(metadata: Metadata) -> None:
    """Refuse what needs every row at once."""
    linked = [c.name for c in metadata if c.effective_policy == "person_id"]
    hashed = [c.name for c in metadata if c.effective_policy == "hash" and c.learned]
    if linked:
        raise InvalidParameterError(f"matching records to people ({', '.join(linked)}) needs every row at once; "
                                    "fit in memory, or set those columns' policy to drop or fake")
    if hashed:
        raise InvalidParameterError(f"hashed columns ({', '.join(hashed)}) merge rare hashes by count over the "
                                    "whole table; fit in memory, or set their policy to drop or fake")
    if metadata.constraints:
        raise InvalidParameterError("constraints are fitted in memory; fit without --streaming, or without "
                                    "constraints")


def _protection(synthesizer: Any, metadata: Metadata, scan: Scan, sample: pd.DataFrame) -> ValueProtection | None:
    """Value protection decided on the scan's exact statistics (``sample``: the prepared sample)."""
    threshold = synthesizer._protection_threshold()
    if not threshold:
        return None
    rng = synthesizer._protection_rng()
    if scan.rows <= scan.sample_rows:  # the sample is the whole table
        return ValueProtection.fit(sample, metadata, threshold=threshold, rng=rng)
    counts = {name: c if c is not None else sample[name].value_counts(dropna=True)  # too many: the sample's
              for name, c in scan.counts.items()}
    return ValueProtection.from_statistics(metadata, threshold=threshold, rng=rng, counts=counts,
                                           extremes=scan.extremes)


def _protected_counts(counts: Mapping[str, pd.Series | None],
                      protection: ValueProtection | None) -> dict[str, pd.Series]:
    """Each exactly counted column's counts after protection (rare categories merged as protect merges
    them)."""
    out = {}
    for name, column_counts in counts.items():
        if column_counts is None:
            continue
        if protection is not None and name in protection.kept:
            values = protection.protect(pd.DataFrame({name: pd.Series(column_counts.index, dtype=object)}))[name]
            column_counts = pd.Series(column_counts.to_numpy()).groupby(values.to_numpy()).sum()
        out[name] = column_counts
    return out


def _with_every_category(sample: pd.DataFrame, counts: Mapping[str, pd.Series],
                         protection: ValueProtection | None) -> pd.DataFrame:
    """The sample, plus a row for each counted category it lacks and for each protection bound it does not
    reach (a copy of its first row with that one cell changed), so the encoder's vocabulary and ranges
    cover the whole table."""
    extra = []
    for name, column_counts in counts.items():
        present = set(sample[name].dropna().tolist())
        for value in column_counts.index:
            if value not in present:
                extra.append(_row_with(sample, name, value))
    for bounds in (protection.bounds.values() if protection is not None else ()):
        for value in (bounds.low, bounds.high):
            extra.append(_row_with(sample, bounds.column, value))
    return pd.concat([sample, *extra], ignore_index=True) if extra else sample


def _row_with(sample: pd.DataFrame, name: str, value: Any) -> pd.DataFrame:
    """The sample's first row with ``value`` in column ``name`` (in the column's type where it fits)."""
    row = sample.iloc[:1].copy()
    cell = pd.Series([value], index=row.index, dtype=object)
    with contextlib.suppress(TypeError, ValueError):
        cell = cell.astype(sample[name].dtype)
    row[name] = cell
    return row
