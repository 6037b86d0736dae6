"""Sources and sinks: every format reads back what it wrote (types included), writes are whole or absent,
nothing is overwritten unasked, the source is never changed, and passwords never show."""
from __future__ import annotations

import hashlib
import os
import uuid
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import veil
from veil.cli import app
from veil.io import open_sink, parse_location, read_table, write_table
from veil.io.location import _find_password

POSTGRES_URL = os.environ.get("VEIL_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="no PostgreSQL server: start one with `eval \"$(.ci/postgres.sh start)\"`, which "
                             "sets VEIL_TEST_POSTGRES_URL (CI does this)")


def every_kind() -> pd.DataFrame:
    """One column of each kind veil reads and writes, each with a missing cell."""
    return pd.DataFrame({
        "id": np.arange(1, 6, dtype=np.int64),
        "age": pd.array([34, None, 51, 28, None], dtype="Int64"),
        "income": [52000.5, np.nan, 61000.25, 0.1, -3.75],
        "balance": [Decimal("12.50"), None, Decimal("-0.07"), Decimal("123456789012345678.99"), Decimal("0.00")],
        "member": pd.array([True, None, False, True, False], dtype="boolean"),
        "active": [True, False, True, True, False],
        "seen": pd.to_datetime(["2024-01-05 10:30:00", None, "2023-12-31 23:59:59.123456", "2020-02-29 00:00:00",
                                "2024-06-01 12:00:00"], format="ISO8601").tz_localize("UTC"),
        "born": pd.to_datetime(["1990-01-05", "1985-07-14", None, "2001-12-31", "1970-01-01"]),
        "city": ["Paris", None, "Zürich", "", "O'Hare, \"IL\""],
        "note": ["x" * 5_000, "line one\nline two\ttab \\ back", None, "ü" * 300, "short"],
    })


FILES = ["t.csv", "t.csv.gz", "t.tsv", "t.parquet", "t.jsonl", "t.xlsx"]
DATABASES = [("t.sqlite", "people"), ("sqlite:///{tmp}/u.db", "people"), ("t.duckdb", "people"),
             ("duckdb:///{tmp}/u.duckdb", "main.people")]


def _where(tmp_path: Path, name: str) -> str:
    return name.format(tmp=tmp_path) if "://" in name else str(tmp_path / name)


@pytest.mark.parametrize("name", FILES)
def test_every_file_format_reads_back_what_it_wrote(tmp_path, name):
    table = every_kind()
    write_table(table, _where(tmp_path, name))
    expected = table.copy()
    if name.endswith(".xlsx"):  # an Excel cell cannot hold an empty string: it is an empty cell
        expected.loc[3, "city"] = None
    pd.testing.assert_frame_equal(read_table(_where(tmp_path, name)), expected, check_exact=True)


@pytest.mark.parametrize("name, table_name", DATABASES)
def test_every_database_reads_back_what_it_wrote(tmp_path, name, table_name):
    table = every_kind()
    where = _where(tmp_path, name)
    write_table(table, where, table=table_name, chunk_rows=2)  # three chunks, one transaction
    pd.testing.assert_frame_equal(read_table(where, table=table_name), table, check_exact=True)
    picked = read_table(where, query=f"SELECT id, balance FROM {table_name} WHERE id >= 4")
    assert picked.id.tolist() == [4, 5] and picked.balance.tolist() == [Decimal("123456789012345678.99"),
                                                                        Decimal("0.00")]


@needs_postgres
def test_postgresql_reads_back_what_it_wrote():
    table, name = every_kind(), f"veil_test_{uuid.uuid4().hex[:8]}"
    write_table(table, POSTGRES_URL, table=name, chunk_rows=2)
    try:
        pd.testing.assert_frame_equal(read_table(POSTGRES_URL, table=name, batch_rows=2), table, check_exact=True)
        # the source is never changed: a query that would is refused by the read-only transaction
        assert read_table(POSTGRES_URL, query="SELECT current_setting('transaction_read_only') AS ro").ro[0] == "on"
        with pytest.raises(veil.SourceError, match="data-modifying"):
            read_table(POSTGRES_URL, query=f"WITH gone AS (DELETE FROM {name} RETURNING id) SELECT * FROM gone")
        assert len(read_table(POSTGRES_URL, table=name)) == 5
    finally:
        write_table(table.iloc[:1], POSTGRES_URL, table=name, overwrite=True)


def test_writes_refuse_to_replace_unless_asked_and_a_failed_write_leaves_the_old_one(tmp_path):
    table = every_kind()
    for target, name in ((tmp_path / "a.parquet", None), (tmp_path / "a.duckdb", "t"), (tmp_path / "a.sqlite", "t")):
        write_table(table, target, table=name)
        with pytest.raises(veil.SourceError, match="already exists; pass --overwrite"):
            write_table(table.iloc[:2], target, table=name)
        with pytest.raises(RuntimeError, match="boom"), open_sink(target, table=name, overwrite=True) as sink:
            sink.write(table.iloc[:1])
            raise RuntimeError("boom")  # halfway: nothing of the new table may be left
        assert len(read_table(target, table=name)) == 5
        write_table(table.iloc[:2], target, table=name, overwrite=True)
        assert len(read_table(target, table=name)) == 2
    assert not list(tmp_path.glob("*.partial"))


def test_progress_is_reported_per_chunk(tmp_path):
    seen = []
    write_table(every_kind(), tmp_path / "p.csv", chunk_rows=2, progress=seen.append)
    assert seen == [2, 4, 5]


def test_reading_never_changes_the_source(tmp_path):
    db = tmp_path / "s.sqlite"
    write_table(every_kind(), db, table="people")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(veil.SourceError, match="readonly|read-only|read only"):
        read_table(db, query="DELETE FROM people RETURNING id")
    read_table(db, table="people")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_csv_encoding_and_delimiter_are_sniffed(tmp_path):
    semicolons = tmp_path / "excel.csv"
    semicolons.write_bytes("city;amount;code\nZürich;12,5;02139\nKöln;3;00501\n".encode("cp1252"))
    table = read_table(semicolons)
    assert table.city.tolist() == ["Zürich", "Köln"]
    assert table.code.tolist() == ["02139", "00501"]  # leading zeros: text, never a number
    tabs = tmp_path / "t.tsv"
    tabs.write_text("a\tb\n1\tx y\n2\t\n", encoding="utf-8")
    table = read_table(tabs)
    assert table.a.dtype == np.int64 and table.b.tolist()[0] == "x y" and pd.isna(table.b.tolist()[1])


def test_text_cells_take_the_narrowest_exact_type(tmp_path):
    path = tmp_path / "kinds.csv"
    path.write_text("money,ratio,count,flag,when,stamp\n"
                    "12.50,0.5,3,true,2024-01-01 10:00:00+02:00,2013-01-01T05:00:00Z\n"
                    "3.99,1.25,,FALSE,2024-01-02 00:00:00+00:00,2013-01-01T06:00:00Z\n", encoding="utf-8")
    table = read_table(path)
    assert table.money.tolist() == [Decimal("12.50"), Decimal("3.99")]  # float would lose the trailing zero
    assert table.ratio.dtype == np.float64 and str(table["count"].dtype) == "Int64"
    assert table.flag.tolist() == [True, False]
    assert str(table.when.dtype).startswith("datetime64") and str(table.when.dt.tz) == "UTC"
    assert table.when.iloc[0] == pd.Timestamp("2024-01-01 08:00", tz="UTC")
    # other spellings stay text, so that a model writes them back in their own format
    assert table.stamp.tolist() == ["2013-01-01T05:00:00Z", "2013-01-01T06:00:00Z"]


def test_a_synthesizer_gives_decimals_back_as_decimals(tmp_path):
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"balance": [Decimal(f"{v:.2f}") for v in rng.normal(100, 20, 600)],
                          "group": rng.choice(["a", "b"], 600)})
    synth = veil.GaussianCopulaSynthesizer().fit(table)
    out = veil.load(synth.save(tmp_path / "m.veil")).sample(300, seed=0)
    assert all(isinstance(v, Decimal) and v.as_tuple().exponent == -2 for v in out.balance)


def test_a_database_needs_a_table_and_files_refuse_one(tmp_path):
    with pytest.raises(veil.InvalidParameterError, match="name a --table"):
        parse_location(tmp_path / "x.duckdb")
    with pytest.raises(veil.InvalidParameterError, match="--table and --query are for databases"):
        parse_location(tmp_path / "x.csv", table="t")
    with pytest.raises(veil.InvalidParameterError, match="not both"):
        parse_location("sqlite:///x.db", table="t", query="SELECT 1")
    with pytest.raises(veil.SourceError, match="does not exist"):
        read_table(tmp_path / "missing.sqlite", table="t")


# ------------------------------------------------------------------------------------------ credentials
def test_passwords_come_from_a_pgpass_file_and_are_never_shown(tmp_path, monkeypatch):
    from sqlalchemy.engine import make_url

    from veil.io import scrub

    passfile = tmp_path / "pass"
    passfile.write_text("# host:port:database:user:password\nother:5432:*:*:nope\ndb.example:*:shop:ann:s3cr\\:et\n")
    monkeypatch.setenv("VEIL_PASSFILE", str(passfile))
    monkeypatch.delenv("VEIL_DB_PASSWORD", raising=False)
    assert _find_password("db.example", 5433, "shop", "ann") == "s3cr:et"
    assert _find_password("db.example", 5433, "shop", "bob") is None
    location = parse_location("postgresql://ann@db.example:5433/shop", table="people")
    assert make_url(location.url).password == "s3cr:et"
    assert "s3cr" not in location.describe() and "s3cr" not in scrub(f"failed: {location.url}")
    shown = parse_location("postgresql://ann:hunter22@db.example/shop", table="t").describe()
    assert "hunter22" not in shown and "***" in shown


@needs_postgres
def test_a_password_in_the_url_never_shows_in_output_logs_or_the_model(tmp_path, caplog):
    from sqlalchemy.engine import make_url

    password = make_url(POSTGRES_URL).password
    name = f"veil_people_{uuid.uuid4().hex[:8]}"
    rng = np.random.default_rng(1)
    people = pd.DataFrame({"age": rng.integers(18, 90, 400), "sex": rng.choice(["F", "M"], 400),
                           "income": rng.normal(50_000, 9_000, 400).round(2)})
    write_table(people, POSTGRES_URL, table=name)
    runner = CliRunner()
    model = tmp_path / "m.veil"
    with caplog.at_level("DEBUG"):
        fitted = runner.invoke(app, ["fit", POSTGRES_URL, "--table", name, "--model", "gaussian_copula",
                                     "-o", str(model)])
        sampled = runner.invoke(app, ["sample", str(model), "-n", "1000", "--to", POSTGRES_URL, "--table",
                                      name + "_synth"])
        again = runner.invoke(app, ["sample", str(model), "-n", "10", "--to", POSTGRES_URL, "--table",
                                    name + "_synth"])
        wrong = runner.invoke(app, ["fit", POSTGRES_URL.replace(password, password + "x"), "--table", name,
                                    "-o", str(tmp_path / "w.veil")])
    assert fitted.exit_code == 0, fitted.output
    assert sampled.exit_code == 0 and "1,000 synthetic rows" in sampled.output, sampled.output
    assert again.exit_code == 1 and "already exists; pass --overwrite" in again.output
    assert wrong.exit_code == 1 and "error:" in wrong.output
    assert len(read_table(POSTGRES_URL, table=name + "_synth")) == 1000
    for text in (fitted.output, sampled.output, again.output, wrong.output, caplog.text,
                 model.read_bytes().decode("latin-1")):
        assert password not in text and (password + "x") not in text


def test_sample_writes_chunks_to_a_database_from_the_command_line(tmp_path):
    rng = np.random.default_rng(2)
    people = pd.DataFrame({"age": rng.integers(18, 90, 500), "sex": rng.choice(["F", "M"], 500)})
    write_table(people, tmp_path / "people.parquet")
    runner = CliRunner()
    model = tmp_path / "m.veil"
    assert runner.invoke(app, ["fit", str(tmp_path / "people.parquet"), "--model", "gaussian_copula",
                               "-o", str(model)]).exit_code == 0
    target = f"duckdb:///{tmp_path}/out.duckdb"
    result = runner.invoke(app, ["sample", str(model), "-n", "2500", "--chunk-rows", "1000", "--to", target,
                                 "--table", "synth", "--seed", "3"])
    assert result.exit_code == 0, result.output
    first = read_table(target, table="synth")
    assert len(first) == 2500 and set(first.sex) <= {"F", "M"}
    result = runner.invoke(app, ["sample", str(model), "-n", "2500", "--chunk-rows", "1000", "--to", target,
                                 "--table", "synth", "--seed", "3", "--overwrite"])
    assert result.exit_code == 0
    pd.testing.assert_frame_equal(read_table(target, table="synth"), first)  # same seed, same chunks


def test_any_sqlalchemy_database_takes_rows_through_plain_inserts(tmp_path):
    """A database without a fast path of its own (here SQLite reached through SQLAlchemy) still reads and
    writes, in one transaction; its own types decide what comes back."""
    from veil.io import Location

    where = Location("database", "other", url=f"sqlite:///{tmp_path / 'generic.db'}", table="people")
    table = pd.DataFrame({"id": np.arange(4, dtype=np.int64), "name": ["a", None, "c", "d"],
                          "score": [1.5, np.nan, 2.25, -1.0]})
    write_table(table, where, chunk_rows=3)
    pd.testing.assert_frame_equal(read_table(where), table)
    with pytest.raises(veil.SourceError, match="already exists"):
        write_table(table, where)
    with pytest.raises(veil.InvalidParameterError, match="must be a SELECT"):
        read_table(Location("database", "other", url=where.url, query="DELETE FROM people"))
