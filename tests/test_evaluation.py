"""veil.evaluate end to end: the Evaluation object, its JSON, its HTML report and the CLI."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import veil
from veil.cli import app
from veil.errors import InvalidDataError, InvalidParameterError


def _people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    sex = rng.choice(["F", "M"], n)
    hours = np.clip(rng.normal(40, 8, n) + (sex == "M") * 4, 5, 90).round()
    income = np.where(hours + rng.normal(0, 6, n) > 42, ">50K", "<=50K")
    return pd.DataFrame({"age": age, "sex": sex, "hours": hours, "zip": rng.choice(["10001", "10002", "10003"], n),
                         "income": income})


@pytest.fixture(scope="module")
def tables():
    return _people(1500, 0), _people(500, 1), _people(1500, 2)  # train, holdout, synthetic (fresh rows)


@pytest.fixture(scope="module")
def evaluation(tables):
    train, holdout, synthetic = tables
    return veil.evaluate(train, synthetic, holdout=holdout, target="income", quasi_identifiers=["age", "sex", "zip"],
                         sensitive="income")


def test_scores_of_a_fresh_sample_of_the_same_population(evaluation):
    s = evaluation.scores
    assert s["quality"] > 0.9 and s["column_shapes"] > 0.9
    assert 0.4 < s["detection_auc"] < 0.65
    assert 0.4 < s["dcr_share"] < 0.6 and s["membership_auc"] < 0.6
    assert s["tstr_ratio"] > 0.9
    assert s["k_anonymity"] >= 1
    levels = {h["label"]: h["level"] for h in evaluation.headline()}
    assert levels["Fidelity (quality score)"] == "good" and levels["DCR share"] == "good"
    assert set(evaluation.timings) >= {"fidelity", "utility", "privacy"}


def test_json_is_strict_and_holds_the_scores(evaluation, tmp_path):
    text = evaluation.to_json(tmp_path / "e.json")
    data = json.loads(text)
    assert data["scores"]["quality"] == pytest.approx(evaluation.scores["quality"])
    assert {"column_shapes", "utility", "risks"} <= set(data["details"])
    assert json.loads((tmp_path / "e.json").read_text()) == data


def test_html_report_is_standalone_and_escaped(tables, tmp_path):
    train, holdout, synthetic = tables
    train = train.assign(sex=train["sex"].replace({"F": "<script>alert(1)</script>"}))
    synthetic = synthetic.assign(sex=synthetic["sex"].replace({"F": "<script>alert(1)</script>"}))
    path = veil.evaluate(train, synthetic, holdout=holdout, target="income").to_html(tmp_path / "r.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "<script" not in html.lower()  # data is escaped, and the report itself carries no script
    assert not re.search(r"(src|href)=\"https?:", html)  # nothing fetched from a network
    for heading in ("Fidelity", "Utility", "Privacy", "Distance to the closest training row"):
        assert heading in html


def test_model_compatibility_on_request(tables):
    train, holdout, synthetic = tables
    ev = veil.evaluate(train.iloc[:400], synthetic.iloc[:400], holdout=holdout.iloc[:200], model_compatibility=True)
    compat = ev.details["model_compatibility"]
    assert set(compat["column"]) == set(train.columns)
    assert (compat["trained_on_real"] - compat["trained_on_synthetic"]).abs().max() < 0.3  # same population


def test_without_holdout_utility_and_privacy_are_skipped_with_a_reason(tables):
    train, _, synthetic = tables
    ev = veil.evaluate(train, synthetic)
    assert "quality" in ev.scores and "dcr_share" not in ev.scores
    assert "holdout" in ev.skipped["privacy"]


def test_bad_inputs_get_clear_errors(tables):
    train, holdout, synthetic = tables
    with pytest.raises(InvalidDataError, match="target column 'salary' is not in"):
        veil.evaluate(train, synthetic, holdout=holdout, target="salary")
    with pytest.raises(InvalidDataError, match="synthetic table must be a pandas DataFrame"):
        veil.evaluate(train, [1, 2], holdout=holdout)
    with pytest.raises(InvalidParameterError, match="max_rows"):
        veil.evaluate(train, synthetic, max_rows=5)


def test_cli_prints_a_summary_and_writes_the_report(tables, tmp_path):
    train, holdout, synthetic = tables
    paths = {}
    for name, table in (("train", train), ("holdout", holdout), ("synthetic", synthetic)):
        paths[name] = tmp_path / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    result = CliRunner().invoke(app, ["evaluate", "--train", str(paths["train"]), "--holdout", str(paths["holdout"]),
                                      "--synthetic", str(paths["synthetic"]), "--target", "income",
                                      "--report", str(tmp_path / "r.html"), "--json", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    assert "DCR share" in result.output and (tmp_path / "r.html").exists() and (tmp_path / "e.json").exists()
    missing = CliRunner().invoke(app, ["evaluate", "--train", str(tmp_path / "nope.csv"),
                                       "--synthetic", str(paths["synthetic"])])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
