"""Time veil's CTGAN / TVAE / CopulaGAN on a CSV and print one JSON object (run with veil's venv).

    python benchmarks/_veil_deep_worker.py TRAIN.csv --model ctgan --out SYN.csv [--epochs 30] [--n 39073]

A separate process, like the SDV side, so that both peak-RSS figures mean the same thing. If veil
cannot be imported or lacks the synthesizer, it prints {"error": ...} and exits with status 3.
Timing: see _bench_common.py.
"""
from __future__ import annotations

import json
import sys
import warnings

from _bench_common import measure, parse_args

CLASSES = {"ctgan": "CTGANSynthesizer", "tvae": "TVAESynthesizer", "copulagan": "CopulaGANSynthesizer"}


def main() -> None:
    warnings.filterwarnings("ignore")
    a = parse_args(__doc__)

    import numpy as np
    import pandas as pd

    try:
        import veil
        cls = getattr(veil, CLASSES[a.model])
    except Exception as exc:  # noqa: BLE001 - any failure here means "veil side unavailable"
        print(json.dumps({"error": f"cannot use veil.{CLASSES[a.model]}: {type(exc).__name__}: {exc}"}))
        sys.exit(3)

    train = pd.read_csv(a.train, keep_default_na=False, na_values=[""])

    def fit():
        return cls(epochs=a.epochs, batch_size=a.batch_size).fit(train)

    version = getattr(veil, "__version__", "unknown")
    measure(a, fit, lambda synth, n: synth.sample(n, seed=a.seed), f"veil {version}",
            {"veil": version, "numpy": np.__version__, "pandas": pd.__version__}, {"rows_train": len(train)})


if __name__ == "__main__":
    main()
