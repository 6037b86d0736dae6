"""One benchmark cell for a veil synthesizer, in its own process: fit on a CSV, sample, write a CSV, and
print one JSON line (fit and sample seconds, this process's peak RSS).

    python -m veil.benchmark.worker TRAIN.csv OUT.csv --model NAME --rows N --seed S [--options JSON]

The table is read and written with pandas as the judge reads it, so that text stays text (dates keep
their own spelling) and the scores compare with the judge's on the very same file.
"""
from __future__ import annotations

import argparse
import json
import resource
import time


def peak_rss_mb() -> float:
    """This process's own peak resident memory in MiB. Linux's ``VmHWM`` starts afresh at exec;
    ``ru_maxrss`` would carry over the parent's peak at fork, when the parent is the larger."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("out")
    parser.add_argument("--model", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--options", default="{}")
    args = parser.parse_args(argv)

    import pandas as pd

    from veil.synthesizers import synthesizer_class

    train = pd.read_csv(args.train, keep_default_na=False, na_values=[""], low_memory=False)
    synth = synthesizer_class(args.model)(seed=args.seed, **json.loads(args.options))
    started = time.perf_counter()
    synth.fit(train)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    synthetic = synth.sample(args.rows, seed=args.seed)
    sample_s = time.perf_counter() - started
    synthetic.to_csv(args.out, index=False)
    epochs = getattr(getattr(synth, "model_", None), "history_", None)
    print(json.dumps({"fit_s": fit_s, "sample_s": sample_s, "peak_rss_mb": peak_rss_mb(),
                      "epochs_run": len(epochs) if isinstance(epochs, list) else None}))


if __name__ == "__main__":
    main()
