"""The demo table: fictional, reproducible, typed, and with the dependencies it promises."""
from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

from veil.demo import DEMO_NOTICE, EDUCATION, OCCUPATIONS, demo_table
from veil.errors import InvalidParameterError

COLUMNS = ["name", "email", "ssn", "date_of_birth", "zip_code", "sex", "education", "occupation",
           "weekly_hours", "income"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return demo_table(5000, seed=0)


def test_shape_columns_and_notice(table):
    assert table.shape == (5000, 10)
    assert list(table.columns) == COLUMNS
    assert "FICTIONAL" in DEMO_NOTICE and "Faker" in DEMO_NOTICE
    assert table.attrs["notice"] == DEMO_NOTICE
    assert len(demo_table(0)) == 0 and list(demo_table(3).columns) == COLUMNS


def test_dtypes_and_formats(table):
    for col in ["name", "email", "ssn", "date_of_birth", "zip_code", "sex", "education", "occupation"]:
        assert pd.api.types.is_string_dtype(table[col]) or table[col].dtype == object, col
    assert pd.api.types.is_integer_dtype(table["weekly_hours"])
    assert table["income"].dtype == np.int64
    assert table["date_of_birth"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert table["zip_code"].str.fullmatch(r"\d{5}").all()
    assert table["ssn"].str.fullmatch(r"\d{3}-\d{2}-\d{4}").all()
    assert set(table["sex"]) == {"F", "M"}
    assert set(table["education"]) == set(EDUCATION)
    assert set(table["occupation"].dropna()) <= set(OCCUPATIONS)
    assert (table["income"] > 0).all()


def test_ages_zips_and_missing_values(table):
    dob = pd.to_datetime(table["date_of_birth"], format="%Y-%m-%d")
    age = ((pd.Timestamp("2025-01-01") - dob).dt.days / 365.25).astype(int)
    assert age.min() >= 18 and age.max() <= 80
    counts = table["zip_code"].value_counts()
    assert 30 <= len(counts) <= 40 and counts.iloc[0] > 4 * counts.iloc[-1]  # skewed frequencies
    for col in ["occupation", "weekly_hours"]:
        assert 0.01 < table[col].isna().mean() < 0.035
    others = [c for c in COLUMNS if c not in ("occupation", "weekly_hours")]
    assert not table[others].isna().any().any()


def test_same_seed_same_table():
    pd.testing.assert_frame_equal(demo_table(800, seed=4), demo_table(800, seed=4))
    assert not demo_table(800, seed=4)["name"].equals(demo_table(800, seed=5)["name"])


def test_dependencies(table):
    both = table.dropna(subset=["weekly_hours"])
    assert np.corrcoef(both["weekly_hours"].astype(float), both["income"])[0, 1] > 0.2
    mean_income = table.groupby("education")["income"].mean().reindex(list(EDUCATION))
    assert (np.diff(mean_income.to_numpy()[[0, 1, 4, 5, 6]]) > 0).all()  # school < college degrees < doctorate
    assert mean_income["Doctorate"] > 2 * mean_income["Less than high school"]
    share_degree = table.groupby("occupation")["education"].apply(
        lambda e: e.isin(["Bachelor's", "Master's", "Doctorate"]).mean())
    assert share_degree["Professional"] > 3 * share_degree["Construction"]
    working = table[table["occupation"] != "Retired"].dropna(subset=["weekly_hours"])
    by_sex = working.groupby("sex")["weekly_hours"].mean()
    assert by_sex["M"] > by_sex["F"]


def test_emails_derived_from_names(table):
    last = table["name"].str.split(" ").str[-1].str.lower().str.replace(r"[^a-z]", "", regex=True)
    local = table["email"].str.split("@").str[0]
    has_last = np.array([lname in loc for lname, loc in zip(last, local)])
    assert has_last.mean() > 0.8
    assert table["email"].str.fullmatch(r"[a-z0-9._]+@[a-z.]+").all()
    assert re.search(r"\.", table["email"].iloc[0])


def test_fast():
    start = time.perf_counter()
    demo_table(5000, seed=1)
    assert time.perf_counter() - start < 3.0  # ~0.1 s on a laptop


def test_bad_arguments():
    with pytest.raises(InvalidParameterError, match="'n' parameter"):
        demo_table(-1)
    with pytest.raises(InvalidParameterError, match="'seed' parameter"):
        demo_table(10, seed="a")
