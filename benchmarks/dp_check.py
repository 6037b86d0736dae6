"""Differentially private models on Adult (issue 9): quality and TSTR at ε = 1 and ε = 10 (δ = 1e-5).

    ../.venv/bin/python dp_check.py [--models mst,autoregressive,tvae,ctgan] [--epsilons 1,10]
        [--results dp_check.json]

Each model is fitted on the judge's train split with its DP settings below, samples the judge's number of
rows, and the output (work/adult/dp_<model>_<epsilon>.csv) is scored by the judge (judge_run.sh: quality
and TSTR against the holdout). The budget, its split and what was spent come from the model's
``privacy_``. Cells already in the results file are skipped.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import pandas as pd

import veil

HERE = Path(__file__).resolve().parent
#: the autoregressive model's own DP defaults (batches of 8,192 at 1e-2, 20 epochs, a smaller network)
SETTINGS = {
    "mst": {},
    "autoregressive": {"dp": True},
    "tvae": {"dp": True, "epochs": 10},
    "ctgan": {"dp": True, "epochs": 10},
}


def judge(csv: Path) -> dict:
    done = subprocess.run([str(HERE / "judge_run.sh"), "adult", str(csv)], capture_output=True, text=True, check=True)
    text = done.stdout
    return json.loads(text[text.index("{"):])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=",".join(SETTINGS))
    p.add_argument("--epsilons", default="1,10")
    p.add_argument("--results", default="dp_check.json")
    a = p.parse_args()
    path = HERE / "work" / a.results
    results = json.loads(path.read_text()) if path.exists() else {}
    train = pd.read_csv(HERE / "work" / "adult" / "train.csv")
    for name in a.models.split(","):
        for epsilon in (float(e) for e in a.epsilons.split(",")):
            key = f"{name}/{epsilon:g}"
            if key in results:
                continue
            started = time.perf_counter()
            synth = veil.synthesizers.synthesizer_class(name)(epsilon=epsilon, delta=1e-5,
                                                              **SETTINGS[name]).fit(train)
            fit_s = time.perf_counter() - started
            csv = HERE / "work" / "adult" / f"dp_{name}_{epsilon:g}.csv"
            synth.sample(len(train), seed=0).to_csv(csv, index=False)
            scores = judge(csv)
            results[key] = {"settings": SETTINGS[name], "fit_s": fit_s, "privacy": synth.privacy_,
                            "quality": scores["quality"]["overall"], "tstr_macro_f1": scores["tstr"]["macro_f1"],
                            "tstr_auc": scores["tstr"]["auc"], "dcr_share": scores["privacy"]["dcr_share"]}
            path.write_text(json.dumps(results, indent=1, default=float))
            print(key, {k: results[key][k] for k in ("fit_s", "quality", "tstr_macro_f1")}, flush=True)


if __name__ == "__main__":
    main()
