"""veil's Gaussian copula against SDV 2.0's, side by side in one run, on the judge's Adult split.

    /work/main/.venv/bin/python benchmarks/copula_speed.py [--score] [--skip-veil] [--skip-sdv]

Each side runs in its own process (veil: this interpreter running _veil_worker.py; SDV: the
SDV venv from setup-incumbents.sh running _sdv_worker.py), so the peak-RSS figures are alike.
Fit is timed once (--fit-repeats), sampling is the best of 3 (--sample-repeats). The synthetic
tables (as many rows as train.csv) go to benchmarks/work/<dataset>/{veil,sdv}_copula.csv;
--score runs the judge on both. Prints a markdown table; all figures also go to copula_speed.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED_BENCH = Path(os.environ.get("JUDGE_DIR", REPO.parent / "shared" / "bench"))
BIG = 200_000


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def last_line(cmd: list[str]) -> str:
    """Run a setup script (its chatter goes to stderr) and return the last line it prints."""
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return out.strip().splitlines()[-1]


def judge_python() -> str:
    return last_line([str(SHARED_BENCH / "setup-judge.sh")])


def sdv_python() -> str:
    return last_line([str(HERE / "setup-incumbents.sh")])


def ensure_split(dataset: str, workdir: Path) -> Path:
    """Make the judge's fixed train/holdout split unless it is already there."""
    train = workdir / "train.csv"
    if not train.exists():
        log(f"making the judge's {dataset} split in {workdir}")
        subprocess.run([judge_python(), str(SHARED_BENCH / "judge.py"), "split", dataset, str(workdir)],
                       check=True, stdout=sys.stderr)
    return train


def run_worker(python: str, worker: str, train: Path, out: Path, n: int, args) -> dict:
    """Run one side in its own process; return its JSON, or {"error": ...} if it failed."""
    cmd = [python, str(HERE / worker), str(train), "--out", str(out), "--n", str(n),
           "--big", str(args.big), "--fit-repeats", str(args.fit_repeats),
           "--sample-repeats", str(args.sample_repeats)]
    return run_json_command(cmd, out, worker)


def run_json_command(cmd: list[str], out: Path, label: str) -> dict:
    """Run a worker that prints one JSON line last; its JSON, or {"error": ...} if it failed."""
    out.unlink(missing_ok=True)  # never leave a stale table from an earlier run behind
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        result = {}
    if proc.returncode != 0 or not result or "error" in result:
        msg = result.get("error") or (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"{label} exited with status {proc.returncode}: {msg}", "stderr_tail": proc.stderr[-3000:]}
    result["wall_s"] = time.perf_counter() - t0
    return result


def score(dataset: str, synthetic: Path) -> dict:
    """The judge's JSON for one synthetic table (via judge_run.sh); $JUDGE_FLAGS adds judge options (e.g.
    ``--no-utility``, which skips train-on-synthetic on the datasets where it takes many minutes)."""
    flags = os.environ.get("JUDGE_FLAGS", "").split()
    proc = subprocess.run([str(HERE / "judge_run.sh"), dataset, str(synthetic), *flags],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["judge failed"])[-1]}
    return json.loads(proc.stdout)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(x, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def table(rows: dict[str, dict], n: int, big: int, scored: bool) -> str:
    head = ["system", "fit s", f"sample {n:,} s", "fit+sample s", f"sample {big // 1000}k s", "peak RSS MiB"]
    if scored:
        head += ["quality", "out_of_range_max", "unseen_category_max", "missing_rate_gap_max",
                 "TSTR AUC", "DCR share"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in rows.items():
        if "error" in r:
            lines.append(f"| {name} | " + " | ".join(["n/a"] * (len(head) - 1)) + " |")
            continue
        cells = [r["system"], fmt(r["fit_s"]), fmt(r["sample_s"]), fmt(r["fit_s"] + r["sample_s"]),
                 fmt(r["sample_big_s"]), fmt(r["peak_rss_mib"], 0)]
        if scored:
            j = r.get("judge", {})
            val = j.get("validity", {})
            cells += [fmt(j.get("quality", {}).get("overall"), 4), fmt(val.get("out_of_range_max"), 4),
                      fmt(val.get("unseen_category_max"), 4), fmt(val.get("missing_rate_gap_max"), 4),
                      fmt(j.get("tstr", {}).get("auc"), 4), fmt(j.get("privacy", {}).get("dcr_share"), 4)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="adult", help="a dataset the judge knows (default adult)")
    p.add_argument("--n", type=int, default=None, help="rows to sample (default: as many as train.csv)")
    p.add_argument("--big", type=int, default=BIG, help=f"rows for the large sample (default {BIG})")
    p.add_argument("--fit-repeats", type=int, default=1)
    p.add_argument("--sample-repeats", type=int, default=3)
    p.add_argument("--score", action="store_true", help="score both synthetic tables with the judge")
    p.add_argument("--skip-veil", action="store_true")
    p.add_argument("--skip-sdv", action="store_true")
    args = p.parse_args(argv)

    workdir = HERE / "work" / args.dataset
    train_path = ensure_split(args.dataset, workdir)
    train = pd.read_csv(train_path, keep_default_na=False, na_values=[""])
    n = args.n or len(train)
    log(f"{args.dataset}: {len(train):,} train rows x {train.shape[1]} columns; sampling {n:,} and {args.big:,}")
    del train

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rows: dict[str, dict] = {}
    if not args.skip_veil:
        log("veil: fitting and sampling ...")
        rows["veil"] = run_worker(sys.executable, "_veil_worker.py", train_path,
                                  workdir / "veil_copula.csv", n, args)
        if "error" in rows["veil"]:
            log(f"veil side UNAVAILABLE, going on with SDV: {rows['veil']['error']}")
    if not args.skip_sdv:
        log("SDV: making/checking its venv ...")
        try:
            py = sdv_python()
        except subprocess.CalledProcessError as exc:
            rows["sdv"] = {"error": f"setup-incumbents.sh failed with status {exc.returncode}"}
        else:
            log("SDV: fitting and sampling ...")
            rows["sdv"] = run_worker(py, "_sdv_worker.py", train_path, workdir / "sdv_copula.csv", n, args)
        if "error" in rows["sdv"]:
            log(f"SDV side failed: {rows['sdv']['error']}")

    if args.score:
        for name, r in rows.items():
            if "error" not in r:
                log(f"judge: scoring {name} ...")
                r["judge"] = score(args.dataset, Path(r["out"]))

    machine = {"cpu": cpu_model(), "cpu_count": os.cpu_count(),
               "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
               "platform": platform.platform(), "load_1min_before": load_before,
               "load_1min_after": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    (workdir / "copula_speed.json").write_text(json.dumps({"dataset": args.dataset, "n": n, "big": args.big,
                                                           "machine": machine, "results": rows}, indent=1))
    print(f"## Gaussian copula on {args.dataset} ({n:,} train rows)\n")
    print(table(rows, n, args.big, args.score))
    print(f"\nCPU: {machine['cpu']}; {machine['usable_cpus']} usable of {machine['cpu_count']} cores; "
          f"{machine['platform']}; 1-min load average {fmt(machine['load_1min_before'])} before, "
          f"{fmt(machine['load_1min_after'])} after (other work on the machine skews timings)")
    print(f"fit: best of {args.fit_repeats}; sampling: best of {args.sample_repeats}; "
          "peak RSS = the worker process's maximum resident set (interpreter, libraries, data, model, "
          "largest sample)")
    for name, r in rows.items():
        if "error" in r:
            print(f"- {name}: not measured: {r['error']}")
            continue
        pools = ", ".join(dict.fromkeys(f"{t['internal_api']}={t['num_threads']}"
                                        for t in r.get("threadpools", [])))
        vers = ", ".join(f"{k} {v}" for k, v in r["versions"].items())
        extra = ""
        if "save_s" in r:
            extra = (f"; save {r['save_s']:.3f} s, load {r['load_s']:.3f} s, {r['model_bytes']:,} bytes, "
                     f"same sample after load: {r['round_trip_same_sample']}")
        print(f"- {r['system']}: {vers}; threads: {pools or 'n/a'}{extra}")
    if args.score:
        for name, r in rows.items():
            if "judge" in r and "error" in r["judge"]:
                print(f"- judge on {name} failed: {r['judge']['error']}")


if __name__ == "__main__":
    main()
