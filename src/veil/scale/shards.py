"""Parallel generation: a large sample as fixed-size Parquet shards, made by Dask workers.

Shard ``i`` holds rows ``i * shard_rows`` onward and takes its own seed, derived from the root seed and
``i`` alone (not from the number of shards or workers). Each shard is written to a temporary file and
renamed into place, and ``manifest.json`` lists every finished shard with its row count and sha256. So:

- an interrupted run resumes: shards already in the manifest, whose file still has that sha256, are kept;
- a rerun is byte-identical: the same model, rows, seed and shard size give the same files;
- a deleted (or damaged) shard is made again, alone.

Workers come from a Dask ``LocalCluster`` (``workers=N``) or an existing cluster (``scheduler=
"tcp://..."``); each loads the model once and samples with one torch thread, so the bytes do not depend
on the machine's thread count.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidParameterError, SourceError

MANIFEST = "manifest.json"
#: rows per shard unless told otherwise
SHARD_ROWS = 1_000_000
_models: dict[str, Any] = {}  # per worker process: model path -> loaded synthesizer


def shard_seed(root: int, index: int) -> int:
    """Shard ``index``'s seed: from ``root`` and ``index`` alone."""
    return int(np.random.SeedSequence(root, spawn_key=(index,)).generate_state(1, np.uint64)[0] >> 1)


def shard_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_shard(model_path: str, out_dir: str, index: int, rows: int, seed: int) -> dict[str, Any]:
    """Sample one shard and write it (temporary file, then rename); its manifest entry."""
    import pyarrow.parquet as pq
    import torch

    from ..io.typed import to_arrow
    from ..persist import load

    torch.set_num_threads(1)
    keep_allocations_on_heap()
    synth = _models.get(model_path)
    if synth is None:
        synth = _models[model_path] = load(model_path)
    table = synth.sample(rows, seed=seed)
    final = Path(out_dir) / shard_name(index)
    tmp = final.with_name(final.name + ".partial")
    pq.write_table(to_arrow(table), tmp, compression="zstd")
    os.replace(tmp, final)
    return {"index": index, "file": final.name, "rows": rows, "seed": seed, "sha256": sha256_of(final)}


def keep_allocations_on_heap() -> None:
    """Let glibc serve blocks up to 32 MB from the heap and keep up to 256 MB of freed heap (in this process).

    Dask starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also freezes glibc's mmap threshold
    at 128 kB: every tensor of a sampling step (a few MB each) is then a fresh mmap, zeroed page by page and
    unmapped again, and sampling takes twice as long (Adult, one core: 200,000 rows in 4.2 s instead of
    1.5 s). A no-op where the C library is not glibc."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD (its largest allowed value on 64-bit)
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def generate(model_path: str | os.PathLike, rows: int, out_dir: str | os.PathLike, *, seed: int = 0,
             shard_rows: int = SHARD_ROWS, workers: int | None = None, scheduler: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Write ``rows`` synthetic rows of the model at ``model_path`` into ``out_dir`` as Parquet shards;
    return the manifest. ``progress(done_rows, rows)`` is called as shards finish."""
    if rows < 1 or shard_rows < 1:
        raise InvalidParameterError("rows and shard rows must be at least 1")
    model_path, out = str(Path(model_path).resolve()), Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SourceError(f"{out} is a file; parallel generation writes a folder of shards")
    out.mkdir(parents=True, exist_ok=True)
    header = {"model_sha256": sha256_of(Path(model_path)), "rows": rows, "shard_rows": shard_rows, "seed": seed}
    manifest = _read_manifest(out, header)
    sizes = [min(shard_rows, rows - start) for start in range(0, rows, shard_rows)]
    done = {e["index"]: e for e in manifest["shards"]
            if (out / e["file"]).exists() and sha256_of(out / e["file"]) == e["sha256"]}
    manifest["shards"] = sorted(done.values(), key=lambda e: e["index"])
    todo = [(i, size) for i, size in enumerate(sizes) if i not in done]
    finished_rows = sum(e["rows"] for e in done.values())
    if progress is not None:
        progress(finished_rows, rows)

    def record(entry: dict[str, Any]) -> None:
        nonlocal finished_rows
        manifest["shards"] = sorted([*manifest["shards"], entry], key=lambda e: e["index"])
        _write_manifest(out, manifest)
        finished_rows += entry["rows"]
        if progress is not None:
            progress(finished_rows, rows)

    if todo and (workers or scheduler):
        _run_on_dask(todo, model_path, out, seed, workers, scheduler, record)
    else:
        for index, size in todo:
            record(make_shard(model_path, str(out), index, size, shard_seed(seed, index)))
    _write_manifest(out, manifest)
    return manifest


def _run_on_dask(todo: list[tuple[int, int]], model_path: str, out: Path, seed: int, workers: int | None,
                 scheduler: str | None, record: Callable[[dict[str, Any]], None]) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InvalidParameterError("--workers and --scheduler need Dask: pip install 'dask[distributed]'") from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(make_shard, model_path, str(out), index, size, shard_seed(seed, index),
                                 key=f"veil-shard-{index}-{seed}", pure=False) for index, size in todo]
        for future in as_completed(futures):
            record(future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _read_manifest(out: Path, header: dict[str, Any]) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.exists():
        if any(out.glob("part-*.parquet")):
            raise SourceError(f"{out} holds shards but no {MANIFEST}; write to an empty folder")
        return {**header, "shards": []}
    manifest = json.loads(path.read_text())
    different = [k for k, v in header.items() if manifest.get(k) != v]
    if different:
        raise SourceError(f"{out} holds shards of another run (its {', '.join(different)} differ); write to "
                          "another folder, or empty this one")
    return manifest


def _write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    manifest["rows_written"] = sum(e["rows"] for e in manifest["shards"])
    manifest["complete"] = manifest["rows_written"] == manifest["rows"]
    tmp = out / (MANIFEST + ".partial")
    tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(tmp, out / MANIFEST)
