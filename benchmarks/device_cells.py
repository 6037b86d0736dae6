"""Run benchmark cells side by side on a big machine (a GPU box): each cell is one system fitted on one
dataset and sampled, in its own process; what comes out is the synthetic CSV (gzipped) and the worker's
JSON, for scoring with the judge elsewhere.

    python benchmarks/device_cells.py --data DIR --out DIR CELL [CELL ...] [--parallel 9]

DIR for --data holds DATASET.csv or DATASET.csv.gz (a judge train split). A CELL is DATASET:SYSTEM with
SYSTEM one of ``veil-ar`` (veil's autoregressive defaults), ``veil-ctgan`` / ``veil-tvae`` (300 epochs,
batch 500, as deep_speed.py --full) and ``argn`` (mostlyai-engine's TabularARGN defaults; needs the
engine importable). Each cell samples as many rows as the train split has, with seed 0, and writes
OUT/DATASET.SYSTEM.csv.gz, .json and .log. Cells already done in OUT are skipped, so a second call resumes.
The seconds are not timings to compare: the cells share the machine. Stdlib only.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEEP = {"veil-ctgan": "ctgan", "veil-tvae": "tvae"}
AR = {"veil-ar": "veil", "argn": "mostlyai"}


def train_csv(data: Path, dataset: str, scratch: Path) -> Path:
    plain = data / f"{dataset}.csv"
    if plain.exists():
        return plain
    packed = data / f"{dataset}.csv.gz"
    if not packed.exists():
        raise SystemExit(f"no {plain} or {packed}: put the judge's train split there")
    target = scratch / f"{dataset}.csv"
    if not target.exists():
        with gzip.open(packed, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return target


def command(system: str, train: Path, out_csv: Path, n: int) -> list[str]:
    if system in DEEP:
        return [sys.executable, str(HERE / "_veil_deep_worker.py"), str(train), "--model", DEEP[system],
                "--out", str(out_csv), "--n", str(n), "--epochs", "300", "--batch-size", "500",
                "--big", "1000", "--sample-repeats", "1"]
    if system in AR:
        return [sys.executable, str(HERE / "_ar_worker.py"), AR[system], str(train), "--out", str(out_csv),
                "--n", str(n), "--big", "1000", "--repeats", "1"]
    raise SystemExit(f"unknown system {system!r}: use one of {sorted(DEEP) + sorted(AR)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("cells", nargs="+", help="DATASET:SYSTEM")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--parallel", type=int, default=9)
    p.add_argument("--threads", type=int, default=1, help="OMP/MKL threads per cell")
    a = p.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    scratch = a.out / "scratch"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(a.threads), "MKL_NUM_THREADS": str(a.threads),
           "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE), os.environ.get("PYTHONPATH", "")])}
    pending = []
    for cell in a.cells:
        dataset, _, system = cell.partition(":")
        stem = a.out / f"{dataset}.{system}"
        if Path(f"{stem}.csv.gz").exists():
            print(f"{cell}: done before, skipped", flush=True)
            continue
        train = train_csv(a.data, dataset, scratch)
        with open(train, "rb") as f:
            n = sum(1 for _ in f) - 1  # the splits have no embedded newlines
        pending.append((cell, stem, command(system, train, scratch / f"{dataset}.{system}.csv", n)))
    running: list[tuple[str, Path, subprocess.Popen, float, object]] = []
    while pending or running:
        while pending and len(running) < a.parallel:
            cell, stem, cmd = pending.pop(0)
            log = open(f"{stem}.log", "w")  # noqa: SIM115 - closed when the cell's process ends
            running.append((cell, stem, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, env=env, text=True),
                            time.time(), log))
            print(f"{cell}: started", flush=True)
        time.sleep(2)
        for item in list(running):
            cell, stem, proc, started, log = item
            if proc.poll() is None:
                continue
            running.remove(item)
            log.close()
            lines = [line for line in proc.stdout.read().splitlines() if line.startswith("{")]
            result = json.loads(lines[-1]) if lines else {"error": f"exit {proc.returncode}, no JSON"}
            result.update(cell=cell, wall_s=time.time() - started)
            Path(f"{stem}.json").write_text(json.dumps(result, indent=1))
            csv = Path(result.get("out", ""))
            if "error" not in result and csv.is_file():
                with open(csv, "rb") as src, gzip.open(f"{stem}.csv.gz.part", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                os.replace(f"{stem}.csv.gz.part", f"{stem}.csv.gz")
            print(f"{cell}: {'failed: ' + result['error'] if 'error' in result else 'done'} "
                  f"after {result['wall_s']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
