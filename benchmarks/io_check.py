"""Issue 10's database figures: ``veil fit`` from a PostgreSQL table of 1,000,000 rows (peak RSS), and
``veil sample -n 5000000 --to postgresql://...`` (wall time).

Needs a PostgreSQL server: ``eval "$(.ci/postgres.sh start)"`` sets ``VEIL_TEST_POSTGRES_URL``. The table
is Adult tiled to 1,000,000 rows, numbers jittered so rows are not exact copies. Each command runs in its
own process; its peak RSS comes from ``/usr/bin/time -v``.

    cd benchmarks && ../.venv/bin/python io_check.py [--rows 1000000] [--sample 5000000]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "datasets" / "adult.csv.gz"
VEIL = str(Path(sys.executable).with_name("veil"))


def tiled_adult(rows: int, seed: int = 0) -> pd.DataFrame:
    real = pd.read_csv(ADULT)
    rng = np.random.default_rng(seed)
    table = real.iloc[rng.integers(0, len(real), rows)].reset_index(drop=True)
    for name in table.columns:
        if pd.api.types.is_integer_dtype(table[name].dtype) and table[name].nunique() > 20:
            jitter = rng.integers(-2, 3, rows)
            table[name] = np.maximum(table[name].to_numpy() + jitter, table[name].min())
    return table


def timed(command: list[str]) -> dict:
    """Run ``command`` under /usr/bin/time -v: wall seconds, peak RSS in MB, exit code, last output line."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "2"})
    wall = time.perf_counter() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return {"command": " ".join(c if "://" not in c else "postgresql://...@.../veil" for c in command),
            "seconds": round(wall, 1), "peak_rss_mb": round(int(peak.group(1)) / 1024) if peak else None,
            "exit_code": done.returncode, "said": lines[-1] if lines else done.stderr.strip().splitlines()[-1:]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=5_000_000)
    parser.add_argument("--results", default="work/io_check.json")
    args = parser.parse_args()
    url = os.environ.get("VEIL_TEST_POSTGRES_URL")
    if not url:
        sys.exit('no PostgreSQL server: eval "$(../.ci/postgres.sh start)" first')
    sys.path.insert(0, str(HERE.parent / "src"))
    from veil.io import write_table

    source = f"adult_{args.rows}"
    table = tiled_adult(args.rows)
    started = time.perf_counter()
    write_table(table, url, table=source, overwrite=True)
    results = {"rows": args.rows, "load_seconds": round(time.perf_counter() - started, 1),
               "machine": f"{os.cpu_count()} cores"}
    del table
    model = HERE / "work" / "io_check.veil"
    results["fit"] = timed([VEIL, "fit", url, "--table", source, "-o", str(model)])
    results["sample"] = timed([VEIL, "sample", str(model), "-n", str(args.sample), "--to", url, "--table",
                               f"{source}_synthetic", "--overwrite", "--seed", "0"])
    print(json.dumps(results, indent=2))
    Path(HERE / args.results).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
