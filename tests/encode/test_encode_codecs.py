"""Column codecs: exact round trips, dtypes, JSON-safe state, and errors that show no raw values."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from veil.encode.categorical import CategoricalCodec
from veil.encode.datetime import DatetimeCodec
from veil.encode.numeric import NumericalCodec, learn_decimals
from veil.errors import InvalidDataError, NotFittedError


def roundtrip(codec, values: pd.Series) -> pd.Series:
    """Fit, encode, save to JSON + arrays, reload, decode."""
    codec.fit(values)
    encoded = codec.to_codes(values) if isinstance(codec, CategoricalCodec) else codec.to_float(values)
    config, arrays = codec.state()
    clone = type(codec).from_state(json.loads(json.dumps(config)), {k: v.copy() for k, v in arrays.items()})
    return clone.from_codes(encoded) if isinstance(codec, CategoricalCodec) else clone.from_float(encoded)


# ---------------------------------------------------------------------- numerical
@pytest.mark.parametrize("values", [
    pd.Series([3, -7, 0, 2**40, 12], dtype="int64"),
    pd.Series([1, 2, 250], dtype="uint8"),
    pd.Series([1, None, -3, 4], dtype="Int64"),
    pd.Series([1.125, -2.5, np.nan, 0.001, -1000.999]),
    pd.Series([-0.5, -1.25, -3.0]),
    pd.Series([1.1, 2.2, np.nan], dtype="float32"),
    pd.Series([0.1 + 0.2, 1.0]),
    pd.Series([1 / 3, 2.0]),
    pd.Series([True, False, True]),
    pd.Series([7, 7, 7]),
], ids=["int64", "uint8", "Int64-NA", "float3-nan", "negative", "float32", "float-noise", "many-decimals",
        "bool", "constant"])
def test_numerical_roundtrip_is_exact(values):
    pd.testing.assert_series_equal(roundtrip(NumericalCodec("x"), values), values, check_exact=True)


def test_numerical_learns_decimals_and_rounds_clips():
    codec = NumericalCodec("x").fit(pd.Series([1.25, 3.5, np.nan, 2.75]))
    assert codec.decimals == 2 and codec.dtype == "float64"
    out = codec.from_float(np.array([2.34567, 99.0, -5.0, np.nan]))
    assert out.tolist()[:3] == [2.35, 3.5, 1.25] and np.isnan(out.iloc[3])
    free = NumericalCodec("x", enforce_rounding=False, enforce_min_max_values=False).fit(pd.Series([1.25, 3.5]))
    assert free.from_float(np.array([1.23456, 99.0])).tolist() == [1.23456, 99.0]
    assert learn_decimals(np.array([1.0, 2.0])) == 0
    assert learn_decimals(np.array([np.pi])) is None


def test_int_column_returns_nullable_when_missing_is_decoded():
    codec = NumericalCodec("x").fit(pd.Series([1, 5, 9]))
    out = codec.from_float(np.array([2.4, np.nan, 8.6]))
    assert str(out.dtype) == "Int64" and out.iloc[0] == 2 and out.iloc[1] is pd.NA and out.iloc[2] == 9


def test_numbers_stored_as_text_decode_as_numbers():
    values = pd.Series(["1", "20", None], dtype=object)
    codec = NumericalCodec("x").fit(values)
    out = codec.from_float(codec.to_float(values))
    assert str(out.dtype) == "Int64" and out.tolist()[:2] == [1, 20]


def test_numerical_errors_name_the_column_not_the_values():
    with pytest.raises(InvalidDataError, match=r"2 values in column 'age' are not numbers") as info:
        NumericalCodec("age").fit(pd.Series(["12", "secret-1", "secret-2", None], dtype=object))
    assert "secret" not in str(info.value)
    with pytest.raises(InvalidDataError, match="infinite"):
        NumericalCodec("x").fit(pd.Series([1.0, np.inf]))
    with pytest.raises(NotFittedError):
        NumericalCodec("x").to_float(pd.Series([1.0]))


# ---------------------------------------------------------------------- datetime
@pytest.mark.parametrize("values, fmt, precision", [
    (pd.Series(["2020-01-05", None, "1999-12-31", "2024-02-29"]).astype("str"), "%Y-%m-%d", "day"),
    (pd.Series(["2020-01-05T10:11:12Z", "2021-03-04T00:00:00Z", np.nan]).astype("str"), "%Y-%m-%dT%H:%M:%SZ",
     "second"),
    (pd.Series(["05/01/2020 10:11", "04/03/2021 00:00", None], dtype=object), "%d/%m/%Y %H:%M", "minute"),
    (pd.Series(pd.to_datetime(["2020-03-29 01:00", "2021-06-04 13:00", None]).tz_localize("Europe/Paris")),
     None, "hour"),
    (pd.Series(pd.to_datetime(["2020-01-01 00:00:00.250", None, "2020-01-01 00:00:01.000"])).astype("datetime64[ms]"),
     None, "ms"),
    (pd.Series(pd.to_datetime(["2020-01-01", "2020-01-03", "2020-01-02"])), None, "day"),
], ids=["date-str", "iso-z", "day-first", "tz-aware", "ms-NaT", "naive"])
def test_datetime_roundtrip_is_exact(values, fmt, precision):
    codec = DatetimeCodec("d", datetime_format=fmt)
    pd.testing.assert_series_equal(roundtrip(codec, values), values, check_exact=True)
    assert codec.precision == precision
    x = codec.to_float(values)
    assert np.array_equal(x[~np.isnan(x)], np.round(x[~np.isnan(x)]))  # whole units


def test_datetime_from_float_rounds_and_clips_to_range():
    values = pd.Series(["2020-01-01", "2020-01-10"]).astype("str")
    codec = DatetimeCodec("d", datetime_format="%Y-%m-%d").fit(values)
    out = codec.from_float(np.array([2.4, -100.0, 1e9, np.nan]))
    assert out.iloc[:3].tolist() == ["2020-01-03", "2020-01-01", "2020-01-10"] and pd.isna(out.iloc[3])


def test_datetime_format_mismatch_is_counted_without_values():
    values = pd.Series(["2020-01-01", "not-a-secret-date", "2020-13-45"])
    with pytest.raises(InvalidDataError, match=r"2 values in column 'when' do not match") as info:
        DatetimeCodec("when", datetime_format="%Y-%m-%d").fit(values)
    assert "secret" not in str(info.value) and "2020-13" not in str(info.value)


# ---------------------------------------------------------------------- categorical
@pytest.mark.parametrize("values", [
    pd.Series(["a", "", None, "Zoë", "東京", "🎉", "a"]).astype("str"),
    pd.Series(["a", "", None, "a"], dtype=object),
    pd.Series([2**53 + 1, 2**62 + 3, 5, 2**53 + 1], dtype="int64"),
    pd.Series([2**70, 3, None], dtype=object),
    pd.Series([True, False, True]),
    pd.Series([True, None, False], dtype="boolean"),
    pd.Series([1, True, "1", 1.0, None], dtype=object),
    pd.Series([1.5, np.nan, 2.5, -np.inf]),
    pd.Series([1, None, 1], dtype="Int64"),
    pd.Series(pd.Categorical(["x", "y", None, "x"], categories=["y", "x", "z"], ordered=True)),
    pd.Series(["same"] * 4).astype("str"),
], ids=["str-unicode", "object-none", "bigint", "py-bigint", "bool", "boolean-NA", "mixed-types", "float-nan",
        "Int64", "pandas-category", "constant"])
def test_categorical_roundtrip_is_exact(values):
    out = roundtrip(CategoricalCodec("c"), values)
    pd.testing.assert_series_equal(out, values, check_exact=True)
    assert [type(v) for v in out.dropna()] == [type(v) for v in values.dropna()]


def test_categories_most_frequent_first_with_missing_and_empty_string():
    codec = CategoricalCodec("c").fit(pd.Series(["b", "", None, "b", None, "b", "a"], dtype=object))
    assert codec.categories[:2] == ["b", None] and codec.categories[2:] == ["", "a"]
    assert codec.missing_code == 1
    np.testing.assert_allclose(codec.frequencies, [3 / 7, 2 / 7, 1 / 7, 1 / 7])
    config, _ = codec.state()
    assert config["categories"] == [["s", "b"], ["na", "none"], ["s", ""], ["s", "a"]]


def test_big_ints_are_exact_strings_in_json():
    codec = CategoricalCodec("c").fit(pd.Series([2**60 + 1, 7]))
    config, arrays = codec.state()
    assert ["i", str(2**60 + 1)] in config["categories"] and ["i", 7] in config["categories"]
    assert all(isinstance(v, np.ndarray) for v in arrays.values())


def test_unknown_categories_are_counted_without_values():
    codec = CategoricalCodec("city").fit(pd.Series(["Paris", "Lyon"]))
    with pytest.raises(InvalidDataError, match=r"2 values in column 'city' were not seen") as info:
        codec.to_codes(pd.Series(["Paris", "Secretville", None]))
    assert "Secretville" not in str(info.value)
    assert codec.to_codes(pd.Series(["Lyon", "Paris"])).tolist() == [1, 0]
