"""veil's record linkage (veil.pii.linkage) on the fictional people of tests/people_fixture.py: pairwise
precision and recall against the ground truth, seconds and peak memory.

    /work/main/.venv/bin/python benchmarks/linkage_speed.py [--people 20000,333334] [--seed 0]

Each size is generated with Faker once and cached as benchmarks/work/people_<n>_<seed>.parquet
(333,334 people make about 1,000,000 records); each linkage runs in its own process so that peak RSS
is its own. Prints a markdown table; figures go to benchmarks/work/linkage_speed.json.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
FIELDS = {"name": "name", "date_of_birth": "date_of_birth", "email": "email", "phone": "phone",
          "address": "address", "ssn": "exact"}


def records_file(n_people: int, seed: int) -> Path:
    path = WORK / f"people_{n_people}_{seed}.parquet"
    if not path.exists():
        sys.path.insert(0, str(HERE.parent / "tests"))
        from people_fixture import people_records

        started = time.perf_counter()
        WORK.mkdir(parents=True, exist_ok=True)
        people_records(n_people, seed=seed).to_parquet(path)
        print(f"generated {path.name} in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return path


def measure(path: Path) -> dict:
    """Run in a worker process: link the records of ``path`` and score the result."""
    import pandas as pd

    sys.path.insert(0, str(HERE.parent / "tests"))
    from people_fixture import pairwise_scores

    from veil.pii.linkage import link_records

    table = pd.read_parquet(path)
    truth = table.pop("person").to_numpy()
    started = time.perf_counter()
    result = link_records(table, FIELDS)
    seconds = time.perf_counter() - started
    scores = pairwise_scores(truth, result.labels)
    return {"records": len(table), "true_people": int(len(set(truth))), "found_people": result.n_people,
            "candidate_pairs": result.candidate_pairs, "linked_pairs": result.linked_pairs, "seconds": seconds,
            "precision": scores["precision"], "recall": scores["recall"],
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--people", default="20000,333334", help="comma-separated numbers of people")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(args.worker)))
        return
    rows = []
    for n in (int(x) for x in args.people.split(",")):
        path = records_file(n, args.seed)
        done = subprocess.run([sys.executable, __file__, "--worker", str(path)], capture_output=True, text=True,
                              check=True)
        rows.append({"people": n, **json.loads(done.stdout.strip().splitlines()[-1])})
        print(f"{n} people: {rows[-1]['seconds']:.1f}s", file=sys.stderr)
    (WORK / "linkage_speed.json").write_text(json.dumps(rows, indent=2))
    print("| people | records | found | candidate pairs | seconds | peak MiB | precision | recall |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['people']:,} | {r['records']:,} | {r['found_people']:,} | {r['candidate_pairs']:,} | "
              f"{r['seconds']:.1f} | {r['peak_rss_mib']:.0f} | {r['precision']:.4f} | {r['recall']:.4f} |")


if __name__ == "__main__":
    main()
