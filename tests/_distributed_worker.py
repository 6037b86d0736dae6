"""One rank of the data-parallel tests (tests/test_distributed.py starts two, with torchrun's environment).

``python _distributed_worker.py OUT``: joins the gloo group, runs every scenario and writes each one's
gradients and weights to ``OUT/<scenario>_rank<r>.npz``. The test runs the same scenarios in one process
(:func:`record` without a process group) and compares.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from veil.errors import InvalidDataError
from veil.models.nn.blocks import MLP
from veil.models.nn.distributed import current, launch
from veil.models.nn.dp import DPSGD, functional
from veil.models.nn.torch_utils import build
from veil.synthesizers import AutoregressiveSynthesizer, CTGANSynthesizer, TVAESynthesizer

#: small fits with batches that do not split evenly over two ranks (27 rows, 25 rows, 7 packs of 2)
SCENARIOS: dict[str, Callable[[], object]] = {
    "autoregressive": lambda: AutoregressiveSynthesizer(epochs=2, batch_size=27, time_budget=None, device="cpu",
                                                        value_protection=False, hidden_dim=16, embedding_dim=4),
    "tvae": lambda: TVAESynthesizer(epochs=2, batch_size=25, compress_dims=(16, 16), decompress_dims=(16, 16),
                                    embedding_dim=8, device="cpu", value_protection=False),
    "ctgan": lambda: CTGANSynthesizer(epochs=2, batch_size=14, pac=2, generator_dim=(16, 16),
                                      discriminator_dim=(16, 16), embedding_dim=8, device="cpu",
                                      value_protection=False),
}


def table(rows: int = 120) -> pd.DataFrame:
    """Two dependent categories, a number and a count."""
    rng = np.random.default_rng(7)
    kind = rng.choice(["a", "b", "c"], size=rows, p=[0.5, 0.3, 0.2])
    value = np.where(kind == "a", rng.normal(0, 1, rows), rng.normal(5, 2, rows))
    return pd.DataFrame({"kind": kind, "value": value.round(3), "count": rng.poisson(3, rows),
                         "flag": np.where(value > 2, "yes", "no")})


def record(name: str) -> dict[str, np.ndarray]:
    """Fit scenario ``name``: every synchronised gradient (``grad<call>_<i>``), the final weights
    (``weight:<name>``) and the history (``history``)."""
    parallel = current()
    calls: list[list[torch.Tensor]] = []
    original = parallel.sync_gradients

    def recording(parameters, local_n: int, global_n: int) -> None:
        params = list(parameters)
        original(params, local_n, global_n)
        calls.append([p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p) for p in params])

    parallel.sync_gradients = recording
    try:
        synth = SCENARIOS[name]()
        synth.fit(table())
    finally:
        del parallel.sync_gradients
    arrays = {f"grad{c}_{i}": g.numpy() for c, grads in enumerate(calls) for i, g in enumerate(grads)}
    _, weights = synth.model_.state()
    arrays.update({f"weight:{k}": v for k, v in weights.items()})
    arrays["history"] = np.array([[v for k, v in sorted(r.items())] for r in synth.model_.history_])
    return arrays


def dp_step(noise_multiplier: float) -> dict[str, np.ndarray]:
    """One DP-SGD step (SGD, learning rate 1) of a small network on 9 fixed rows, each rank on its slice;
    the weights after it and whether this rank's noise generator moved."""
    generator = torch.Generator().manual_seed(3)
    net = build(lambda: MLP(4, (8,), 1), torch.device("cpu"), generator)
    x, y = torch.randn(9, 4, generator=generator), torch.randn(9, 1, generator=generator)
    trainer = DPSGD({"net": net}, torch.optim.SGD(net.parameters(), lr=1.0), rows=9, batch_size=9, epochs=1,
                    epsilon=1.0, delta=1e-5, max_grad_norm=0.5, noise_multiplier=noise_multiplier)

    def loss_of_row(params: dict[str, torch.Tensor], xr: torch.Tensor, yr: torch.Tensor) -> torch.Tensor:
        return ((functional(net, params, "net")(xr) - yr) ** 2).sum()

    mine = current().local_rows(9)
    before = trainer.generator.get_state().clone()
    trainer.step(loss_of_row, x[mine], y[mine])
    moved = not torch.equal(before, trainer.generator.get_state())
    return {**{f"weight:{k}": v.detach().numpy().copy() for k, v in net.state_dict().items()},
            "noise_drawn": np.array(moved)}


#: DP fits (rank 0's secret seeds shared for the private schema, noisy counts and Poisson sampling)
PRIVATE: dict[str, Callable[[], object]] = {
    "autoregressive": lambda: AutoregressiveSynthesizer(epochs=1, dp=True, epsilon=10.0, device="cpu",
                                                        batch_size=32),
    "ctgan": lambda: CTGANSynthesizer(epochs=1, dp=True, epsilon=10.0, device="cpu", batch_size=32, pac=4,
                                      generator_dim=(8,), discriminator_dim=(8,), embedding_dim=4),
}


def private_fit(name: str) -> dict[str, np.ndarray]:
    """A DP fit: its weights (the same on every rank if the ranks kept in step)."""
    synth = PRIVATE[name]()
    synth.fit(table())
    _, weights = synth.model_.state()
    return {f"weight:{k}": v for k, v in weights.items()}


def mismatch() -> dict[str, np.ndarray]:
    """Whether check_same notices rank 1 holding other weights."""
    weights = torch.ones(5) if current().rank == 0 else torch.full((5,), 2.0)
    try:
        current().check_same([weights], "weights")
    except InvalidDataError:
        return {"detected": np.array(True)}
    return {"detected": np.array(False)}


def main(out: Path) -> None:
    with launch("cpu") as parallel:
        results = {name: (lambda name=name: record(name)) for name in SCENARIOS}
        results.update({"dp_quiet": lambda: dp_step(0.0), "dp_noisy": lambda: dp_step(1.0),
                        "mismatch": mismatch})
        results.update({f"dp_fit_{name}": (lambda name=name: private_fit(name)) for name in PRIVATE})
        for name, run in results.items():
            np.savez(out / f"{name}_rank{parallel.rank}.npz", **run())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
