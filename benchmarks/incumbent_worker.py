"""One benchmark cell for an incumbent synthesizer (SDV), run by the incumbent's own Python.

    INCUMBENT_PYTHON benchmarks/incumbent_worker.py TRAIN.csv OUT.csv --model sdv:ctgan --rows N [--options JSON]
    INCUMBENT_PYTHON benchmarks/incumbent_worker.py --versions

``veil benchmark`` runs it (``--incumbent-worker`` names this file when veil is not run from the repository).
It lives outside veil's source tree and imports nothing from veil: it runs in a separate virtual
environment where SDV (Business Source License) is installed (``benchmarks/setup-incumbents.sh``), and veil
never imports SDV. SDV's synthesizers take no seed, and this worker does not seed global generators on
their behalf: an incumbent's repeats differ, as they do for SDV's users. ``--seed`` is accepted and ignored.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings

MODELS = {"sdv:gaussian_copula": "GaussianCopulaSynthesizer", "sdv:ctgan": "CTGANSynthesizer",
          "sdv:tvae": "TVAESynthesizer", "sdv:copulagan": "CopulaGANSynthesizer"}


def main() -> None:
    warnings.filterwarnings("ignore")
    if sys.argv[1:] == ["--versions"]:
        import sdv

        print(json.dumps({"sdv": sdv.__version__}))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("out")
    parser.add_argument("--model", required=True, choices=sorted(MODELS))
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0, help="ignored: SDV's synthesizers take no seed")
    parser.add_argument("--options", default="{}")
    args = parser.parse_args()

    import pandas as pd
    import sdv.single_table
    from sdv.metadata import Metadata

    train = pd.read_csv(args.train, keep_default_na=False, na_values=[""], low_memory=False)
    data = {"table": train}
    cls = getattr(sdv.single_table, MODELS[args.model])
    started = time.perf_counter()
    metadata = Metadata.detect_from_dataframes(data)
    synth = cls(metadata, **json.loads(args.options))
    synth.fit(data)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    out = synth.sample(args.rows)
    out = next(iter(out.values())) if isinstance(out, dict) else out
    sample_s = time.perf_counter() - started
    out.to_csv(args.out, index=False)
    print(json.dumps({"fit_s": fit_s, "sample_s": sample_s, "peak_rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's own peak resident memory in MiB (``VmHWM`` starts afresh at exec; ``ru_maxrss``
    would carry over the parent's peak). The same as :func:`veil.benchmark.worker.peak_rss_mb`, which this
    file cannot import: veil is not installed in the incumbents' environment."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
