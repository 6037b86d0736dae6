"""Time SDV's GaussianCopulaSynthesizer on a CSV and print one JSON object (run in the SDV venv only).

    $SDV_PY benchmarks/_sdv_worker.py TRAIN.csv --out SYN.csv [--n 39073] [--big 200000]

SDV is under the Business Source License: this file runs only inside the separate venv made by
benchmarks/setup-incumbents.sh and is never imported by veil's code or tests.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import warnings


def rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(repeats: int, fn) -> tuple[float, list[float], object]:
    """Run fn `repeats` times; return the best wall time, all times and the first result."""
    times, first = [], None
    for i in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if i == 0:
            first = out
    return min(times), times, first


def main() -> None:
    warnings.filterwarnings("ignore")
    p = argparse.ArgumentParser()
    p.add_argument("train")
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=39_073)
    p.add_argument("--big", type=int, default=200_000)
    p.add_argument("--fit-repeats", type=int, default=1)
    p.add_argument("--sample-repeats", type=int, default=3)
    a = p.parse_args()

    import numpy as np
    import pandas as pd
    import scipy
    import sdv
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    rss_import = rss_mib()
    train = pd.read_csv(a.train, keep_default_na=False, na_values=[""])
    rss_data = rss_mib()

    # SDV 2.0 speaks in {table name: DataFrame} even for one table (fit's input, sample's output);
    # SDV 1.x took and returned the DataFrame itself and had Metadata.detect_from_dataframe.
    v2 = int(sdv.__version__.split(".")[0]) >= 2
    data = {"table": train} if v2 else train

    def frame(out):
        return next(iter(out.values())) if isinstance(out, dict) else out

    t0 = time.perf_counter()
    metadata = Metadata.detect_from_dataframes(data) if v2 else Metadata.detect_from_dataframe(train)
    detect_s = time.perf_counter() - t0

    def fit():
        synth = GaussianCopulaSynthesizer(metadata)
        synth.fit(data)
        return synth

    fit_s, fit_all, synth = best_of(a.fit_repeats, fit)
    rss_fit = rss_mib()
    sample_s, sample_all, syn = best_of(a.sample_repeats, lambda: frame(synth.sample(a.n)))
    big_s, big_all, big = best_of(a.sample_repeats, lambda: frame(synth.sample(a.big)))
    rows_big = len(big)
    del big
    syn.to_csv(a.out, index=False)

    try:
        from threadpoolctl import threadpool_info
        pools = [{k: d.get(k) for k in ("internal_api", "num_threads")} for d in threadpool_info()]
    except ImportError:
        pools = []
    print(json.dumps({
        "system": f"SDV {sdv.__version__}",
        "rows_train": len(train),
        "detect_metadata_s": detect_s,
        "fit_s": fit_s, "fit_all_s": fit_all,
        "sample_s": sample_s, "sample_all_s": sample_all, "rows_sample": len(syn),
        "sample_big_s": big_s, "sample_big_all_s": big_all, "rows_big": rows_big,
        "rss_after_import_mib": rss_import, "rss_after_read_mib": rss_data,
        "rss_after_fit_mib": rss_fit, "peak_rss_mib": rss_mib(),
        "out": a.out,
        "versions": {"python": platform.python_version(), "sdv": sdv.__version__,
                     "numpy": np.__version__, "pandas": pd.__version__, "scipy": scipy.__version__},
        "threadpools": pools,
        "env_threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                          "MKL_NUM_THREADS") if os.environ.get(k)},
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
