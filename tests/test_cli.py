"""The command line: the happy path and one clear line for every bad input."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from veil.cli import app

runner = CliRunner()


def _run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result


def test_fit_then_sample(tmp_path, mixed_table):
    data = tmp_path / "people.csv"
    mixed_table.to_csv(data, index=False)
    model = tmp_path / "m.veil"
    result = _run("fit", data, "--model", "gaussian_copula", "-o", model)
    assert result.exit_code == 0, result.output
    assert model.exists()
    out = tmp_path / "syn.parquet"
    result = _run("sample", model, "-n", 250, "-o", out, "--seed", 3)
    assert result.exit_code == 0, result.output
    syn = pd.read_parquet(out)
    assert syn.shape == (250, mixed_table.shape[1])
    again = tmp_path / "again.parquet"
    _run("sample", model, "-n", 250, "-o", again, "--seed", 3)
    pd.testing.assert_frame_equal(syn, pd.read_parquet(again))


def test_fit_with_a_metadata_file(tmp_path, mixed_table):
    import veil

    data = tmp_path / "people.csv"
    mixed_table.to_csv(data, index=False)
    meta = veil.Metadata.detect(mixed_table).update_column("score", sdtype="numerical", representation="int")
    meta_path = tmp_path / "meta.json"
    meta.to_json(meta_path)
    result = _run("fit", data, "--metadata", meta_path, "-o", tmp_path / "m.veil")
    assert result.exit_code == 0, result.output


def test_inspect_flags_pii_and_never_prints_raw_values(tmp_path):
    table = pd.DataFrame({"contact": ["ann.lee@example.org", "bo.chan@mail.net", "cy.diaz@web.com"] * 20,
                          "hours": list(range(60))})
    data = tmp_path / "p.csv"
    table.to_csv(data, index=False)
    result = runner.invoke(app, ["inspect", str(data), "--save-metadata", str(tmp_path / "m.json")],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "email" in result.output
    for value in table["contact"].unique():
        assert value not in result.output
        assert value.split("@")[0] not in result.output
    assert json.loads((tmp_path / "m.json").read_text())["columns"][0]["sdtype"] == "email"


@pytest.mark.parametrize("setup, args, message", [
    (None, ["fit", "{tmp}/missing.csv", "-o", "{tmp}/m.veil"], "does not exist"),
    ("empty", ["fit", "{tmp}/empty.csv", "-o", "{tmp}/m.veil"], "empty"),
    ("header", ["fit", "{tmp}/header.csv", "-o", "{tmp}/m.veil"], "no rows"),
    ("txt", ["fit", "{tmp}/data.txt", "-o", "{tmp}/m.veil"], "cannot tell the format"),
    ("meta", ["fit", "{tmp}/ok.csv", "--metadata", "{tmp}/meta.json", "-o", "{tmp}/m.veil"], "ghost"),
    ("ok", ["fit", "{tmp}/ok.csv", "--model", "nonsense", "-o", "{tmp}/m.veil"], "unknown model"),
    ("pickle", ["sample", "{tmp}/evil.veil", "-n", "5", "-o", "{tmp}/o.csv"], "not a veil model file"),
])
def test_bad_input_exits_nonzero_with_one_clear_line(tmp_path, setup, args, message):
    ok = pd.DataFrame({"a": [1, 2, 3, 4], "b": ["x", "y", "x", "y"]})
    if setup == "empty":
        (tmp_path / "empty.csv").write_text("")
    elif setup == "header":
        (tmp_path / "header.csv").write_text("a,b\n")
    elif setup == "txt":
        (tmp_path / "data.txt").write_text("a,b\n1,2\n")
    elif setup in ("meta", "ok"):
        ok.to_csv(tmp_path / "ok.csv", index=False)
        meta = {"columns": [{"name": "a", "sdtype": "numerical"}, {"name": "b", "sdtype": "categorical"},
                            {"name": "ghost", "sdtype": "numerical"}]}
        (tmp_path / "meta.json").write_text(json.dumps(meta))
    elif setup == "pickle":
        (tmp_path / "evil.veil").write_bytes(b"\x80\x04\x95\x00\x00")
    result = runner.invoke(app, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_fit_a_neural_model_with_options_and_progress(tmp_path, mixed_table):
    data = tmp_path / "people.csv"
    mixed_table.to_csv(data, index=False)
    result = _run("fit", data, "--model", "tvae", "--epochs", 2, "--batch-size", 100, "--device", "cpu",
                  "-o", tmp_path / "m.veil")
    assert result.exit_code == 0, result.output
    assert "2/2" in result.output
    import veil

    synth = veil.load(tmp_path / "m.veil")
    assert synth.epochs == 2 and len(synth.loss_history_) == 2


@pytest.mark.parametrize("model, options", [("tablegan", ["--label", "city", "--delta-mean", 0.5, "--delta-sd", 0.25]),
                                            ("tgan", [])])
def test_fit_the_paper_gans(tmp_path, mixed_table, model, options):
    data = tmp_path / "people.csv"
    mixed_table.to_csv(data, index=False)
    result = _run("fit", data, "--model", model, "--epochs", 1, "--batch-size", 100, *options,
                  "-o", tmp_path / "m.veil")
    assert result.exit_code == 0, result.output
    import veil

    synth = veil.load(tmp_path / "m.veil")
    assert synth.model_name == model and len(synth.sample(50, seed=0)) == 50
    if model == "tablegan":
        assert (synth.label, synth.delta_mean, synth.delta_sd) == ("city", 0.5, 0.25)
        assert "classifier" in synth.loss_history_.columns


def test_an_option_the_model_does_not_take_is_refused(tmp_path, mixed_table):
    data = tmp_path / "people.csv"
    mixed_table.to_csv(data, index=False)
    result = _run("fit", data, "--model", "gaussian_copula", "--epochs", 5, "-o", tmp_path / "m.veil")
    assert result.exit_code == 1
    assert "--epochs does not apply to the gaussian_copula model" in result.output
    result = _run("fit", data, "--model", "ctgan", "--label", "city", "-o", tmp_path / "m.veil")
    assert result.exit_code == 1 and "--label does not apply to the ctgan model" in result.output


def test_error_messages_with_brackets_are_printed_whole(tmp_path):
    ok = pd.DataFrame({"a": [1, 2, 3, 4], "b": ["x", "y", "x", "y"]})
    ok.to_csv(tmp_path / "ok.csv", index=False)
    meta = {"columns": [{"name": "a", "sdtype": "numerical"}, {"name": "b", "sdtype": "categorical"},
                        {"name": "bold", "sdtype": "numerical"}]}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    result = _run("fit", tmp_path / "ok.csv", "--metadata", tmp_path / "meta.json", "-o", tmp_path / "m.veil")
    assert result.exit_code == 1
    assert "bold" in result.output


def test_policies_and_hash_key_from_the_command_line(tmp_path, monkeypatch):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from people_fixture import people_records

    monkeypatch.delenv("VEIL_HASH_KEY", raising=False)
    monkeypatch.delenv("VEIL_HASH_KEY_FILE", raising=False)
    data = tmp_path / "people.csv"
    people_records(300, seed=4).drop(columns=["person"]).to_csv(data, index=False)
    model = tmp_path / "m.veil"
    no_key = _run("fit", data, "-o", model, "--policy", "ssn=hash")
    assert no_key.exit_code == 1 and "needs a secret key" in no_key.output and not model.exists()
    key = tmp_path / "key.txt"
    key.write_text("0123456789abcdef0123456789abcdef\n")
    result = _run("fit", data, "-o", model, "--policy", "ssn=hash", "--policy", "zip=generalize:prefix:2",
                  "--policy", "name=person_id", "--policy", "email=person_id", "--hash-key-file", key)
    assert result.exit_code == 0, result.output
    out = tmp_path / "syn.csv"
    assert _run("sample", model, "-n", 400, "-o", out, "--seed", 1).exit_code == 0
    syn = pd.read_csv(out, dtype=str)
    assert list(syn.columns)[0] == "person_id" and "name" not in syn and "email" not in syn
    assert syn["zip"].dropna().str.fullmatch(r"\d{2}\*{3}|\(rare\)").all()  # held by < 5 people: (rare)
    assert set(syn["ssn"].dropna()) <= {"(rare)"}
    assert b"0123456789abcdef" not in model.read_bytes()
    bad = _run("fit", data, "-o", model, "--policy", "ssn")
    assert bad.exit_code == 1 and "COLUMN=POLICY" in bad.output


def test_demo_runs_the_default_model_and_impute_fills_holes(tmp_path):
    result = _run("demo", "--out", tmp_path / "demo", "--rows", 400)
    assert result.exit_code == 0, result.output
    assert "model autoregressive" in result.output and (tmp_path / "demo" / "people.veil").exists()
    real = pd.read_csv(tmp_path / "demo" / "fictional_people.csv")
    holes = real.copy()
    holes.loc[::3, "income"] = None
    holes.to_csv(tmp_path / "holes.csv", index=False)
    filled, model = tmp_path / "filled.csv", tmp_path / "ar.veil"
    assert _run("fit", tmp_path / "holes.csv", "--epochs", 4, "-o", model).exit_code == 0
    result = _run("impute", model, tmp_path / "holes.csv", "-o", filled, "--seed", 1)
    assert result.exit_code == 0, result.output
    back = pd.read_csv(filled)
    assert back["income"].notna().all() and (back.loc[1::3, "income"] == real.loc[1::3, "income"]).all()
    others = ["name", "email", "zip_code", "sex", "education"]  # unlearned PII and complete columns stay as given
    assert back[others].equals(holes[others])
    gc = tmp_path / "gc.veil"
    assert _run("fit", tmp_path / "holes.csv", "--model", "gaussian_copula", "-o", gc).exit_code == 0
    refused = _run("impute", gc, tmp_path / "holes.csv", "-o", tmp_path / "x.csv")
    assert refused.exit_code == 1 and "cannot impute" in refused.output


def test_sample_where_known_and_validate(tmp_path):
    import numpy as np

    import veil
    from veil.constraints import Inequality

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"age": rng.integers(18, 90, 600), "sex": rng.choice(["Female", "Male"], 600),
                          "hours-per-week": rng.integers(10, 60, 600)})
    table["retired-at"] = table["age"] + rng.integers(0, 10, 600)
    data = tmp_path / "p.csv"
    table.to_csv(data, index=False)
    meta = veil.Metadata.detect(table).add_constraint(Inequality("age", "retired-at"))
    meta.to_json(tmp_path / "meta.json")
    assert _run("validate", data, "--metadata", tmp_path / "meta.json").exit_code == 0
    broken = tmp_path / "broken.csv"
    table.assign(**{"retired-at": table["age"] - 1}).to_csv(broken, index=False)
    result = _run("validate", broken, "--metadata", tmp_path / "meta.json")
    assert result.exit_code == 1 and "Inequality(age <= retired-at): 600 of 600 rows" in result.output
    model = tmp_path / "m.veil"
    assert _run("fit", data, "--metadata", tmp_path / "meta.json", "--model", "gaussian_copula",
                "-o", model).exit_code == 0
    out = tmp_path / "old.csv"
    result = _run("sample", model, "-n", 200, "-o", out, "--where", "sex == 'Female' and age >= 60 and "
                                                                 "hours-per-week < 40")
    assert result.exit_code == 0, result.output
    old = pd.read_csv(out)
    assert len(old) == 200 and (old.sex == "Female").all() and (old.age >= 60).all()
    assert (old["hours-per-week"] < 40).all() and (old["retired-at"] >= old.age).all()
    known = tmp_path / "known.csv"
    pd.DataFrame({"sex": ["Male"] * 5}).to_csv(known, index=False)
    result = _run("sample", model, "--known", known, "-o", tmp_path / "done.csv")
    assert result.exit_code == 0, result.output
    assert (pd.read_csv(tmp_path / "done.csv").sex == "Male").all()
    result = _run("sample", model, "-n", 5, "-o", out, "--where", "sex == 'Other'")
    assert result.exit_code == 1 and "already exists; pass --overwrite" in result.output
    result = _run("sample", model, "-n", 5, "-o", out, "--where", "sex == 'Other'", "--overwrite")
    assert result.exit_code != 0 and "valid values: 'Female', 'Male'" in result.output
    result = _run("sample", model, "-n", 5, "-o", out, "--where", "age >> 3", "--overwrite")
    assert result.exit_code != 0 and "character 6" in result.output
    assert len(pd.read_csv(out)) == 200  # a failed run leaves the file it would have replaced as it was


def test_fit_with_differential_privacy_from_the_command_line(tmp_path, mixed_table):
    import veil

    data = tmp_path / "people.csv"
    mixed_table.to_csv(data, index=False)
    model = tmp_path / "dp.veil"
    result = _run("fit", data, "--model", "tvae", "--dp", "--epsilon", 4, "--delta", 1e-5, "--epochs", 1,
                  "-o", model)
    assert result.exit_code == 0, result.output
    privacy = veil.load(model).privacy_
    assert privacy["epsilon"] == 4 and privacy["epsilon_spent"] <= 4 and privacy["delta"] == 1e-5
    result = _run("fit", data, "--model", "gaussian_copula", "--dp", "--epsilon", 4, "-o", model)
    assert result.exit_code != 0 and "--dp, --epsilon does not apply to the gaussian_copula model" in result.output
    result = _run("fit", data, "--model", "gaussian_copula", "--value-protection", 0, "-o", model)
    assert result.exit_code == 0 and veil.load(model).protection_ is None
    result = _run("fit", data, "--model", "mst", "--epsilon", 1, "-o", model)
    assert result.exit_code == 0, result.output
    assert veil.load(model).privacy_["epsilon_spent"] == pytest.approx(1.0)
