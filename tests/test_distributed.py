"""Data-parallel training: two gloo processes compute one process's gradients on the same global batch."""
from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from veil.cli import app
from veil.models.nn.distributed import LOCAL, DataParallel

WORKER = Path(__file__).with_name("_distributed_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ranks(tmp_path_factory) -> Path:
    """Two ranks of the worker, run once for the module; the folder of their results."""
    out = tmp_path_factory.mktemp("ranks")
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()), "WORLD_SIZE": "2",
           "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(out)],
                              env={**env, "RANK": str(r), "LOCAL_RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for r in range(2)]
    logs = [p.communicate(timeout=300)[0] for p in procs]
    for p, log in zip(procs, logs):
        assert p.returncode == 0, log[-3000:]
    return out


@pytest.fixture(scope="module")
def worker():
    sys.path.insert(0, str(WORKER.parent))
    import _distributed_worker

    return _distributed_worker


@pytest.fixture(scope="module")
def single(worker):
    """Each scenario run once in this process (no process group), on demand."""
    return functools.cache(worker.record)


def _load(folder: Path, name: str, rank: int) -> dict[str, np.ndarray]:
    with np.load(folder / f"{name}_rank{rank}.npz", allow_pickle=False) as f:
        return dict(f)


@pytest.mark.parametrize("name", ["autoregressive", "tvae", "ctgan"])
def test_gradients_match_one_process(ranks, single, name):
    one = single(name)
    zero, other = _load(ranks, name, 0), _load(ranks, name, 1)
    grads = sorted(k for k in one if k.startswith("grad"))
    assert grads and sorted(k for k in zero if k.startswith("grad")) == grads
    for key in grads:
        assert np.array_equal(zero[key], other[key]), key  # every rank steps with the same gradient
    first = [k for k in grads if k.startswith("grad0_") or k.startswith("grad1_")]  # the first global batch
    for key in first:
        assert np.allclose(zero[key], one[key], rtol=1e-5, atol=1e-6), (key, np.abs(zero[key] - one[key]).max())
    for key in grads:  # later batches, after steps that differ in the last bits only
        assert np.allclose(zero[key], one[key], rtol=1e-3, atol=1e-5), (key, np.abs(zero[key] - one[key]).max())


def _zero_gradient(key: str) -> bool:
    """CTGAN's weights whose gradient is zero in exact arithmetic (the critic's output bias under the
    Wasserstein loss, a linear bias just before batch norm) and what follows them: Adam turns their
    rounding noise, different in one and two processes, into steps of about one learning rate."""
    return key.endswith(("critic_.out.bias", "fc.bias", "running_mean"))


@pytest.mark.parametrize("name", ["autoregressive", "tvae", "ctgan"])
def test_short_fit_gives_one_process_weights(ranks, single, name):
    one = single(name)
    zero, other = _load(ranks, name, 0), _load(ranks, name, 1)
    weights = [k for k in one if k.startswith("weight:")]
    assert weights
    for key in weights:
        assert np.array_equal(zero[key], other[key]), key
        atol = 1e-2 if name == "ctgan" and _zero_gradient(key) else 1e-5
        assert np.allclose(zero[key], one[key], rtol=1e-4, atol=atol), (key, np.abs(zero[key] - one[key]).max())
    if name != "ctgan":  # (CTGAN's losses move with the critic's output bias)
        assert np.allclose(zero["history"], one["history"], rtol=1e-5, atol=1e-5)


def test_dp_step_without_noise_matches_one_process(ranks, worker):
    one = worker.dp_step(0.0)
    for rank in (0, 1):
        got = _load(ranks, "dp_quiet", rank)
        for key in (k for k in one if k.startswith("weight:")):
            assert np.allclose(got[key], one[key], rtol=1e-5, atol=1e-6), key
    assert not _load(ranks, "dp_quiet", 0)["noise_drawn"]


def test_dp_noise_is_drawn_on_rank_zero_only(ranks, worker):
    zero, other = _load(ranks, "dp_noisy", 0), _load(ranks, "dp_noisy", 1)
    assert zero["noise_drawn"] and not other["noise_drawn"]
    quiet = _load(ranks, "dp_quiet", 0)
    for key in (k for k in zero if k.startswith("weight:")):
        assert np.array_equal(zero[key], other[key]), key  # rank 0's noise reached every rank
    assert any(not np.allclose(zero[k], quiet[k]) for k in zero if k.startswith("weight:"))


@pytest.mark.parametrize("name", ["autoregressive", "ctgan"])  # (the accountant's search is slow: two)
def test_private_fit_keeps_ranks_in_step(ranks, name):
    zero, other = _load(ranks, f"dp_fit_{name}", 0), _load(ranks, f"dp_fit_{name}", 1)
    assert zero.keys() == other.keys()
    for key in zero:
        assert np.array_equal(zero[key], other[key]), key


def test_ranks_holding_other_weights_are_refused(ranks):
    assert _load(ranks, "mismatch", 0)["detected"] and _load(ranks, "mismatch", 1)["detected"]


def test_local_rows_split_a_batch_without_gaps():
    for world in (1, 2, 3):
        for n in (0, 1, 7, 512):
            slices = [DataParallel(r, world).local_rows(n) for r in range(world)]
            assert slices[0].start == 0 and slices[-1].stop == n
            assert all(a.stop == b.start for a, b in zip(slices, slices[1:]))
            assert max(s.stop - s.start for s in slices) - min(s.stop - s.start for s in slices) <= 1


def test_one_process_is_a_no_op():
    p = torch.nn.Parameter(torch.ones(3))
    p.grad = torch.full((3,), 2.0)
    LOCAL.sync_gradients([p], 1, 4)
    assert torch.equal(p.grad, torch.full((3,), 2.0))
    assert LOCAL.agree(True) and LOCAL.shared_seed() is None and LOCAL.local_rows(5) == slice(0, 5)


def test_cli_distributed_needs_torchrun(tmp_path, monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "t.csv"
    data.write_text("a,b\n1,x\n2,y\n")
    result = CliRunner().invoke(app, ["fit", str(data), "-o", str(tmp_path / "m.veil"), "--distributed"])
    assert result.exit_code == 1
    assert "torchrun --nproc-per-node" in result.output and "RANK" in result.output
    assert not (tmp_path / "m.veil").exists()


def test_cli_distributed_refuses_other_models(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("a,b\n1,x\n2,y\n")
    result = CliRunner().invoke(app, ["fit", str(data), "-o", str(tmp_path / "m.veil"), "--model",
                                      "gaussian_copula", "--distributed"])
    assert result.exit_code == 1 and "ctgan, tvae, autoregressive" in result.output
