"""Time SDV's CTGAN / TVAE / CopulaGAN on a CSV and print one JSON object (run in the SDV venv only).

    $SDV_PY benchmarks/_sdv_deep_worker.py TRAIN.csv --model ctgan --out SYN.csv [--epochs 30] [--n 39073]

SDV is under the Business Source License: this file runs only inside the separate venv made by
benchmarks/setup-incumbents.sh and is never imported by veil's code or tests. Timing: see _bench_common.py.
"""
from __future__ import annotations

import time
import warnings

from _bench_common import measure, parse_args


def main() -> None:
    warnings.filterwarnings("ignore")
    a = parse_args(__doc__)

    import numpy as np
    import pandas as pd
    import sdv
    from sdv.metadata import Metadata
    from sdv.single_table import CopulaGANSynthesizer, CTGANSynthesizer, TVAESynthesizer

    cls = {"ctgan": CTGANSynthesizer, "tvae": TVAESynthesizer, "copulagan": CopulaGANSynthesizer}[a.model]
    train = pd.read_csv(a.train, keep_default_na=False, na_values=[""])
    data = {"table": train}  # SDV 2.0 takes and returns {table name: DataFrame}
    t0 = time.perf_counter()
    metadata = Metadata.detect_from_dataframes(data)
    detect_s = time.perf_counter() - t0

    def fit():
        synth = cls(metadata, epochs=a.epochs, batch_size=a.batch_size, verbose=False)
        synth.fit(data)
        return synth

    def sample(synth, n):
        out = synth.sample(n)
        return next(iter(out.values())) if isinstance(out, dict) else out

    measure(a, fit, sample, f"SDV {sdv.__version__}",
            {"sdv": sdv.__version__, "numpy": np.__version__, "pandas": pd.__version__},
            {"detect_metadata_s": detect_s, "rows_train": len(train)})


if __name__ == "__main__":
    main()
