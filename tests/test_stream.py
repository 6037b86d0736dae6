"""Streaming fit: two passes over Parquet or a database, training from shards on disk."""
from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

import veil
from veil.cli import app
from veil.errors import InvalidParameterError, SourceError
from veil.pii.kinds import RARE_TOKEN
from veil.scale import stream
from veil.scale.stream import TokenShards, fit_streaming

FAST = {"epochs": 2, "batch_size": 256, "hidden_dim": 16, "embedding_dim": 4}


def _table(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    city[:12] = "harbour"  # 12 rows: kept by protection (k <= 7), yet rarely in a small sample
    city[12:15] = "island"  # 3 rows: below any k, never learned
    age = rng.integers(18, 80, n)
    income = np.round(1000 + 40 * age + rng.normal(0, 300, n), 2)
    income[15] = 1e9  # one extreme: clipped away
    return pd.DataFrame({"city": city, "age": age, "income": income,
                         "member": rng.random(n) < np.where(city == "north", 0.8, 0.2)})


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dataset")
    table = _table()
    for i, part in enumerate(np.array_split(np.arange(len(table)), 3)):
        table.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder, table


def test_a_streamed_fit_protects_as_a_fit_in_memory_and_learns_the_table(parquet_folder):
    folder, table = parquet_folder
    settings = {**FAST, "epochs": 10}
    streamed = fit_streaming(veil.AutoregressiveSynthesizer(**settings), folder, sample_rows=500, batch_rows=1000)
    in_memory = veil.AutoregressiveSynthesizer(**settings).fit(table)
    # rare categories and bounds decided on the exact counts, not the 500-row sample
    assert streamed.protection_.kept == in_memory.protection_.kept
    assert {k: (b.low, b.high) for k, b in streamed.protection_.bounds.items()} == \
           {k: (b.low, b.high) for k, b in in_memory.protection_.bounds.items()}
    assert "harbour" in streamed.protection_.kept["city"] and "island" not in streamed.protection_.kept["city"]
    assert streamed.fit_rows_ == len(table)
    out = streamed.sample(20_000, seed=1)
    assert "island" not in set(out.city) and out.income.max() < 1e6
    # a category the sample may have missed is still in the vocabulary and generated
    assert (out.city == "harbour").sum() > 0 and RARE_TOKEN in set(out.city)
    shares = out.city.value_counts(normalize=True)
    assert abs(shares["north"] - 0.4) < 0.03 and abs(shares["west"] - 0.1) < 0.03
    # the dependence between columns is learned from the streamed rows (0.8 against 0.2 in the table)
    assert out.member[out.city == "north"].mean() > out.member[out.city != "north"].mean() + 0.4
    same_fit = in_memory.sample(20_000, seed=1)
    assert abs(np.corrcoef(out.age, out.income)[0, 1] - np.corrcoef(same_fit.age, same_fit.income)[0, 1]) < 0.1


def test_a_database_cursor_streams_too(tmp_path):
    table = _table(3000, seed=1)
    path = tmp_path / "people.sqlite"
    with sqlite3.connect(path) as con:
        table.to_sql("people", con, index=False)
    synth = fit_streaming(veil.AutoregressiveSynthesizer(**FAST), str(path), table="people", batch_rows=700)
    assert synth.fit_rows_ == 3000 and set(synth.sample(100, seed=0).columns) == set(table.columns)


def test_the_shuffle_buffer_gives_every_row_at_most_once_in_full_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "SHARD_ROWS", 1000)
    monkeypatch.setattr(stream, "BUFFER_ROWS", 700)
    shards = TokenShards(tmp_path, [5000, 3], total_rows=5000, validation_fraction=0.1, max_training_rows=None,
                         rng=np.random.default_rng(0))
    ids = np.arange(5000)
    for part in np.array_split(ids, 7):  # rows arrive in order: 0, 1, 2, ...
        shards.add(np.stack([part, part % 3], axis=1).astype(np.float32))
    shards.finish()
    assert shards.n_shards == 5 and shards.training_rows + len(shards.validation) == 5000
    assert abs(len(shards.validation) - 500) < 80
    batches = list(shards.epoch(128, torch.Generator().manual_seed(0)))
    assert len(batches) == shards.training_rows // 128 and all(len(b) == 128 for b in batches)
    seen = torch.cat(batches)[:, 0]
    assert len(set(seen.tolist())) == len(seen)  # no row twice
    assert not set(seen.tolist()) & set(shards.validation[:, 0].tolist())  # validation rows never trained on
    # well mixed: the first batch spans the table, not its first rows
    assert batches[0][:, 0].float().mean() > 1000 and batches[0][:, 0].max() > 4000
    assert [int(c.sum()) for c in shards.counts([5000, 3])] == [5000, 5000]


def test_max_training_rows_caps_the_rows_trained_on(tmp_path):
    shards = TokenShards(tmp_path, [10], total_rows=20_000, validation_fraction=0.1, max_training_rows=5000,
                         rng=np.random.default_rng(0))
    shards.add(np.zeros((20_000, 1), np.float32))
    shards.finish()
    assert abs(shards.training_rows - 5000) < 250 and shards.n_shards == 1


def test_what_cannot_stream_is_refused_clearly(parquet_folder, tmp_path):
    folder, table = parquet_folder
    with pytest.raises(InvalidParameterError, match="autoregressive"):
        fit_streaming(veil.TVAESynthesizer(epochs=1), folder)
    with pytest.raises(InvalidParameterError, match="differential privacy"):
        fit_streaming(veil.AutoregressiveSynthesizer(dp=True, epsilon=1.0), folder)
    csv = tmp_path / "t.csv"
    table.to_csv(csv, index=False)
    with pytest.raises(SourceError, match="Parquet"):
        fit_streaming(veil.AutoregressiveSynthesizer(**FAST), csv)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="no Parquet"):
        fit_streaming(veil.AutoregressiveSynthesizer(**FAST), tmp_path / "empty")
    with_email = table.assign(email=[f"user{i}@example.org" for i in range(len(table))])
    with_email.to_parquet(tmp_path / "emails.parquet")
    metadata = veil.Metadata.detect(with_email).update_column("email", policy="hash")
    with pytest.raises(InvalidParameterError, match="hash"):
        fit_streaming(veil.AutoregressiveSynthesizer(metadata=metadata, **FAST), tmp_path / "emails.parquet")


def test_the_command_line_fits_streaming(parquet_folder, tmp_path):
    folder, _ = parquet_folder
    model = tmp_path / "m.veil"
    result = CliRunner().invoke(app, ["fit", str(folder), "-o", str(model), "--streaming", "--epochs", "1",
                                      "--max-training-rows", "3000"])
    assert result.exit_code == 0, result.output
    assert "streamed" in result.output and veil.load(model).fit_rows_ == 6000
