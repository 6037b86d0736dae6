"""Coverage and fidelity extras: per-column statistics, mutual information, detection AUC."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score
from threadpoolctl import threadpool_limits

from veil.errors import InvalidDataError, InvalidParameterError
from veil.metadata import Column, Metadata
from veil.metrics.coverage import (
    column_statistics,
    detection_auc,
    mutual_information,
    normalized_mutual_information,
)


@pytest.fixture(autouse=True)
def one_thread():
    """OpenMP threads that spin-wait make gradient boosting crawl on a loaded 2-core machine."""
    with threadpool_limits(limits=1):
        yield


def make_table(n: int = 2000, seed: int = 0, shift: float = 0.0) -> tuple[pd.DataFrame, Metadata]:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float) + shift
    hours = np.clip(60 - 0.4 * age + rng.normal(0, 4, n), 1, 99).round()
    hours[rng.random(n) < 0.05] = np.nan
    band = np.where(age > 50, "old", "young").astype(object)
    colour = rng.choice(np.array(["red", "green", "blue"], dtype=object), n)
    colour[rng.random(n) < 0.1] = None
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 100, n), unit="D")
    table = pd.DataFrame({"id": np.arange(n), "age": age, "hours": hours, "band": band, "colour": colour,
                          "day": day, "member": rng.random(n) < 0.3})
    meta = Metadata([Column("id", "id"), Column("age", "numerical"), Column("hours", "numerical"),
                     Column("band", "categorical"), Column("colour", "categorical"), Column("day", "datetime"),
                     Column("member", "boolean")])
    return table, meta


# --------------------------------------------------------------------------------- statistics
def test_statistics_of_identical_tables():
    table, meta = make_table()
    stats = column_statistics(table, table.copy(), meta)
    assert stats["column"].tolist() == ["age", "hours", "band", "colour", "day", "member"]
    assert stats["sdtype"].tolist() == ["numerical", "numerical", "categorical", "categorical", "datetime",
                                        "boolean"]
    numeric = stats[stats["sdtype"].isin(["numerical", "datetime"])]
    for stat in ("mean", "std", "min", "median", "max"):
        assert (numeric[f"{stat}_real"] == numeric[f"{stat}_synthetic"]).all()
    assert (numeric["range_coverage"] == 1.0).all() and numeric["category_coverage"].isna().all()
    categories = stats[~stats["sdtype"].isin(["numerical", "datetime"])]
    assert (categories["category_coverage"] == 1.0).all() and (categories["unseen_share"] == 0.0).all()
    assert categories["mean_real"].isna().all()
    assert (stats["missing_real"] == stats["missing_synthetic"]).all()
    row = stats.set_index("column").loc["hours"]
    values = table["hours"]
    assert row["missing_real"] == pytest.approx(values.isna().mean())
    assert row["mean_real"] == pytest.approx(values.mean()) and row["std_real"] == pytest.approx(values.std())
    assert row["median_real"] == values.median()
    day = stats.set_index("column").loc["day"]  # days since 1970
    assert day["min_real"] == (table["day"].min() - pd.Timestamp("1970-01-01")).days


def test_statistics_by_hand():
    meta = Metadata([Column("x", "numerical"), Column("c", "categorical")])
    real = pd.DataFrame({"x": [0.0, 5.0, 10.0, np.nan], "c": ["a", "b", "c", "d"]})
    syn = pd.DataFrame({"x": [6.0, 14.0, 8.0, 7.0], "c": ["a", "a", "z", None]})
    stats = column_statistics(real, syn, meta).set_index("column")
    assert stats.loc["x", "range_coverage"] == pytest.approx(0.4)  # [6, 14] covers [6, 10] of [0, 10]
    assert stats.loc["x", "missing_real"] == 0.25 and stats.loc["x", "missing_synthetic"] == 0.0
    assert stats.loc["x", "min_synthetic"] == 6.0 and stats.loc["x", "max_real"] == 10.0
    assert stats.loc["c", "category_coverage"] == 0.25  # only 'a' of a, b, c, d
    assert stats.loc["c", "unseen_share"] == pytest.approx(1 / 3)  # 'z' of a, a, z (missing left out)
    assert stats.loc["c", "missing_synthetic"] == 0.25
    apart = column_statistics(real, syn.assign(x=[20.0, 30, 40, 50]), meta).set_index("column")
    assert apart.loc["x", "range_coverage"] == 0.0
    constant = column_statistics(real.assign(x=3.0), syn, meta).set_index("column")
    assert constant.loc["x", "range_coverage"] == 0.0 and np.isnan(constant.loc["c", "mean_real"])
    empty = column_statistics(real, syn.assign(x=np.nan), meta).set_index("column")
    assert empty.loc["x", "range_coverage"] == 0.0 and np.isnan(empty.loc["x", "mean_synthetic"])


# --------------------------------------------------------------------------- mutual information
def test_mutual_information_of_identical_and_independent_tables():
    table, meta = make_table()
    same = mutual_information(table, table.copy(), meta)
    names = ["age", "hours", "band", "colour", "day", "member"]
    assert list(same["real"].columns) == names and list(same["real"].index) == names
    assert same["mean_abs_difference"] == 0.0 and (same["difference"].to_numpy() == 0).all()
    assert (np.diag(same["real"]) == 1.0).all()
    real_mi = same["real"]
    assert real_mi.loc["age", "band"] > 0.3 and real_mi.loc["age", "hours"] > 0.2
    assert real_mi.loc["colour", "member"] < 0.01
    rng = np.random.default_rng(1)
    shuffled = table.apply(lambda col: col.to_numpy()[rng.permutation(len(col))])
    broken = mutual_information(table, shuffled, meta)
    assert broken["synthetic"].loc["age", "band"] < 0.01
    assert broken["mean_abs_difference"] > 0.05
    assert broken["difference"].loc["age", "band"] == pytest.approx(real_mi.loc["age", "band"], abs=0.01)


def test_normalized_mutual_information_matches_sklearn():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, 3000)
    b = (a + rng.integers(0, 3, 3000)) % 7
    for x, y in ((a, b), (a, a), (a, np.zeros_like(a)), (np.zeros_like(a), np.zeros_like(a)), (a * 10, b + 3)):
        assert normalized_mutual_information(x, y) == pytest.approx(normalized_mutual_info_score(x, y), abs=1e-12)


def test_numbers_are_cut_into_real_quantile_bins():
    meta = Metadata([Column("x", "numerical"), Column("y", "numerical")])
    rng = np.random.default_rng(0)
    x = rng.normal(size=5000)
    real = pd.DataFrame({"x": x, "y": x + rng.normal(0, 0.1, 5000)})
    shifted = real + 100  # beyond the real range: every value in the top bin
    result = mutual_information(real, shifted, meta)
    assert result["real"].loc["x", "y"] > 0.5 and result["synthetic"].loc["x", "y"] == 1.0
    halves = mutual_information(real, real, meta, bins=2)["real"].loc["x", "y"]
    above = (x > np.median(x)).astype(int), (real["y"] > real["y"].median()).astype(int)
    assert halves == pytest.approx(normalized_mutual_info_score(*above), abs=1e-12)


# ------------------------------------------------------------------------------------ detection
def test_detection_auc():
    real, meta = make_table(1500, seed=0)
    same_distribution, _ = make_table(1500, seed=1)
    shifted, _ = make_table(1500, seed=1, shift=70.0)  # no overlap in age
    near = detection_auc(real, same_distribution, meta)
    far = detection_auc(real, shifted, meta)
    assert 0.4 < near < 0.6, near
    assert far > 0.95, far
    assert detection_auc(real, same_distribution, meta) == near  # seeded
    assert detection_auc(real, real.copy(), meta) == 0.5  # copies share a fold: indistinguishable, not 'learned'


def test_detection_balances_and_samples():
    real, meta = make_table(3000, seed=0)
    other, _ = make_table(800, seed=1)
    auc = detection_auc(real, other, meta, max_rows=500, seed=2)
    assert 0.35 < auc < 0.65


# --------------------------------------------------------------------------------------- errors
def test_errors_are_clear():
    table, meta = make_table(100)
    with pytest.raises(InvalidDataError, match="synthetic table must be a pandas DataFrame"):
        column_statistics(table, table.to_numpy(), meta)
    with pytest.raises(InvalidParameterError, match="Metadata"):
        mutual_information(table, table, {"columns": []})
    with pytest.raises(InvalidParameterError, match="'bins'"):
        mutual_information(table, table, meta, bins=1)
    with pytest.raises(InvalidParameterError, match="'max_rows'"):
        detection_auc(table, table, meta, max_rows=0)
    with pytest.raises(InvalidDataError, match="no learned column"):
        detection_auc(table, table.rename(columns=str.upper), meta)
    with pytest.raises(InvalidDataError, match="at least 3 rows"):
        detection_auc(table, table.iloc[:2], meta)
    assert column_statistics(table.rename(columns=str.upper), table, meta).empty
    one = mutual_information(table, table, meta.subset(["age"]))
    assert one["real"].shape == (1, 1) and np.isnan(one["mean_abs_difference"])
