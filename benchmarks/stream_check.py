"""Streaming fit (issue 12): peak memory and time per epoch against the number of rows.

Builds a Parquet dataset by tiling Adult with noise (10 files of 1,000,000 rows in
benchmarks/work/adult_tiled/), then fits the default model on the first 1, 2, 5 and 10 files with
``veil.scale.stream.fit_streaming``, each in its own process (peak RSS is that process's VmHWM), one epoch
each, and scores the 10,000,000-row model against Adult. Prints and writes benchmarks/work/stream_check.json.

    cd benchmarks && ../.venv/bin/python stream_check.py [--sizes 1,2,5,10] [--epochs 1]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "datasets" / "adult.csv.gz"
TILED = HERE / "work" / "adult_tiled"
PART_ROWS = 1_000_000


def read_adult() -> pd.DataFrame:
    return pd.read_csv(ADULT, keep_default_na=False, na_values=[""])


def build(parts: int) -> None:
    """``parts`` files of Adult tiled with noise: ages and hours moved by a few units, weights by a few
    percent, so the rows are not copies of each other."""
    TILED.mkdir(parents=True, exist_ok=True)
    adult = read_adult()
    rng = np.random.default_rng(12)
    for part in range(parts):
        path = TILED / f"part-{part:03d}.parquet"
        if path.exists():
            continue
        rows = adult.iloc[rng.integers(len(adult), size=PART_ROWS)].reset_index(drop=True)
        rows["age"] = np.clip(rows["age"] + rng.integers(-2, 3, PART_ROWS), 17, 90)
        rows["hours-per-week"] = np.clip(rows["hours-per-week"] + rng.integers(-3, 4, PART_ROWS), 1, 99)
        rows["fnlwgt"] = np.rint(rows["fnlwgt"] * rng.lognormal(0, 0.05, PART_ROWS)).astype(np.int64)
        tmp = path.with_suffix(".partial")
        rows.to_parquet(tmp, index=False, row_group_size=100_000)
        tmp.rename(path)


def folder_of(parts: int) -> Path:
    """A folder holding the first ``parts`` files (links)."""
    folder = HERE / "work" / f"adult_tiled_{parts}"
    folder.mkdir(parents=True, exist_ok=True)
    for part in range(parts):
        link = folder / f"part-{part:03d}.parquet"
        if not link.exists():
            link.symlink_to(TILED / link.name)
    return folder


def child(folder: str, epochs: int, model_path: str) -> None:
    """One fit in this process; prints a JSON line."""
    import torch

    import veil
    from veil.scale.stream import fit_streaming

    epoch_s: list[float] = []
    epoch_cpu_s: list[float] = []  # this process's CPU seconds: the measure that other load does not change

    class Clock:
        def __init__(self) -> None:
            self.last, self.last_cpu = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch: int, losses: dict) -> None:
            now, cpu = time.perf_counter(), time.process_time()
            epoch_s.append(now - self.last)
            epoch_cpu_s.append(cpu - self.last_cpu)
            self.last, self.last_cpu = now, cpu

    phases: list[str] = []
    synth = veil.AutoregressiveSynthesizer(epochs=epochs, batch_size=4096, time_budget=None)
    started = time.perf_counter()
    clock = Clock()

    def log(line: str) -> None:
        phases.append(f"{time.perf_counter() - started:.1f}s {line}")
        clock.last, clock.last_cpu = time.perf_counter(), time.process_time()

    fit_streaming(synth, folder, callbacks=[clock], log=log)
    fit_s = time.perf_counter() - started
    synth.save(model_path)
    status = Path("/proc/self/status").read_text()
    peak = next(int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:"))
    print(json.dumps({"rows": synth.fit_rows_, "fit_s": fit_s, "epoch_s": epoch_s, "epoch_cpu_s": epoch_cpu_s,
                      "threads": torch.get_num_threads(), "peak_rss_mb": peak,
                      "phases": phases, "loss": synth.model_.history_[-1] if synth.model_.history_ else None}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1,2,5,10", help="millions of rows (files)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a.child[0], int(a.child[1]), a.child[2])
        return
    sizes = [int(s) for s in a.sizes.split(",")]
    started = time.perf_counter()
    build(max(sizes))
    print(f"data ready in {time.perf_counter() - started:.0f}s", flush=True)
    saved = HERE / "work" / "stream_check.json"
    results = {int(k): v for k, v in json.loads(saved.read_text())["results"].items()} if saved.exists() else {}
    for parts in sizes:
        model = HERE / "work" / f"stream_{parts}m.veil"
        done = subprocess.run([sys.executable, __file__, "--child", str(folder_of(parts)), str(a.epochs), str(model)],
                              capture_output=True, text=True)
        if done.returncode:
            print(done.stderr[-3000:])
            raise SystemExit(done.returncode)
        results[parts] = json.loads(done.stdout.strip().splitlines()[-1])
        print(parts, "M rows:", json.dumps(results[parts]), flush=True)
    largest = max(results)
    import veil
    from veil.metrics.fidelity import quality_score

    synth = veil.load(HERE / "work" / f"stream_{largest}m.veil")
    adult = read_adult()
    quality = quality_score(adult, synth.sample(len(adult), seed=0), synth.metadata_)
    per_row = {parts: r["epoch_s"][0] / (parts * PART_ROWS) * 1e6 for parts, r in sorted(results.items())}
    cpu_per_row = {parts: r["epoch_cpu_s"][0] / (parts * PART_ROWS) * 1e6 for parts, r in sorted(results.items())
                   if r.get("epoch_cpu_s")}
    out = {"results": results, "epoch_us_per_row": per_row, "epoch_cpu_us_per_row": cpu_per_row,
           "quality_vs_adult": quality, "epochs": a.epochs}
    saved.write_text(json.dumps(out, indent=1))
    print(json.dumps({"epoch_us_per_row": per_row, "epoch_cpu_us_per_row": cpu_per_row,
                       "peak_rss_mb": {p: r["peak_rss_mb"] for p, r in results.items()},
                      "quality_vs_adult": quality["overall"]}))


if __name__ == "__main__":
    main()
