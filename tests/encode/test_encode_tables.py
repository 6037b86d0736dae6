"""TableEncoder and CopulaEncoder: exact round trips over every column kind, span layout, state, errors."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from veil.encode import CopulaEncoder, TableEncoder
from veil.encode.spans import SpanSample, span_slices, total_width
from veil.errors import InvalidDataError, InvalidParameterError, NotFittedError
from veil.metadata.model import Column, Metadata


def make_table(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, Metadata]:
    rng = np.random.default_rng(seed)

    def holes(s: pd.Series, frac: float = 0.1) -> pd.Series:
        s = s.copy()
        s[rng.random(n) < frac] = None
        return s

    days = pd.Timestamp("1990-01-01") + pd.to_timedelta(rng.integers(0, 12_000, n), unit="D")
    secs = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 86_400 * 30, n), unit="s")
    mins = pd.Timestamp("2022-05-01") + pd.to_timedelta(rng.integers(0, 60 * 24 * 10, n), unit="min")
    bimodal = np.where(rng.random(n) < 0.5, rng.normal(-100, 3, n), rng.normal(200, 10, n)).round(3)
    fake = Faker()
    fake.seed_instance(0)
    table = pd.DataFrame({
        "int": rng.integers(-50, 1000, n),
        "nullable": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 90, n)), dtype="Int64"),
        "float3": np.where(rng.random(n) < 0.1, np.nan, bimodal),
        "negative": -rng.uniform(0, 5, n).round(2),
        "date": holes(pd.Series(days.strftime("%Y-%m-%d"), dtype=object)).astype("str"),
        "ts_z": pd.Series(secs.strftime("%Y-%m-%dT%H:%M:%SZ")).astype("str"),
        "dm": holes(pd.Series(mins.strftime("%d/%m/%Y %H:%M"), dtype=object)).astype("str"),
        "native_tz": holes(pd.Series(secs.tz_localize("Europe/Paris"))),
        "city": holes(pd.Series(rng.choice(["Zoë", "東京", "🎉 party", "", "Paris"], n), dtype=object)).astype("str"),
        "big": rng.choice(np.array([2**53 + 1, 2**60 + 7, -(2**62) - 1], dtype=np.int64), n),
        "flag": rng.random(n) < 0.3,
        "constant": np.full(n, 7),
        "const_cat": pd.Series(["same"] * n).astype("str"),
        "row_id": np.arange(n),
        "email": [fake.email() for _ in range(n)],
    })
    meta = Metadata([
        Column("int", "numerical", representation="int"),
        Column("nullable", "numerical", representation="int"),
        Column("float3", "numerical", representation="float"),
        Column("negative", "numerical", representation="float"),
        Column("date", "datetime", datetime_format="%Y-%m-%d"),
        Column("ts_z", "datetime", datetime_format="%Y-%m-%dT%H:%M:%SZ"),
        Column("dm", "datetime", datetime_format="%d/%m/%Y %H:%M"),
        Column("native_tz", "datetime"),
        Column("city", "categorical"),
        Column("big", "categorical"),
        Column("flag", "boolean"),
        Column("constant", "numerical", representation="int"),
        Column("const_cat", "categorical"),
        Column("row_id", "id"),
        Column("email", "email"),
    ], primary_key="row_id")
    return table, meta


LEARNED = ["int", "nullable", "float3", "negative", "date", "ts_z", "dm", "native_tz", "city", "big", "flag",
           "constant", "const_cat"]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, Metadata]:
    return make_table()


@pytest.fixture(scope="module")
def fitted(data) -> TableEncoder:
    table, meta = data
    return TableEncoder(meta).fit(table, rng=np.random.default_rng(1))


def assert_same(decoded: pd.DataFrame, table: pd.DataFrame, columns: list[str]) -> None:
    assert list(decoded.columns) == columns
    for name in columns:
        pd.testing.assert_series_equal(decoded[name], table[name], check_exact=True, check_index=False)


# ---------------------------------------------------------------------- TableEncoder
def test_table_roundtrip_float64_exact(data, fitted):
    table, _ = data
    matrix = fitted.encode(table, rng=np.random.default_rng(2), dtype=np.float64)
    assert matrix.dtype == np.float64 and matrix.shape == (len(table), total_width(fitted.spans))
    assert fitted.columns == LEARNED
    assert_same(fitted.decode(matrix), table, LEARNED)


def test_table_roundtrip_quantile_float64_exact(data):
    table, meta = data
    enc = TableEncoder(meta, numerical="quantile").fit(table, rng=np.random.default_rng(1))
    assert not any(s.kind == "mode" for s in enc.spans)
    assert_same(enc.decode(enc.encode(table, rng=np.random.default_rng(2), dtype=np.float64)), table, LEARNED)


def test_table_roundtrip_copula_exact(data):
    table, meta = data
    enc = TableEncoder(meta, numerical="copula").fit(table, rng=np.random.default_rng(1))
    kinds = [(s.kind, s.width) for s in enc.spans if s.column == "float3"]
    assert [k for k, _ in kinds] == ["missing", "scalar", "mode"]
    matrix = enc.encode(table, rng=np.random.default_rng(2), dtype=np.float64)
    assert_same(enc.decode(matrix), table, LEARNED)
    # the scalar of a copula column is mode-normalised normal scores: no spike left for a constant-ish column
    scores = enc.normalizers_[enc.columns.index("int")].scores(table["int"].to_numpy(float),
                                                                  rng=np.random.default_rng(0))
    assert abs(scores.mean()) < 0.15 and 0.85 < scores.std() < 1.15
    config, arrays = enc.state()
    clone = TableEncoder.from_state(json.loads(json.dumps(config)), arrays)
    assert clone.spans == enc.spans
    pd.testing.assert_frame_equal(clone.decode(matrix), enc.decode(matrix), check_exact=True)
    cols = ["int", "nullable", "float3", "negative", "date", "dm", "city", "flag", "constant"]
    enc32 = TableEncoder(meta.subset(cols), numerical="copula").fit(table, rng=np.random.default_rng(1))
    assert_same(enc32.decode(enc32.encode(table, rng=np.random.default_rng(2))), table, cols)


def test_table_roundtrip_float32_ordinary_ranges(data):
    table, meta = data
    cols = ["int", "nullable", "float3", "negative", "date", "dm", "city", "big", "flag", "constant"]
    enc = TableEncoder(meta.subset(cols)).fit(table, rng=np.random.default_rng(1))
    matrix = enc.encode(table, rng=np.random.default_rng(2))
    assert matrix.dtype == np.float32
    assert_same(enc.decode(matrix), table, cols)


def test_span_layout(data, fitted):
    table, _ = data
    spans = fitted.spans
    by_column = {name: [(s.kind, s.width) for s in spans if s.column == name] for name in LEARNED}
    assert by_column["int"][0] == ("scalar", 1) and by_column["int"][1][0] == "mode"
    assert [k for k, _ in by_column["nullable"]] == ["missing", "scalar", "mode"]
    assert by_column["float3"] == [("missing", 2), ("scalar", 1), ("mode", 2)]  # bimodal
    assert [k for k, _ in by_column["ts_z"]] == ["scalar", "mode"]  # no missing values
    assert by_column["city"] == [("category", 6)]  # 5 values + missing
    assert by_column["flag"] == [("category", 2)] and by_column["constant"] == [("scalar", 1), ("mode", 1)]
    assert "row_id" not in {s.column for s in spans} and "email" not in {s.column for s in spans}
    matrix = fitted.encode(table, rng=np.random.default_rng(2))
    assert sum(s.width for s in spans) == matrix.shape[1]
    for span, cols in zip(spans, span_slices(spans)):
        if span.activation == "softmax":
            assert np.all(matrix[:, cols].sum(axis=1) == 1)
    first = next(i for i, s in enumerate(spans) if s.column == "nullable")  # its missing span
    assert matrix[:, span_slices(spans)[first]][:, 1].sum() == table["nullable"].isna().sum()


def test_decode_takes_argmax_of_soft_outputs(data, fitted):
    table, _ = data
    matrix = fitted.encode(table, rng=np.random.default_rng(2), dtype=np.float64)
    soft = matrix.copy()
    for span, cols in zip(fitted.spans, span_slices(fitted.spans)):
        if span.activation == "softmax":
            soft[:, cols] = soft[:, cols] * 0.6 + 0.4 / span.width
    assert_same(fitted.decode(soft), table, LEARNED)


def test_decode_reads_the_compact_span_sample_like_the_matrix(data, fitted):
    table, _ = data
    matrix = fitted.encode(table, rng=np.random.default_rng(2), dtype=np.float64)
    slices = span_slices(fitted.spans)
    scalars = np.stack([matrix[:, c.start] for s, c in zip(fitted.spans, slices) if s.kind == "scalar"], axis=1)
    codes = np.stack([matrix[:, c].argmax(1) for s, c in zip(fitted.spans, slices) if s.kind != "scalar"], axis=1)
    compact = SpanSample(scalars, codes)
    np.testing.assert_array_equal(compact.to_matrix(fitted.spans), matrix.astype(np.float32))
    assert_same(fitted.decode(compact), table, LEARNED)
    with pytest.raises(InvalidDataError, match="SpanSample with .* scalar and .* code columns"):
        fitted.decode(SpanSample(scalars[:, 1:], codes))


def test_state_is_json_and_reproduces_decode(data, fitted):
    table, _ = data
    config, arrays = fitted.state()
    text = json.dumps(config)
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in arrays.values())
    clone = TableEncoder.from_state(json.loads(text), {k: v.copy() for k, v in arrays.items()})
    assert clone.spans == fitted.spans and clone.columns == fitted.columns
    a = fitted.encode(table, rng=np.random.default_rng(9))
    b = clone.encode(table, rng=np.random.default_rng(9))
    assert np.array_equal(a, b)
    pd.testing.assert_frame_equal(clone.decode(a), fitted.decode(a), check_exact=True)
    for name in ("int", "float3", "negative"):  # exact extremes live in arrays, not in the JSON
        assert str(table[name].max()) not in text and str(table[name].min()) not in text


def test_encode_is_seeded(data, fitted):
    table, _ = data
    a = fitted.encode(table, rng=np.random.default_rng(4))
    b = fitted.encode(table, rng=np.random.default_rng(4))
    assert np.array_equal(a, b)


def test_table_errors(data, fitted):
    table, meta = data
    with pytest.raises(NotFittedError):
        TableEncoder(meta).encode(table, rng=np.random.default_rng(0))
    with pytest.raises(InvalidParameterError, match="'numerical' parameter of TableEncoder"):
        TableEncoder(meta, numerical="bogus").fit(table, rng=np.random.default_rng(0))
    with pytest.raises(InvalidDataError, match=r"lacks 1 column.*'city'"):
        fitted.encode(table.drop(columns="city"), rng=np.random.default_rng(0))
    with pytest.raises(InvalidDataError, match="2-D matrix"):
        fitted.decode(np.zeros((3, 2)))
    bad = table.head(4).copy()
    bad["city"] = ["Secretown", "Paris", "Zoë", "Hidden"]
    with pytest.raises(InvalidDataError, match=r"2 values in column 'city' were not seen") as info:
        fitted.encode(bad, rng=np.random.default_rng(0))
    assert "Secretown" not in str(info.value) and "Hidden" not in str(info.value)
    holes = table.head(4).copy()
    holes["int"] = pd.array([1, None, 3, None], dtype="Int64")
    with pytest.raises(InvalidDataError, match=r"2 values in column 'int' are missing"):
        fitted.encode(holes, rng=np.random.default_rng(0))


def test_placeholder_for_missing_comes_from_observed(data, fitted):
    table, _ = data
    matrix = fitted.encode(table, rng=np.random.default_rng(2), dtype=np.float64)
    norm = fitted.normalizers_[fitted.columns.index("float3")]
    spans = fitted.spans
    start = next(i for i, s in enumerate(spans) if s.column == "float3")
    sl = span_slices(spans)
    values = norm.inverse(matrix[:, sl[start + 1]][:, 0], matrix[:, sl[start + 2]])
    missing = table["float3"].isna().to_numpy()
    observed = set(np.round(table["float3"].dropna(), 3))
    assert set(np.round(values[missing], 3)) <= observed


# ---------------------------------------------------------------------- CopulaEncoder
def test_copula_roundtrip_layout_and_state(data):
    table, meta = data
    enc = CopulaEncoder(meta, enforce_rounding=True, enforce_min_max_values=True)
    enc.fit(table, rng=np.random.default_rng(1))
    matrix = enc.encode(table, rng=np.random.default_rng(2))
    assert matrix.dtype == np.float64 and matrix.shape == (len(table), len(enc.spans))
    assert all(s.width == 1 for s in enc.spans) and enc.columns == LEARNED
    kinds = {name: [(s.kind, s.size) for s in enc.spans if s.column == name] for name in LEARNED}
    assert kinds["int"] == [("continuous", None)]
    assert kinds["nullable"] == [("discrete", 2), ("continuous", None)]
    assert kinds["city"] == [("discrete", 6)] and kinds["flag"] == [("discrete", 2)]
    assert_same(enc.decode(matrix), table, LEARNED)
    date_col = [i for i, s in enumerate(enc.spans) if s.column == "date"]
    assert np.array_equal(matrix[:, date_col[0]], table["date"].isna().to_numpy().astype(float))
    config, arrays = enc.state()
    clone = CopulaEncoder.from_state(json.loads(json.dumps(config)), arrays)
    assert clone.spans == enc.spans
    pd.testing.assert_frame_equal(clone.decode(matrix), enc.decode(matrix), check_exact=True)


def test_copula_decode_rounds_and_clips_codes(data):
    table, meta = data
    cols = ["int", "nullable", "city"]  # spans: int | nullable missing, nullable value | city
    enc = CopulaEncoder(meta.subset(cols)).fit(table)
    matrix = enc.encode(table, rng=np.random.default_rng(0))
    noisy = matrix.copy()
    noisy[:, [1, 3]] += 0.3  # codes are rounded
    assert_same(enc.decode(noisy), table, cols)
    wild = np.array([[2000.0, 7.0, 40.2, -5.0], [-2000.0, -1.0, 12.0, 99.0]])
    out = enc.decode(wild)
    city = enc.codecs_[2]
    assert out["city"].iloc[0] == city.categories[0]
    assert out["city"].iloc[1] == city.categories[-1] or pd.isna(city.categories[-1])
    assert out["int"].tolist() == [table["int"].max(), table["int"].min()]
    assert out["nullable"].iloc[0] is pd.NA and out["nullable"].iloc[1] == 12


# ---------------------------------------------------------------------- conditions
def test_discrete_spans_and_category_code(data, fitted):
    table, _ = data
    spans = fitted.spans
    discrete = fitted.discrete_spans()
    assert [spans[i].column for i in discrete] == ["city", "big", "flag", "const_cat"]
    assert all(spans[i].kind == "category" for i in discrete)
    matrix = fitted.encode(table, rng=np.random.default_rng(0))
    slices = span_slices(spans)
    for column, value in [("city", "Paris"), ("city", "東京"), ("city", ""), ("big", 2**60 + 7), ("flag", True),
                          ("const_cat", "same")]:
        index, code = fitted.category_code(column, value)
        assert spans[index].column == column and spans[index].kind == "category"
        rows = (table[column] == value).to_numpy(dtype=bool)
        assert rows.any() and np.all(matrix[rows, slices[index].start + code] == 1)
    index, code = fitted.category_code("city", None)  # the missing category
    assert np.all(matrix[table["city"].isna().to_numpy(), slices[index].start + code] == 1)
    assert fitted.category_code("city", float("nan")) == (index, code)
    assert fitted.category_code("flag", "True") == fitted.category_code("flag", True)  # text form as a fallback
    assert fitted.category_code("big", np.int64(2**60 + 7)) == fitted.category_code("big", 2**60 + 7)


def test_category_code_errors_list_the_valid_values():
    meta = Metadata([Column("sex", "categorical"), Column("age", "numerical", representation="int"),
                     Column("flag", "boolean")])
    table = pd.DataFrame({"sex": ["Male", "Female", "Male"], "age": [30, 40, 50], "flag": [True, False, True]})
    enc = TableEncoder(meta).fit(table, rng=np.random.default_rng(0))
    with pytest.raises(InvalidDataError, match=r"^sex has no category 'X'; valid values: 'Female', 'Male'$"):
        enc.category_code("sex", "X")
    with pytest.raises(InvalidDataError, match=r"^sex has no missing values; valid values: 'Female', 'Male'$"):
        enc.category_code("sex", None)
    with pytest.raises(InvalidDataError, match=r"'age' is not categorical; columns with categories to condition "
                                               r"on: 'sex', 'flag'"):
        enc.category_code("age", 30)
    with pytest.raises(InvalidDataError, match=r"'height' is not a learned column"):
        enc.category_code("height", 1)
    with pytest.raises(InvalidDataError, match=r"flag has no category 2; valid values: False, True"):
        enc.category_code("flag", 2)
    with pytest.raises(NotFittedError):
        TableEncoder(meta).category_code("sex", "Male")
