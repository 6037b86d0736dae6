"""Default value protection on Adult (issue 9): every synthesizer, with default settings except a small
training budget for the slow ones, samples the judge's number of rows from the judge's train split.

    ../.venv/bin/python value_protection.py [--models autoregressive,ctgan,...] [--results FILE.json]

Counts, in the synthetic rows, categories that fewer than 5 real people have (each row is a person in
Adult), and values outside [5th smallest, 5th largest] of the real column; scores quality in-process
(veil's score equals the judge's) and writes each output to work/adult/protected_<model>.csv for
``judge_run.sh``. Cells already in the results file are skipped.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

import veil
from veil.metrics.fidelity import quality_score

HERE = Path(__file__).resolve().parent
K = 5
BUDGET = {"autoregressive": {}, "gaussian_copula": {}, "fast_ml": {}, "ctgan": {"epochs": 30},
          "tvae": {"epochs": 30}, "copulagan": {"epochs": 30}, "tablegan": {"epochs": 2}, "tgan": {"epochs": 1}}


def leaks(real: pd.DataFrame, out: pd.DataFrame) -> tuple[int, int]:
    """(rows holding a category of fewer than K people, values outside the K-th smallest / largest)."""
    rare_rows = outside = 0
    for c in real.columns:
        if pd.api.types.is_numeric_dtype(real[c]):
            ordered = np.sort(real[c].dropna().to_numpy())
            outside += int(((out[c] < ordered[K - 1]) | (out[c] > ordered[-K])).sum())
        else:
            counts = real[c].value_counts()
            rare_rows += int(out[c].isin(set(counts.index[counts < K])).sum())
    return rare_rows, outside


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=",".join(BUDGET))
    p.add_argument("--results", default="value_protection.json")
    a = p.parse_args()
    path = HERE / "work" / a.results
    results = json.loads(path.read_text()) if path.exists() else {}
    real = pd.read_csv(HERE / "work" / "adult" / "train.csv")
    for name in a.models.split(","):
        if name in results:
            continue
        started = time.perf_counter()
        synth = veil.synthesizers.synthesizer_class(name)(**BUDGET[name]).fit(real)
        fit_s = time.perf_counter() - started
        out = synth.sample(len(real), seed=0)
        out.to_csv(HERE / "work" / "adult" / f"protected_{name}.csv", index=False)
        rare_rows, outside = leaks(real, out)
        results[name] = {"budget": BUDGET[name], "fit_s": fit_s, "rows": len(out), "rare_category_rows": rare_rows,
                         "values_outside_kth": outside, "quality": quality_score(real, out, synth.metadata_)}
        path.write_text(json.dumps(results, indent=1))
        print(name, json.dumps(results[name]), flush=True)


if __name__ == "__main__":
    main()
