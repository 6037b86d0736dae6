"""Measuring synthetic data: fidelity, utility and privacy (``veil.evaluate`` composes them).

Modules: :mod:`.fidelity` (SDMetrics-compatible column shapes and pair trends), :mod:`.coverage`
(per-column statistics, mutual information, detection), :mod:`.utility` (train on synthetic, test on
real), :mod:`.privacy` (distances, membership inference, Giomi et al. attacks, k-anonymity),
:mod:`.evaluation` (the one call and its :class:`Evaluation`), :mod:`.report` and :mod:`.svg` (the HTML).
"""
