"""MST, the marginal-based private synthesizer: zCDP accounting, the private tree, and what it keeps."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import veil
from veil.pii.kinds import RARE_TOKEN
from veil.protect.dp import rho_for
from veil.synthesizers import synthesizer_class


def test_rho_converts_back_to_the_epsilon_it_came_from():
    for epsilon, delta in [(1.0, 1e-5), (10.0, 1e-6), (0.1, 1e-3)]:
        rho = rho_for(epsilon, delta)
        assert rho + 2 * math.sqrt(rho * math.log(1 / delta)) == pytest.approx(epsilon)


@pytest.fixture(scope="module")
def chain() -> pd.DataFrame:
    """a -> b -> c, each copying its parent 90% of the time; d independent; one rare category."""
    rng = np.random.default_rng(0)
    n = 20_000
    a = rng.choice(["x", "y", "z"], n)
    b = np.where(rng.random(n) < 0.9, a, rng.choice(["x", "y", "z"], n))
    c = np.where(rng.random(n) < 0.9, b, rng.choice(["x", "y", "z"], n)).astype(object)
    c[0] = "only-one-row"
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": rng.choice(["p", "q"], n),
                         "age": rng.integers(20, 70, n)})


def test_mst_finds_the_chain_and_keeps_its_pairs(chain, tmp_path):
    synth = synthesizer_class("mst")(epsilon=5.0).fit(chain)
    model = synth.model_
    assert len(model.parent_) == 4  # a spanning tree over five columns
    out = synth.sample(20_000, seed=0)
    for left, right in [("a", "b"), ("b", "c")]:
        assert (out[left] == out[right]).mean() > 0.85  # real: 0.93
    assert abs((out.a == "x").mean() - (chain.a == "x").mean()) < 0.03
    assert "only-one-row" not in set(out.c) and set(out.c) <= {"x", "y", "z", RARE_TOKEN}
    assert synth.privacy_["epsilon_spent"] == pytest.approx(5.0)
    again = veil.load(synth.save(tmp_path / "mst.veil"))
    assert again.sample(1_000, seed=3).equals(synth.sample(1_000, seed=3))
    assert again.privacy_ == synth.privacy_


def test_mst_noise_is_secret_and_a_budget_is_required(chain):
    one = synthesizer_class("mst")(epsilon=1.0, seed=0).fit(chain).model_.marginals_[0]
    two = synthesizer_class("mst")(epsilon=1.0, seed=0).fit(chain).model_.marginals_[0]
    assert not np.array_equal(one, two)
    with pytest.raises(veil.InvalidParameterError, match="epsilon"):
        synthesizer_class("mst")(epsilon=0.0).fit(chain)
