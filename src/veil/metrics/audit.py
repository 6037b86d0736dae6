"""Auditing a differential privacy claim from the outside: how much privacy an attack shows was lost.

A model is trained ``N`` times on data with a planted record (the canary) and ``N`` times without it,
and an attack guesses, from each model, whether the canary was in. If training is (ε, δ)-DP, every attack
obeys TPR <= e^ε FPR + δ and TNR <= e^ε FNR + δ (Kairouz et al., 2015), so its error rates bound ε from
below. With Clopper–Pearson intervals on the rates the bound holds with the stated confidence
(Jagielski et al., 2020; Nasr et al., 2021). A bound above the claimed ε means the claim is false.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import InvalidParameterError


def clopper_pearson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper–Pearson) two-sided interval of a binomial proportion."""
    from scipy.stats import beta

    if not 0 <= successes <= trials or trials < 1:
        raise InvalidParameterError("clopper_pearson needs 0 <= successes <= trials and trials >= 1")
    alpha = 1 - confidence
    low = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return low, high


def epsilon_lower_bound(false_positives: int, negatives: int, false_negatives: int, positives: int, *,
                        delta: float = 0.0, confidence: float = 0.95) -> float:
    """The largest ε that the attack's error rates prove was spent: with the upper interval ends of the
    false positive and false negative rates, max(log((1 - δ - FNR) / FPR), log((1 - δ - FPR) / FNR)),
    0 when neither is positive. Each rate gets half of ``1 - confidence`` (a union bound)."""
    fpr = clopper_pearson(false_positives, negatives, 1 - (1 - confidence) / 2)[1]
    fnr = clopper_pearson(false_negatives, positives, 1 - (1 - confidence) / 2)[1]
    bounds = [0.0]
    for a, b in ((fnr, fpr), (fpr, fnr)):
        if b > 0 and 1 - delta - a > 0:
            bounds.append(math.log((1 - delta - a) / b))
    return max(bounds)


def audit(scores_in: Sequence[float], scores_out: Sequence[float], *, delta: float = 0.0,
          confidence: float = 0.95, select: float = 0.3) -> dict[str, float]:
    """The ε lower bound of a threshold attack on scores (higher: "the canary was in").

    The first ``select`` share of each list picks the threshold (the one whose error rates bound ε
    highest there); the rest, unseen by that choice, gives the bound, so it holds at ``confidence``
    however the threshold was found."""
    inside, outside = np.asarray(scores_in, dtype=np.float64), np.asarray(scores_out, dtype=np.float64)
    k_in, k_out = int(round(len(inside) * select)), int(round(len(outside) * select))
    if min(k_in, k_out, len(inside) - k_in, len(outside) - k_out) < 1:
        raise InvalidParameterError("an audit needs trials both to choose its threshold and to test it")
    pick_in, pick_out, test_in, test_out = inside[:k_in], outside[:k_out], inside[k_in:], outside[k_out:]
    best: tuple[float, float, float] | None = None  # (bound, TPR - FPR, threshold) on the picking share
    for t in np.unique(np.concatenate([pick_in, pick_out])):
        tp, fp = int((pick_in >= t).sum()), int((pick_out >= t).sum())
        key = (epsilon_lower_bound(fp, len(pick_out), len(pick_in) - tp, len(pick_in), delta=delta,
                                   confidence=confidence), tp / len(pick_in) - fp / len(pick_out), float(t))
        best = key if best is None or key[:2] > best[:2] else best
    threshold = best[2]
    tp, fp = int((test_in >= threshold).sum()), int((test_out >= threshold).sum())
    bound = epsilon_lower_bound(fp, len(test_out), len(test_in) - tp, len(test_in), delta=delta,
                                confidence=confidence)
    return {"epsilon_lower_bound": bound, "threshold": threshold, "tpr": tp / len(test_in),
            "fpr": fp / len(test_out), "trials_in": len(inside), "trials_out": len(outside),
            "tested_in": len(test_in), "tested_out": len(test_out), "confidence": confidence}
