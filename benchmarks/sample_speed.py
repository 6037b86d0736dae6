"""Sampling speed of the default (autoregressive) model on Adult, level by level, as JSON on stdout:

(a) the model's token sampling (``AutoregressiveModel.sample``), one torch thread;
(b) the whole ``Synthesizer.sample`` (tokens, decoding, pandas), one torch thread and the default threads;
(c) ``veil.scale.shards.generate`` end to end (Dask workers, Parquet shards) with 1 and 2 workers;
(d) writing one sampled shard as Parquet with each compression (seconds and bytes).

    .venv/bin/python benchmarks/sample_speed.py [--model M.veil] [--rows 500000] [--generate-rows 2000000]
        [--workers 1,2] [--repeats 3] [--skip-generate]

The model is fitted once (``AutoregressiveSynthesizer(epochs=5)`` on ../shared/datasets/adult.csv.gz) and
kept under benchmarks/work/adult/ unless ``--model`` names one. Rates are rows per wall-clock second, best
of ``--repeats``; on a shared machine compare runs made back to back.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "datasets" / "adult.csv.gz"
DEFAULT_MODEL = HERE / "work" / "adult" / "sample_speed_model.veil"


def best_rate(rows: int, run: Callable[[], object], repeats: int) -> float:
    """Rows per second of ``run``, best of ``repeats``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return rows / best


def ensure_model(path: Path) -> Path:
    """The fitted model at ``path``, fitted and saved first if it is missing."""
    if path.exists():
        return path
    import pandas as pd

    import veil

    table = pd.read_csv(ADULT, keep_default_na=False, na_values=[""])
    path.parent.mkdir(parents=True, exist_ok=True)
    veil.AutoregressiveSynthesizer(epochs=5, seed=0).fit(table).save(path)
    return path


def level_model(synth, rows: int, repeats: int) -> dict[str, float]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = synth.model_
        model.sample(10_000, rng=np.random.default_rng(1))  # warm up
        rate = best_rate(rows, lambda: model.sample(rows, rng=np.random.default_rng(0)), repeats)
    finally:
        torch.set_num_threads(threads)
    return {"rows": rows, "rows_per_s_1_thread": round(rate)}


def level_synthesizer(synth, rows: int, repeats: int) -> dict[str, float]:
    threads = torch.get_num_threads()
    out: dict[str, float] = {"rows": rows}
    for label, count in (("1_thread", 1), (f"{threads}_threads", threads)):
        torch.set_num_threads(count)
        try:
            synth.sample(10_000, seed=1)
            out[f"rows_per_s_{label}"] = round(best_rate(rows, lambda: synth.sample(rows, seed=0), repeats))
        finally:
            torch.set_num_threads(threads)
    return out


def level_generate(model: Path, rows: int, workers: list[int], repeats: int) -> dict[str, dict[str, float]]:
    from veil.scale.shards import generate

    out = {}
    for count in workers:
        best, size = float("inf"), 0
        for _ in range(repeats):
            folder = Path(tempfile.mkdtemp(prefix="veil-sample-speed-"))
            try:
                start = time.perf_counter()
                generate(model, rows, folder, seed=0, workers=count)
                best = min(best, time.perf_counter() - start)
                size = sum(p.stat().st_size for p in folder.glob("part-*.parquet"))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        out[f"{count}_workers"] = {"rows": rows, "seconds": round(best, 2), "rows_per_s": round(rows / best),
                                   "parquet_bytes": size}
    return out


def level_parquet(synth, rows: int, repeats: int) -> dict[str, dict[str, float]]:
    import pyarrow.parquet as pq

    from veil.io.typed import to_arrow

    frame = synth.sample(rows, seed=0)
    start = time.perf_counter()
    table = to_arrow(frame)
    out: dict[str, dict[str, float]] = {"to_arrow": {"rows_per_s": round(rows / (time.perf_counter() - start))}}
    choices = (("zstd", {"compression": "zstd"}), ("zstd_3", {"compression": "zstd", "compression_level": 3}),
               ("snappy", {"compression": "snappy"}), ("none", {"compression": "none"}))
    for name, options in choices:
        sink: list[int] = []

        def write(options: dict = options, sink: list[int] = sink) -> None:
            buffer = io.BytesIO()
            pq.write_table(table, buffer, **options)
            sink[:] = [buffer.tell()]

        rate = best_rate(rows, write, repeats)
        out[name] = {"rows_per_s": round(rate), "bytes": sink[0]}
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, default=None, help="a fitted model file (default: fit one on Adult)")
    p.add_argument("--rows", type=int, default=500_000, help="rows for levels (a), (b) and (d)")
    p.add_argument("--generate-rows", type=int, default=2_000_000)
    p.add_argument("--workers", default="1,2", help="comma-separated Dask worker counts for level (c)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-generate", action="store_true")
    args = p.parse_args(argv)

    from veil.persist import load

    model = ensure_model(args.model or DEFAULT_MODEL)
    synth = load(model)
    result = {"model": str(model), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
              "load_1min_before": os.getloadavg()[0]}
    result["a_model_tokens"] = level_model(synth, args.rows, args.repeats)
    print(json.dumps(result["a_model_tokens"]), file=sys.stderr)
    result["b_synthesizer_sample"] = level_synthesizer(synth, args.rows, args.repeats)
    print(json.dumps(result["b_synthesizer_sample"]), file=sys.stderr)
    if not args.skip_generate:
        workers = [int(w) for w in args.workers.split(",") if w]
        result["c_generate"] = level_generate(model, args.generate_rows, workers, max(1, args.repeats - 1))
        print(json.dumps(result["c_generate"]), file=sys.stderr)
    result["d_parquet"] = level_parquet(synth, args.rows, args.repeats)
    result["load_1min_after"] = os.getloadavg()[0]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
