"""veil's CTGAN, TVAE and CopulaGAN against SDV 2.0's, side by side in one run, on the judge's Adult split.

    /work/main/.venv/bin/python benchmarks/deep_speed.py [--models ctgan,tvae,copulagan] [--epochs 30]
        [--batch-size 500] [--full] [--score] [--skip-veil] [--skip-sdv]

Per model, veil (this interpreter, _veil_deep_worker.py) then SDV (the venv from setup-incumbents.sh,
_sdv_deep_worker.py), each in its own process so peak RSS means the same thing. Each worker fits once and
splits the fit at the first torch optimizer (see _bench_common.py): preprocessing before it, training after;
s/epoch = training seconds / epochs. Sampling 200,000 rows is the best of 3. --full trains the incumbent's
300 epochs; --score also samples as many rows as train.csv (39,073 for Adult) into
benchmarks/work/<dataset>/<system>_<model>.csv and scores them with judge_run.sh. Prints a markdown table;
every figure goes to benchmarks/work/<dataset>/deep_speed.json (or --json PATH), rewritten after each worker.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pandas as pd
from copula_speed import cpu_model, ensure_split, fmt, log, run_json_command, score, sdv_python

HERE = Path(__file__).resolve().parent
MODELS = ("ctgan", "tvae", "copulagan")
FULL_EPOCHS = 300
HEAD = ["model", "system", "s/epoch", "epoch median s", "epoch min s", "fit s", "sample 200k s", "peak MB fit",
        "peak MB fit+sample", "quality", "shapes", "pairs",
        "TSTR F1", "AUC", "DCR share"]


def run_worker(python: str, worker: str, model: str, train: Path, out: Path, n: int, args) -> dict:
    """One side for one model in its own process; its JSON, or {"error": ...} if it failed."""
    cmd = [python, str(HERE / worker), str(train), "--model", model, "--out", str(out), "--n", str(n),
           "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--big", str(args.big),
           "--sample-repeats", str(args.sample_repeats)]
    return run_json_command(cmd, out, f"{worker} --model {model}")


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['side']} | " + " | ".join(["n/a"] * (len(HEAD) - 2)) + " |")
            continue
        j = r.get("judge", {})
        q, t = j.get("quality", {}), j.get("tstr", {})
        cells = [r["model"], r["system"], fmt(r["s_per_epoch"], 3), fmt(r.get("epoch_s_median"), 3),
                 fmt(r.get("epoch_s_min"), 3), fmt(r["fit_s"], 1), fmt(r["sample_big_s"]),
                 fmt(r["peak_rss_fit_mib"], 0), fmt(r.get("peak_rss_sample_mib", float("nan")), 0),
                 fmt(q.get("overall"), 4), fmt(q.get("column_shapes"), 4),
                 fmt(q.get("column_pair_trends"), 4), fmt(t.get("macro_f1"), 4), fmt(t.get("auc"), 4),
                 fmt(j.get("privacy", {}).get("dcr_share"), 4)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {', '.join(MODELS)}")
    p.add_argument("--dataset", default="adult", help="a dataset the judge knows (default adult)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--full", action="store_true", help=f"train {FULL_EPOCHS} epochs (the incumbent's default)")
    p.add_argument("--big", type=int, default=200_000, help="rows for the timed sample (default 200000)")
    p.add_argument("--sample-repeats", type=int, default=3)
    p.add_argument("--score", action="store_true", help="sample as many rows as train.csv and score them")
    p.add_argument("--skip-veil", action="store_true")
    p.add_argument("--skip-sdv", action="store_true")
    p.add_argument("--json", type=Path, default=None,
                   help="where to write the figures (default benchmarks/work/<dataset>/deep_speed.json)")
    args = p.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        p.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    if args.full:
        args.epochs = FULL_EPOCHS

    workdir = HERE / "work" / args.dataset
    train_path = ensure_split(args.dataset, workdir)
    n_train = len(pd.read_csv(train_path, keep_default_na=False, na_values=[""]))
    n = n_train if args.score else 0
    log(f"{args.dataset}: {n_train:,} train rows; models {models}; {args.epochs} epochs, batch {args.batch_size}")

    sides: list[tuple[str, str, str]] = []
    if not args.skip_veil:
        sides.append(("veil", sys.executable, "_veil_deep_worker.py"))
    if not args.skip_sdv:
        log("SDV: making/checking its venv ...")
        try:
            sides.append(("sdv", sdv_python(), "_sdv_deep_worker.py"))
        except subprocess.CalledProcessError as exc:
            log(f"SDV side UNAVAILABLE: setup-incumbents.sh failed with status {exc.returncode}")

    load_before = os.getloadavg()[0]
    machine = {"cpu": cpu_model(), "cpu_count": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
               "platform": platform.platform(), "load_1min_before": load_before}
    rows: list[dict] = []

    def save() -> None:
        machine["load_1min_after"] = os.getloadavg()[0]
        (args.json or workdir / "deep_speed.json").write_text(json.dumps(
            {"dataset": args.dataset, "epochs": args.epochs, "batch_size": args.batch_size, "n": n,
             "big": args.big, "machine": machine, "results": rows}, indent=1))

    for model in models:
        for side, python, worker in sides:
            log(f"{side} {model}: fitting {args.epochs} epochs and sampling ...")
            r = run_worker(python, worker, model, train_path, workdir / f"{side}_{model}.csv", n, args)
            r.update(model=model, side=side)
            if "error" in r:
                log(f"{side} {model} UNAVAILABLE, going on: {r['error']}")
            else:
                log(f"{side} {model}: {r['s_per_epoch']:.3f} s/epoch, preprocessing {r['preprocess_s']:.2f} s")
                if args.score:
                    log(f"judge: scoring {side} {model} ...")
                    r["judge"] = score(args.dataset, Path(r["out"]))
            rows.append(r)
            save()

    print(f"## CTGAN-family models on {args.dataset} ({n_train:,} train rows), {args.epochs} epochs, "
          f"batch {args.batch_size}\n")
    print(markdown(rows))
    print(f"\nCPU: {machine['cpu']}; {machine['usable_cpus']} usable of {machine['cpu_count']} cores; "
          f"{machine['platform']}; 1-min load average {fmt(load_before)} before, "
          f"{fmt(machine['load_1min_after'])} after (other work on the machine skews timings)")
    print("s/epoch = (fit s - preprocessing s) / epochs, split at the first torch optimizer; epoch median and "
          "min: of the epochs' own times (optimizer steps cut into equal runs), which the machine's drift "
          "moves less; peak MB = the "
          "worker's maximum resident set (MiB) by the end of fit, and by the end of the 200k-row samples; "
          f"sampling 200k: best of {args.sample_repeats}")
    for r in rows:
        if "error" in r:
            print(f"- {r['model']} / {r['side']}: not measured: {r['error']}")
            continue
        vers = ", ".join(f"{k} {v}" for k, v in r["versions"].items())
        print(f"- {r['model']} / {r['system']}: preprocessing {r['preprocess_s']:.2f} s, training "
              f"{r['train_s']:.1f} s; peak RSS {r['peak_rss_fit_mib']:.0f} MiB by the end of fit, "
              f"{r.get('peak_rss_sample_mib', float('nan')):.0f} MiB after sampling 200k rows, "
              f"{r['peak_rss_mib']:.0f} MiB after writing the scored sample; torch threads {r['torch_threads']}; "
              f"{vers}")
        if "judge" in r and "error" in r["judge"]:
            print(f"  judge failed: {r['judge']['error']}")


if __name__ == "__main__":
    main()
