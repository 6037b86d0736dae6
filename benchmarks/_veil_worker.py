"""Time veil's GaussianCopulaSynthesizer on a CSV and print one JSON object (run with veil's venv).

    python benchmarks/_veil_worker.py TRAIN.csv --out SYN.csv [--n 39073] [--big 200000]

A separate process, like the SDV side, so that both peak-RSS figures mean the same thing:
interpreter + libraries + the training table + the model + the largest sample.
If veil cannot be imported (or lacks the API), it prints {"error": ...} and exits with status 3.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path


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


def fail(msg: str) -> None:
    print(json.dumps({"error": msg}))
    sys.exit(3)


def main() -> None:
    warnings.filterwarnings("ignore")
    p = argparse.ArgumentParser()
    p.add_argument("train")
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=39_073)
    p.add_argument("--big", type=int, default=200_000)
    p.add_argument("--fit-repeats", type=int, default=1)
    p.add_argument("--sample-repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    import numpy as np
    import pandas as pd
    import scipy

    try:
        import veil
        synth_cls = veil.GaussianCopulaSynthesizer
    except Exception as exc:  # noqa: BLE001 - any failure here means "veil side unavailable"
        fail(f"cannot use veil.GaussianCopulaSynthesizer: {type(exc).__name__}: {exc}")

    rss_import = rss_mib()
    train = pd.read_csv(a.train, keep_default_na=False, na_values=[""])
    rss_data = rss_mib()

    def fit():
        synth = synth_cls()
        synth.fit(train)
        return synth

    fit_s, fit_all, synth = best_of(a.fit_repeats, fit)
    rss_fit = rss_mib()
    sample_s, sample_all, syn = best_of(a.sample_repeats, lambda: synth.sample(a.n, seed=a.seed))
    big_s, big_all, big = best_of(a.sample_repeats, lambda: synth.sample(a.big, seed=a.seed))
    rows_big = len(big)
    del big
    syn.to_csv(a.out, index=False)
    peak = rss_mib()  # before the save/load check below, so it compares with the SDV side

    saved = {}
    if hasattr(veil, "load") and hasattr(synth, "save"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "copula.veil"
            t0 = time.perf_counter()
            synth.save(path)
            saved["save_s"] = time.perf_counter() - t0
            saved["model_bytes"] = sum(f.stat().st_size for f in [path, *path.rglob("*")] if f.is_file())
            t0 = time.perf_counter()
            again = veil.load(path)
            saved["load_s"] = time.perf_counter() - t0
            saved["round_trip_same_sample"] = bool(again.sample(a.n, seed=a.seed).equals(syn))

    torch_threads = None
    if "torch" in sys.modules:
        torch_threads = sys.modules["torch"].get_num_threads()
    try:
        from threadpoolctl import threadpool_info
        pools = [{k: d.get(k) for k in ("internal_api", "num_threads")} for d in threadpool_info()]
    except ImportError:
        pools = []
    version = getattr(veil, "__version__", "unknown")
    print(json.dumps({
        "system": f"veil {version}",
        "rows_train": len(train),
        "fit_s": fit_s, "fit_all_s": fit_all,
        "sample_s": sample_s, "sample_all_s": sample_all, "rows_sample": len(syn),
        "sample_big_s": big_s, "sample_big_all_s": big_all, "rows_big": rows_big,
        "rss_after_import_mib": rss_import, "rss_after_read_mib": rss_data,
        "rss_after_fit_mib": rss_fit, "peak_rss_mib": peak,
        "out": a.out, **saved,
        "versions": {"python": platform.python_version(), "veil": version,
                     "numpy": np.__version__, "pandas": pd.__version__, "scipy": scipy.__version__},
        "threadpools": pools, "torch_threads": torch_threads,
        "env_threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                          "MKL_NUM_THREADS") if os.environ.get(k)},
    }))


if __name__ == "__main__":
    main()
