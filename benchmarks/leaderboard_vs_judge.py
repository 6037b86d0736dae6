"""Check the leaderboard against the independent judge (issue 11): for every finished cell of one dataset,
score the same synthetic CSV with ../shared/bench/judge.py and compare quality and TSTR.

    cd benchmarks && ../.venv/bin/python leaderboard_vs_judge.py [work/leaderboard] [--dataset adult]

Prints a markdown table and writes OUT/judge_check.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=str(HERE / "work" / "leaderboard"))
    parser.add_argument("--dataset", default="adult")
    args = parser.parse_args()
    out = Path(args.out)
    results = pd.read_csv(out / "results.csv")
    rows = []
    for cell in results[(results.dataset == args.dataset) & (results.status == "ok")].itertuples():
        csv = out / "synthetic" / f"{cell.dataset}__{cell.synthesizer.replace(':', '-')}__{cell.repeat}.csv"
        done = subprocess.run([str(HERE / "judge_run.sh"), args.dataset, str(csv)], capture_output=True, text=True,
                              check=True)
        judged = json.loads(done.stdout[done.stdout.index("{"):])
        metric = cell.tstr_metric
        judge_tstr = judged["tstr"].get(metric if metric != "r2" else "r2")
        rows.append({"synthesizer": cell.synthesizer, "quality": cell.quality,
                     "judge_quality": judged["quality"]["overall"], "tstr": cell.tstr, "judge_tstr": judge_tstr,
                     "quality_gap": abs(cell.quality - judged["quality"]["overall"]),
                     "tstr_gap": abs(cell.tstr - judge_tstr)})
    table = pd.DataFrame(rows)
    print("| synthesizer | quality | judge | gap | TSTR | judge | gap |")
    print("|---|---|---|---|---|---|---|")
    for r in table.itertuples():
        print(f"| {r.synthesizer} | {r.quality:.4f} | {r.judge_quality:.4f} | {r.quality_gap:.4f} | {r.tstr:.4f} | "
              f"{r.judge_tstr:.4f} | {r.tstr_gap:.4f} |")
    print(f"\nlargest gaps: quality {table.quality_gap.max():.4f} (target <= 0.005), "
          f"TSTR {table.tstr_gap.max():.4f} (target <= 0.01)")
    (out / "judge_check.json").write_text(table.to_json(orient="records", indent=1) + "\n")


if __name__ == "__main__":
    main()
