"""Data-parallel training (issue 12): does a 2-process torchrun fit reach one process's quality band?

    .venv/bin/python benchmarks/ddp_check.py [--model autoregressive] [--epochs 3] [--processes 2]

Fits Adult twice through the command line with the same seed and options, once as one process
(``veil fit``) and once as ``torchrun --nproc-per-node N -m veil fit ... --distributed`` (gloo on a CPU),
samples as many rows as Adult has from each model, scores both with :func:`veil.metrics.fidelity.quality_score`
and prints one JSON line: the two scores, their difference and the fit times.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

import veil
from veil.metadata import Metadata
from veil.metrics.fidelity import quality_score

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "datasets" / "adult.csv.gz"


def _fit(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="autoregressive")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--data", type=Path, default=ADULT)
    p.add_argument("--work", type=Path, default=HERE / "work" / "ddp")
    a = p.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    real = pd.read_csv(a.data, keep_default_na=False, na_values=[""])
    csv = a.work / "train.csv"
    real.to_csv(csv, index=False)
    options = ["--model", a.model, "--epochs", str(a.epochs), "--seed", "0", "--device", "cpu"]
    one, many = a.work / f"{a.model}_1.veil", a.work / f"{a.model}_{a.processes}.veil"
    commands = {
        "one": [sys.executable, "-m", "veil", "fit", str(csv), "-o", str(one), *options],
        "distributed": [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(a.processes),
                        "--master-port", str(_free_port()), "-m", "veil", "fit", str(csv), "-o", str(many),
                        *options, "--distributed"],
    }
    seconds = {name: _fit(command) for name, command in commands.items()}
    metadata = Metadata.detect(real)
    scores = {}
    for name, path in (("one", one), ("distributed", many)):
        synthetic = veil.load(path).sample(len(real), seed=1)
        scores[name] = quality_score(real, synthetic, metadata)["overall"]
    print(json.dumps({"model": a.model, "epochs": a.epochs, "processes": a.processes, "rows": len(real),
                      "quality_one_process": round(scores["one"], 4),
                      "quality_distributed": round(scores["distributed"], 4),
                      "difference": round(scores["distributed"] - scores["one"], 4),
                      "fit_seconds_one_process": round(seconds["one"], 1),
                      "fit_seconds_distributed": round(seconds["distributed"], 1),
                      "commands": {k: " ".join(v) for k, v in commands.items()}}))


if __name__ == "__main__":
    main()
