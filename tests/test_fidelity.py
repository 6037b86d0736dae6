"""Fidelity scores: SDMetrics' definitions, hand-checked values, metadata handling, speed."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from veil.errors import InvalidDataError, InvalidParameterError
from veil.metadata import Column, Metadata
from veil.metrics.fidelity import (
    column_pair_trends,
    column_shapes,
    ks_complement,
    quality_score,
    tv_complement,
)

BOTH = pytest.mark.parametrize("compat", [True, False])


def related_table(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, Metadata]:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    hours = np.clip(60 - 0.4 * age + rng.normal(0, 4, n), 1, 99).round()
    sex = np.where(rng.random(n) < 0.5, "F", "M").astype(object)
    band = np.where(age > 50, "old", "young").astype(object)
    band[rng.random(n) < 0.05] = None
    table = pd.DataFrame({"age": age, "hours": hours, "sex": sex, "band": band})
    meta = Metadata([Column("age", "numerical", representation="int"), Column("hours", "numerical"),
                     Column("sex", "categorical"), Column("band", "categorical")])
    return table, meta


# ------------------------------------------------------------------------------------- basics
@BOTH
def test_identical_tables_score_one(compat):
    table, meta = related_table()
    q = quality_score(table, table.copy(), meta, sdmetrics_compat=compat)
    assert q == {"column_shapes": 1.0, "column_pair_trends": 1.0, "overall": 1.0}
    shapes = column_shapes(table, table, meta, sdmetrics_compat=compat)
    assert list(shapes.columns) == ["column", "metric", "score"]
    assert shapes["metric"].tolist() == ["KSComplement", "KSComplement", "TVComplement", "TVComplement"]
    pairs = column_pair_trends(table, table, meta, sdmetrics_compat=compat)
    assert list(pairs.columns) == ["column_1", "column_2", "metric", "score", "real_value", "synthetic_value",
                                   "contributes"]
    assert len(pairs) == 6 and (pairs["score"] == 1.0).all()
    assert (pairs["real_value"] == pairs["synthetic_value"]).all()


@BOTH
def test_shuffled_columns_keep_shapes_but_lose_trends(compat):
    table, meta = related_table()
    rng = np.random.default_rng(1)
    shuffled = table.apply(lambda col: col.to_numpy()[rng.permutation(len(col))])
    q = quality_score(table, shuffled, meta, sdmetrics_compat=compat)
    assert q["column_shapes"] == 1.0
    assert q["column_pair_trends"] < 0.85
    pairs = column_pair_trends(table, shuffled, meta, sdmetrics_compat=compat).set_index(["column_1", "column_2"])
    assert pairs.loc[("age", "hours"), "real_value"] < -0.8  # strongly related in the real table
    assert abs(pairs.loc[("age", "hours"), "synthetic_value"]) < 0.1
    assert pairs.loc[("age", "hours"), "score"] < 0.6


def test_different_tables_score_lower():
    table, meta = related_table()
    other = table.copy()
    other["age"] = other["age"] + 15
    other["sex"] = "F"
    q = quality_score(table, other, meta)
    assert q["column_shapes"] < 0.85 and q["overall"] < 0.95
    near, _ = related_table(seed=5)  # another sample of the same distribution
    assert quality_score(table, near, meta)["overall"] > 0.97


# ------------------------------------------------------------------------------ hand-computed
def test_hand_computed_ks_and_tv():
    meta = Metadata([Column("x", "numerical"), Column("c", "categorical")])
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "b", None]})
    syn = pd.DataFrame({"x": [1.0, 2.0, 2.0, 5.0], "c": ["a", "b", "b", "c"]})
    # CDFs at 1..5: real .25 .5 .75 1 1, synthetic .25 .75 .75 .75 1 -> D = .25
    for compat in (True, False):
        shapes = column_shapes(real, syn, meta, sdmetrics_compat=compat).set_index("column")["score"]
        assert shapes["x"] == pytest.approx(0.75)
        # compat drops the missing value: real a 2/3 b 1/3, synthetic a 1/4 b 1/2 c 1/4 -> TV 5/12
        # strict keeps it: real a .5 b .25 NA .25, synthetic a .25 b .5 c .25 -> TV .5
        assert shapes["c"] == pytest.approx(7 / 12 if compat else 0.5)
    assert ks_complement(np.array([0.0, np.nan, 1.0]), np.array([0.0, 1.0])) == 1.0
    assert tv_complement(np.array([0, 0, 1]), np.array([1, 1, 1]), 2) == pytest.approx(1 / 3)


def test_hand_computed_pairs():
    meta = Metadata([Column("x", "numerical"), Column("y", "numerical"), Column("a", "categorical"),
                     Column("b", "boolean")])
    real = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [2.0, 4, 6, 8], "a": ["p", "p", "q", "q"],
                         "b": [True, False, True, False]})
    syn = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [8.0, 6, 4, 2], "a": ["p", "q", "q", "q"],
                        "b": [True, True, True, False]})
    pairs = column_pair_trends(real, syn, meta, sdmetrics_compat=False).set_index(["column_1", "column_2"])
    row = pairs.loc[("x", "y")]
    assert row["metric"] == "CorrelationSimilarity"
    assert (row["real_value"], row["synthetic_value"], row["score"]) == pytest.approx((1.0, -1.0, 0.0))
    # joint frequencies of (a, b): real pT .25 pF .25 qT .25 qF .25; synthetic pT .25 qT .5 qF .25
    row = pairs.loc[("a", "b")]
    assert row["metric"] == "ContingencySimilarity"
    assert row["score"] == pytest.approx(1 - 0.5 * (0 + 0.25 + 0.25 + 0))
    assert row["real_value"] == pytest.approx(0.0)  # Cramer's V: a and b independent in the real table


# ---------------------------------------------------------------------------- discretization
def test_bins_fitted_on_real_column_vs_each_table():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 2000)
    real = pd.DataFrame({"x": x, "c": np.where(x > 5, "hi", "lo")})
    syn = pd.DataFrame({"x": x + 100, "c": np.where(x > 5, "hi", "lo")})  # same shape, shifted
    meta = Metadata([Column("x", "numerical"), Column("c", "categorical")])
    strict = column_pair_trends(real, syn, meta, sdmetrics_compat=False)["score"].iloc[0]
    compat = column_pair_trends(real, syn, meta, sdmetrics_compat=True)["score"].iloc[0]
    # real-fitted bins put every shifted value in the last bin, where the real table holds ~10% of
    # rows (all 'hi'): 1 - 0.5 * (|.1 - .5| + .5 + .9) = 0.1
    assert strict == pytest.approx(0.1, abs=0.02)
    # SDMetrics 0.32's report bins each table on its own range: the shift is invisible to this pair
    assert compat == 1.0
    assert column_shapes(real, syn, meta).set_index("column").loc["x", "score"] == 0.0  # KS sees it


def test_missing_numbers_are_a_category_in_pairs():
    meta = Metadata([Column("x", "numerical"), Column("c", "categorical")])
    real = pd.DataFrame({"x": [1.0, 2.0, np.nan, np.nan], "c": ["a", "a", "b", "b"]})
    syn = pd.DataFrame({"x": [1.0, 2.0, 1.5, 2.0], "c": ["a", "a", "b", "b"]})
    # strict: real (bin0,a) (bin9,a) (NA,b) (NA,b); synthetic (bin0,a) (bin9,a) (bin5,b) (bin9,b) -> 0.5
    assert column_pair_trends(real, syn, meta, sdmetrics_compat=False)["score"].iloc[0] == pytest.approx(0.5)
    # SDMetrics (numpy.digitize on finite edges) gives the maximum the same code as missing values, so
    # the real (2, a) and (NA, b) rows meet the synthetic (2, a) and (2, b) rows: 0.75
    assert column_pair_trends(real, syn, meta, sdmetrics_compat=True)["score"].iloc[0] == pytest.approx(0.75)


# ------------------------------------------------------------------------------ SDMetrics 0.32
def pinned_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(42)
    n = 3000
    x = rng.normal(50, 10, n)
    y = 0.8 * x + rng.normal(0, 5, n)
    group = np.where(x + rng.normal(0, 5, n) > 50, "high", "low").astype(object)
    colour = rng.choice(np.array(["red", "green", "blue", "grey"], dtype=object), n, p=[0.4, 0.3, 0.2, 0.1])
    day = np.datetime64("2020-01-01") + (x * 10).astype(int).astype("timedelta64[D]")
    real = pd.DataFrame({"x": x, "y": y, "group": group, "colour": colour,
                         "day": np.datetime_as_string(day, unit="D").astype(object)})
    real.loc[rng.random(n) < 0.05, "colour"] = None
    real.loc[rng.random(n) < 0.05, "y"] = np.nan
    m = 2500
    xs = rng.normal(52, 12, m)
    syn = pd.DataFrame({"x": xs, "y": 0.5 * xs + rng.normal(0, 8, m),
                        "group": np.where(xs + rng.normal(0, 10, m) > 52, "high", "low").astype(object),
                        "colour": rng.choice(np.array(["red", "green", "blue", "grey"], dtype=object), m,
                                             p=[0.3, 0.3, 0.3, 0.1]),
                        "day": np.datetime_as_string(np.datetime64("2020-01-01")
                                                     + (xs * 10).astype(int).astype("timedelta64[D]"),
                                                     unit="D").astype(object)})
    syn.loc[rng.random(m) < 0.1, "x"] = np.nan
    return real, syn


def test_matches_sdmetrics_quality_report():
    # SDMetrics 0.32.0's QualityReport on these tables (computed once, in its own environment):
    # Column Shapes 0.8068183698677313, Column Pair Trends 0.8890258972850641, overall 0.8479221335763977
    real, syn = pinned_tables()
    meta = Metadata([Column("x", "numerical"), Column("y", "numerical"), Column("group", "categorical"),
                     Column("colour", "categorical"), Column("day", "datetime", datetime_format="%Y-%m-%d")])
    q = quality_score(real, syn, meta)
    assert q["column_shapes"] == pytest.approx(0.8068183698677313, abs=1e-9)
    assert q["column_pair_trends"] == pytest.approx(0.8890258972850641, abs=1e-9)
    assert q["overall"] == pytest.approx(0.8479221335763977, abs=1e-9)
    shapes = column_shapes(real, syn, meta).set_index("column")["score"]
    assert shapes.to_numpy() == pytest.approx([0.852454, 0.475187, 0.968067, 0.883450, 0.854933], abs=1e-6)
    pairs = column_pair_trends(real, syn, meta)
    assert pairs["contributes"].tolist() == [True, True, False, True, True, False, True, False, True, False]
    assert pairs.loc[1, "real_value"] == pytest.approx(0.753675, abs=1e-6)  # SDMetrics' "Real Association"


# ------------------------------------------------------------------------------------ metadata
def test_only_learned_columns_in_both_tables_are_scored():
    rng = np.random.default_rng(0)
    n = 500
    dob = np.datetime64("1950-01-01") + rng.integers(0, 20000, n).astype("timedelta64[D]")
    real = pd.DataFrame({
        "id": np.arange(n), "email": [f"p{i}@example.com" for i in range(n)],
        "dob": np.datetime_as_string(dob, unit="D"), "zip": rng.choice(["02139", "10001", "94105"], n),
        "income": rng.normal(5e4, 1e4, n), "only_real": rng.random(n),
    })
    syn = real.drop(columns=["only_real"]).copy()
    syn["dob"] = pd.to_datetime(syn["dob"])  # native datetimes on one side, text on the other
    syn["email"] = "someone@example.com"
    meta = Metadata([Column("id", "id"), Column("email", "email"),
                     Column("dob", "date_of_birth", datetime_format="%Y-%m-%d"),
                     Column("zip", "postal_code"), Column("income", "numerical"), Column("only_real", "numerical")])
    shapes = column_shapes(real, syn, meta)
    assert shapes["column"].tolist() == ["dob", "zip", "income"]
    assert shapes["metric"].tolist() == ["KSComplement", "TVComplement", "KSComplement"]
    assert (shapes["score"] == 1.0).all()
    assert len(column_pair_trends(real, syn, meta)) == 3


def test_numbers_as_text_and_category_types_are_reconciled():
    meta = Metadata([Column("n", "numerical"), Column("code", "categorical")])
    real = pd.DataFrame({"n": [1, 2, 3, 4], "code": [1, 2, 2, 3]})
    syn = pd.DataFrame({"n": ["1", "2", "3", "4"], "code": ["1", "2", "2", "3"]})
    assert quality_score(real, syn, meta)["overall"] == 1.0
    syn = pd.DataFrame({"n": [1.0, 2.0, 3.0, 4.0], "code": [1.0, 2.0, 2.0, np.nan]})
    shapes = column_shapes(real, syn, meta, sdmetrics_compat=False).set_index("column")["score"]
    assert shapes["n"] == 1.0 and shapes["code"] == pytest.approx(0.75)


def test_cramers_v_matches_scipy_and_high_cardinality_is_sparse():
    from scipy.stats.contingency import association

    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 3000)
    b = (a + rng.integers(0, 3, 3000)) % 5
    meta = Metadata([Column("a", "categorical"), Column("b", "categorical")])
    table = pd.DataFrame({"a": a.astype(str), "b": b.astype(str)})
    value = column_pair_trends(table, table, meta)["real_value"].iloc[0]
    assert value == pytest.approx(association(pd.crosstab(a, b).to_numpy(), method="cramer"))
    # 3000 x 3000 possible cells: counted sparsely, still exact
    wide = pd.DataFrame({"u": [f"u{i}" for i in range(3000)], "v": [f"v{i % 2999}" for i in range(3000)],
                         "note": ["free text"] * 3000})
    meta = Metadata([Column("u", "categorical"), Column("v", "categorical"), Column("note", "text")])
    pairs = column_pair_trends(wide, wide, meta)
    assert len(pairs) == 1 and pairs["score"].iloc[0] == 1.0  # the text column is not scored
    shifted = wide.assign(v=wide["v"].to_numpy()[::-1])
    assert column_pair_trends(wide, shifted, meta)["score"].iloc[0] < 0.01


# -------------------------------------------------------------------------------- sampling, errors
def test_sampling_is_seeded_and_bounded():
    table, meta = related_table(6000)
    other, _ = related_table(6000, seed=3)
    a = quality_score(table, other, meta, max_rows=1000, seed=7)
    assert a == quality_score(table, other, meta, max_rows=1000, seed=7)
    assert a != quality_score(table, other, meta, max_rows=1000, seed=8)
    assert quality_score(table, table, meta, max_rows=10_000)["overall"] == 1.0


def test_errors_are_clear():
    table, meta = related_table(100)
    with pytest.raises(InvalidDataError, match="synthetic table must be a pandas DataFrame"):
        quality_score(table, table.to_numpy(), meta)
    with pytest.raises(InvalidDataError, match="no learned column"):
        quality_score(table, table.rename(columns=str.upper), meta)
    with pytest.raises(InvalidParameterError, match="'max_rows'"):
        column_shapes(table, table, meta, max_rows=0)
    with pytest.raises(InvalidParameterError, match="Metadata"):
        column_shapes(table, table, {"columns": {}})
    assert column_shapes(table.rename(columns=str.upper), table, meta).empty


def test_constant_and_empty_columns_give_nan_not_errors():
    meta = Metadata([Column("x", "numerical"), Column("k", "numerical")])
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0], "k": [5.0, 5.0, 5.0]})
    syn = pd.DataFrame({"x": [1.0, 2.0, 3.0], "k": [np.nan, np.nan, np.nan]})
    pairs = column_pair_trends(real, syn, meta)
    assert np.isnan(pairs["score"].iloc[0]) and not pairs["contributes"].iloc[0]
    assert np.isnan(column_shapes(real, syn, meta).set_index("column").loc["k", "score"])
    assert column_shapes(real, syn, meta, sdmetrics_compat=False).set_index("column").loc["k", "score"] == 0.0
    q = quality_score(real, syn, meta)
    assert q["column_shapes"] == 1.0 and np.isnan(q["column_pair_trends"]) and q["overall"] == 1.0


# ----------------------------------------------------------------------------------------- speed
def test_adult_sized_table_is_fast():
    rng = np.random.default_rng(0)
    n = 40_000
    cols: dict[str, np.ndarray] = {}
    metas = []
    for i in range(6):
        cols[f"num{i}"] = rng.normal(size=n) * 0.5 + (cols["num0"] if i else 0)
        metas.append(Column(f"num{i}", "numerical"))
    for i in range(9):
        cols[f"cat{i}"] = rng.choice(np.array([f"v{k}" for k in range(3 + 4 * i)], dtype=object), n)
        metas.append(Column(f"cat{i}", "categorical"))
    real = pd.DataFrame(cols)
    syn = real.sample(frac=1.0, random_state=1).reset_index(drop=True)
    syn["num1"] = rng.permutation(syn["num1"].to_numpy())
    start = time.perf_counter()
    q = quality_score(real, syn, Metadata(metas))
    elapsed = time.perf_counter() - start
    assert q["column_shapes"] == 1.0 and q["column_pair_trends"] < 1.0
    assert elapsed < 5.0, f"{elapsed:.2f}s"  # about 0.2 s on a laptop
