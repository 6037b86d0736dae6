"""The empirical audit of differential privacy: train with and without a planted record many times, attack,
and check that the ε the attack proves stays below the ε claimed. A model trained without DP is audited
the same way, to show that the attack sees a leak where there is one."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import veil
from veil.metrics.audit import audit, clopper_pearson, epsilon_lower_bound
from veil.pii.kinds import RARE_TOKEN

CANARY = pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["z"]})
#: the canary's first two values with every value of its last: the attack scores log p(c = z | a = x,
#: b = y), the part of the canary's likelihood that only the canary itself teaches a model
COMPLETIONS = pd.DataFrame({"a": ["x"] * 3, "b": ["y"] * 3, "c": ["z", "x", "y"]})


def test_clopper_pearson_and_the_bound_match_hand_values():
    low, high = clopper_pearson(0, 50)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 50))  # exact for zero successes
    assert epsilon_lower_bound(0, 50, 0, 50) == pytest.approx(np.log((1 - (1 - 0.0125 ** (1 / 50))) /
                                                                     (1 - 0.0125 ** (1 / 50))))
    assert audit(list(range(40)), list(range(40)))["epsilon_lower_bound"] == 0.0
    # perfectly separated scores: 21 + 21 tested trials prove ε >= 1.46 at 95%
    assert audit([1.0] * 30, [0.0] * 30)["epsilon_lower_bound"] == pytest.approx(1.4609, abs=1e-3)


def table(with_canary: bool) -> pd.DataFrame:
    """a = b = c in every row: the canary (x, y, z) stands out, though each of its values is common. The
    same rows in every trial; only the training's randomness changes."""
    rng = np.random.default_rng(0)
    n = 1_500
    a = rng.choice(["x", "y", "z"], n)
    out = pd.DataFrame({"a": a, "b": a, "c": a})
    return pd.concat([out, CANARY], ignore_index=True) if with_canary else out


def encodable(synth: veil.Synthesizer, row: pd.DataFrame) -> np.ndarray:
    """``row`` as the model's tokens; a value its private schema did not keep is its rare token."""
    row = row.copy()
    for name in row.columns:
        try:
            synth.encoder_.encode_column(name, row[name])
        except veil.InvalidDataError:
            row[name] = RARE_TOKEN
    return synth.encoder_.encode(row)


def canary_scores(trials: int, **options) -> tuple[list[float], list[float]]:
    """log p(c = z | a = x, b = y) under models trained with the canary and without it (a white-box
    attack on the model's likelihood)."""
    scores: dict[bool, list[float]] = {True: [], False: []}
    for trial in range(trials):
        for inside in (True, False):
            synth = veil.AutoregressiveSynthesizer(seed=trial, batch_size=256, value_protection=False, **options)
            synth.fit(table(inside))
            likelihood = synth.model_.log_likelihood(encodable(synth, COMPLETIONS))
            scores[inside].append(float(likelihood[0] - np.logaddexp.reduce(likelihood)))
    return scores[True], scores[False]


@pytest.mark.slow
def test_the_audit_bound_stays_below_the_claimed_epsilon_and_sees_a_model_without_dp():
    claimed = 1.0
    private = audit(*canary_scores(30, dp=True, epsilon=claimed, delta=1e-5, epochs=8), delta=1e-5)
    assert private["epsilon_lower_bound"] <= claimed, private
    # the same attack on models trained without DP finds a leak, so the audit is not blind
    plain = audit(*canary_scores(30, epochs=60, dropout=0.0, weight_decay=0.0, early_stopping_patience=None,
                                 validation_fraction=0.0))
    assert plain["epsilon_lower_bound"] > private["epsilon_lower_bound"], (plain, private)
