"""SDMetrics' QualityReport on two CSVs; prints one JSON object (run with the judge's venv, not veil's).

    python benchmarks/_sdmetrics_worker.py REAL.csv SYNTHETIC.csv METADATA.json

METADATA.json is SDMetrics' single-table metadata ({"columns": {name: {"sdtype": ...}}}). Both tables
are read as the judge reads them and scored in full (no sampling).
"""
from __future__ import annotations

import json
import sys
import time
import warnings

import pandas as pd


def main() -> None:
    warnings.filterwarnings("ignore")
    from sdmetrics.reports.single_table import QualityReport

    real_path, syn_path, meta_path = sys.argv[1:4]
    with open(meta_path, encoding="utf-8") as handle:
        meta = json.load(handle)
    read = lambda p: pd.read_csv(p, keep_default_na=False, na_values=[""], low_memory=False)  # noqa: E731
    real, syn = read(real_path)[list(meta["columns"])], read(syn_path)[list(meta["columns"])]
    report = QualityReport()
    started = time.perf_counter()
    report.generate(real, syn, meta, verbose=False)
    props = {r["Property"]: float(r["Score"]) for _, r in report.get_properties().iterrows()}
    shapes = report.get_details("Column Shapes")
    print(json.dumps({"overall": float(report.get_score()), "column_shapes": props["Column Shapes"],
                      "column_pair_trends": props["Column Pair Trends"], "seconds": time.perf_counter() - started,
                      "shapes": {r["Column"]: float(r["Score"]) for _, r in shapes.iterrows()}}))


if __name__ == "__main__":
    main()
