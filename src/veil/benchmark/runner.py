"""Datasets x synthesizers x repeats, each cell in its own process under a time limit, cached so that an
interrupted run resumes where it stopped.

Layout of the output folder::

    environment.json              versions, CPU, threads, the command
    splits/DATASET/train.csv      the judge's split (80/20, seed 0, stratified), written once
    splits/DATASET/holdout.csv
    splits/DATASET/trtr.json      the score of a model trained on the real rows (once per dataset)
    cells/DATASET__SYNTH__R.json  one finished cell: its settings, status, times, memory and scores
    synthetic/DATASET__SYNTH__R.csv
    results.csv                   every cell, one row each
    leaderboard.md, report.html

A cell counts as finished when its JSON is there with the same settings; a cell whose settings changed
is run again. Finished includes failed and timed-out cells: their status is their result.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InvalidParameterError, SourceError
from .scoring import Task, booster_name, score, utility

SEED = 0
#: synthetic rows per cell: as many as the training rows, at most this many
MAX_SYNTHETIC_ROWS = 50_000
INCUMBENTS = ("sdv:gaussian_copula", "sdv:ctgan", "sdv:tvae", "sdv:copulagan")
#: the incumbents' worker, in the repository's benchmarks/ (outside veil's source: it imports SDV)
INCUMBENT_WORKER = Path("benchmarks") / "incumbent_worker.py"


def find_incumbent_worker(given: str | os.PathLike[str] | None = None) -> Path:
    """The incumbents' worker script: ``given``, else ``benchmarks/incumbent_worker.py`` under the current
    folder or under the repository veil runs from."""
    candidates = [Path(given)] if given else [Path.cwd() / INCUMBENT_WORKER,
                                               Path(__file__).resolve().parents[3] / INCUMBENT_WORKER]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise InvalidParameterError(
        f"the incumbents' worker script is not at {' or '.join(map(str, candidates))}: run from veil's "
        f"repository or give --incumbent-worker PATH/TO/benchmarks/incumbent_worker.py")


@dataclass
class Dataset:
    """A table to benchmark on and the prediction task that measures utility."""

    name: str
    path: Path
    target: str
    task: str  # classification | regression
    datetimes: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    max_rows: int | None = None

    @property
    def scoring_task(self) -> Task:
        return Task(self.target, self.task, dict(self.datetimes))


def shared_datasets(folder: Path) -> dict[str, Dataset]:
    """The shared datasets (``../shared/datasets``), as the judge registers them."""
    return {d.name: d for d in (
        Dataset("adult", folder / "adult.csv.gz", "income", "classification"),
        Dataset("bank_marketing", folder / "bank_marketing.csv.gz", "y", "classification"),
        Dataset("diabetes_130us", folder / "diabetes_130us.csv.gz", "readmitted", "classification",
                drop=("encounter_id", "patient_nbr")),
        Dataset("kc_house_sales", folder / "kc_house_sales.csv.gz", "price", "regression",
                datetimes={"date": "%Y-%m-%d"}, drop=("id",)),
        Dataset("kddcup99", folder / "kddcup99_10pct.csv.gz", "label", "classification", max_rows=100_000),
        Dataset("nycflights13", folder / "nycflights13_flights.csv.gz", "arr_delay", "regression",
                datetimes={"time_hour": "%Y-%m-%dT%H:%M:%SZ"}, max_rows=100_000),
    )}


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV as the judge reads it: empty cells missing, every other text a value."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)


def split(dataset: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The judge's split: 80/20, seed 0, stratified on a classification target (rare classes pooled)."""
    from sklearn.model_selection import train_test_split

    if not dataset.path.exists():
        raise SourceError(f"dataset {dataset.name!r}: {dataset.path} does not exist")
    table = read_csv(dataset.path).drop(columns=list(dataset.drop), errors="ignore")
    if dataset.target not in table.columns:
        raise InvalidParameterError(f"dataset {dataset.name!r} has no column {dataset.target!r} to predict; "
                                    f"its columns: {', '.join(map(str, table.columns))}")
    if dataset.max_rows and len(table) > dataset.max_rows:
        table = table.sample(n=dataset.max_rows, random_state=SEED)
    table = table.reset_index(drop=True)
    strata = None
    if dataset.task == "classification":
        counts = table[dataset.target].value_counts()
        strata = table[dataset.target].where(table[dataset.target].map(counts) >= 2, "__rare__")
    train, holdout = train_test_split(table, test_size=0.2, random_state=SEED, stratify=strata)
    return train.reset_index(drop=True), holdout.reset_index(drop=True)


@dataclass
class Plan:
    """What to run, and how."""

    datasets: list[Dataset]
    synthesizers: list[str]
    out: Path
    repeats: int = 1
    time_limit: float = 1800.0  # seconds per cell (fit and sample)
    max_train_rows: int | None = None  # fit on a seeded sample of at most this many training rows
    options: dict[str, dict[str, Any]] = field(default_factory=dict)  # synthesizer -> its parameters
    incumbent_python: str | None = None  # the Python of the incumbents' own environment
    incumbent_worker: str | None = None  # its worker script (default: benchmarks/incumbent_worker.py)
    command: str = ""

    def check(self) -> None:
        from ..synthesizers import REGISTRY

        unknown = [s for s in self.synthesizers if s not in REGISTRY and s not in INCUMBENTS]
        if unknown:
            raise InvalidParameterError(f"unknown synthesizer(s) {', '.join(unknown)}; choose from "
                                        f"{', '.join([*sorted(REGISTRY), *INCUMBENTS])}")
        if any(s in INCUMBENTS for s in self.synthesizers):
            if not self.incumbent_python:
                raise InvalidParameterError("the sdv:* synthesizers run in their own environment: give "
                                            "--incumbent-python (benchmarks/setup-incumbents.sh prints it)")
            self.incumbent_worker = str(find_incumbent_worker(self.incumbent_worker))
        if self.repeats < 1 or self.time_limit <= 0:
            raise InvalidParameterError("repeats must be >= 1 and the time limit > 0")


def cell_name(dataset: str, synthesizer: str, repeat: int) -> str:
    return f"{dataset}__{synthesizer.replace(':', '-')}__{repeat}"


def run(plan: Plan, *, log: Callable[[str], None] = print) -> pd.DataFrame:
    """Run every unfinished cell of ``plan``; write the results, leaderboard and report; return the results."""
    from .report import write_reports

    plan.check()
    out = plan.out
    for folder in ("splits", "cells", "synthetic"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    environment = record_environment(plan)
    _write_json(out / "environment.json", environment)
    for dataset in plan.datasets:
        train, holdout, fit_path = _prepare(plan, dataset)
        trtr = _trtr(out, dataset, train, holdout)
        for synthesizer in plan.synthesizers:
            for repeat in range(plan.repeats):
                name = cell_name(dataset.name, synthesizer, repeat)
                settings = _settings(plan, dataset, synthesizer, repeat, len(train))
                path = out / "cells" / f"{name}.json"
                if path.exists() and json.loads(path.read_text()).get("key") == settings["key"]:
                    log(f"{name}: cached")
                    continue
                log(f"{name}: running")
                cell = _run_cell(plan, dataset, synthesizer, repeat, settings, fit_path, train, holdout)
                cell["trtr"] = trtr
                _write_json(path, cell)
                log(f"{name}: {cell['status']}" + (f", quality {cell['scores']['quality']['overall']:.4f}"
                                                    if cell["status"] == "ok" else f" ({cell.get('message', '')})"))
                write_reports(out, plan, environment)
    return write_reports(out, plan, environment)


def _prepare(plan: Plan, dataset: Dataset) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    """The split (written once) and the file the synthesizers fit on."""
    folder = plan.out / "splits" / dataset.name
    folder.mkdir(parents=True, exist_ok=True)
    train_path, holdout_path = folder / "train.csv", folder / "holdout.csv"
    if not (train_path.exists() and holdout_path.exists()):
        train, holdout = split(dataset)
        _atomic(lambda p: train.to_csv(p, index=False), train_path)
        _atomic(lambda p: holdout.to_csv(p, index=False), holdout_path)
    train, holdout = read_csv(train_path), read_csv(holdout_path)
    if plan.max_train_rows and len(train) > plan.max_train_rows:
        fit_path = folder / f"fit_{plan.max_train_rows}.csv"
        if not fit_path.exists():
            part = train.sample(n=plan.max_train_rows, random_state=SEED)
            _atomic(lambda p: part.to_csv(p, index=False), fit_path)
        return train, holdout, fit_path
    return train, holdout, train_path


def _trtr(out: Path, dataset: Dataset, train: pd.DataFrame, holdout: pd.DataFrame) -> dict[str, Any]:
    """The score of the model trained on the real training rows (the ceiling TSTR is read against)."""
    from .scoring import _Features, column_kinds

    path = out / "splits" / dataset.name / "trtr.json"
    if path.exists():
        return json.loads(path.read_text())
    task = dataset.scoring_task
    result = utility(train, holdout, _Features(train, column_kinds(train, task), task.target), task)
    _write_json(path, result)
    return result


def _settings(plan: Plan, dataset: Dataset, synthesizer: str, repeat: int, train_rows: int) -> dict[str, Any]:
    fit_rows = min(train_rows, plan.max_train_rows) if plan.max_train_rows else train_rows
    settings = {"dataset": dataset.name, "synthesizer": synthesizer, "repeat": repeat, "seed": SEED + repeat,
                "options": plan.options.get(synthesizer, {}), "fit_rows": fit_rows,
                "synthetic_rows": min(train_rows, MAX_SYNTHETIC_ROWS), "time_limit": plan.time_limit,
                "data": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(dataset).items()}}
    settings["key"] = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return settings


def _run_cell(plan: Plan, dataset: Dataset, synthesizer: str, repeat: int, settings: dict[str, Any],
              fit_path: Path, train: pd.DataFrame, holdout: pd.DataFrame) -> dict[str, Any]:
    name = cell_name(dataset.name, synthesizer, repeat)
    synthetic_path = plan.out / "synthetic" / f"{name}.csv"
    arguments = [str(fit_path), str(synthetic_path), "--model", synthesizer, "--rows",
                 str(settings["synthetic_rows"]), "--seed", str(settings["seed"]),
                 "--options", json.dumps(settings["options"])]
    if synthesizer in INCUMBENTS:
        command = [plan.incumbent_python, str(plan.incumbent_worker), *arguments]
    else:
        command = [sys.executable, "-m", "veil.benchmark.worker", *arguments]
    cell: dict[str, Any] = {**settings, "status": "ok"}
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=plan.time_limit)
    except subprocess.TimeoutExpired:
        cell.update(status="timeout", message=f"over the {plan.time_limit:.0f} s limit", wall_s=plan.time_limit)
        return cell
    except OSError as exc:
        cell.update(status="error", message=f"could not start: {exc.strerror or exc}")
        return cell
    cell["wall_s"] = time.perf_counter() - started
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        cell.update(status="error", message=(lines[-1] if lines else f"exit code {done.returncode}")[:300])
        return cell
    cell.update(json.loads(done.stdout.strip().splitlines()[-1]))
    synthetic = read_csv(synthetic_path)
    started = time.perf_counter()
    cell["scores"] = {k: v for k, v in score(train, holdout, synthetic, dataset.scoring_task, trtr=False).items()}
    cell["score_s"] = time.perf_counter() - started
    return cell


def record_environment(plan: Plan) -> dict[str, Any]:
    """Versions, CPU and threads: what a reader needs to compare timings."""
    import numpy
    import sklearn
    import torch

    from .. import __version__

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "veil": __version__, "torch": torch.__version__,
                "numpy": numpy.__version__, "pandas": pd.__version__, "scikit-learn": sklearn.__version__,
                "tstr_model": booster_name()}
    if plan.incumbent_python and any(s in INCUMBENTS for s in plan.synthesizers):
        try:
            done = subprocess.run([plan.incumbent_python, str(plan.incumbent_worker), "--versions"],
                                  capture_output=True, text=True, timeout=300)
            versions.update(json.loads(done.stdout.strip().splitlines()[-1]))
        except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
            versions["sdv"] = "unavailable"
    return {"versions": versions, "cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "threads": {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "torch": torch.get_num_threads()},
            "command": plan.command, "time_limit_s": plan.time_limit, "max_train_rows": plan.max_train_rows,
            "options": plan.options, "seed": SEED}


def _write_json(path: Path, data: Any) -> None:
    _atomic(lambda p: p.write_text(json.dumps(data, indent=1, default=str) + "\n"), path)


def _atomic(write: Callable[[Path], Any], path: Path) -> None:
    """``write`` to a temporary file beside ``path``, then rename it over ``path``."""
    tmp = path.with_name(path.name + ".partial")
    write(tmp)
    os.replace(tmp, path)


def parse_options(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``SYNTH.PARAM=VALUE`` settings (VALUE read as JSON when it can be: 30, 0.5, true, null)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        synth, dot, param = key.rpartition(".")
        if not sep or not dot or not synth or not param:
            raise InvalidParameterError(f"--set takes SYNTHESIZER.PARAMETER=VALUE (e.g. ctgan.epochs=30), "
                                        f"got {item!r}")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        out.setdefault(synth, {})[param] = parsed
    return out
