"""Metadata as data: JSON round trips, validated edits, and table checks that list every problem."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from veil.errors import InvalidDataError
from veil.metadata import Column, Metadata
from veil.metadata.validate import table_problems

SECRET = "Zebulon-Q-7731"  # a raw value that must never appear in a message


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    return pd.DataFrame({
        "id": np.arange(n),
        "age": rng.integers(18, 90, n),
        "income": np.round(rng.lognormal(10, 1, n), 2),
        "city": rng.choice(["Lyon", "Oslo", "Quito"], n),
        "member": rng.random(n) < 0.4,
        "joined": (pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"))
        .strftime("%Y-%m-%d"),
        "born": (pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 60 * 365, n), unit="D"))
        .strftime("%d/%m/%Y"),
    })


@pytest.fixture
def meta(table: pd.DataFrame) -> Metadata:
    return Metadata.detect(table)


def test_detected_metadata(meta: Metadata):
    assert [c.sdtype for c in meta] == ["id", "numerical", "numerical", "categorical", "boolean", "datetime",
                                        "date_of_birth"]
    assert meta.primary_key == "id"
    assert meta["born"].datetime_format == "%d/%m/%Y"


def test_json_round_trip(meta: Metadata, tmp_path):
    meta.update_column("born", policy="drop")
    text = meta.to_json()
    again = Metadata.from_json(text)
    assert again.to_dict() == meta.to_dict()
    assert again.columns == meta.columns and again.primary_key == "id"
    path = tmp_path / "meta.json"
    meta.to_json(path)
    from_file = Metadata.from_json(path)
    assert from_file.to_dict() == meta.to_dict()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "veil-metadata" and data["columns"][6]["policy"] == "drop"
    assert "confidence" not in data["columns"][1]  # unset fields are left out


def test_from_json_rejects_bad_documents(tmp_path):
    with pytest.raises(InvalidDataError, match="not valid JSON"):
        Metadata.from_json("{not json")
    with pytest.raises(InvalidDataError, match="does not exist"):
        Metadata.from_json(tmp_path / "missing.json")
    with pytest.raises(InvalidDataError, match="unknown metadata keys"):
        Metadata.from_dict({"columns": [{"name": "a", "sdtype": "numerical", "colour": "red"}]})
    with pytest.raises(InvalidDataError, match="newer"):
        Metadata.from_dict({"version": 99, "columns": []})
    with pytest.raises(InvalidDataError) as err:
        Metadata.from_dict({"primary_key": "nope", "columns": [{"name": "a", "sdtype": "shoe"},
                                                               {"name": "a", "sdtype": "numerical"}]})
    message = str(err.value)
    assert "3 problems" in message and "shoe" in message and "twice" in message and "'nope'" in message


def test_update_column_validates(meta: Metadata):
    meta.update_column("city", sdtype="person_name")
    assert meta["city"].sdtype == "person_name" and meta["city"].detected_by == "user"
    assert meta["city"].effective_policy == "fake"
    with pytest.raises(InvalidDataError, match="unknown sdtype 'shoe'"):
        meta.update_column("age", sdtype="shoe")
    with pytest.raises(InvalidDataError, match="not in the metadata"):
        meta.update_column("height", sdtype="numerical")
    with pytest.raises(InvalidDataError, match="cannot update"):
        meta.update_column("age", colour="red")
    with pytest.raises(InvalidDataError, match="only to PII kinds"):
        meta.update_column("age", policy="drop")
    with pytest.raises(InvalidDataError, match="representation"):
        meta.update_column("age", representation="decimal")
    assert meta["age"].sdtype == "numerical"  # a failed update changes nothing
    with pytest.raises(InvalidDataError, match="primary key"):
        meta.set_primary_key("height")


def test_matching_table_validates(meta: Metadata, table: pd.DataFrame):
    meta.validate(table)
    assert table_problems(meta, table) == []
    as_object = table.astype({"city": object, "joined": object})
    assert table_problems(meta, as_object) == []


def test_validate_lists_every_problem_at_once(meta: Metadata, table: pd.DataFrame):
    bad = table.drop(columns=["city"]).assign(extra=1)
    bad["age"] = bad["age"].astype(object)
    bad.loc[[3, 5, 8], "age"] = SECRET
    bad["joined"] = bad["joined"].astype(object)
    bad.loc[[1, 2], "joined"] = "31.12.2020"
    bad["born"] = bad["born"].astype(object)
    bad.loc[7, "born"] = SECRET
    bad["member"] = bad["member"].astype(object)
    bad.loc[4, "member"] = SECRET
    bad.loc[[10, 11], "id"] = 0
    bad["id"] = bad["id"].astype(float)
    bad.loc[12, "id"] = np.nan
    with pytest.raises(InvalidDataError) as err:
        meta.validate(bad)
    message = str(err.value)
    assert SECRET not in message and "31.12.2020" not in message
    expected = [
        "column 'city' is in the metadata but not in the table",
        "column 'extra' is in the table but not in the metadata",
        "3 values in numerical column 'age' are not numbers",
        "2 values in column 'joined' do not parse with format '%Y-%m-%d'",
        "1 value in column 'born' does not parse with format '%d/%m/%Y'",
        "1 value in boolean column 'member' is not True/False",
        "primary key 'id' has 1 missing value",
        "primary key 'id' is not unique: 2 rows repeat an earlier key",
    ]
    for line in expected:
        assert line in message
    assert f"({len(expected)} problems)" in message


def test_empty_table_and_wrong_type(meta: Metadata, table: pd.DataFrame):
    with pytest.raises(InvalidDataError, match="no rows"):
        meta.validate(table.iloc[:0])
    assert table_problems(meta, pd.DataFrame())[0] == "the table has no columns"
    assert "DataFrame" in table_problems(meta, [1, 2])[0]


def test_boolean_columns_accept_booleans_only():
    meta = Metadata([Column("b", "boolean")])
    assert table_problems(meta, pd.DataFrame({"b": [True, False, None]})) == []
    assert table_problems(meta, pd.DataFrame({"b": [1, 0, 1]})) == []
    assert table_problems(meta, pd.DataFrame({"b": ["true", "False", None]})) == []
    assert table_problems(meta, pd.DataFrame({"b": [1, 2, 3]})) == [
        "2 values in boolean column 'b' are not True/False"]
