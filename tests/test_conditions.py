"""The expression language, and sampling on conditions with every kind of synthesizer."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import veil
from veil import InvalidDataError
from veil.constraints.predicate import Predicate, column_conditions


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 3_000
    sex = rng.choice(["Female", "Male"], n)
    age = np.where(sex == "Female", rng.integers(18, 90, n), rng.integers(18, 60, n))
    country = rng.choice(["US", "Canada", "Mexico"], n, p=[0.8, 0.15, 0.05]).astype(object)
    country[:3] = ["Peru", "Chile", "Chile"]  # rare: fewer than 5 people each
    return pd.DataFrame({"age": age, "sex": sex, "native-country": country,
                         "hours-per-week": np.where(sex == "Female", 30, 45) + rng.integers(-5, 6, n),
                         "joined": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")})


def test_expressions_read_columns_values_and_logic(people):
    t = people.head(6).copy()
    t.loc[0, "age"] = np.nan
    cols = t.columns
    assert Predicate.parse("native-country == 'US'", cols).columns == ["native-country"]
    assert Predicate.parse("`hours-per-week` > 40", cols).evaluate(t).tolist() == (t["hours-per-week"] > 40).tolist()
    chained = Predicate.parse("20 <= age < 60 and sex in ['Female']", cols).evaluate(t)
    assert chained.tolist() == ((t.age >= 20) & (t.age < 60) & (t.sex == "Female")).tolist()
    # SQL logic: a missing age makes the comparison unknown, which a condition counts as false
    assert not Predicate.parse("age > 0", cols).evaluate(t)[0]
    assert Predicate.parse("age > 0 or sex == sex", cols).evaluate(t)[0]
    assert Predicate.parse("not (age > 0)", cols).evaluate(t, unknown=True)[0]
    assert Predicate.parse("year(joined) >= 2021 or joined < '2020-06-01'", cols).evaluate(t).tolist() == (
        (t.joined.dt.year >= 2021) | (t.joined < "2020-06-01")).tolist()
    hints = column_conditions(Predicate.parse("sex == 'Female' and age >= 60 and age < 70 and 3 > 1", cols))
    assert hints["sex"].values == ("Female",) and (hints["age"].low, hints["age"].high) == (60.0, 70.0)
    assert hints["age"].low_inclusive and not hints["age"].high_inclusive


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "unknown function '__import__'"),
    ("().__class__", "unexpected character '.'"),
    ("age = 3", "compare with =="),
    ("agee > 3", "did you mean 'age'"),
    ("sex > 3", "cannot compare column 'sex' \\(text\\) with 3"),
    ("age +", "expected a value"),
    ("age > 3 sex", "join conditions with 'and'"),
    ("age", "not true / false"),
])
def test_bad_expressions_say_what_and_where(people, text, message):
    with pytest.raises(InvalidDataError, match=message):
        Predicate.parse(text, people.columns).evaluate(people)


@pytest.fixture(scope="module")
def fitted(people) -> dict[str, veil.Synthesizer]:
    return {"copula": veil.GaussianCopulaSynthesizer().fit(people),
            "autoregressive": veil.AutoregressiveSynthesizer(epochs=8).fit(people),
            "ctgan": veil.CTGANSynthesizer(epochs=2).fit(people),
            "tvae": veil.TVAESynthesizer(epochs=2).fit(people)}


@pytest.mark.parametrize("name", ["copula", "autoregressive", "ctgan", "tvae"])
def test_every_returned_row_meets_the_condition(fitted, name):
    synth = fitted[name]
    out = synth.sample(300, seed=0, conditions={"sex": "Female"}, where="age >= 60 and `native-country` != 'US'")
    assert len(out) == 300
    assert (out.sex == "Female").all() and (out.age >= 60).all() and (out["native-country"] != "US").all()
    ranged = synth.sample(200, seed=0, conditions={"age": (30, 40), "native-country": ["Canada", "Mexico"]})
    assert ranged.age.between(30, 40).all() and ranged["native-country"].isin(["Canada", "Mexico"]).all()
    assert synth.sample(50, seed=4, where="sex == 'Male'").equals(synth.sample(50, seed=4, where="sex == 'Male'"))


def test_conditioned_rows_follow_the_conditional_distribution(people, fitted):
    out = fitted["autoregressive"].sample(2_000, seed=1, conditions={"sex": "Female"})
    real = people[people.sex == "Female"]
    assert abs(out["hours-per-week"].mean() - real["hours-per-week"].mean()) < 1.5  # 30, not the 37.5 of all
    assert out.age.mean() > 48  # women here are 18 to 90 (mean 53.5), men 18 to 60 (38.5)


def test_tvae_conditions_early_yet_draws_what_rejection_would():
    """TVAE draws the conditioned span first, from the decoder's last hidden layer; the rows it keeps must
    be distributed exactly as unconditional rows that happen to meet the condition."""
    rng = np.random.default_rng(3)
    group = rng.choice(["a", "b", "c"], 3_000, p=[0.6, 0.3, 0.1])
    table = pd.DataFrame({"group": group, "size": np.select([group == "a", group == "b"], [10.0, 50.0], 90.0)
                          + rng.normal(0, 2, 3_000), "flag": np.where(group == "c", "yes", rng.choice(["yes", "no"],
                                                                                                      3_000))})
    synth = veil.TVAESynthesizer(epochs=30, batch_size=100).fit(table)
    model = synth.model_
    span, code = synth.encoder_.category_code("group", "c")
    position = sorted(model.layout_.softmax_spans).index(span)
    native = model.sample(4_000, rng=np.random.default_rng(0), conditions={span: [code]})
    free = model.sample(40_000, rng=np.random.default_rng(1))
    matched = free.take(free.codes[:, position] == code)
    assert (native.codes[:, position] == code).all() and len(matched) > 1_000
    got, want, every = (synth.encoder_.decode(rows) for rows in (native, matched, free))
    assert abs(got["size"].mean() - want["size"].mean()) < 1.5
    assert abs((got.flag == "yes").mean() - (want.flag == "yes").mean()) < 0.04
    # and the condition matters: group c's rows differ from all rows
    assert got["size"].mean() - every["size"].mean() > 20


def test_an_impossible_value_lists_the_valid_ones_but_not_the_rare(fitted):
    for name, synth in fitted.items():
        with pytest.raises(InvalidDataError, match="has no category 'Germany'; valid values: ") as info:
            synth.sample(5, conditions={"native-country": "Germany"})
        assert "'Canada', 'Mexico', 'US'" in str(info.value), name
        # value protection replaced the categories of fewer than 5 people before any model saw them
        assert "Peru" not in str(info.value) and "Chile" not in str(info.value)
        with pytest.raises(InvalidDataError, match="has no category 'Peru'"):
            synth.sample(5, conditions={"native-country": "Peru"})


def test_conditions_on_unknown_or_unlearned_columns_are_refused(fitted):
    synth = fitted["copula"]
    with pytest.raises(InvalidDataError, match="not in the table"):
        synth.sample(5, conditions={"gender": "F"})
    with pytest.raises(InvalidDataError, match="a range \\(low, high\\)"):
        synth.sample(5, conditions={"age": (1, 2, 3)})
    with pytest.raises(InvalidDataError, match="too hard to meet"):
        synth.sample(5, where="age > 200")


@pytest.mark.parametrize("name", ["autoregressive", "copula"])
def test_sample_remaining_fills_the_other_columns_given_the_known_ones(people, fitted, name):
    known = pd.DataFrame({"sex": ["Female"] * 300 + ["Male"] * 300}, index=np.arange(600) + 1_000)
    out = fitted[name].sample_remaining(known, seed=0)
    assert out.index.equals(known.index) and list(out.columns) == list(people.columns)
    assert (out["sex"] == known["sex"]).all() and out.notna().all().all()
    hours = out.groupby("sex")["hours-per-week"].mean()
    assert hours["Female"] < 33 and hours["Male"] > 42  # 30 and 45 in the real rows
    numbers = pd.DataFrame({"age": [25, 70, 85], "sex": ["Female"] * 3})
    again = fitted[name].sample_remaining(numbers, seed=1)
    assert again["age"].tolist() == [25, 70, 85] and (again["sex"] == "Female").all()


def test_sample_remaining_keeps_constraints_and_refuses_broken_known_values():
    rng = np.random.default_rng(2)
    t = pd.DataFrame({"start": rng.integers(0, 10, 1_000).astype(float), "group": rng.choice(["a", "b"], 1_000)})
    t["end"] = t["start"] + rng.integers(0, 5, 1_000) + (t["group"] == "b") * 10
    meta = veil.Metadata.detect(t).update_column("start", sdtype="numerical")
    meta.add_constraint(veil.constraints.Inequality("start", "end"))
    synth = veil.AutoregressiveSynthesizer(metadata=meta, epochs=5).fit(t)
    out = synth.sample_remaining(pd.DataFrame({"end": [3.0, 12.0, 14.0]}), seed=0)
    assert out["end"].tolist() == [3.0, 12.0, 14.0] and (out["start"] <= out["end"]).all()
    with pytest.raises(InvalidDataError, match=r"break the constraints \(Inequality\(start <= end\): 1 rows\)"):
        synth.sample_remaining(pd.DataFrame({"start": [5.0, 1.0], "end": [3.0, 2.0]}))
    with pytest.raises(InvalidDataError, match="only learned columns"):
        synth.sample_remaining(pd.DataFrame({"colour": ["red"]}))
