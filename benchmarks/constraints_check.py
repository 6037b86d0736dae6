"""Constraints and conditions on every synthesizer (issue 8): violations in 100,000 sampled rows, and
conditional sampling's speed and fidelity.

    ../.venv/bin/python constraints_check.py [--datasets adult,kc_house_sales] [--rows 100000]
        [--models ...] [--results constraints_check.json] [--only constraints|conditions]

Part 1, constraints: each dataset gets at least five rules of different kinds (below); every synthesizer
is fitted on the judge's train split with a small training budget (the rules, not the fidelity, are
under test: epochs below) and samples --rows rows, which are checked with ``Metadata.constraint_violations``.
Part 2, conditions (Adult, the same synthesizers fitted without the rules): 10,000 rows for conditions
that hold in about 0.5% of the real rows, timed;
for the autoregressive model the rows' column shapes are scored (veil's quality report, the judge's
score) against the real rows that meet the condition. Cells already in the results file are skipped.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

import veil
from veil.constraints import Expression, FixedCombinations, FixedIncrements, Inequality, Positive, Range
from veil.metrics.fidelity import quality_score

HERE = Path(__file__).resolve().parent
#: training budgets for the rule checks (rules hold by construction or rejection whatever the budget)
BUDGET = {"gaussian_copula": {}, "fast_ml": {}, "ctgan": {"epochs": 3}, "tvae": {"epochs": 10},
          "copulagan": {"epochs": 3}, "tablegan": {"epochs": 2}, "tgan": {"epochs": 1},
          "autoregressive": {"time_budget": 60.0}}
RULES = {
    "adult": [Range("age", 17, 90), Range("hours-per-week", 1, 99), Positive("capital-gain"),
              Positive("capital-loss"), FixedCombinations(["education", "education-num"]),
              Inequality("education-num", "age"), Expression("`capital-gain` == 0 or `capital-loss` == 0")],
    "kc_house_sales": [Inequality("sqft_above", "sqft_living"), FixedIncrements("bathrooms", 0.25),
                       FixedIncrements("floors", 0.5), Range("grade", 1, 13), Range("lat", 47.15, 47.78),
                       Positive("price", strict=True), Expression("yr_renovated == 0 or yr_renovated >= yr_built"),
                       Expression("year(date) >= yr_built - 1")],
}
CONDITIONS = {"occupation == 'Priv-house-serv'": 0.0, "education == '1st-4th'": 0.0,
              "sex == 'Female' and age >= 70": 0.0}


def read(dataset: str, part: str) -> pd.DataFrame:
    return pd.read_csv(HERE / "work" / dataset / f"{part}.csv", keep_default_na=False, na_values=[""])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", default="adult,kc_house_sales")
    p.add_argument("--models", default=",".join(BUDGET))
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--results", default="constraints_check.json")
    p.add_argument("--only", default="constraints,conditions")
    a = p.parse_args()
    path = HERE / "work" / a.results
    results = json.loads(path.read_text()) if path.exists() else {}

    def save() -> None:
        path.write_text(json.dumps(results, indent=1, default=str))

    for dataset in a.datasets.split(","):
        train = read(dataset, "train")
        metadata = veil.Metadata.detect(train).add_constraint(*RULES[dataset])
        assert metadata.constraint_violations(train) == {}, metadata.constraint_violations(train)
        for name in a.models.split(","):
            key = f"{dataset}/{name}"
            if key in results or ("constraints" not in a.only and dataset != "adult"):
                continue
            cls = veil.synthesizers.synthesizer_class(name)
            started = time.perf_counter()
            synth = cls(metadata=metadata, **BUDGET[name]).fit(train)
            fit_s = time.perf_counter() - started
            record = {"fit_s": fit_s, "budget": BUDGET[name],
                      "transformed": [type(t).__name__ for t in synth.constraints_.transforms]}
            if "constraints" in a.only:
                started = time.perf_counter()
                out = synth.sample(a.rows, seed=0)
                record["sample_s"] = time.perf_counter() - started
                record["rows"] = len(out)
                record["violations"] = metadata.constraint_violations(out)
            if "conditions" in a.only and dataset == "adult":
                # conditions on the same model fitted without the rules (a rule's transform hides its
                # column from native conditioning; see the note in RESULTS.md)
                started = time.perf_counter()
                synth = cls(**BUDGET[name]).fit(train)
                record["plain_fit_s"] = time.perf_counter() - started
                record["conditions"] = {}
                for where in CONDITIONS:
                    real = train[veil.constraints.Predicate.parse(where, train.columns).evaluate(train)]
                    started = time.perf_counter()
                    try:
                        rows = synth.sample(10_000, seed=1, where=where)
                    except veil.InvalidDataError as exc:
                        record["conditions"][where] = {"error": str(exc)[:300]}
                        continue
                    seconds = time.perf_counter() - started
                    ok = veil.constraints.Predicate.parse(where, rows.columns).evaluate(rows)
                    shapes = quality_score(real, rows, synth.metadata_)["column_shapes"]
                    record["conditions"][where] = {"real_share": len(real) / len(train), "seconds": seconds,
                                                   "rows": len(rows), "all_meet": bool(ok.all()),
                                                   "column_shapes": shapes}
            results[key] = record
            save()
            print(key, json.dumps(record, default=str)[:600], flush=True)


if __name__ == "__main__":
    main()
