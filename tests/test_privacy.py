"""Privacy measures: hand-checked distances, attack risks, group sizes, input checks, and Adult acceptance."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from veil.errors import InvalidDataError, InvalidParameterError
from veil.metadata import Column, Metadata
from veil.metrics.privacy import (
    _membership_risk,
    _risk,
    _wilson,
    distance_to_closest_record,
    entropy_l_diversity,
    inference_risk,
    k_anonymity,
    l_diversity,
    linkability_risk,
    membership_inference,
    singling_out_risk,
    t_closeness,
    unique_matches,
)

SECRET = "Zebulon-Q-7731"  # a raw value that must never appear in a message


def mixed(n: int, seed: int) -> tuple[pd.DataFrame, Metadata]:
    """A table with every compared kind (and a column that is not compared), with missing values."""
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(10, 0.5, n), 2)
    income[rng.random(n) < 0.05] = np.nan
    city = rng.choice(["Lyon", "Oslo", "Quito", SECRET], n).astype(object)
    city[rng.random(n) < 0.05] = None
    joined = (pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")).strftime("%d/%m/%Y")
    table = pd.DataFrame({"id": np.arange(n), "age": rng.integers(18, 90, n), "income": income, "city": city,
                          "member": rng.random(n) < 0.4, "joined": joined})
    meta = Metadata([Column("id", "id"), Column("age", "numerical", representation="int"),
                     Column("income", "numerical", representation="float"), Column("city", "categorical"),
                     Column("member", "boolean"), Column("joined", "datetime", datetime_format="%d/%m/%Y")])
    return table, meta


# -------------------------------------------------------------------------------- distances
def test_copied_rows_are_at_distance_zero_and_distances_lie_in_unit_range():
    train, meta = mixed(400, 0)
    holdout, _ = mixed(300, 1)
    other, _ = mixed(200, 2)
    synthetic = pd.concat([train.iloc[:50], other], ignore_index=True)
    result = distance_to_closest_record(train, synthetic, holdout, meta)
    dcr = result["dcr_synthetic"]
    assert len(dcr) == 250 and len(result["dcr_holdout"]) == 300
    assert (dcr[:50] == 0).all()
    assert ((dcr >= 0) & (dcr <= 1)).all() and (dcr[50:] > 0).mean() > 0.9
    assert result["exact_match_rate"] == pytest.approx(50 / 250, abs=0.02)
    assert result["columns"] == ["age", "income", "city", "member", "joined"]  # the id is not compared
    assert result["rows_used"] == {"train": 400, "synthetic": 250, "holdout": 300, "share_sides": 300}


def test_hand_computed_distances():
    meta = Metadata([Column("x", "numerical"), Column("c", "categorical"), Column("d", "datetime",
                                                                                  datetime_format="%Y-%m-%d")])
    train = pd.DataFrame({"x": [0.0, 10.0], "c": ["a", "b"], "d": ["2020-01-01", "2020-01-11"]})
    synthetic = pd.DataFrame({
        "x": [0.0, 0.0, 2.5, 50.0, np.nan, 0.0],
        "c": ["a", "z", "a", "a", "a", None],
        "d": ["2020-01-01", "2020-01-01", "2020-01-01", "2020-01-01", "2020-01-01", "2020-01-03"],
    })
    result = distance_to_closest_record(train, synthetic, train.iloc[:1], meta)
    expected = [
        0.0,  # a copy of the first training row
        1 / 3,  # a category mismatch counts 1 / n_columns
        0.25 / 3,  # 2.5 over a range of 10
        1 / 3,  # |50 - 0| / 10 is capped at 1
        1 / 3,  # a missing number against a value counts 1
        (0 + 1 + 0.2) / 3,  # a missing category against a value counts 1; 2 days over a range of 10 days
    ]
    assert result["dcr_synthetic"] == pytest.approx(expected)
    assert result["exact_match_rate"] == pytest.approx(1 / 6)


def test_missing_against_missing_counts_zero_and_constant_columns_compare_as_categories():
    meta = Metadata([Column("x", "numerical"), Column("k", "numerical")])
    train = pd.DataFrame({"x": [np.nan, 1.0, 3.0], "k": [5.0, 5.0, 5.0]})
    synthetic = pd.DataFrame({"x": [np.nan, 1.0], "k": [5.0, 5.001]})
    result = distance_to_closest_record(train, synthetic, train, meta)
    # k is constant in training: 5.001 differs from 5 as a category would, by a whole 1
    assert result["dcr_synthetic"] == pytest.approx([0.0, 0.5])


def test_nndr_and_shares():
    meta = Metadata([Column("x", "numerical")])
    train = pd.DataFrame({"x": [0.0, 1.0, 10.0, 10.0]})
    holdout = pd.DataFrame({"x": [5.0, 7.0, 3.0, 4.0]})
    synthetic = pd.DataFrame({"x": [0.0, 0.5, 10.0]})
    result = distance_to_closest_record(train, synthetic, holdout, meta)
    # closest / second closest: 0 / 0.1, 0.05 / 0.05, 0 / 0 (a duplicated row) -> 0, 1, 1
    assert result["nndr"] == pytest.approx([0.0, 1.0, 1.0])
    assert result["dcr_share"] == 1.0  # every row is closer to train
    assert result["dcr_share_equal_size"] == 1.0
    copies_of_holdout = distance_to_closest_record(train, holdout, holdout, meta)
    assert copies_of_holdout["dcr_share"] == 0.0 and copies_of_holdout["dcr_share_equal_size"] == 0.0
    # a tie is shared in proportion to the rows tied (1 training, 2 holdout): 1/3 closer to train, where
    # chance is 2/4, rescaled to 0.5 * (1/3) / (1/2); the equal-size share counts a tie half
    tie = distance_to_closest_record(pd.DataFrame({"x": [1.0, 5.0]}), pd.DataFrame({"x": [2.0]}),
                                     pd.DataFrame({"x": [3.0, 3.0]}), meta)
    assert tie["dcr_share"] == pytest.approx(1 / 3)
    assert tie["dcr_share_equal_size"] == 0.5


def test_dcr_share_rescales_around_the_chance_of_a_training_row():
    # 3 training rows and 1 holdout row: chance 3/4. Synthetic rows at 0 (closest: training), 10 (holdout)
    meta = Metadata([Column("x", "numerical")])
    train = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    holdout = pd.DataFrame({"x": [10.0]})
    for synthetic, closer in (([0.0, 0.0, 0.0, 10.0], 3 / 4), ([0.0, 10.0], 1 / 2), ([0.0] * 9 + [10.0], 9 / 10)):
        share = distance_to_closest_record(train, pd.DataFrame({"x": synthetic}), holdout, meta)["dcr_share"]
        expected = 0.5 * closer / 0.75 if closer <= 0.75 else 0.5 + 0.5 * (closer - 0.75) / 0.25
        assert share == pytest.approx(expected)
    assert distance_to_closest_record(train, pd.DataFrame({"x": [0.0, 0.0, 0.0, 10.0]}), holdout,
                                      meta)["dcr_share"] == pytest.approx(0.5)


def test_share_is_about_half_for_an_independent_table_whatever_the_sizes():
    train, meta = mixed(2000, 0)
    holdout, _ = mixed(1000, 1)
    fresh, _ = mixed(2000, 2)
    result = distance_to_closest_record(train, fresh, holdout, meta, seed=3)
    assert 0.45 <= result["dcr_share"] <= 0.55
    assert 0.45 <= result["dcr_share_equal_size"] <= 0.55
    copies = distance_to_closest_record(train, train, holdout, meta, seed=3)
    assert copies["dcr_share"] > 0.95
    # copies of the half left out of the equal-size sample score about 0.5: 0.5 * 1 + 0.5 * 0.5
    assert 0.65 < copies["dcr_share_equal_size"] < 0.85


def test_sampling_is_seeded_and_bounded():
    train, meta = mixed(500, 0)
    holdout, _ = mixed(300, 1)
    synthetic, _ = mixed(400, 2)
    a = distance_to_closest_record(train, synthetic, holdout, meta, max_rows=200, seed=7)
    b = distance_to_closest_record(train, synthetic, holdout, meta, max_rows=200, seed=7)
    assert a["rows_used"] == {"train": 200, "synthetic": 200, "holdout": 200, "share_sides": 200}
    np.testing.assert_array_equal(a["dcr_synthetic"], b["dcr_synthetic"])
    assert a["dcr_share"] == b["dcr_share"]


def test_mixed_types_across_tables_compare_as_text():
    meta = Metadata([Column("code", "categorical")])
    train = pd.DataFrame({"code": [1, 2, 3]})
    synthetic = pd.DataFrame({"code": ["1", "4"]})
    result = distance_to_closest_record(train, synthetic, train, meta)
    assert result["dcr_synthetic"] == pytest.approx([0.0, 1.0])


# ---------------------------------------------------------------------------- membership
def test_membership_inference_separates_copies_from_fresh_rows():
    train, meta = mixed(1000, 0)
    holdout, _ = mixed(1000, 1)
    fresh, _ = mixed(1000, 2)
    leaked = membership_inference(train, train, holdout, meta)
    assert leaked["auc"] > 0.95 and leaked["tpr_at_1pct_fpr"] > 0.5
    assert leaked["median_distance_members"] == 0.0
    private = membership_inference(train, fresh, holdout, meta)
    assert abs(private["auc"] - 0.5) < 0.06
    assert private["rows_used"] == {"members": 1000, "non_members": 1000, "synthetic": 1000}
    few = membership_inference(train, fresh, holdout, meta, n_candidates=100, max_rows=300)
    assert few["rows_used"] == {"members": 100, "non_members": 100, "synthetic": 300}


# ---------------------------------------------------------------------------- attack risks
def test_wilson_interval_and_risk_formula():
    centre, low, high = _wilson(50, 100)
    assert centre == pytest.approx(0.5) and (low, high) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    assert _wilson(0, 10)[1] == 0.0 and _wilson(10, 10)[2] == pytest.approx(1.0)
    result = _risk(80, 20, 5, 100)
    m, c = result["main_rate"], result["control_rate"]
    assert result["risk"] == pytest.approx((m - c) / (1 - c))
    low, high = result["risk_ci"]
    assert 0 < low < result["risk"] < high < 1
    assert _risk(10, 30, 5, 100)["risk"] == 0.0  # clipped
    assert set(result) >= {"risk", "risk_ci", "main_rate", "control_rate", "baseline_rate", "n_attacks"}


def test_attacks_find_copies_but_not_fresh_rows():
    train, meta = mixed(1500, 0)
    holdout, _ = mixed(500, 1)  # unequal sizes
    fresh, _ = mixed(1500, 2)
    halves = (["age", "city", "member"], ["income", "joined"])
    for synthetic, leaks in ((train, True), (fresh, False)):
        so = singling_out_risk(train, synthetic, holdout, meta, n_attacks=200)
        link = linkability_risk(train, synthetic, holdout, meta, aux_columns=halves, n_attacks=200)
        inf = inference_risk(train, synthetic, holdout, meta, secret="income", n_attacks=200)
        for result in (so, link, inf):
            low, high = result["risk_ci"]
            assert 0 <= low <= result["risk"] <= high <= 1
            assert (low > 0) == leaks, result
        assert so["control_rate"] == 0.75 and so["n_attacks"] == 200
    assert link["baseline_rate"] < 0.02 and link["n_attacks"] == 200


def test_singling_out_against_the_exact_chance_of_a_training_row():
    meta = Metadata([Column("code", "categorical"), Column("x", "numerical")])
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"code": [f"c{i}" for i in range(400)], "x": rng.integers(0, 5, 400).astype(float)})
    train, holdout = real.iloc[:300], real.iloc[300:]
    # every code singles out one row: copies of training rows single out training rows only
    copies = singling_out_risk(train, train, holdout, meta, n_attacks=100)
    assert copies["control_rate"] == 0.75 and copies["control_ci"] == (0.75, 0.75)
    assert copies["n_attacks"] == 100 and copies["main_rate"] > 0.95
    assert copies["risk"] == pytest.approx((copies["main_rate"] - 0.75) / 0.25)
    assert copies["rows_used"] == {"train": 300, "synthetic": 300, "holdout": 100}
    # copies of holdout rows: no training row is singled out, and the risk is clipped at 0
    other = singling_out_risk(train, holdout, holdout, meta)
    assert other["main_rate"] < 0.05 and other["risk"] == 0.0 and other["risk_ci"] == (0.0, 0.0)
    assert other["n_attacks"] == 100  # at most one predicate per synthetic row
    # predicates that single out a synthetic row but no real row: nothing measured
    unseen = singling_out_risk(train, real.assign(code="new" + real["code"]), holdout, meta)
    assert unseen["n_attacks"] == 0 and np.isnan(unseen["main_rate"]) and unseen["risk_ci"] == (0.0, 1.0)


def test_membership_risk_formula():
    result = _membership_risk(90, 100, 70, 90, 0.8)
    m, (low, high) = result["main_rate"], result["main_ci"]
    assert m == pytest.approx(_wilson(90, 100)[0])
    assert result["risk"] == pytest.approx((m - 0.8) / 0.2)
    assert result["risk_ci"] == pytest.approx((max(0.0, (low - 0.8) / 0.2), (high - 0.8) / 0.2))
    assert result["control_rate"] == 0.8 and result["n_baseline"] == 90
    assert _membership_risk(70, 100, 0, 0, 0.8)["risk"] == 0.0


def test_inference_tolerance_and_neighbours():
    meta = Metadata([Column("a", "categorical"), Column("s", "numerical")])
    train = pd.DataFrame({"a": list("pqrs"), "s": [100.0, 200.0, 300.0, np.nan]})
    synthetic = pd.DataFrame({"a": list("pqrs"), "s": [104.0, 211.0, 300.0, np.nan]})
    # guessed from the row with the same category: 104 is within 5% of 100, 211 is not, 300 is exact, and
    # missing guesses missing
    result = inference_risk(train, synthetic, train, meta, secret="s", n_attacks=4)
    assert result["main_rate"] == pytest.approx(_wilson(3, 4)[0])
    assert result["risk"] == 0.0  # the holdout is the training table here: nothing beyond it is learnt
    assert inference_risk(train, synthetic, train.iloc[:1], meta, secret="s")["n_attacks"] == 1
    link = linkability_risk(train, synthetic, train, meta, aux_columns=(["a"], ["s"]), n_neighbors=2)
    assert link["n_attacks"] == 4


# ---------------------------------------------------------------------------- group sizes
def test_entropy_l_diversity_and_t_closeness_match_hand_worked_values():
    table = pd.DataFrame({"zip": ["a"] * 4 + ["b"] * 4,
                          "illness": ["flu", "flu", "cold", "cold", "flu", "flu", "flu", "cancer"]})
    assert l_diversity(table, ["zip"], "illness") == 2
    # group b: -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.5623, exp = 1.7548
    assert entropy_l_diversity(table, ["zip"], "illness") == pytest.approx(1.7548, abs=1e-4)
    # overall flu 5/8, cold 2/8, cancer 1/8; both groups are 0.25 away in total variation
    assert t_closeness(table, ["zip"], "illness") == pytest.approx(0.25)
    # Li et al.'s salary example: {3k, 4k, 5k} against 3k..11k is 0.375 away (ordered distance)
    salaries = pd.DataFrame({"zip": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
                             "salary": [3, 4, 5, 6, 8, 11, 7, 9, 10]})
    assert t_closeness(salaries, ["zip"], "salary") == pytest.approx(0.375)
    assert t_closeness(salaries.iloc[3:6], ["zip"], "salary") == 0.0


def test_k_anonymity_l_diversity_unique_matches():
    table = pd.DataFrame({
        "zip": ["1", "1", "1", "2", "2", None, None],
        "sex": ["F", "F", "F", "M", "M", "F", "F"],
        "illness": ["flu", "cold", "flu", "flu", "flu", "flu", None],
    })
    assert k_anonymity(table, ["zip", "sex"]) == 2  # (2, M) and (missing, F) hold 2 rows each
    assert k_anonymity(table.iloc[[0, 1, 2, 5, 6]], "sex") == 5
    assert l_diversity(table, ["zip", "sex"], "illness") == 1  # (2, M) only has flu
    assert l_diversity(table, ["zip"], "illness") == 1
    assert l_diversity(table, ["sex"], "illness") == 1
    assert l_diversity(table.iloc[[0, 1, 5, 6]], ["sex"], "illness") == 3  # flu, cold and missing
    train = pd.DataFrame({"zip": [1, 1, 2, np.nan], "sex": ["F", "F", "M", "F"]})
    synthetic = pd.DataFrame({"zip": [1.0, 2.0, 2.0, np.nan, 3.0], "sex": ["F", "M", "M", "F", "F"]})
    # (1, F) matches two training rows; (2, M) one, twice; (missing, F) one; (3, F) none
    assert unique_matches(train, synthetic, ["zip", "sex"]) == 3
    assert unique_matches(train, synthetic.iloc[:0], ["zip"]) == 0


# ---------------------------------------------------------------------------- input checks
def test_inputs_are_checked_without_showing_values():
    train, meta = mixed(50, 0)
    holdout, _ = mixed(50, 1)
    calls = [
        (InvalidDataError, lambda: distance_to_closest_record(train.to_numpy(), train, holdout, meta)),
        (InvalidDataError, lambda: distance_to_closest_record(train, train.iloc[:0], holdout, meta)),
        (InvalidParameterError, lambda: distance_to_closest_record(train, train, holdout, meta, max_rows=0)),
        (InvalidParameterError, lambda: distance_to_closest_record(train, train, holdout, meta, seed=-1)),
        (InvalidParameterError, lambda: distance_to_closest_record(train, train, holdout, {"columns": []})),
        (InvalidDataError, lambda: distance_to_closest_record(train[["id"]], train, holdout, meta)),
        (InvalidParameterError, lambda: membership_inference(train, train, holdout, meta, n_candidates=0)),
        (InvalidParameterError, lambda: singling_out_risk(train, train, holdout, meta, n_attacks=True)),
        (InvalidParameterError, lambda: inference_risk(train, train, holdout, meta, secret="nope")),
        (InvalidParameterError, lambda: inference_risk(train, train, holdout, meta, secret="age",
                                                       aux_columns=["age", "city"])),
        (InvalidParameterError, lambda: inference_risk(train, train, holdout, meta, secret="age",
                                                       aux_columns=["id"])),
        (InvalidParameterError, lambda: linkability_risk(train, train, holdout, meta, aux_columns=["age"])),
        (InvalidParameterError, lambda: linkability_risk(train, train, holdout, meta,
                                                         aux_columns=(["age"], []))),
        (InvalidParameterError, lambda: linkability_risk(train, train, holdout, meta,
                                                         aux_columns=(["age"], ["city"]), n_neighbors=51)),
        (InvalidParameterError, lambda: k_anonymity(train, ["nope"])),
        (InvalidParameterError, lambda: k_anonymity(train, [])),
        (InvalidParameterError, lambda: l_diversity(train, ["age"], "nope")),
        (InvalidDataError, lambda: k_anonymity(train.iloc[:0], ["age"])),
        (InvalidParameterError, lambda: unique_matches(train, holdout[["age"]], ["city"])),
    ]
    for error, call in calls:
        with pytest.raises(error) as info:
            call()
        assert SECRET not in str(info.value)


def test_duplicated_column_names_are_refused():
    meta = Metadata([Column("x", "numerical")])
    table = pd.DataFrame([[1.0, 2.0]], columns=["x", "x"])
    with pytest.raises(InvalidDataError, match="more than once"):
        distance_to_closest_record(table, table, table, meta)


def test_singling_out_needs_distinct_synthetic_rows():
    meta = Metadata([Column("c", "categorical")])
    table = pd.DataFrame({"c": ["a", "a", "b", "b"]})
    with pytest.raises(InvalidDataError, match="singles out"):
        singling_out_risk(table, table, table, meta, n_attacks=5)


# ---------------------------------------------------------------------------- Adult acceptance
@pytest.fixture(scope="module")
def adult() -> dict:
    """Adult, shuffled (seeded): 10,000 rows split 80/20 into 8,000 training rows and 2,000 holdout rows;
    4,000 other rows ('fresh') stand in for a synthetic table that leaks nothing; 'noisy' holds copies of
    the training rows with every number moved by Gaussian noise of 1% of its column's standard deviation,
    categories unchanged."""
    data = shared_dataset("adult.csv.gz")
    meta = Metadata.detect(data)
    rng = np.random.default_rng(0)
    shuffled = data.iloc[rng.permutation(len(data))].reset_index(drop=True)
    train, holdout = shuffled.iloc[:8000].reset_index(drop=True), shuffled.iloc[8000:10000].reset_index(drop=True)
    fresh = shuffled.iloc[10000:14000].reset_index(drop=True)
    noisy = train.copy()
    for column in meta:
        if column.modelled_as == "numerical":
            values = train[column.name].astype(float)
            noisy[column.name] = values + rng.normal(0, 0.01 * values.std(), len(values))
    halves = (["age", "workclass", "education", "marital-status", "occupation", "relationship", "race"],
              ["sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "fnlwgt"])
    return {"meta": meta, "train": train, "holdout": holdout, "fresh": fresh, "noisy": noisy, "halves": halves}


def test_adult_fresh_rows_look_private(adult):
    train, holdout, fresh, meta = adult["train"], adult["holdout"], adult["fresh"], adult["meta"]
    dcr = distance_to_closest_record(train, fresh, holdout, meta)
    assert dcr["rows_used"] == {"train": 8000, "synthetic": 4000, "holdout": 2000, "share_sides": 2000}
    assert 0.45 <= dcr["dcr_share"] <= 0.55
    assert 0.45 <= dcr["dcr_share_equal_size"] <= 0.55
    assert membership_inference(train, fresh, holdout, meta)["auc"] <= 0.55
    so = singling_out_risk(train, fresh, holdout, meta)
    assert so["control_rate"] == 0.8 and so["n_attacks"] >= 300
    risks = [so, linkability_risk(train, fresh, holdout, meta, aux_columns=adult["halves"]),
             inference_risk(train, fresh, holdout, meta, secret="income")]
    for result in risks:
        assert result["risk_ci"][0] == 0.0, result


def test_adult_noisy_copies_are_caught(adult):
    train, holdout, noisy, meta = adult["train"], adult["holdout"], adult["noisy"], adult["meta"]
    dcr = distance_to_closest_record(train, noisy, holdout, meta)
    assert dcr["dcr_share"] >= 0.9
    # the equal-size figure sees only the quarter of the training rows sampled to face the holdout
    assert 0.55 < dcr["dcr_share_equal_size"] < 0.7
    assert dcr["exact_match_rate"] < 0.01
    assert membership_inference(train, noisy, holdout, meta)["auc"] >= 0.9
    so = singling_out_risk(train, noisy, holdout, meta)
    assert so["risk_ci"][0] > 0.0 and so["n_attacks"] >= 300


def test_adult_exact_copies(adult):
    train, holdout, meta = adult["train"], adult["holdout"], adult["meta"]
    dcr = distance_to_closest_record(train, train, holdout, meta)
    assert dcr["exact_match_rate"] == 1.0
    assert dcr["median_dcr_synthetic"] == 0.0
    assert dcr["dcr_share"] > 0.99
    assert 0.55 < dcr["dcr_share_equal_size"] < 0.7  # about 0.25 * 1 + 0.75 * 0.5
    assert dcr["holdout_exact_match_rate"] < 0.01


@pytest.mark.slow
def test_adult_full_size_is_fast():
    data = shared_dataset("adult.csv.gz")
    meta = Metadata.detect(data)
    order = np.random.default_rng(1).permutation(len(data))
    cut = int(0.8 * len(data))
    train, holdout = data.iloc[order[:cut]], data.iloc[order[cut:]]
    start = time.perf_counter()
    result = distance_to_closest_record(train, holdout, holdout, meta)
    assert time.perf_counter() - start < 20
    assert result["rows_used"]["train"] == 20_000
    start = time.perf_counter()
    so = singling_out_risk(train, train, holdout, meta)
    assert time.perf_counter() - start < 10  # the search stops after about 5 seconds at most
    assert so["n_attacks"] >= 300 and so["risk_ci"][0] > 0.0
