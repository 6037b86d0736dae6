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
          confidence: float = 0.95) -> dict[str, float]:
    """The ε lower bound of a threshold attack on scores (higher: "the canary was in"), over every
    threshold, Bonferroni-corrected for the number of thresholds tried (so the bound stays valid)."""
    inside, outside = np.asarray(scores_in, dtype=np.float64), np.asarray(scores_out, dtype=np.float64)
    thresholds = np.unique(np.concatenate([inside, outside]))
    level = 1 - (1 - confidence) / max(len(thresholds), 1)
    best = {"epsilon_lower_bound": 0.0, "threshold": float("nan"), "tpr": float("nan"), "fpr": float("nan")}
    for t in thresholds:
        tp, fp = int((inside >= t).sum()), int((outside >= t).sum())
        bound = epsilon_lower_bound(fp, len(outside), len(inside) - tp, len(inside), delta=delta, confidence=level)
        if bound > best["epsilon_lower_bound"]:
            best = {"epsilon_lower_bound": bound, "threshold": float(t), "tpr": tp / len(inside),
                    "fpr": fp / len(outside)}
    return {**best, "trials_in": len(inside), "trials_out": len(outside), "confidence": confidence}
