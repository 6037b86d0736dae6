"""The empirical audit of differential privacy: train with and without a planted record many times, attack,
and check that the ε the attack proves stays below the ε claimed. A model trained without DP is audited
the same way, to show that the attack has the power to catch a false claim."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import veil
from veil.metrics.audit import audit, clopper_pearson, epsilon_lower_bound
from veil.pii.kinds import RARE_TOKEN

CANARY = pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["z"]})
#: a row never planted, as rare as the canary: its likelihood tracks how much a model smooths, so the
#: attack scores the canary against it (a per-model calibration, as in likelihood-ratio attacks)
CONTROL = pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["x"]})


def test_clopper_pearson_and_the_bound_match_hand_values():
    low, high = clopper_pearson(0, 50)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 50))  # exact for zero successes
    assert epsilon_lower_bound(0, 50, 0, 50) == pytest.approx(np.log((1 - (1 - 0.0125 ** (1 / 50))) /
                                                                     (1 - 0.0125 ** (1 / 50))))
    assert audit(list(range(40)), list(range(40)))["epsilon_lower_bound"] == 0.0


def table(with_canary: bool) -> pd.DataFrame:
    """b = a nine times in ten, c = b always: the canary (x, y, z), the only row where c differs from b,
    stands out, though each of its values is common. The same rows in every trial; only the training's
    randomness changes."""
    rng = np.random.default_rng(0)
    n = 1_500
    a = rng.choice(["x", "y", "z"], n)
    b = np.where(rng.random(n) < 0.9, a, rng.choice(["x", "y", "z"], n))
    out = pd.DataFrame({"a": a, "b": b, "c": b})
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
    """The canary's log-likelihood minus the control's, under models trained with the canary and without
    it (a white-box attack)."""
    scores: dict[bool, list[float]] = {True: [], False: []}
    for trial in range(trials):
        for inside in (True, False):
            synth = veil.AutoregressiveSynthesizer(seed=trial, batch_size=256, value_protection=False, **options)
            synth.fit(table(inside))
            canary, control = synth.model_.log_likelihood(encodable(synth, pd.concat([CANARY, CONTROL])))
            scores[inside].append(float(canary - control))
    return scores[True], scores[False]


@pytest.mark.slow
def test_the_audit_bound_stays_below_the_claimed_epsilon_and_catches_a_model_without_dp():
    claimed = 1.0
    private = audit(*canary_scores(30, dp=True, epsilon=claimed, delta=1e-5, epochs=8), delta=1e-5)
    assert private["epsilon_lower_bound"] <= claimed, private
    plain = audit(*canary_scores(30, epochs=200, early_stopping_patience=None, validation_fraction=0.0))
    assert plain["epsilon_lower_bound"] > claimed, plain  # the attack has the power to catch a false claim
