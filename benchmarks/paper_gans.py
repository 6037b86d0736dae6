"""table-GAN and TGAN on a judge split (issue 7): quality and TSTR from the judge, table-GAN's privacy knob
(median distance to the closest train row over three margin settings) and its classifier (label agreement
with a classifier trained on the real rows, with and without the classification loss).

    .venv/bin/python benchmarks/paper_gans.py [--dataset adult] [--label income] [--epochs-tablegan 30]
        [--epochs-tgan 10] [--only knob,classifier,tgan] [--results paper_gans.json] [--no-score]

Every run writes work/<dataset>/paper_<name>.csv and its figures to work/<dataset>/<--results> (runs
already there are kept and skipped; two processes can share the work with --only and separate files).
The knob settings are 0, the median and the largest feature gaps of the model with margins 0 over its
epochs (``mean_gap`` / ``sd_gap`` of its loss history): the information loss acts always, about half the
time, never. --only takes the groups knob, classifier, tgan or single runs (tablegan_delta0,
tablegan_no_class_loss, tablegan_delta_median, tablegan_delta_max, tgan); the knob runs after delta0
need its record in the same file.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
from copula_speed import ensure_split, log, score
from sklearn.ensemble import HistGradientBoostingClassifier

import veil
from veil.metrics.privacy import distance_to_closest_record

HERE = Path(__file__).resolve().parent


def label_agreement(train: pd.DataFrame, synthetic: pd.DataFrame, label: str) -> float:
    """The share of synthetic rows whose label is what a classifier trained on the real rows predicts."""
    features = [c for c in train.columns if c != label]

    def frame(table: pd.DataFrame) -> pd.DataFrame:
        out = table[features].copy()
        for c in out.columns:
            if not pd.api.types.is_numeric_dtype(out[c]):
                out[c] = out[c].astype("category")
        return out

    x_train = frame(train)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    model.fit(x_train, train[label].astype(str))
    x_syn = frame(synthetic)
    for c in x_syn.columns:
        if isinstance(x_train[c].dtype, pd.CategoricalDtype):
            x_syn[c] = pd.Categorical(x_syn[c].astype(object), categories=x_train[c].cat.categories)
    return float((model.predict(x_syn) == synthetic[label].astype(str)).mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="adult")
    p.add_argument("--label", default="income")
    p.add_argument("--epochs-tablegan", type=int, default=20)
    p.add_argument("--epochs-tgan", type=int, default=10)
    p.add_argument("--results", default="paper_gans.json", help="the JSON file (in work/<dataset>) to keep runs in")
    p.add_argument("--only", default="knob,classifier,tgan")
    p.add_argument("--no-score", action="store_true", help="skip the judge (knob and classifier figures only)")
    a = p.parse_args()
    workdir = HERE / "work" / a.dataset
    train_path = ensure_split(a.dataset, workdir)
    train = pd.read_csv(train_path, keep_default_na=False, na_values=[""])
    holdout = pd.read_csv(workdir / "holdout.csv", keep_default_na=False, na_values=[""])
    results_path = workdir / a.results
    results = json.loads(results_path.read_text()) if results_path.exists() else {}

    def run(name: str, synth: veil.Synthesizer) -> dict:
        if name in results:
            return results[name]
        log(f"{name}: fitting ...")
        started = time.perf_counter()
        synth.fit(train)
        fit_s = time.perf_counter() - started
        synthetic = synth.sample(len(train), seed=0)
        out = workdir / f"paper_{name}.csv"
        synthetic.to_csv(out, index=False)
        dcr = distance_to_closest_record(train, synthetic, holdout, synth.metadata_)
        record = {"fit_s": fit_s, "params": {k: v for k, v in synth.get_params().items() if k != "metadata"},
                  "median_dcr": dcr["median_dcr_synthetic"], "dcr_share": dcr["dcr_share"],
                  "label_agreement": label_agreement(train, synthetic, a.label),
                  "last_epoch": synth.loss_history_.iloc[-1].to_dict(),
                  "median_epoch": synth.loss_history_.median().to_dict(),
                  "max_epoch": synth.loss_history_.max().to_dict()}
        if not a.no_score:
            record["judge"] = score(a.dataset, out)
        results[name] = record
        results_path.write_text(json.dumps(results, indent=1, default=str))
        log(f"{name}: fit {fit_s:.0f} s, median DCR {record['median_dcr']:.4f}, "
            f"label agreement {record['label_agreement']:.4f}")
        return record

    groups = {"knob": ["tablegan_delta0", "tablegan_delta_median", "tablegan_delta_max"],
              "classifier": ["tablegan_delta0", "tablegan_no_class_loss"], "tgan": ["tgan"]}
    wanted = [name for item in a.only.split(",") for name in groups.get(item, [item])]
    tablegan = {"epochs": a.epochs_tablegan, "label": a.label}
    for name in dict.fromkeys(wanted):
        if name == "tablegan_delta0":
            run(name, veil.TableGANSynthesizer(**tablegan))
        elif name == "tablegan_no_class_loss":
            run(name, veil.TableGANSynthesizer(classification_loss=False, **tablegan))
        elif name in ("tablegan_delta_median", "tablegan_delta_max"):
            gaps = results["tablegan_delta0"][name.rsplit("_", 1)[1] + "_epoch"]
            run(name, veil.TableGANSynthesizer(delta_mean=gaps["mean_gap"], delta_sd=gaps["sd_gap"], **tablegan))
        elif name == "tgan":
            run(name, veil.TGANSynthesizer(epochs=a.epochs_tgan))
        else:
            raise SystemExit(f"unknown run {name!r}; runs: {sorted(set(sum(groups.values(), [])))}")
    print(json.dumps({k: {f: v.get(f) for f in ("fit_s", "median_dcr", "label_agreement")}
                      | {"quality": v.get("judge", {}).get("quality", {}).get("overall"),
                         "macro_f1": v.get("judge", {}).get("tstr", {}).get("macro_f1")}
                      for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
