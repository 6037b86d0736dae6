"""One side of ar_speed.py: fit on TRAIN.csv, sample, time it, print one JSON line (stdlib at import).

    python benchmarks/_ar_worker.py veil|mostlyai TRAIN.csv --out SYN.csv --n 39073 [--big 200000] [--repeats 3]

``veil``: veil's AutoregressiveSynthesizer with its defaults (run with veil's venv). ``mostlyai``:
mostlyai-engine's TabularARGN with its defaults, through split / analyze / encode / train / generate in a
temporary workspace (run with the venv of setup-mostlyai.sh). Fit seconds cover everything before the
first synthetic row; sampling seconds are the best of ``--repeats`` runs of ``--big`` rows.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def veil_side(train, n: int, big: int, repeats: int):
    import veil

    started = time.perf_counter()
    synth = veil.AutoregressiveSynthesizer().fit(train)
    fit_s = time.perf_counter() - started
    peak_fit = rss_mib()
    out = synth.sample(n, seed=0)
    times = []
    for r in range(repeats):
        t = time.perf_counter()
        synth.sample(big, seed=100 + r)
        times.append(time.perf_counter() - t)
    return out, fit_s, min(times), peak_fit, {"veil": veil.__version__, "epochs": len(synth.loss_history_)}


def mostlyai_side(train, n: int, big: int, repeats: int):
    import pandas as pd
    from mostlyai import engine

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        started = time.perf_counter()
        engine.set_random_state(0)
        engine.split(workspace_dir=ws, tgt_data=train, model_type="TABULAR")
        engine.analyze(workspace_dir=ws)
        engine.encode(workspace_dir=ws)
        engine.train(workspace_dir=ws)
        fit_s = time.perf_counter() - started
        peak_fit = rss_mib()

        def generate(size: int) -> pd.DataFrame:
            engine.generate(workspace_dir=ws, sample_size=size)
            return pd.concat([pd.read_parquet(p) for p in sorted((ws / "SyntheticData").glob("*.parquet"))],
                             ignore_index=True)

        out = generate(n)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            generate(big)
            times.append(time.perf_counter() - t)
        import importlib.metadata as md
        return out, fit_s, min(times), peak_fit, {"mostlyai-engine": md.version("mostlyai-engine")}


def main() -> None:
    warnings.filterwarnings("ignore")
    p = argparse.ArgumentParser()
    p.add_argument("side", choices=["veil", "mostlyai"])
    p.add_argument("train", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--big", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    import pandas as pd

    train = pd.read_csv(a.train, keep_default_na=False, na_values=[""])
    fn = veil_side if a.side == "veil" else mostlyai_side
    try:
        out, fit_s, sample_s, peak_fit, versions = fn(train, a.n, a.big, a.repeats)
    except Exception as exc:  # noqa: BLE001 - report any failure as this side being unavailable
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        sys.exit(3)
    out.to_csv(a.out, index=False)
    print(json.dumps({"out": str(a.out), "fit_s": fit_s, "sample_big_s": sample_s, "peak_rss_fit_mib": peak_fit,
                      "peak_rss_mib": rss_mib(), "versions": versions}))


if __name__ == "__main__":
    main()
