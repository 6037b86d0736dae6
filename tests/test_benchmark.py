"""veil benchmark: cells run once and are cached, an interrupted run resumes without redoing finished
cells, a changed setting reruns its cells, time limits hold, and the reports say what was run."""
from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from veil.benchmark import Dataset, Plan, runner
from veil.cli import app


@pytest.fixture
def small_dataset(tmp_path) -> Dataset:
    rng = np.random.default_rng(0)
    n = 400
    group = rng.choice(["a", "b", "c"], n)
    x = rng.normal(size=n) + (group == "a")
    table = pd.DataFrame({"group": group, "x": x.round(3), "count": rng.integers(0, 9, n),
                          "label": np.where(x + rng.normal(scale=0.5, size=n) > 0.3, "yes", "no")})
    path = tmp_path / "small.csv"
    table.to_csv(path, index=False)
    return Dataset("small", path, "label", "classification")


def _plan(tmp_path, dataset: Dataset, **changes) -> Plan:
    settings = {"datasets": [dataset], "synthesizers": ["gaussian_copula", "fast_ml"], "out": tmp_path / "out",
                "time_limit": 300.0}
    return Plan(**{**settings, **changes})


def test_an_interrupted_run_resumes_without_redoing_finished_cells(tmp_path, small_dataset, monkeypatch):
    real_run_cell = runner._run_cell
    calls: list[str] = []

    def interrupted(plan, dataset, synthesizer, *args):
        calls.append(synthesizer)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed halfway: the first cell is done, the second is not
        return real_run_cell(plan, dataset, synthesizer, *args)

    monkeypatch.setattr(runner, "_run_cell", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runner.run(_plan(tmp_path, small_dataset), log=lambda line: None)
    first = tmp_path / "out" / "cells" / "small__gaussian_copula__0.json"
    assert first.exists() and not (tmp_path / "out" / "cells" / "small__fast_ml__0.json").exists()
    stamp = first.stat().st_mtime_ns

    calls.clear()
    seen: list[str] = []
    results = runner.run(_plan(tmp_path, small_dataset), log=seen.append)
    assert calls == ["fast_ml"]  # only the unfinished cell ran
    assert "small__gaussian_copula__0: cached" in seen and first.stat().st_mtime_ns == stamp
    assert list(results.status) == ["ok", "ok"]
    ok = results.set_index("synthesizer")
    assert ok.quality.between(0.5, 1).all() and ok.tstr.between(0, 1).all() and ok.dcr_share.between(0, 1).all()
    assert (ok.trtr > 0.5).all() and (ok.fit_s > 0).all() and (ok.peak_rss_mb > 50).all()

    # a changed setting is a different cell: it runs again; the other stays cached
    calls.clear()
    runner.run(_plan(tmp_path, small_dataset, options={"fast_ml": {"enforce_rounding": False}}), log=lambda _: None)
    assert calls == ["fast_ml"]


def test_reports_hold_every_cell_and_the_environment(tmp_path, small_dataset):
    plan = _plan(tmp_path, small_dataset, command="veil benchmark --data small.csv --target label")
    runner.run(plan, log=lambda line: None)
    out = tmp_path / "out"
    table = pd.read_csv(out / "results.csv")
    assert set(table.synthesizer) == {"gaussian_copula", "fast_ml"} and set(table.dataset) == {"small"}
    board = (out / "leaderboard.md").read_text()
    assert "veil benchmark --data small.csv --target label" in board and "| gaussian_copula |" in board
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 2 and "quality against fit time" in page
    environment = json.loads((out / "environment.json").read_text())
    assert {"veil", "torch", "pandas"} <= set(environment["versions"]) and environment["cores"] >= 1


def test_a_cell_over_its_time_limit_is_recorded_not_waited_for(tmp_path, small_dataset):
    results = runner.run(_plan(tmp_path, small_dataset, synthesizers=["gaussian_copula"], time_limit=0.01),
                         log=lambda line: None)
    assert list(results.status) == ["timeout"]
    assert "timeout" in (tmp_path / "out" / "leaderboard.md").read_text()


def test_the_command_line_checks_its_arguments(tmp_path, small_dataset):
    cli = CliRunner()
    result = cli.invoke(app, ["benchmark", "-o", str(tmp_path / "b"), "--data", str(small_dataset.path),
                              "-s", "sdv:ctgan"], env={"VEIL_INCUMBENT_PYTHON": ""})
    assert result.exit_code == 1 and "--target" in result.output
    result = cli.invoke(app, ["benchmark", "-o", str(tmp_path / "b"), "--data", str(small_dataset.path),
                              "--target", "label", "-s", "sdv:ctgan"], env={"VEIL_INCUMBENT_PYTHON": ""})
    assert result.exit_code == 1 and "--incumbent-python" in result.output
    result = cli.invoke(app, ["benchmark", "-o", str(tmp_path / "b"), "--data", str(small_dataset.path),
                              "--target", "label", "-s", "sdv:ctgan", "--incumbent-python", sys.executable,
                              "--incumbent-worker", str(tmp_path / "missing.py")])
    assert result.exit_code == 1 and "--incumbent-worker" in result.output
    result = cli.invoke(app, ["benchmark", "-o", str(tmp_path / "b"), "-d", "nope"])
    assert result.exit_code == 1 and "unknown dataset" in result.output
    result = cli.invoke(app, ["benchmark", "-o", str(tmp_path / "b"), "--data", str(small_dataset.path),
                              "--target", "label", "-s", "fast_ml", "--set", "fast_ml.enforce_rounding=false"])
    assert result.exit_code == 0, result.output
    assert "1 of 1 cells finished" in result.output


def test_settings_parse_as_json_where_they_can():
    assert runner.parse_options(["ctgan.epochs=30", "sdv:tvae.epochs=50", "autoregressive.time_budget=null",
                                 "tvae.device=cpu"]) == {"ctgan": {"epochs": 30}, "sdv:tvae": {"epochs": 50},
                                                         "autoregressive": {"time_budget": None},
                                                         "tvae": {"device": "cpu"}}
    with pytest.raises(Exception, match="SYNTHESIZER.PARAMETER=VALUE"):
        runner.parse_options(["epochs=3"])
