"""What the deep-model workers (_sdv_deep_worker.py, _veil_deep_worker.py) share; stdlib only at import.

Both sides are timed the same way: the fit is split at the moment the first torch optimizer is made.
Everything before it (metadata handling, data transformer, mode-specific normalisation, sampler set-up,
network construction) is *preprocessing*; everything after it is *training*, and seconds per epoch is
training time divided by epochs. The split is found by wrapping ``torch.optim.Optimizer.__init__``,
so it needs no hook inside either library and means the same thing for both.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _sdv_worker import best_of, rss_mib  # the copula workers' helpers (stdlib only)

__all__ = ["OptimizerClock", "best_of", "measure", "parse_args", "rss_mib"]


class OptimizerClock:
    """Remembers when the first torch optimizer was made after :meth:`reset`, and when every optimizer
    step ended (a global post-step hook), so that each epoch's time can be told apart."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.steps: list[float] = []
        import torch
        from torch.optim.optimizer import register_optimizer_step_post_hook

        register_optimizer_step_post_hook(lambda *_: self.steps.append(time.perf_counter()))

        base = torch.optim.Optimizer
        original = base.__init__
        clock = self

        @functools.wraps(original)
        def init(opt, *args, **kwargs):
            if clock.first is None:
                clock.first = time.perf_counter()
            original(opt, *args, **kwargs)

        base.__init__ = init

    def reset(self) -> None:
        self.first = None
        self.steps = []

    def epoch_seconds(self, epochs: int) -> list[float]:
        """Seconds of each epoch: the optimizer steps cut into ``epochs`` equal runs (every epoch of
        these models takes the same number of steps), the first one timed from the first optimizer."""
        if not self.steps or self.first is None or len(self.steps) % epochs:
            return []
        per = len(self.steps) // epochs
        ends = [self.first] + self.steps[per - 1::per]
        return [b - a for a, b in zip(ends[:-1], ends[1:])]


def parse_args(doc: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("train")
    p.add_argument("--model", required=True, choices=["ctgan", "tvae", "copulagan"])
    p.add_argument("--out", required=True, help="where to write the scored sample (with --n > 0)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--n", type=int, default=0, help="rows to sample and write to --out (0: none)")
    p.add_argument("--big", type=int, default=200_000)
    p.add_argument("--sample-repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def threadpools() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{k: d.get(k) for k in ("internal_api", "num_threads")} for d in threadpool_info()]


def measure(args: argparse.Namespace, fit: Callable[[], Any], sample: Callable[[Any, int], Any],
            system: str, versions: dict[str, str], extra: dict[str, Any] | None = None) -> None:
    """Fit once, sample ``args.big`` rows (best of ``args.sample_repeats``), optionally write ``args.n`` rows;
    print one JSON object with every figure."""
    import torch

    clock = OptimizerClock()
    rss_start = rss_mib()
    t0 = time.perf_counter()
    synth = fit()
    fit_s = time.perf_counter() - t0
    rss_fit = rss_mib()  # ru_maxrss: the peak so far, i.e. the peak during fit (plus import and read)
    if clock.first is None:
        raise RuntimeError("no torch optimizer was made during fit; cannot split preprocessing from training")
    pre_s = clock.first - t0
    train_s = fit_s - pre_s
    epoch_s = clock.epoch_seconds(args.epochs)
    big_s, big_all, big = best_of(args.sample_repeats, lambda: sample(synth, args.big))
    rows_big = len(big)
    del big
    rss_sample = rss_mib()  # the peak over fit and the 200k-row samples, before the scored sample is written
    out = {}
    if args.n:
        t0 = time.perf_counter()
        syn = sample(synth, args.n)
        out = {"sample_s": time.perf_counter() - t0, "rows_sample": len(syn), "out": args.out}
        syn.to_csv(args.out, index=False)
    print(json.dumps({
        "system": system, "model": args.model, "epochs": args.epochs, "batch_size": args.batch_size,
        "fit_s": fit_s, "preprocess_s": pre_s, "train_s": train_s, "s_per_epoch": train_s / args.epochs,
        "epoch_s": epoch_s, "epoch_s_median": statistics.median(epoch_s) if epoch_s else None,
        "epoch_s_min": min(epoch_s) if epoch_s else None,
        "sample_big_s": big_s, "sample_big_all_s": big_all, "rows_big": rows_big, **out,
        "rss_before_fit_mib": rss_start, "peak_rss_fit_mib": rss_fit,
        "peak_rss_sample_mib": rss_sample, "peak_rss_mib": rss_mib(),
        "versions": {"python": platform.python_version(), "torch": torch.__version__, **versions},
        "torch_threads": torch.get_num_threads(), "threadpools": threadpools(),
        "env_threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                          "MKL_NUM_THREADS") if os.environ.get(k)},
        **(extra or {}),
    }))
    sys.stdout.flush()
