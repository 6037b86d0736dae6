"""Parallel generation into Parquet shards: every row there once, a rerun byte-identical, a deleted shard
made again alone, another run's folder refused, and the same bytes from Dask workers as from one process."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import veil
from veil.cli import app
from veil.scale.shards import MANIFEST, generate, shard_seed


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 600
    table = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age": rng.integers(18, 90, n),
                          "income": rng.normal(40_000, 8_000, n).round(2)})
    path = tmp_path_factory.mktemp("model") / "m.veil"
    veil.GaussianCopulaSynthesizer().fit(table).save(path)
    return path


def _stamps(folder):
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("part-*.parquet")}


def test_shards_resume_regenerate_alone_and_rerun_byte_identical(tmp_path, model_file):
    out = tmp_path / "out"
    manifest = generate(model_file, 2_500, out, seed=7, shard_rows=1_000)
    assert [e["rows"] for e in manifest["shards"]] == [1_000, 1_000, 500] and manifest["complete"]
    rows = pd.concat([pd.read_parquet(out / e["file"]) for e in manifest["shards"]], ignore_index=True)
    assert len(rows) == 2_500 and set(rows.sex) <= {"F", "M"}
    assert manifest["shards"][1]["seed"] == shard_seed(7, 1) != shard_seed(7, 0)
    first = {e["file"]: e["sha256"] for e in manifest["shards"]}
    stamps = _stamps(out)

    again = generate(model_file, 2_500, out, seed=7, shard_rows=1_000)  # nothing to do
    assert _stamps(out) == stamps and {e["file"]: e["sha256"] for e in again["shards"]} == first

    (out / "part-00001.parquet").unlink()
    (out / "part-00002.parquet").write_bytes(b"damaged")
    remade = generate(model_file, 2_500, out, seed=7, shard_rows=1_000)
    now = _stamps(out)
    assert now["part-00000.parquet"] == stamps["part-00000.parquet"]  # kept
    assert {e["file"]: e["sha256"] for e in remade["shards"]} == first  # the same bytes, made again

    elsewhere = tmp_path / "fresh"
    generate(model_file, 2_500, elsewhere, seed=7, shard_rows=1_000)
    assert all((elsewhere / f).read_bytes() == (out / f).read_bytes() for f in first)  # a rerun: byte-identical

    with pytest.raises(veil.SourceError, match="another run"):
        generate(model_file, 2_500, out, seed=8, shard_rows=1_000)


def test_dask_workers_write_the_same_bytes_as_one_process(tmp_path, model_file):
    pytest.importorskip("dask.distributed")
    one = generate(model_file, 3_000, tmp_path / "one", seed=3, shard_rows=1_000)
    result = CliRunner().invoke(app, ["sample", str(model_file), "-n", "3000", "--workers", "2", "--shard-rows",
                                      "1000", "--seed", "3", "-o", str(tmp_path / "two")])
    assert result.exit_code == 0, result.output
    two = json.loads((tmp_path / "two" / MANIFEST).read_text())
    assert two["complete"] and [e["sha256"] for e in two["shards"]] == [e["sha256"] for e in one["shards"]]
    assert "3,000 made" in result.output
