"""Privacy: how much a synthetic table gives away about the rows it was trained on.

Three families of measures, all comparing against a *holdout*: real rows of the same source that the
synthesizer never saw, so that "close to the training rows" can be told from "close to any real row".

* distances - :func:`distance_to_closest_record` (DCR, nearest-neighbour distance ratio, exact copies)
  and :func:`membership_inference` (can the distance to the synthetic table tell training rows from
  holdout rows?).
* attacks after Giomi et al., "A Unified Framework for Quantifying Privacy Risk in Synthetic Data"
  (PoPETs 2023) - :func:`singling_out_risk`, :func:`linkability_risk` and :func:`inference_risk`. Each
  runs a *main* attack (guesses built from the synthetic table, checked against training rows), a
  *control* (the same guesses checked against holdout rows; for singling out, the exact rate expected
  when nothing leaks, which stays valid whatever the sizes of the two tables) and a *baseline* attack
  (random guesses). Success rates are Wilson score estimates with 95% intervals, and
  ``risk = (main - control) / (1 - control)``, clipped to [0, 1]: the part of the attack's success that
  comes from the training rows themselves rather than from what any real row of the population tells.
* group sizes - :func:`k_anonymity`, :func:`l_diversity`, :func:`entropy_l_diversity`, :func:`t_closeness`
  and :func:`unique_matches`.

Every function that takes the three tables takes them in the order of :func:`veil.evaluate`:
``(train, synthetic, holdout, metadata, ...)``.

Distance between two rows (as in SDMetrics' DCR metrics): the mean over the compared columns of, for
numbers and datetimes (as days), ``|a - b|`` divided by the column's range in the training table and
capped at 1; for categories and booleans 0 when equal, else 1. Missing against missing is 0, missing
against a value is 1. A column that is constant in the training table counts as a category. The
columns compared are those the model learns (``Column.learned``), of the numerical, datetime,
categorical and boolean kinds, that every given table holds.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, InvalidParameterError
from ..metadata import Column, Metadata
from ._checks import check_common, check_int
from .fidelity import _NUMERIC, _as_number, _as_text, scored_columns

MAX_ROWS = 20_000
MIA_MAX_ROWS = 50_000
SINGLING_MAX_ROWS = 50_000
N_CANDIDATES = 5_000
N_ATTACKS = 500
#: a numeric secret guessed within this relative distance of the truth counts as right
RELATIVE_TOLERANCE = 0.05
_Z95 = 1.959963984540054
_CLIP = 1e4  # scaled numbers are clipped to +-_CLIP ranges; missing numbers sit beyond, at _MISSING
_MISSING = _CLIP + 2.0
_BLOCK_CELLS = 1 << 19  # distances are computed in blocks of about this many (query, reference) pairs
_MAX_TRIES = 40  # singling out: synthetic rows tried per predicate wanted
_BASELINE_DRAWS = 10  # singling out: random versions tried per predicate
#: singling out: a guard on the time spent searching for predicates, in seconds
SINGLING_SECONDS = 5.0
_MAX_THREADS = 4


# ------------------------------------------------------------------------------------ encoding
@dataclass(frozen=True)
class _Layout:
    """How the compared columns are encoded: ``numeric[i]`` says whether column ``i`` is compared as a
    scaled number (row ``slot[i]`` of ``num``) or as a category (row ``slot[i]`` of ``cat``);
    ``is_number[i]`` whether its raw values are numbers (for predicates and tolerances)."""

    names: tuple[str, ...]
    numeric: tuple[bool, ...]
    slot: tuple[int, ...]
    is_number: tuple[bool, ...]

    def features(self, names: Sequence[str] | None = None) -> tuple[list[int], list[int]]:
        """The rows of ``num`` and of ``cat`` that hold the given columns (all by default)."""
        keep = set(self.names if names is None else names)
        num = [s for n, k, s in zip(self.names, self.numeric, self.slot) if n in keep and k]
        cat = [s for n, k, s in zip(self.names, self.numeric, self.slot) if n in keep and not k]
        return num, cat


@dataclass(frozen=True)
class _Encoded:
    """The compared columns of one table. ``num`` (float32, columns x rows): numbers scaled by the training
    range, missing at ``_MISSING``; ``cat`` (small ints, columns x rows): category codes shared across tables;
    ``raw`` (float64, columns x rows): every column's numbers (NaN when missing) or codes; ``exact``
    (rows x columns): codes of the exact values, to find identical rows."""

    num: np.ndarray
    cat: np.ndarray
    raw: np.ndarray
    exact: np.ndarray

    @property
    def n(self) -> int:
        return self.raw.shape[1]

    def take(self, rows: np.ndarray) -> _Encoded:
        """The given rows, each column contiguous (numpy's comparisons are many times faster so)."""
        return _Encoded(np.ascontiguousarray(self.num[:, rows]), np.ascontiguousarray(self.cat[:, rows]),
                        np.ascontiguousarray(self.raw[:, rows]), self.exact[rows])


def _encode(tables: Sequence[pd.DataFrame], columns: Sequence[Column]) -> tuple[_Layout, list[_Encoded]]:
    """Encode the columns of several tables with shared codes; ``tables[0]`` (the training table) gives the
    range that scales each number."""
    sizes = [len(t) for t in tables]
    num, cat, raw, exact = [], [], [], []
    numeric, slot, is_number = [], [], []
    for col in columns:
        parts = [_series(t, col.name) for t in tables]
        if col.modelled_as in _NUMERIC:
            values = np.concatenate([_as_number(p, col) for p in parts])
            codes = _number_codes(values)
            scaled = _scale(values, values[: sizes[0]])
            raw.append(values)
            is_number.append(True)
        else:
            codes = _shared_codes(parts)
            scaled = None
            raw.append(codes.astype(float))
            is_number.append(False)
        exact.append(codes)
        numeric.append(scaled is not None)
        slot.append(len(num) if scaled is not None else len(cat))
        if scaled is not None:
            num.append(scaled)
        else:
            cat.append(codes)  # categories, and numbers constant in the training table: equal or not
    total = sum(sizes)
    num_all = np.vstack(num) if num else np.empty((0, total), np.float32)
    cat_all = np.vstack(cat) if cat else np.empty((0, total), np.int64)
    cat_all = cat_all.astype(np.min_scalar_type(-int(cat_all.max(initial=0)) - 1))  # int8 mostly: faster
    raw_all, exact_all = np.vstack(raw), np.column_stack(exact)
    bounds = np.cumsum([0, *sizes])
    encoded = [_Encoded(np.ascontiguousarray(num_all[:, a:b]), np.ascontiguousarray(cat_all[:, a:b]),
                        np.ascontiguousarray(raw_all[:, a:b]), exact_all[a:b])
               for a, b in zip(bounds[:-1], bounds[1:])]
    layout = _Layout(tuple(c.name for c in columns), tuple(numeric), tuple(slot), tuple(is_number))
    return layout, encoded


def _series(table: pd.DataFrame, name: str) -> pd.Series:
    values = table[name]
    if isinstance(values, pd.DataFrame):
        raise InvalidDataError(f"column {name!r} appears more than once in a table; rename or drop the copies")
    return values


def _scale(values: np.ndarray, train: np.ndarray) -> np.ndarray | None:
    """Numbers divided by the training range (clipped far out, missing beyond); ``None`` when the training
    column is constant or empty, so that the column is compared as a category instead."""
    present = train[~np.isnan(train)]
    if len(present) == 0:
        return None
    low = float(present.min())
    span = float(present.max()) - low
    if not np.isfinite(span) or span <= 0:
        return None
    scaled = np.clip((values - low) / span, -_CLIP, _CLIP)
    scaled[np.isnan(values)] = _MISSING
    return scaled.astype(np.float32)


def _number_codes(values: np.ndarray) -> np.ndarray:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes).astype(np.int64)


def _shared_codes(parts: Sequence[pd.Series]) -> np.ndarray:
    """Integer codes for the values of several columns, shared; missing values get one code of their own.
    When some columns hold numbers and others text, all are compared as text."""
    kinds = {pd.api.types.is_numeric_dtype(p) and not pd.api.types.is_bool_dtype(p) for p in parts}
    if len(kinds) > 1:
        parts = [_as_text(p) for p in parts]
    joined = pd.concat([p.astype(object) for p in parts], ignore_index=True)
    codes, uniques = pd.factorize(joined, use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes).astype(np.int64)


def _row_ids(blocks: Sequence[np.ndarray]) -> list[np.ndarray]:
    """One id per distinct row, shared across several (rows x columns) code matrices."""
    stacked = np.vstack(blocks)
    if stacked.shape[0] == 0:
        return [np.empty(0, np.int64) for _ in blocks]
    _, inverse = np.unique(stacked, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    bounds = np.cumsum([0, *(len(b) for b in blocks)])
    return [inverse[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


# ------------------------------------------------------------------------------------ distances
_Features = tuple[list[int], list[int]]
_Reduce = Callable[[int, int, np.ndarray], None]


def _distance_blocks(query: _Encoded, ref: _Encoded, features: _Features, first: int,
                     last: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """Summed column distances from blocks of the query rows ``first:last`` to every reference row: yields
    ``(start, stop, d)`` with ``d`` of shape (stop - start, ref.n), to be divided by the number of columns.
    ``d`` is a reused buffer: reduce it before the next block. Every pair is summed in the same order, so
    equal rows give bit-equal distances whatever the block."""
    num_idx, cat_idx = features
    capped = [j for j in num_idx if not (_within(query.num[j]) and _within(ref.num[j]))]
    rows = max(1, min(last - first, _BLOCK_CELLS // max(ref.n, 1)))
    acc = np.empty((rows, ref.n), np.float32)
    tmp = np.empty_like(acc) if len(num_idx) > 1 else None
    count = np.empty((rows, ref.n), np.uint8 if len(cat_idx) < 255 else np.uint32) if cat_idx else None
    differ = np.empty((rows, ref.n), bool) if len(cat_idx) > 1 else None
    one = np.float32(1.0)
    for start in range(first, last, rows):
        stop = min(start + rows, last)
        d = acc[: stop - start]
        for i, j in enumerate(num_idx):
            t = d if i == 0 else tmp[: stop - start]
            np.subtract(query.num[j, start:stop, None], ref.num[j][None, :], out=t)
            np.abs(t, out=t)
            if j in capped:  # |a - b| <= 1 already when both sides lie within the training range
                np.minimum(t, one, out=t)
            if i > 0:
                d += t
        if cat_idx:
            c = count[: stop - start]
            for i, j in enumerate(cat_idx):
                e = c.view(bool) if i == 0 and c.dtype == np.uint8 else differ[: stop - start]
                np.not_equal(query.cat[j, start:stop, None], ref.cat[j][None, :], out=e)
                if i == 0 and c.dtype != np.uint8:
                    c[...] = e
                elif i > 0:
                    c += e
            if num_idx:
                d += c
            else:
                d[...] = c
        yield start, stop, d


def _within(values: np.ndarray) -> bool:
    return len(values) == 0 or (float(values.min()) >= 0.0 and float(values.max()) <= 1.0)


def _for_blocks(query: _Encoded, ref: _Encoded, features: _Features, reduce: _Reduce) -> None:
    """Call ``reduce(start, stop, d)`` on every block of distances, in a few threads (numpy releases the GIL);
    ``reduce`` must write only to rows ``start:stop`` of its outputs."""
    workers = max(1, min(_workers(), query.n, query.n * ref.n // _BLOCK_CELLS))
    cuts = np.linspace(0, query.n, workers + 1).astype(int)

    def run(first: int, last: int) -> None:
        for start, stop, d in _distance_blocks(query, ref, features, first, last):
            reduce(start, stop, d)

    if workers == 1:
        run(0, query.n)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for job in [pool.submit(run, int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:])]:
            job.result()


def _workers() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(_MAX_THREADS, available))


def _width(features: _Features) -> int:
    return len(features[0]) + len(features[1])


@dataclass(frozen=True)
class _Closest:
    """Per query row: the distance to the closest reference row, and as asked, how many reference rows lie
    at that distance, the distance to the second closest (inf with one reference row) and to the closest
    of the first ``prefix`` reference rows."""

    first: np.ndarray
    ties: np.ndarray | None = None
    second: np.ndarray | None = None
    head: np.ndarray | None = None


def _closest(query: _Encoded, ref: _Encoded, features: _Features, *, ties: bool = False, second: bool = False,
             prefix: int = 0) -> _Closest:
    first = np.empty(query.n, np.float32)
    n_ties = np.empty(query.n, np.int64) if ties else None
    next_ = np.empty(query.n, np.float32) if second else None
    partial = 0 < prefix < ref.n  # else the prefix is every row
    head = np.empty(query.n, np.float32) if partial else None

    def reduce(start: int, stop: int, d: np.ndarray) -> None:
        if partial:
            d[:, :prefix].min(axis=1, out=head[start:stop])
        if not second:
            d.min(axis=1, out=first[start:stop])
        else:
            at = d.argmin(axis=1)
            rows = np.arange(stop - start)
            first[start:stop] = d[rows, at]
        if ties:
            n_ties[start:stop] = np.count_nonzero(d == first[start:stop, None], axis=1)
        if second:
            d[rows, at] = np.inf
            d.min(axis=1, out=next_[start:stop])

    _for_blocks(query, ref, features, reduce)
    width = _width(features)
    first = first.astype(float) / width
    if prefix and not partial:
        head = first
    elif partial:
        head = head.astype(float) / width
    return _Closest(first, n_ties, None if next_ is None else next_.astype(float) / width, head)


def _nearest(query: _Encoded, ref: _Encoded, features: _Features, k: int) -> np.ndarray:
    """The indices (query rows x k) of each query row's k closest reference rows, in no particular order;
    ties go to the earlier reference row for k = 1."""
    out = np.empty((query.n, k), np.int64)

    def reduce(start: int, stop: int, d: np.ndarray) -> None:
        if k == 1:
            out[start:stop, 0] = d.argmin(axis=1)
        else:
            out[start:stop] = np.argpartition(d, k - 1, axis=1)[:, :k]

    _for_blocks(query, ref, features, reduce)
    return out


# ------------------------------------------------------------------------------------ public API
def distance_to_closest_record(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame,
                               metadata: Metadata, *, max_rows: int = MAX_ROWS, seed: int = 0) -> dict:
    """Distances from synthetic rows to their closest training rows, against the holdout as reference.

    Each table is first sampled to at most ``max_rows`` rows with a generator seeded by ``seed``. Returns:

    * ``dcr_synthetic`` - each synthetic row's distance to its closest training row; ``dcr_holdout`` - the
      same for each holdout row; their medians ``median_dcr_synthetic`` and ``median_dcr_holdout``.
    * ``dcr_share`` - is a synthetic row closer to the training rows than to the holdout rows? For each
      synthetic row, its distance to the closest of the (sampled) training rows is compared with its
      distance to the closest of the (sampled) holdout rows, a tie shared in proportion to the rows tied
      on each side. When the synthetic table leaks nothing, the real rows are exchangeable, so a row is
      closer to the training side with chance ``p0 = n_train / (n_train + n_holdout)`` (the numbers of
      rows used). The share of such rows is rescaled piecewise linearly so that 0 stays 0, ``p0`` maps to
      0.5 and 1 stays 1: 0.5 is ideal whatever the two sizes, 1.0 means copies of training rows. (Its
      spread around 0.5 grows when the training table is much the larger: a share a little above ``p0``
      is stretched by ``0.5 / (1 - p0)``.)
    * ``dcr_share_equal_size`` - the figure SDMetrics-style scorers report: the same comparison against a
      random sample of the training rows as large as the holdout (the smaller side; ties count half),
      0.5 ideal. It understates a leak when the training table is the larger: the sample cannot see
      copies of the training rows left out of it, which score about 0.5, so exact copies of the training
      rows of an 80/20 split score only about ``0.25 * 1 + 0.75 * 0.5 = 0.63`` there.
    * ``nndr`` - each synthetic row's closest / second-closest distance to the training rows (1 when both
      are 0; small values mean a row sits close to one training row in particular) and ``median_nndr``.
    * ``exact_match_rate`` - the share of synthetic rows identical to a row of the whole training table on
      the compared columns; ``holdout_exact_match_rate`` - the same for holdout rows, for reference.
    * ``columns`` compared and ``rows_used``.
    """
    tables = {"train": train, "synthetic": synthetic, "holdout": holdout}
    _check_tables(tables, min_rows={"train": 1, "synthetic": 1, "holdout": 1})
    check_common(metadata, max_rows=max_rows, seed=seed)
    layout, (tr, syn, ho) = _encode([train, synthetic, holdout], _compared_columns(metadata, tables))
    rng = np.random.default_rng(seed)
    tr_rows, syn_rows, ho_rows = (_sample_rows(e.n, max_rows, rng) for e in (tr, syn, ho))
    side = min(len(tr_rows), len(ho_rows))
    ref_train = tr.take(tr_rows[_side_first(len(tr_rows), side, rng)])
    ref_holdout = ho.take(ho_rows[_side_first(len(ho_rows), side, rng)])
    syn_s = syn.take(syn_rows)
    features = layout.features()

    to_train = _closest(syn_s, ref_train, features, ties=True, second=True, prefix=side)
    to_holdout = _closest(syn_s, ref_holdout, features, ties=True, prefix=side)
    ho_s = ho.take(ho_rows)
    dcr_holdout = _closest(ho_s, ref_train, features).first
    first, second = to_train.first, to_train.second
    equal_size = float(np.mean((to_train.head < to_holdout.head) + 0.5 * (to_train.head == to_holdout.head)))
    with np.errstate(divide="ignore", invalid="ignore"):
        nndr = np.where(second == 0, 1.0, first / second)
    nndr[np.isinf(second)] = np.nan

    tr_ids, syn_ids, ho_ids = _row_ids([tr.exact, syn_s.exact, ho_s.exact])
    return {
        "dcr_synthetic": first,
        "dcr_holdout": dcr_holdout,
        "median_dcr_synthetic": float(np.median(first)),
        "median_dcr_holdout": float(np.median(dcr_holdout)),
        "dcr_share": _size_corrected_share(to_train, to_holdout, ref_train.n, ref_holdout.n),
        "dcr_share_equal_size": equal_size,
        "nndr": nndr,
        "median_nndr": float(np.nanmedian(nndr)) if not np.isnan(nndr).all() else float("nan"),
        "exact_match_rate": float(np.isin(syn_ids, tr_ids).mean()),
        "holdout_exact_match_rate": float(np.isin(ho_ids, tr_ids).mean()),
        "columns": list(layout.names),
        "rows_used": {"train": len(tr_rows), "synthetic": len(syn_rows), "holdout": len(ho_rows),
                      "share_sides": side},
    }


def _side_first(n: int, side: int, rng: np.random.Generator) -> np.ndarray:
    """A permutation of ``range(n)`` whose first ``side`` entries are a random sample, the rest in order."""
    chosen = rng.choice(n, side, replace=False)
    return np.concatenate([chosen, np.setdiff1d(np.arange(n), chosen)])


def _size_corrected_share(to_train: _Closest, to_holdout: _Closest, n_train: int, n_holdout: int) -> float:
    """The share of synthetic rows whose closest real row is a training row (a tie shared in proportion to
    the rows tied), rescaled piecewise linearly (0 -> 0, ``chance`` -> 0.5, 1 -> 1) so that 0.5 is what a table
    independent of both scores, whatever their sizes: then every real row is equally likely to be the
    closest, a training row with chance ``n_train / (n_train + n_holdout)``."""
    t, h = to_train.first, to_holdout.first
    with np.errstate(divide="ignore", invalid="ignore"):
        tied = to_train.ties / (to_train.ties + to_holdout.ties)
    closer = float(np.mean(np.where(t < h, 1.0, np.where(t > h, 0.0, tied))))
    chance = n_train / (n_train + n_holdout)
    if closer <= chance:
        return 0.5 * closer / chance
    return 0.5 + 0.5 * (closer - chance) / (1.0 - chance)


def membership_inference(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame,
                         metadata: Metadata, *, max_rows: int = MIA_MAX_ROWS, n_candidates: int = N_CANDIDATES,
                         seed: int = 0) -> dict:
    """A distance attack on membership: can the closeness of a real row to the synthetic table tell whether
    the row was trained on?

    Candidates are equally many training rows (members) and holdout rows (non-members), at most
    ``n_candidates`` of each; each is scored by minus its distance to the closest synthetic row (the
    synthetic table sampled to at most ``max_rows`` rows: a sample misses the copies of some members and
    weakens the attack). Returns ``auc`` (ROC AUC; 0.5 means the attack does no better than a coin, 1.0
    that it tells every member), ``tpr_at_1pct_fpr`` (the share of members found while at most 1% of
    non-members are wrongly flagged), the median distances of both groups and ``rows_used``.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    tables = {"train": train, "synthetic": synthetic, "holdout": holdout}
    _check_tables(tables, min_rows={"train": 1, "synthetic": 1, "holdout": 1})
    check_common(metadata, max_rows=max_rows, seed=seed)
    check_int("n_candidates", n_candidates, 1)
    layout, (tr, syn, ho) = _encode([train, synthetic, holdout], _compared_columns(metadata, tables))
    rng = np.random.default_rng(seed)
    m = min(tr.n, ho.n, int(n_candidates))
    members = tr.take(rng.choice(tr.n, m, replace=False))
    non_members = ho.take(rng.choice(ho.n, m, replace=False))
    syn_s = syn.take(_sample_rows(syn.n, max_rows, rng))
    features = layout.features()
    d_in = _closest(members, syn_s, features).first
    d_out = _closest(non_members, syn_s, features).first
    labels = np.concatenate([np.ones(m), np.zeros(m)])
    scores = -np.concatenate([d_in, d_out])
    fpr, tpr, _ = roc_curve(labels, scores)
    return {
        "auc": float(roc_auc_score(labels, scores)),
        "tpr_at_1pct_fpr": float(tpr[fpr <= 0.01].max()),
        "median_distance_members": float(np.median(d_in)),
        "median_distance_non_members": float(np.median(d_out)),
        "rows_used": {"members": m, "non_members": m, "synthetic": syn_s.n},
    }


def singling_out_risk(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, metadata: Metadata,
                      *, n_attacks: int = N_ATTACKS, n_columns: int = 5, max_rows: int = SINGLING_MAX_ROWS,
                      seed: int = 0) -> dict:
    """Singling-out risk, after the multivariate attack of Giomi et al. 2022, made valid for a training
    table and a holdout of any sizes.

    Each table is first sampled to at most ``max_rows`` rows with a generator seeded by ``seed``. The
    attacker builds *predicates* from synthetic rows: conjunctions of 1 to ``n_columns`` conditions on the
    values of one random synthetic row - equal to its category; for a number, equal to its value or, at
    random, an extreme condition (``<=`` its value when that lies at or below the synthetic median, else
    ``>=``; always so for a value seen once in the synthetic column, as equality with it would match no
    real row when the values are continuous); missing when it is missing. Equalities are tried first, then
    extreme conditions (a small perturbation of the numbers defeats them half the time), each in random
    order; a condition that narrows nothing is skipped, and the predicate ends as soon as it matches
    exactly one synthetic row, so short predicates come first. It is kept only then, and *singles out* a
    real row when it matches exactly one row of the training and holdout rows together. At most one
    predicate per synthetic row and per real row singled out is used (so that the rows judged are
    distinct). The search stops when ``n_attacks`` predicates single out a real row, after ``40 *
    n_attacks`` tries, or after ``SINGLING_SECONDS`` seconds (a guard, not reached at Adult's size).

    * main attack: the success rate is the share of those predicates whose row is a training row.
    * control: when the synthetic table leaks nothing, training and holdout rows are exchangeable and the
      singled-out row is a training row with chance ``p0 = n_train / (n_train + n_holdout)`` (the rows
      used). ``control_rate`` is this exact expectation rather than the rate of a control attack: the
      paper's control attack (the same predicates against the holdout) compares two tables of equal size
      and is biased otherwise.
    * baseline attack: for each predicate, the same columns and kinds of condition with values of random
      synthetic rows (one per condition), up to 10 draws until one singles out a real row; its rate is the
      share of those whose row is a training row: about ``p0`` when the synthetic columns taken one by one
      tell nothing about membership, higher when their values are copied from training rows.

    Rates are Wilson score estimates with 95% intervals. ``risk = (main - p0) / (1 - p0)`` clipped to
    [0, 1], and ``risk_ci`` the Wilson interval of the main rate mapped the same way. Returns ``risk``,
    ``risk_ci``, the three rates with their intervals (``control_ci`` is ``(p0, p0)``), ``n_attacks``
    (predicates used), ``n_baseline``, ``n_tried`` (synthetic rows tried) and ``rows_used``. With no
    predicate that singles out a real row, the rates are NaN, ``risk`` 0 and ``risk_ci`` (0, 1): nothing
    was measured.
    """
    tables = {"train": train, "synthetic": synthetic, "holdout": holdout}
    _check_tables(tables, min_rows={"train": 1, "synthetic": 1, "holdout": 1})
    check_common(metadata, max_rows=max_rows, seed=seed)
    check_int("n_attacks", n_attacks, 1)
    check_int("n_columns", n_columns, 1)
    layout, (tr, syn, ho) = _encode([train, synthetic, holdout], _compared_columns(metadata, tables))
    rng = np.random.default_rng(seed)
    tr_rows, syn_rows, ho_rows = (_sample_rows(e.n, max_rows, rng) for e in (tr, syn, ho))
    real = _SortedColumns(np.ascontiguousarray(np.hstack([tr.raw[:, tr_rows], ho.raw[:, ho_rows]])))
    fake = np.ascontiguousarray(syn.raw[:, syn_rows])
    n_train = len(tr_rows)
    width = min(int(n_columns), len(layout.names))
    search = _SinglingSearch(fake, layout.is_number, width, rng)
    predicates, singled, tried = search.main(real, int(n_attacks))
    if not predicates and search.unique_found == 0:
        raise InvalidDataError(f"no predicate on up to {width} columns singles out a synthetic row (the synthetic "
                               "table may repeat every row); try a larger 'n_columns'")
    baseline = search.baseline(predicates, real)
    p0 = n_train / real.n
    result = _membership_risk(int((singled < n_train).sum()), len(singled), int((baseline < n_train).sum()),
                              len(baseline), p0)
    result.update(n_tried=tried, rows_used={"train": n_train, "synthetic": len(syn_rows),
                                            "holdout": len(ho_rows)})
    return result


def linkability_risk(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, metadata: Metadata, *,
                     aux_columns: tuple[list[str], list[str]], n_attacks: int = N_ATTACKS, n_neighbors: int = 1,
                     seed: int = 0) -> dict:
    """Linkability risk (Giomi et al. 2022): can the synthetic table link two halves of a real record?

    The attacker holds two tables about the same people, one with the columns ``aux_columns[0]``, the other
    with ``aux_columns[1]``. For each target record it finds the ``n_neighbors`` closest synthetic rows on
    each half; the two halves are linked when the two sets share a row. Targets are ``n_attacks`` training
    rows (main attack) and as many holdout rows (control attack); the baseline attack picks neighbours at
    random. Returns ``risk``, ``risk_ci``, the three rates with their intervals and ``n_attacks``.
    """
    tables = {"train": train, "synthetic": synthetic, "holdout": holdout}
    _check_tables(tables, min_rows={"train": 1, "synthetic": 1, "holdout": 1})
    check_common(metadata, seed=seed)
    check_int("n_attacks", n_attacks, 1)
    check_int("n_neighbors", n_neighbors, 1)
    columns = _compared_columns(metadata, tables)
    half_a, half_b = _check_halves(aux_columns, [c.name for c in columns])
    if n_neighbors > len(synthetic):
        raise InvalidParameterError(f"n_neighbors ({n_neighbors}) is larger than the synthetic table "
                                    f"({len(synthetic)} rows); use at most {len(synthetic)}")
    layout, (tr, syn, ho) = _encode([train, synthetic, holdout], columns)
    rng = np.random.default_rng(seed)
    syn = syn.take(rng.permutation(syn.n))  # ties between equally close rows are broken at random
    n = min(int(n_attacks), tr.n, ho.n)
    k = int(n_neighbors)
    fa, fb = layout.features(half_a), layout.features(half_b)

    def linked(targets: _Encoded) -> int:
        return _shared_neighbour(_nearest(targets, syn, fa, k), _nearest(targets, syn, fb, k))

    main = linked(tr.take(rng.choice(tr.n, n, replace=False)))
    control = linked(ho.take(rng.choice(ho.n, n, replace=False)))
    guesses_a = np.stack([rng.choice(syn.n, k, replace=False) for _ in range(n)])
    guesses_b = np.stack([rng.choice(syn.n, k, replace=False) for _ in range(n)])
    return _risk(main, control, _shared_neighbour(guesses_a, guesses_b), n)


def inference_risk(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, metadata: Metadata, *,
                   secret: str, aux_columns: list[str] | None = None, n_attacks: int = N_ATTACKS,
                   seed: int = 0) -> dict:
    """Attribute-inference risk (Giomi et al. 2022): can the synthetic table reveal a secret column?

    The attacker knows a target's ``aux_columns`` (by default every other compared column) and guesses its
    ``secret`` as the value of the closest synthetic row on those columns. A guess is right when it equals
    the truth (missing counts as a value), or for numbers (datetimes: days since 1970) when it lies within
    5% of the truth. Targets are ``n_attacks`` training rows (main attack) and as many holdout rows
    (control attack); the baseline attack guesses the secret of a random synthetic row. Returns ``risk``,
    ``risk_ci``, the three rates with their intervals and ``n_attacks``.
    """
    tables = {"train": train, "synthetic": synthetic, "holdout": holdout}
    _check_tables(tables, min_rows={"train": 1, "synthetic": 1, "holdout": 1})
    check_common(metadata, seed=seed)
    check_int("n_attacks", n_attacks, 1)
    columns = _compared_columns(metadata, tables)
    names = [c.name for c in columns]
    if not isinstance(secret, str) or secret not in names:
        raise InvalidParameterError(f"secret must be the name of one compared column ({', '.join(names)}), "
                                    f"got {secret!r}")
    if aux_columns is None:
        aux_columns = [n for n in names if n != secret]
        if not aux_columns:
            raise InvalidDataError(f"{secret!r} is the only compared column; the attack needs other columns "
                                   "(aux_columns) to go by")
    aux = _check_names(aux_columns, names, "aux_columns")
    if secret in aux:
        raise InvalidParameterError(f"aux_columns must not include the secret column {secret!r}")
    layout, (tr, syn, ho) = _encode([train, synthetic, holdout], columns)
    rng = np.random.default_rng(seed)
    syn = syn.take(rng.permutation(syn.n))
    n = min(int(n_attacks), tr.n, ho.n)
    at = names.index(secret)
    is_number = layout.is_number[at]
    features = layout.features(aux)

    def right(targets: _Encoded) -> int:
        guesses = syn.raw[at, _nearest(targets, syn, features, 1)[:, 0]]
        return int(_guessed(guesses, targets.raw[at], is_number).sum())

    main_targets = tr.take(rng.choice(tr.n, n, replace=False))
    main = right(main_targets)
    control = right(ho.take(rng.choice(ho.n, n, replace=False)))
    random_guesses = syn.raw[at, rng.integers(0, syn.n, n)]
    baseline = int(_guessed(random_guesses, main_targets.raw[at], is_number).sum())
    return _risk(main, control, baseline, n)


def k_anonymity(synthetic: pd.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """The size of the smallest group of rows sharing one combination of the quasi-identifiers (missing
    values count as a value)."""
    _check_tables({"synthetic": synthetic}, min_rows={"synthetic": 1})
    qis = _check_names(quasi_identifiers, list(synthetic.columns), "quasi_identifiers")
    (ids,) = _row_ids([np.column_stack([_shared_codes([_series(synthetic, q)]) for q in qis])])
    return int(np.bincount(ids).min())


def l_diversity(synthetic: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> int:
    """Distinct l-diversity: the smallest number of distinct ``sensitive`` values within a group of rows
    sharing one combination of the quasi-identifiers (missing values count as a value)."""
    groups, values = _groups_and_values(synthetic, quasi_identifiers, sensitive)
    (pairs,) = _row_ids([np.column_stack([groups, values])])
    _, first = np.unique(pairs, return_index=True)
    return int(np.bincount(groups[first]).min())


def entropy_l_diversity(synthetic: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> float:
    """Entropy l-diversity (Machanavajjhala et al., 2007): exp of the smallest entropy of ``sensitive``
    within a quasi-identifier group. A group needs at least l equally common values to reach l."""
    groups, values = _groups_and_values(synthetic, quasi_identifiers, sensitive)
    counts = _group_counts(groups, values)
    p = counts / counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    return float(np.exp(entropy.min()))


def t_closeness(synthetic: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> float:
    """t-closeness (Li et al., 2007): the largest distance between the distribution of ``sensitive`` in a
    quasi-identifier group and in the whole table; 0 is best, 1 worst. The distance is the earth mover's:
    over the sorted values, each step counting 1 / (number of values - 1), for a number; the total
    variation (every two values 1 apart) for anything else."""
    groups, values = _groups_and_values(synthetic, quasi_identifiers, sensitive)
    counts = _group_counts(groups, values)
    p = counts / counts.sum(axis=1, keepdims=True)
    q = counts.sum(axis=0) / counts.sum()
    column = _series(synthetic, sensitive)
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype) \
            and q.size > 1:
        order = np.argsort(_value_order(column, values, q.size))
        gaps = np.cumsum((p - q)[:, order], axis=1)[:, :-1]
        distance = np.abs(gaps).sum(axis=1) / (q.size - 1)
    else:
        distance = 0.5 * np.abs(p - q).sum(axis=1)
    return float(distance.max())


def _groups_and_values(synthetic: pd.DataFrame, quasi_identifiers: Sequence[str],
                       sensitive: str) -> tuple[np.ndarray, np.ndarray]:
    """Each row's quasi-identifier group and ``sensitive`` value, as dense codes from 0."""
    _check_tables({"synthetic": synthetic}, min_rows={"synthetic": 1})
    qis = _check_names(quasi_identifiers, list(synthetic.columns), "quasi_identifiers")
    if not _is_column(sensitive, synthetic.columns):
        raise InvalidParameterError(f"sensitive must be the name of a column of the table, got {sensitive!r}; "
                                    f"its columns are {list(synthetic.columns)}")
    (groups,) = _row_ids([np.column_stack([_shared_codes([_series(synthetic, q)]) for q in qis])])
    _, values = np.unique(_shared_codes([_series(synthetic, sensitive)]), return_inverse=True)
    return groups, values.reshape(-1)


def _group_counts(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Rows per (group, value): ``[number of groups, number of values]``."""
    n_values = int(values.max()) + 1
    return np.bincount(groups * n_values + values, minlength=(int(groups.max()) + 1) * n_values).reshape(
        -1, n_values).astype(np.float64)


def _value_order(column: pd.Series, values: np.ndarray, n_values: int) -> np.ndarray:
    """For each value code, the number it stands for (missing last)."""
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    out = np.full(n_values, np.inf)
    out[values] = np.where(np.isnan(numbers), np.inf, numbers)
    return out


def unique_matches(train: pd.DataFrame, synthetic: pd.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """The number of synthetic rows whose combination of quasi-identifiers matches exactly one training row
    (missing values count as a value): rows that could point at one real person."""
    _check_tables({"train": train, "synthetic": synthetic}, min_rows={"train": 1, "synthetic": 0})
    shared = [c for c in train.columns if c in synthetic.columns]
    qis = _check_names(quasi_identifiers, shared, "quasi_identifiers")
    codes = [_shared_codes([_series(train, q), _series(synthetic, q)]) for q in qis]
    train_codes = np.column_stack([c[: len(train)] for c in codes])
    syn_codes = np.column_stack([c[len(train):] for c in codes])
    train_ids, syn_ids = _row_ids([train_codes, syn_codes])
    counts = np.bincount(train_ids, minlength=int(max(train_ids.max(), syn_ids.max(initial=0))) + 1)
    return int((counts[syn_ids] == 1).sum())


# ------------------------------------------------------------------------------------ attacks
def _wilson(successes: int, n: int) -> tuple[float, float, float]:
    """The Wilson score estimate of a success rate and its 95% interval."""
    p = successes / n
    z2 = _Z95 * _Z95
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = _Z95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return float(centre), float(max(0.0, centre - half)), float(min(1.0, centre + half))


def _risk(main: int, control: int, baseline: int, n: int) -> dict:
    """Rates of the three attacks (``n`` each) and ``risk = (main - control) / (1 - control)``, with an interval
    from the most and least favourable ends of the two rates' intervals, everything clipped to [0, 1]."""
    rate_m, low_m, high_m = _wilson(int(main), n)
    rate_c, low_c, high_c = _wilson(int(control), n)
    rate_b, low_b, high_b = _wilson(int(baseline), n)

    def excess(m: float, c: float) -> float:
        return float(np.clip((m - c) / (1.0 - c), 0.0, 1.0)) if c < 1.0 else 0.0

    return {
        "risk": excess(rate_m, rate_c),
        "risk_ci": (excess(low_m, high_c), excess(high_m, low_c)),
        "main_rate": rate_m,
        "control_rate": rate_c,
        "baseline_rate": rate_b,
        "main_ci": (low_m, high_m),
        "control_ci": (low_c, high_c),
        "baseline_ci": (low_b, high_b),
        "n_attacks": int(n),
    }


def _shared_neighbour(a: np.ndarray, b: np.ndarray) -> int:
    """How many rows of two (targets x k) index arrays share at least one index."""
    return int((a[:, :, None] == b[:, None, :]).any(axis=(1, 2)).sum())


def _guessed(guesses: np.ndarray, truth: np.ndarray, is_number: bool) -> np.ndarray:
    if not is_number:
        return guesses == truth
    missing_g, missing_t = np.isnan(guesses), np.isnan(truth)
    with np.errstate(invalid="ignore"):
        close = np.abs(guesses - truth) <= RELATIVE_TOLERANCE * np.abs(truth)
    return (missing_g & missing_t) | (~missing_g & ~missing_t & close)


_Predicate = tuple[tuple[int, str, float], ...]  # (column, "eq" | "le" | "ge" | "na", value)


def _condition(values: np.ndarray, op: str, value: float) -> np.ndarray:
    if op == "na":
        return np.isnan(values)
    if op == "le":
        return values <= value
    if op == "ge":
        return values >= value
    return values == value


class _SortedColumns:
    """Each column of a (columns x rows) matrix sorted, missing values last, to find the rows that meet one
    condition without scanning them all."""

    def __init__(self, raw: np.ndarray):
        self.raw = raw
        self.order = np.argsort(raw, axis=1, kind="stable")
        self.sorted = np.take_along_axis(raw, self.order, axis=1)
        self.n_valid = (~np.isnan(raw)).sum(axis=1)

    @property
    def n(self) -> int:
        return self.raw.shape[1]

    def _span(self, column: int, op: str, value: float) -> tuple[int, int]:
        valid = int(self.n_valid[column])
        if op == "na":
            return valid, self.n
        values = self.sorted[column, :valid]
        low = 0 if op == "le" else int(np.searchsorted(values, value, "left"))
        high = valid if op == "ge" else int(np.searchsorted(values, value, "right"))
        return low, high

    def count(self, condition: tuple[int, str, float]) -> int:
        low, high = self._span(*condition)
        return high - low

    def rows(self, condition: tuple[int, str, float]) -> np.ndarray:
        low, high = self._span(*condition)
        return self.order[condition[0], low:high]

    def matching(self, predicate: _Predicate) -> np.ndarray:
        """The rows that meet every condition of the predicate (the most selective condition first)."""
        counts = [self.count(c) for c in predicate]
        first = int(np.argmin(counts))
        rows = self.rows(predicate[first])
        for i, (column, op, value) in enumerate(predicate):
            if len(rows) == 0:
                break
            if i != first:
                rows = rows[_condition(self.raw[column, rows], op, value)]
        return rows


class _SinglingSearch:
    """Builds singling-out predicates from the rows of a synthetic table (``fake``, columns x rows)."""

    def __init__(self, fake: np.ndarray, is_number: Sequence[bool], width: int, rng: np.random.Generator):
        self.fake, self.is_number, self.width, self.rng = fake, list(is_number), width, rng
        self.index = _SortedColumns(fake)
        self.numbers = np.asarray(is_number, bool)
        self.medians = [float(np.nanmedian(fake[j])) if is_number[j] and not np.isnan(fake[j]).all() else np.nan
                        for j in range(fake.shape[0])]
        # a number seen once in its synthetic column gets an extreme condition only: equality with it would
        # single out the synthetic row on its own, and match no real row when the values are continuous
        self.repeated = np.zeros(fake.shape, bool)
        for j in range(fake.shape[0]):
            if is_number[j]:
                _, inverse, counts = np.unique(fake[j], return_inverse=True, return_counts=True)
                self.repeated[j] = counts[inverse.reshape(-1)] > 1
        self.unique_found = 0

    def _cond(self, column: int, value: float, extreme: bool) -> tuple[int, str, float]:
        if np.isnan(value):
            return column, "na", 0.0
        if self.is_number[column] and extreme:
            return column, "le" if value <= self.medians[column] else "ge", value
        return column, "eq", value

    def _from_row(self, row: int) -> _Predicate | None:
        """Conditions on the values of one synthetic row, each kept when it narrows the matching synthetic
        rows, until the row alone matches (else ``None``). Equalities come first, then extreme conditions on
        numbers (which a small perturbation of the numbers defeats half the time), each in random order."""
        fake, rng, index = self.fake, self.rng, self.index
        values = fake[:, row]
        extreme = (rng.random(len(values)) < 0.5) | ~self.repeated[:, row]
        ranged = self.numbers & extreme & ~np.isnan(values)
        order = np.concatenate([rng.permutation(np.flatnonzero(~ranged)), rng.permutation(np.flatnonzero(ranged))])
        rows, kept = None, []
        for j in order:
            condition = self._cond(int(j), float(values[j]), bool(ranged[j]))
            size = index.count(condition)
            if rows is None:
                if size == fake.shape[1]:
                    continue
                narrowed = index.rows(condition)
            elif size < len(rows):  # the smaller side is filtered by the other conditions
                narrowed = index.rows(condition)
                for column, op, value in kept:
                    narrowed = narrowed[_condition(fake[column, narrowed], op, value)]
            else:
                narrowed = rows[_condition(fake[j, rows], condition[1], condition[2])]
            if rows is not None and len(narrowed) == len(rows):
                continue
            rows = narrowed
            kept.append(condition)
            if len(rows) == 1:
                return tuple(kept)
            if len(kept) == self.width:
                return None
        return None

    def main(self, real: _SortedColumns, wanted: int) -> tuple[list[_Predicate], np.ndarray, int]:
        """Predicates that single out one synthetic row and one real row (at most one per synthetic row and
        per real row), the real rows they single out, and the number of tries."""
        found: list[_Predicate] = []
        singled: list[int] = []
        seen: set[int] = set()
        done = np.zeros(self.fake.shape[1], bool)
        budget = wanted * _MAX_TRIES
        deadline = time.perf_counter() + SINGLING_SECONDS
        tried = 0

        def going() -> bool:
            return tried < budget and len(found) < wanted and bool(tried % 64 or time.perf_counter() < deadline)

        while going() and not done.all():
            for row in self.rng.permutation(np.flatnonzero(~done)):
                if not going():
                    break
                tried += 1
                predicate = self._from_row(int(row))
                if predicate is None:
                    continue
                self.unique_found += 1
                hits = real.matching(predicate)
                if len(hits) == 1 and int(hits[0]) not in seen:
                    seen.add(int(hits[0]))
                    done[row] = True
                    found.append(predicate)
                    singled.append(int(hits[0]))
        return found, np.asarray(singled, np.int64), tried

    def baseline(self, predicates: Sequence[_Predicate], real: _SortedColumns) -> np.ndarray:
        """For each predicate, up to ``_BASELINE_DRAWS`` random versions (the same columns and kinds of
        condition, each value from a random synthetic row); the real row singled out by the first one that
        singles out a real row not singled out before."""
        fake, rng = self.fake, self.rng
        singled: list[int] = []
        seen: set[int] = set()
        for predicate in predicates:
            for _ in range(_BASELINE_DRAWS):
                guess = tuple(self._cond(j, float(fake[j, rng.integers(fake.shape[1])]), op in ("le", "ge"))
                              for j, op, _ in predicate)
                hits = real.matching(guess)
                if len(hits) == 1 and int(hits[0]) not in seen:
                    seen.add(int(hits[0]))
                    singled.append(int(hits[0]))
                    break
        return np.asarray(singled, np.int64)


def _membership_risk(main: int, n_main: int, baseline: int, n_baseline: int, p0: float) -> dict:
    """Rates of an attack whose guesses hit a training row with chance ``p0`` when nothing leaks, and
    ``risk = (main - p0) / (1 - p0)`` with the Wilson interval of the main rate mapped alike, clipped to [0, 1]."""
    nan2 = (float("nan"), float("nan"))

    def excess(m: float) -> float:
        return float(np.clip((m - p0) / (1.0 - p0), 0.0, 1.0)) if p0 < 1.0 else 0.0

    rate_m, low_m, high_m = _wilson(main, n_main) if n_main else (float("nan"), *nan2)
    rate_b, low_b, high_b = _wilson(baseline, n_baseline) if n_baseline else (float("nan"), *nan2)
    return {
        "risk": excess(rate_m) if n_main else 0.0,
        "risk_ci": (excess(low_m), excess(high_m)) if n_main else (0.0, 1.0),
        "main_rate": rate_m,
        "control_rate": float(p0),
        "baseline_rate": rate_b,
        "main_ci": (low_m, high_m),
        "control_ci": (float(p0), float(p0)),
        "baseline_ci": (low_b, high_b),
        "n_attacks": int(n_main),
        "n_baseline": int(n_baseline),
    }


# ------------------------------------------------------------------------------------ checks
def _check_tables(tables: dict[str, object], min_rows: dict[str, int]) -> None:
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise InvalidDataError(f"the {name} table must be a pandas DataFrame, got {type(table).__name__}")
        if len(table) < min_rows[name]:
            raise InvalidDataError(f"the {name} table has {len(table)} rows; it needs at least {min_rows[name]}")


def _compared_columns(metadata: Metadata, tables: dict[str, pd.DataFrame]) -> list[Column]:
    columns = scored_columns(metadata, *tables.values())
    if not columns:
        raise InvalidDataError(f"the {', '.join(tables)} tables share no learned numerical, datetime, categorical "
                               "or boolean column to compare; check that all of them have the columns the "
                               "metadata describes")
    return columns


def _check_names(names: object, known: Sequence[str], what: str) -> list[str]:
    """A non-empty list of distinct column names, all in ``known`` (a single name is taken as a list)."""
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)) or not names:
        raise InvalidParameterError(f"{what} must be a non-empty list of column names, got {names!r}")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidParameterError(f"{what}: {unknown} are not among the usable columns; use some of "
                                    f"{list(known)}")
    if len(set(names)) != len(names):
        raise InvalidParameterError(f"{what} lists a column more than once: {list(names)}")
    return list(names)


def _is_column(name: object, columns: pd.Index) -> bool:
    try:
        return bool(name in columns)
    except TypeError:  # an unhashable name
        return False


def _check_halves(aux_columns: object, known: Sequence[str]) -> tuple[list[str], list[str]]:
    if not isinstance(aux_columns, (list, tuple)) or len(aux_columns) != 2:
        raise InvalidParameterError("aux_columns must be a pair of column lists, (columns of the first table, "
                                    f"columns of the second), got {aux_columns!r}")
    return (_check_names(aux_columns[0], known, "aux_columns[0]"),
            _check_names(aux_columns[1], known, "aux_columns[1]"))


def _sample_rows(n: int, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    """All row positions, or ``max_rows`` of them drawn at random (kept in order)."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(rng.choice(n, size=int(max_rows), replace=False))
