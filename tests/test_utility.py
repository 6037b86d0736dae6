"""Machine-learning utility: TSTR against TRTR, table-GAN's model compatibility, encodings, errors."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from threadpoolctl import threadpool_limits

import veil
from veil.errors import InvalidDataError, InvalidParameterError
from veil.metadata import Column, Metadata
from veil.metrics.utility import (
    _regression_scores,
    category_codes,
    model_compatibility,
    train_synthetic_test_real,
)

METRICS = ["n_train", "n_test", "accuracy", "macro_f1", "roc_auc"]


@pytest.fixture(autouse=True)
def one_thread():
    """OpenMP threads that spin-wait make gradient boosting crawl on a loaded 2-core machine."""
    with threadpool_limits(limits=1):
        yield


def labelled_table(n: int = 1500, seed: int = 0, classes: int = 2) -> tuple[pd.DataFrame, Metadata]:
    """A target that depends on a number, a category, a date and a flag; missing values in features."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    noise = rng.normal(size=n)
    noise[rng.random(n) < 0.1] = np.nan
    shop = rng.choice(np.array(["north", "south", "east"], dtype=object), n)
    shop[rng.random(n) < 0.05] = None
    day = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    flag = rng.random(n) < 0.4
    signal = 2 * x + np.where(shop == "north", 1.5, 0.0) + (day.day_of_year.to_numpy() > 180) + flag
    signal = signal + rng.normal(0, 0.5, n)
    cuts = np.quantile(signal, np.linspace(0, 1, classes + 1)[1:-1])
    label = np.array([f"class_{k}" for k in range(classes)], dtype=object)[np.searchsorted(cuts, signal)]
    table = pd.DataFrame({"id": np.arange(n), "x": x, "noise": noise, "shop": shop,
                          "day": day.strftime("%Y-%m-%d"), "flag": flag, "label": label})
    meta = Metadata([Column("id", "id"), Column("x", "numerical"), Column("noise", "numerical"),
                     Column("shop", "categorical"), Column("day", "datetime", datetime_format="%Y-%m-%d"),
                     Column("flag", "boolean"), Column("label", "categorical")])
    return table, meta


def split(table: pd.DataFrame, seed: int = 0, share: float = 0.8) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(table))
    cut = int(share * len(table))
    return table.iloc[order[:cut]].reset_index(drop=True), table.iloc[order[cut:]].reset_index(drop=True)


def assert_tstr_equals_trtr(result: pd.DataFrame, metrics: list[str]) -> None:
    for model, rows in result.groupby("model"):
        syn = rows.loc[rows["trained_on"] == "synthetic", metrics].iloc[0]
        real = rows.loc[rows["trained_on"] == "real", metrics].iloc[0]
        assert syn.to_dict() == real.to_dict(), model


# ------------------------------------------------------------------------------------------- TSTR
@pytest.mark.parametrize("classes", [2, 4])
def test_synthetic_equal_to_train_gives_trtr_exactly(classes):
    table, meta = labelled_table(classes=classes)
    train, holdout = split(table)
    result = train_synthetic_test_real(train, train.copy(), holdout, meta, target="label")
    assert list(result.columns) == ["model", "trained_on", "task"] + METRICS
    assert result[["model", "trained_on"]].values.tolist() == [
        ["hist_gradient_boosting", "synthetic"], ["hist_gradient_boosting", "real"],
        ["linear", "synthetic"], ["linear", "real"]]
    assert (result["task"] == "classification").all()
    assert_tstr_equals_trtr(result, METRICS)
    assert (result["n_train"] == len(train)).all() and (result["n_test"] == len(holdout)).all()
    # the signal is strong: both models learn it; the AUC is for the right positive class
    assert (result["roc_auc"] > 0.85).all() and (result["accuracy"] > 1.5 / classes).all()


def test_sampled_tables_stay_equal_and_seeded():
    table, meta = labelled_table(2000)
    train, holdout = split(table)
    result = train_synthetic_test_real(train, train.copy(), holdout, meta, target="label", max_rows=500, seed=3)
    assert (result["n_train"] == 500).all() and (result["n_test"] == 400).all()
    assert_tstr_equals_trtr(result, METRICS)
    again = train_synthetic_test_real(train, train, holdout, meta, target="label", max_rows=500, seed=3)
    pd.testing.assert_frame_equal(result, again)


def test_poor_synthetic_table_scores_lower():
    table, meta = labelled_table()
    train, holdout = split(table)
    rng = np.random.default_rng(1)
    shuffled = train.copy()
    shuffled["label"] = rng.permutation(shuffled["label"].to_numpy())  # the label no longer follows the features
    result = train_synthetic_test_real(train, shuffled, holdout, meta, target="label", models="hist_gradient_boosting")
    by_source = result.set_index("trained_on")
    assert by_source.loc["real", "roc_auc"] > 0.9
    assert by_source.loc["synthetic", "roc_auc"] < 0.65


def test_class_missing_from_synthetic_does_not_crash():
    table, meta = labelled_table(classes=3)
    train, holdout = split(table)
    result = train_synthetic_test_real(train, train[train["label"] != "class_2"], holdout, meta, target="label")
    syn = result[result["trained_on"] == "synthetic"]
    assert np.isfinite(syn["roc_auc"]).all() and (syn["roc_auc"] > 0.6).all()
    assert (syn["accuracy"] < 0.75).all()  # a third of the holdout cannot be predicted right


def test_one_class_in_synthetic_gives_a_constant_prediction():
    table, meta = labelled_table(classes=2)
    train, holdout = split(table)
    result = train_synthetic_test_real(train, train[train["label"] == "class_1"], holdout, meta, target="label")
    syn = result[result["trained_on"] == "synthetic"]
    assert (syn["roc_auc"] == 0.5).all()
    assert np.allclose(syn["accuracy"], (holdout["label"] == "class_1").mean())


def test_regression_on_a_linear_relation():
    rng = np.random.default_rng(0)
    n = 1200
    a, b = rng.normal(size=n), rng.uniform(0, 10, n)
    colour = rng.choice(np.array(["red", "blue"], dtype=object), n)
    y = 5 + 3 * a - 2 * b + np.where(colour == "red", 4.0, 0.0) + rng.normal(0, 0.1, n)
    table = pd.DataFrame({"a": a, "b": b, "colour": colour, "y": y})
    meta = Metadata([Column("a", "numerical"), Column("b", "numerical"), Column("colour", "categorical"),
                     Column("y", "numerical")])
    train, holdout = split(table)
    result = train_synthetic_test_real(train, train, holdout, meta, target="y")
    metrics = ["n_train", "n_test", "r2", "mean_relative_error"]
    assert list(result.columns) == ["model", "trained_on", "task"] + metrics
    assert (result["task"] == "regression").all()
    assert_tstr_equals_trtr(result, metrics)
    linear = result[result["model"] == "linear"].iloc[0]
    assert linear["r2"] > 0.999
    assert linear["mean_relative_error"] < 0.1
    assert (result["r2"] > 0.95).all()


def test_regression_metrics_by_hand():
    y = np.array([1.0, 2.0, 0.0, -4.0])
    predicted = np.array([2.0, 2.0, 1.0, -2.0])
    scores = _regression_scores(y, predicted)
    assert scores["mean_relative_error"] == pytest.approx((1 / 1 + 0 / 2 + 2 / 4) / 3)  # y == 0 left out
    ss_res, ss_tot = 1 + 0 + 1 + 4, ((y - y.mean()) ** 2).sum()
    assert scores["r2"] == pytest.approx(1 - ss_res / ss_tot)
    assert np.isnan(_regression_scores(np.zeros(3), np.ones(3))["mean_relative_error"])


def test_task_inference_and_override():
    table, meta = labelled_table(600)
    table["grade"] = np.random.default_rng(0).integers(1, 6, len(table))  # a number with 5 values
    meta = Metadata([*meta.columns, Column("grade", "numerical", representation="int")])
    train, holdout = split(table)
    kw = {"models": "linear"}

    def task(target: str) -> str:
        return train_synthetic_test_real(train, train, holdout, meta, target=target, **kw)["task"].iloc[0]

    assert task("flag") == "classification" and task("grade") == "classification" and task("x") == "regression"
    forced = train_synthetic_test_real(train, train, holdout, meta, target="grade", task="regression", **kw)
    assert forced["task"].iloc[0] == "regression" and "r2" in forced.columns
    with pytest.raises(InvalidParameterError, match="needs a numerical or datetime target"):
        train_synthetic_test_real(train, train, holdout, meta, target="label", task="regression")
    with pytest.raises(InvalidParameterError, match="task"):
        train_synthetic_test_real(train, train, holdout, meta, target="label", task="ranking")


def test_missing_target_values_are_left_out():
    table, meta = labelled_table(800)
    table.loc[table.index[:50], "label"] = None
    train, holdout = split(table)
    result = train_synthetic_test_real(train, train, holdout, meta, target="label", models="linear")
    assert result["n_train"].iloc[0] == train["label"].notna().sum()
    assert result["n_test"].iloc[0] == holdout["label"].notna().sum()


def test_errors_are_clear():
    table, meta = labelled_table(300)
    train, holdout = split(table)
    with pytest.raises(InvalidDataError, match="target column 'nope' is not in the metadata"):
        train_synthetic_test_real(train, train, holdout, meta, target="nope")
    with pytest.raises(InvalidDataError, match="'id' is not a learned"):
        train_synthetic_test_real(train, train, holdout, meta, target="id")
    with pytest.raises(InvalidDataError, match="'label' is missing from the synthetic table"):
        train_synthetic_test_real(train, train.drop(columns="label"), holdout, meta, target="label")
    with pytest.raises(InvalidDataError, match="holdout table must be a pandas DataFrame"):
        train_synthetic_test_real(train, train, holdout.to_numpy(), meta, target="label")
    with pytest.raises(InvalidParameterError, match="models must be"):
        train_synthetic_test_real(train, train, holdout, meta, target="label", models=["forest"])
    with pytest.raises(InvalidParameterError, match="'max_rows'"):
        train_synthetic_test_real(train, train, holdout, meta, target="label", max_rows=0)
    with pytest.raises(InvalidDataError, match="no feature column"):
        train_synthetic_test_real(train, train, holdout, meta.subset(["id", "label"]), target="label")
    empty = train.assign(label=None)
    with pytest.raises(InvalidDataError, match="synthetic table has no row with a value in the target column"):
        train_synthetic_test_real(train, empty, holdout, meta, target="label")
    with pytest.raises(InvalidDataError) as info:
        train_synthetic_test_real(train, train, holdout, meta, target="class_0")
    assert "class_0" in str(info.value)  # the name asked for, not a value taken from the table


# ------------------------------------------------------------------------------------- encodings
def test_category_codes_are_shared_ranked_and_capped():
    a = pd.Series(["x", "y", "y", None, "z"], dtype=object)
    b = pd.Series(["y", "w"], dtype=object)
    (ca, cb), k = category_codes([a, b])
    assert k == 5 and ca.tolist() == [1, 0, 0, 4, 2] and cb.tolist() == [0, 3]  # by frequency, then by order
    # missing (code 4) has a code of its own
    many = pd.Series([f"v{i}" for i in range(300)] + ["v7"] * 5)
    (codes,), k = category_codes([many], cap=255)
    assert k == 255 and codes.max() == 254 and codes[7] == 0
    (num, text), k = category_codes([pd.Series([1, 2, 2]), pd.Series(["2", "3"])])
    assert k == 3 and num[1] == text[0]


# -------------------------------------------------------------------------------- compatibility
def test_model_compatibility():
    table, meta = labelled_table(1200)
    train, holdout = split(table)
    same = model_compatibility(train, train.copy(), holdout, meta)
    assert list(same.columns) == ["column", "task", "metric", "trained_on_real", "trained_on_synthetic",
                                  "difference"]
    assert same["column"].tolist() == ["x", "noise", "shop", "day", "flag", "label"]
    assert same.set_index("column")["metric"].to_dict() == {
        "x": "r2", "noise": "r2", "shop": "macro_f1", "day": "r2", "flag": "macro_f1", "label": "macro_f1"}
    assert (same["difference"] == 0).all()
    rng = np.random.default_rng(2)
    independent = train.apply(lambda col: col.to_numpy()[rng.permutation(len(col))])
    broken = model_compatibility(train, independent, holdout, meta, columns=["x", "label"]).set_index("column")
    assert broken.loc["label", "trained_on_real"] > 0.8
    assert broken.loc["label", "difference"] > 0.2 and broken.loc["x", "difference"] > 0.3
    with pytest.raises(InvalidDataError, match="'nope'"):
        model_compatibility(train, train, holdout, meta, columns=["nope"])


# ----------------------------------------------------------------------------------------- Adult
def test_adult_synthetic_equal_to_train():
    table = shared_dataset("adult.csv.gz")
    assert "income" in table.columns
    meta = veil.Metadata.detect(table)
    train, holdout = split(table)
    start = time.perf_counter()
    result = train_synthetic_test_real(train, train.copy(), holdout, meta, target="income", max_rows=20_000)
    elapsed = time.perf_counter() - start
    print(result.to_string(), f"\n{elapsed:.1f}s")
    assert_tstr_equals_trtr(result, METRICS)
    hgb = result[(result["model"] == "hist_gradient_boosting") & (result["trained_on"] == "real")].iloc[0]
    assert 0.7 < hgb["macro_f1"] < 0.9 and 0.85 < hgb["roc_auc"] < 0.97 and hgb["accuracy"] > 0.83
