"""``veil.evaluate`` at scale: 500,000 rows x 50 columns (issue 4: at most 2 minutes on the 2-core machine).

    .venv/bin/python benchmarks/evaluate_scale.py [--rows 500000] [--columns 50]

The tables are generated here (seeded): 30 numerical columns (mixtures, skews, correlated pairs) and 20
categorical ones (2 to 40 categories), a binary target; train and synthetic have --rows rows, the
holdout a fifth of that. Prints the seconds per section, the total, and the sampling notes.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd


def make(n: int, columns: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_num = columns * 3 // 5
    base = rng.normal(size=(n, 4))
    data = {}
    for j in range(n_num):
        mix = base[:, j % 4] * (1 + j % 3) + rng.normal(0, 1 + j % 5, n)
        data[f"num_{j}"] = np.round(np.exp(mix / 4) if j % 4 == 0 else mix, 2)
    for j in range(columns - n_num - 1):
        k = 2 + (j * 7) % 39
        score = base[:, j % 4] + rng.normal(0, 1, n)
        data[f"cat_{j}"] = np.array([f"c{i}" for i in range(k)])[np.clip(((score + 3) / 6 * k).astype(int), 0, k - 1)]
    data["target"] = np.where(base[:, 0] + base[:, 1] + rng.normal(0, 1, n) > 0, "yes", "no")
    return pd.DataFrame(data)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=500_000)
    p.add_argument("--columns", type=int, default=50)
    args = p.parse_args()
    import veil

    train, synthetic, holdout = make(args.rows, args.columns, 0), make(args.rows, args.columns, 1), \
        make(args.rows // 5, args.columns, 2)
    started = time.perf_counter()
    result = veil.evaluate(train, synthetic, holdout=holdout, target="target")
    total = time.perf_counter() - started
    print(json.dumps({"rows": result.rows, "columns": train.shape[1],
                      "seconds": {k: round(v, 1) for k, v in result.timings.items()}, "total_s": round(total, 1),
                      "notes": result.notes}, indent=1))


if __name__ == "__main__":
    main()
