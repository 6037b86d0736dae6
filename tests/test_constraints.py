"""Constraints: each rule's check, JSON, validation of the real data, enforcement in every synthesizer."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import veil
from veil import InvalidDataError
from veil.constraints import (
    Expression,
    FixedCombinations,
    FixedIncrements,
    Inequality,
    Negative,
    OneHot,
    Positive,
    Range,
    Unique,
    rule_from_dict,
)
from veil.constraints.plan import ConstraintPlan


@pytest.fixture(scope="module")
def houses() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 2_000
    built = rng.integers(1950, 2000, n)
    city = rng.choice(["Paris", "Lyon", "Nice"], n, p=[0.5, 0.3, 0.2])
    lo = rng.uniform(0, 1, n).round(3)
    hi = (lo + rng.uniform(0.01, 2, n)).round(3)
    hot = rng.integers(0, 3, n)
    t = pd.DataFrame({
        "built": built, "renovated": built + rng.integers(0, 20, n), "price": rng.integers(100, 900, n) * 1000,
        "city": city, "zip": np.select([city == "Paris", city == "Lyon"], [75001, 69001], 6000),
        "score": rng.uniform(0, 10, n).round(2), "lo": lo, "hi": hi,
        "sold": pd.to_datetime("2014-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
        "loss": -rng.integers(0, 50, n), "a": (hot == 0).astype(int), "b": (hot == 1).astype(int),
        "c": (hot == 2).astype(int)})
    t["mid"] = np.clip((lo + (hi - lo) * rng.uniform(0, 1, n)).round(3), lo, hi)
    return t.drop_duplicates(["score", "mid"]).reset_index(drop=True)


RULES = [Inequality("built", "renovated"), FixedIncrements("price", 1000), FixedCombinations(["city", "zip"]),
         Range("score", 0, 10), Range("mid", "lo", "hi"), Positive("price", strict=True), Negative("loss"),
         OneHot(["a", "b", "c"]), Expression("year(sold) >= built"), Unique(["score", "mid"])]


def with_rules(table: pd.DataFrame, rules=RULES) -> veil.Metadata:
    return veil.Metadata.detect(table).add_constraint(*rules)


def test_each_rule_checks_rows_and_lets_missing_cells_pass():
    t = pd.DataFrame({"x": [1.0, 5.0, np.nan, -2.0], "y": [2.0, 4.0, 1.0, np.nan], "k": [1, 0, 0, 1],
                      "j": [0, 0, 1, 1]})
    assert Inequality("x", "y").is_valid(t).tolist() == [True, False, True, True]
    assert Inequality("x", "y", strict=True).is_valid(t.assign(y=[1.0, 6, 1, -3])).tolist() == [False, True, True,
                                                                                               False]
    assert Range("x", 0, 4).is_valid(t).tolist() == [True, False, True, False]
    assert Range("x", "y", None).is_valid(t).tolist() == [False, True, True, True]
    assert Positive("x").is_valid(t).tolist() == [True, True, True, False]
    assert Negative("x", strict=True).is_valid(t).tolist() == [False, False, True, True]
    assert FixedIncrements("x", 0.5).is_valid(t.assign(x=[1.5, 1.2, np.nan, 3])).tolist() == [True, False, True,
                                                                                              True]
    assert OneHot(["k", "j"]).is_valid(t).tolist() == [True, False, True, False]
    assert Unique(["k", "j"]).is_valid(t).tolist() == [True, True, True, True]
    assert Unique("k").is_valid(t).tolist() == [True, True, False, False]
    assert Expression("x + 1 <= y or isnull(x)").is_valid(t).tolist() == [True, False, True, True]


def test_rules_round_trip_through_json_in_the_metadata(houses):
    meta = with_rules(houses, RULES + [Range("sold", pd.Timestamp("2014-01-01"), None)])
    again = veil.Metadata.from_json(meta.to_json())
    assert again.constraints == meta.constraints
    assert [rule_from_dict(json.loads(json.dumps(r.to_dict()))) for r in RULES] == RULES
    with pytest.raises(InvalidDataError, match="kind"):
        rule_from_dict({"kind": "lambda", "code": "__import__('os')"})


def test_a_subset_keeps_an_expression_on_hyphenated_names_it_still_has():
    table = pd.DataFrame({"capital-gain": [0, 5], "capital-loss": [3, 0], "age": [30, 40]})
    meta = veil.Metadata.detect(table)
    meta.add_constraint(Expression("capital-gain == 0 or capital-loss == 0"))  # no backquotes
    assert meta.subset(["capital-gain", "capital-loss"]).constraints == meta.constraints
    assert meta.subset(["capital-gain", "age"]).constraints == []


def test_bad_rules_say_what_is_wrong(houses):
    meta = veil.Metadata.detect(houses)
    with pytest.raises(InvalidDataError, match="'nope'"):
        meta.add_constraint(Inequality("built", "nope"))
    with pytest.raises(InvalidDataError, match="numbers or datetimes"):
        veil.Metadata.detect(houses).add_constraint(Inequality("city", "built"))
    with pytest.raises(InvalidDataError, match="one kind"):
        veil.Metadata.detect(houses).add_constraint(Inequality("sold", "built"))
    with pytest.raises(InvalidDataError, match="increment must be a number > 0"):
        FixedIncrements("price", 0)
    with pytest.raises(InvalidDataError, match="character 7"):
        Expression("price =< 3")


def test_validate_counts_violations_without_showing_values(houses):
    broken = houses.copy()
    broken.loc[:6, "renovated"] = broken.loc[:6, "built"] - 1  # 7 rows
    broken.loc[:2, "score"] = 123.45
    meta = with_rules(houses)
    counts = meta.constraint_violations(broken)
    assert counts == {"Inequality(built <= renovated)": 7, "Range(0 <= score <= 10)": 3}
    with pytest.raises(InvalidDataError) as info:
        veil.GaussianCopulaSynthesizer(metadata=meta).fit(broken)
    message = str(info.value)
    assert "broken by 7 of" in message and "123.45" not in message and str(broken.loc[0, "built"] - 1) not in message


def test_transforms_give_back_the_real_rows(houses):
    meta = with_rules(houses)
    learned = houses[[c.name for c in meta if c.learned]]
    plan = ConstraintPlan.fit(meta.constraints, learned, meta)
    assert [type(t).__name__ for t in plan.transforms] == ["_Difference", "_Steps", "_Merge", "_Fraction", "_Merge"]
    assert "city+zip" in plan.metadata.names and "a+b+c" in plan.metadata.names
    back = plan.reverse(plan.transform(learned))
    pd.testing.assert_frame_equal(back[learned.columns], learned, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("cls, options", [(veil.GaussianCopulaSynthesizer, {}),
                                          (veil.AutoregressiveSynthesizer, {"epochs": 3}),
                                          (veil.TVAESynthesizer, {"epochs": 2}),
                                          (veil.CTGANSynthesizer, {"epochs": 1})])
def test_every_row_keeps_every_rule(houses, cls, options, tmp_path):
    meta = with_rules(houses)
    synth = cls(metadata=meta, **options).fit(houses)
    out = synth.sample(5_000, seed=1)
    assert len(out) == 5_000 and meta.constraint_violations(out) == {}
    combos = set(map(tuple, houses[["city", "zip"]].drop_duplicates().to_numpy().tolist()))
    assert set(map(tuple, out[["city", "zip"]].drop_duplicates().to_numpy().tolist())) <= combos
    assert (out["price"] % 1000 == 0).all() and not out[["score", "mid"]].duplicated().any()
    assert out.dtypes.to_dict() == houses.dtypes.to_dict()
    synth.save(tmp_path / "m.veil")
    pd.testing.assert_frame_equal(veil.load(tmp_path / "m.veil").sample(5_000, seed=1), out)


def test_a_rule_that_rejects_almost_everything_fails_clearly(houses):
    meta = veil.Metadata.detect(houses).add_constraint(Expression("price >= 800000 and score < 1"))
    rare = houses[(houses.price >= 800000) & (houses.score < 1)]
    synth = veil.GaussianCopulaSynthesizer(metadata=meta).fit(pd.concat([rare, houses.iloc[:0]]))
    assert len(synth.sample(100)) == 100  # rare in the real data, but the rule is learned, not fought
    synth.constraints_.rules.append(Expression("built > 3000"))  # nothing keeps this one
    with pytest.raises(InvalidDataError, match=r"too hard to meet: only 0 of .* rows \(0\.000%\) kept them "
                                               r"\(Expression\(built > 3000\) rejected 100\.0%\)"):
        synth.sample(10)
