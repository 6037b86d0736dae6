"""A benchmark anyone can rerun: datasets x synthesizers x repeats, veil's and the incumbents' side by
side, scored on the independent judge's protocol (:mod:`veil.benchmark.scoring`).

    veil benchmark --dataset adult --dataset bank_marketing -s autoregressive -s sdv:ctgan -o results/
    python -m veil.benchmark ...                        # the same

Each cell runs in its own process under a time limit and is cached (:mod:`veil.benchmark.runner`), so an
interrupted run resumes; the results table, a markdown leaderboard and an HTML page with plots are
rewritten after every cell (:mod:`veil.benchmark.report`).
"""
from .runner import Dataset, Plan, run, shared_datasets

__all__ = ["Dataset", "Plan", "run", "shared_datasets"]
