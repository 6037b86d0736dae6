"""Time ``veil.evaluate`` on the judge's Adult split and write its report.

    .venv/bin/python benchmarks/evaluate_speed.py [SYNTHETIC.csv] [--out DIR]

Default synthetic table: benchmarks/work/adult/veil_copula.csv (left by copula_speed.py --score). Prints
the summary, the seconds per section and the total; writes report.html and evaluation.json to --out
(default benchmarks/work/adult/evaluation).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

WORK = Path(__file__).resolve().parent / "work" / "adult"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("synthetic", nargs="?", default=str(WORK / "veil_copula.csv"))
    p.add_argument("--out", default=str(WORK / "evaluation"))
    args = p.parse_args()
    import veil

    read = lambda path: pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)  # noqa: E731
    train, holdout, synthetic = read(WORK / "train.csv"), read(WORK / "holdout.csv"), read(args.synthetic)
    started = time.perf_counter()
    result = veil.evaluate(train, synthetic, holdout=holdout, target="income",
                           quasi_identifiers=["age", "sex", "race", "marital-status"], sensitive="income")
    total = time.perf_counter() - started
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result.to_html(out / "report.html")
    result.to_json(out / "evaluation.json")
    print(result.summary())
    print(json.dumps({"rows": result.rows, "seconds": {k: round(v, 2) for k, v in result.timings.items()},
                      "total_s": round(total, 2), "report": str(out / "report.html")}, indent=1))


if __name__ == "__main__":
    main()
