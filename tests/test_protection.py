"""Value protection, on by default for every synthesizer: rare categories and extremes never come out,
and the model file holds neither the rare values nor the exact minima and maxima."""
from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load as load_arrays

import veil
from veil.constraints import Inequality
from veil.metadata import Metadata
from veil.pii.kinds import RARE_TOKEN
from veil.protect.values import ValueProtection

K = 5


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 1_500
    city = rng.choice(["Leeds", "York", "Hull"], n).astype(object)
    city[:4] = ["Whitby", "Whitby", "Ripon", "Selby"]  # fewer than 5 people each
    income = rng.lognormal(10, 0.6, n)
    income[10] = 9_876_543.21  # one extreme on each side
    income[11] = 0.5
    joined = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3_000, n), "D")
    joined = np.array(joined.to_numpy(), dtype="datetime64[ns]")
    joined[12] = np.datetime64("1950-06-01")
    level = rng.choice([1, 2, 3], n)
    level[:2] = 9  # a rare number used as a category
    return pd.DataFrame({"city": city, "income": income, "joined": joined, "level": level,
                         "age": rng.integers(18, 90, n)})


def kth(values: pd.Series) -> tuple:
    ordered = values.dropna().sort_values().to_numpy()
    return ordered[K - 1], ordered[-K]


def metadata_of(table: pd.DataFrame) -> Metadata:
    meta = Metadata.detect(table)
    meta.update_column("level", sdtype="categorical")
    return meta


SYNTHESIZERS = {
    "copula": lambda meta: veil.GaussianCopulaSynthesizer(metadata=meta),
    "autoregressive": lambda meta: veil.AutoregressiveSynthesizer(metadata=meta, epochs=3),
    "ctgan": lambda meta: veil.CTGANSynthesizer(metadata=meta, epochs=1),
    "tvae": lambda meta: veil.TVAESynthesizer(metadata=meta, epochs=2),
}


@pytest.mark.parametrize("name", list(SYNTHESIZERS))
def test_no_rare_category_and_no_value_beyond_the_kth_comes_out(table, name):
    synth = SYNTHESIZERS[name](metadata_of(table)).fit(table)
    out = synth.sample(20_000, seed=0)
    assert not out.city.isin(["Whitby", "Ripon", "Selby"]).any()
    assert set(out.city.dropna()) <= {"Leeds", "York", "Hull", RARE_TOKEN}
    assert 9 not in set(out.level) and out.level.dtype == table.level.dtype
    for column in ["income", "joined", "age"]:
        low, high = kth(table[column])
        assert out[column].between(low, high).all(), column


def test_the_model_file_holds_no_rare_value_and_no_exact_extreme(table, tmp_path):
    synth = veil.GaussianCopulaSynthesizer(metadata=metadata_of(table)).fit(table)
    path = synth.save(tmp_path / "m.veil")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        text = b"".join(zf.read(n) for n in names if n.endswith(".json")).decode()
        arrays = load_arrays(b"".join(zf.read(n) for n in names if not n.endswith(".json")))
    for rare in ["Whitby", "Ripon", "Selby", "9876543", "1950-06-01"]:
        assert rare not in text
    stored = np.concatenate([a.ravel().astype(np.float64) for a in arrays.values() if a.dtype.kind in "fiu"])
    for extreme in [table.income.max(), table.income.min()]:  # age: 5 people share its minimum
        assert not np.isclose(stored, extreme, rtol=1e-6, atol=0).any()
    again = veil.load(path).sample(5_000, seed=1)
    assert again.income.between(*kth(table.income)).all()


def test_protection_can_be_switched_off_and_then_extremes_come_back(table):
    synth = veil.GaussianCopulaSynthesizer(metadata=metadata_of(table), value_protection=False).fit(table)
    assert synth.protection_ is None
    out = synth.sample(20_000, seed=0)
    assert out.age.min() == table.age.min() and out.age.max() == table.age.max()
    with pytest.raises(veil.InvalidParameterError, match="value_protection"):
        veil.GaussianCopulaSynthesizer(value_protection=-1).fit(table)


def test_people_not_rows_are_counted_and_the_threshold_is_not_exact():
    values = pd.Series(["a"] * 20 + ["b"] * 6 + ["c"] * 30)
    one_person = np.r_[np.arange(20), np.zeros(6, dtype=int) + 100, np.arange(200, 230)]
    table = pd.DataFrame({"x": values})
    meta = Metadata.detect(table)
    meta.update_column("x", sdtype="categorical")
    rows_only = ValueProtection.fit(table, meta, rng=np.random.default_rng(0), threshold=5)
    by_person = ValueProtection.fit(table, meta, rng=np.random.default_rng(0), threshold=5, people=one_person)
    assert "b" not in rows_only.kept.get("x", []) or len(rows_only.kept["x"]) == 3
    assert by_person.kept["x"] == ["a", "c"]  # six rows, but one person
    # a category with exactly 6 people is kept under some draws of k and merged under others
    six = pd.DataFrame({"x": ["a"] * 6 + ["c"] * 30})
    kept = {"a" in ValueProtection.fit(six, meta, rng=np.random.default_rng(s)).kept.get("x", ["a"]) for s in range(20)}
    assert kept == {True, False}


def test_clipping_keeps_an_inequality_that_held_in_every_real_row():
    rng = np.random.default_rng(3)
    start = rng.integers(0, 1_000, 800)
    table = pd.DataFrame({"start": start, "end": start + rng.integers(0, 50, 800)})
    meta = Metadata.detect(table)
    meta.add_constraint(Inequality("start", "end"))
    synth = veil.GaussianCopulaSynthesizer(metadata=meta).fit(table)
    protected = synth.protection_.protect(table)
    assert (protected.start <= protected.end).all()
    out = synth.sample(5_000, seed=0)
    assert (out.start <= out.end).all() and out.end.between(*kth(table.end)).all()


def test_known_rare_values_are_kept_as_given_when_completing_rows(table):
    synth = veil.AutoregressiveSynthesizer(metadata=metadata_of(table), epochs=2).fit(table)
    holes = table.head(6).copy()
    holes.loc[:, "income"] = np.nan
    filled = synth.impute(holes, seed=0)
    assert filled.city.tolist() == holes.city.tolist()  # Whitby, Ripon and Selby included
    assert filled.income.notna().all() and filled.income.between(*kth(table.income)).all()
    completed = synth.sample_remaining(holes[["city", "level"]], seed=0)
    assert completed.city.tolist() == holes.city.tolist() and completed.level.tolist() == holes.level.tolist()
