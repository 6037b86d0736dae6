"""veil's autoregressive synthesizer against mostlyai-engine's TabularARGN and SDV 2.0's TVAE, side by side
in one run, on the judge's split of a dataset (default Adult), each in its own process and venv.

    /work/main/.venv/bin/python benchmarks/ar_speed.py [--datasets adult,bank_marketing] [--sdv tvae|gaussian_copula]
        [--skip-sdv] [--skip-mostlyai] [--skip-veil] [--json-name ar_speed.json]

Defaults on every side (TVAE: SDV's 300 epochs, batch 500). Scores by the judge. Prints a markdown table
per dataset; the figures go to benchmarks/work/<dataset>/ar_speed.json
(or --json-name).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd
from copula_speed import cpu_model, ensure_split, fmt, last_line, log, run_json_command, score, sdv_python

HERE = Path(__file__).resolve().parent
HEAD = ["system", "fit s", "sample 200k s", "peak MB fit", "quality", "shapes", "pairs", "TSTR F1", "TSTR AUC",
        "DCR share", "exact match", "holdout exact match"]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", default="adult", help="comma-separated names the judge knows")
    p.add_argument("--sdv", default="tvae", choices=["tvae", "gaussian_copula"], help="SDV's model to run")
    p.add_argument("--skip-sdv", action="store_true")
    p.add_argument("--skip-mostlyai", action="store_true")
    p.add_argument("--skip-veil", action="store_true")
    p.add_argument("--json-name", default="ar_speed.json",
                   help="file name under benchmarks/work/<dataset>/ for the figures (default ar_speed.json)")
    args = p.parse_args(argv)
    for dataset in args.datasets.split(","):
        run_dataset(dataset.strip(), args)


def run_dataset(dataset: str, args: argparse.Namespace) -> None:
    workdir = HERE / "work" / dataset
    train = ensure_split(dataset, workdir)
    n = len(pd.read_csv(train, keep_default_na=False, na_values=[""]))
    machine = {"cpu": cpu_model(), "load_1min_before": os.getloadavg()[0]}
    rows = []
    sides = []
    if not args.skip_veil:
        sides.append(("veil autoregressive", [sys.executable, str(HERE / "_ar_worker.py"), "veil"]))
    if not args.skip_mostlyai:
        sides.append(("mostlyai-engine TabularARGN",
                      [last_line([str(HERE / "setup-mostlyai.sh")]), str(HERE / "_ar_worker.py"), "mostlyai"]))
    for name, cmd in sides:
        log(f"{name}: fitting and sampling ...")
        out = workdir / f"ar_{name.split()[0]}.csv"
        r = run_json_command([*cmd, str(train), "--out", str(out), "--n", str(n)], out, name)
        r["system"] = name
        if "error" not in r:
            log(f"{name}: fit {r['fit_s']:.1f} s, sample 200k {r['sample_big_s']:.2f} s; scoring ...")
            r["judge"] = score(dataset, out)
        rows.append(r)
    if not args.skip_sdv:
        log(f"SDV {args.sdv}: fitting and sampling ...")
        out = workdir / f"ar_sdv_{args.sdv}.csv"
        if args.sdv == "tvae":
            cmd = [sdv_python(), str(HERE / "_sdv_deep_worker.py"), str(train), "--model", "tvae", "--out", str(out),
                   "--n", str(n), "--epochs", "300", "--batch-size", "500", "--big", "200000",
                   "--sample-repeats", "3"]
            label = "SDV 2.0 TVAE (300 epochs)"
        else:
            cmd = [sdv_python(), str(HERE / "_sdv_worker.py"), str(train), "--out", str(out), "--n", str(n)]
            label = "SDV 2.0 GaussianCopula"
        r = run_json_command(cmd, out, f"sdv {args.sdv}")
        r["system"] = label
        if "error" not in r:
            r.setdefault("peak_rss_fit_mib", r.get("rss_after_fit_mib"))
            r["judge"] = score(dataset, out)
        rows.append(r)
    machine["load_1min_after"] = os.getloadavg()[0]
    (workdir / args.json_name).write_text(json.dumps({"machine": machine, "results": rows}, indent=1))
    print(f"\n### {dataset} ({n:,} train rows)\n")
    print("| " + " | ".join(HEAD) + " |\n|" + "---|" * len(HEAD))
    for r in rows:
        if "error" in r:
            print(f"| {r['system']} | " + " | ".join(["n/a"] * (len(HEAD) - 1)) + " |")
            continue
        j = r.get("judge", {})
        q, t, pr = j.get("quality", {}), j.get("tstr", {}), j.get("privacy", {})
        cells = [r["system"], fmt(r["fit_s"], 1), fmt(r["sample_big_s"]), fmt(r["peak_rss_fit_mib"], 0),
                 fmt(q.get("overall"), 4), fmt(q.get("column_shapes"), 4), fmt(q.get("column_pair_trends"), 4),
                 fmt(t.get("macro_f1"), 4), fmt(t.get("auc"), 4), fmt(pr.get("dcr_share"), 4),
                 fmt(pr.get("exact_match"), 4), fmt(pr.get("holdout_exact_match"), 4)]
        print("| " + " | ".join(cells) + " |")
    print(f"\nCPU: {machine['cpu']}; load {fmt(machine['load_1min_before'])} before, "
          f"{fmt(machine['load_1min_after'])} after")
    for r in rows:
        print(f"- {r['system']}: {r.get('versions', r.get('error'))}")


if __name__ == "__main__":
    main()
