"""veil's column-shape and pair-trend scores against SDMetrics 0.32's QualityReport, on the same tables.

    .venv/bin/python benchmarks/fidelity_vs_sdmetrics.py [SYNTHETIC.csv ...]

Real table: the judge's Adult train split (benchmarks/work/adult/train.csv; make it with
``judge.py split adult benchmarks/work/adult``). Synthetic tables: the arguments, by default the copula
and CTGAN outputs the speed benchmarks leave in benchmarks/work/adult and the holdout itself. SDMetrics
runs in the judge's venv (``../shared/bench/setup-judge.sh``; override with JUDGE_PYTHON). Both sides
score the full tables with the same metadata (veil's, detected from train).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "adult"
SDTYPES = {"numerical": "numerical", "datetime": "datetime", "categorical": "categorical", "boolean": "boolean"}


def judge_python() -> str:
    if os.environ.get("JUDGE_PYTHON"):
        return os.environ["JUDGE_PYTHON"]
    setup = HERE.parent.parent / "shared" / "bench" / "setup-judge.sh"
    return subprocess.run(["bash", str(setup)], check=True, capture_output=True, text=True).stdout.strip()


def main() -> None:
    import veil
    from veil.metrics.fidelity import quality_score

    read = lambda p: pd.read_csv(p, keep_default_na=False, na_values=[""], low_memory=False)  # noqa: E731
    train = read(WORK / "train.csv")
    meta = veil.Metadata.detect(train)
    sd_meta = {"columns": {}}
    for col in meta:
        if col.learned and col.modelled_as in SDTYPES:
            sd_meta["columns"][col.name] = {"sdtype": SDTYPES[col.modelled_as]}
            if col.modelled_as == "datetime" and col.datetime_format:
                sd_meta["columns"][col.name]["datetime_format"] = col.datetime_format
    paths = [Path(p) for p in sys.argv[1:]] or [WORK / "veil_copula.csv", WORK / "veil_ctgan.csv", WORK / "holdout.csv"]
    python = judge_python()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        meta_path = Path(tmp) / "meta.json"
        meta_path.write_text(json.dumps(sd_meta))
        for path in paths:
            syn = read(path)
            started = time.perf_counter()
            ours = quality_score(train, syn, meta, max_rows=len(train) + len(syn))
            ours_s = time.perf_counter() - started
            done = subprocess.run([python, str(HERE / "_sdmetrics_worker.py"), str(WORK / "train.csv"), str(path),
                                   str(meta_path)], check=True, capture_output=True, text=True)
            theirs = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"synthetic": path.name, "veil shapes": ours["column_shapes"],
                         "SDMetrics shapes": theirs["column_shapes"],
                         "veil pairs": ours["column_pair_trends"], "SDMetrics pairs": theirs["column_pair_trends"],
                         "max diff": max(abs(ours["column_shapes"] - theirs["column_shapes"]),
                                           abs(ours["column_pair_trends"] - theirs["column_pair_trends"])),
                         "veil s": ours_s, "SDMetrics s": theirs["seconds"]})
    print("| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()) + " |")
    print(json.dumps({"all_within_0.005": all(r["max diff"] <= 0.005 for r in rows)}))


if __name__ == "__main__":
    main()
