"""Filling the unknown columns of given rows (``Synthesizer.sample_remaining``).

A model that can complete rows (the autoregressive model's :meth:`complete`: importance resampling in its
own column order) does it natively. Any other model draws, for each combination of known categories,
candidate rows that have it (conditional sampling, natively or by rejection), ``CANDIDATES`` per row, and
each row keeps the candidate closest to it in the known numbers (standardised). Known cells are then put
back exactly as given, and rows that break a constraint with them are drawn again.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..constraints.predicate import Predicate
from ..constraints.rules import _numbers
from ..errors import InvalidDataError
from .conditions import condition_text
from .rows import RowSampler

#: candidate rows per row when a model cannot complete rows itself
CANDIDATES = 16
#: rounds of drawing again the rows that break a constraint
MAX_TRIES = 10


def fill_remaining(synth: Any, known: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The learned columns for each row of ``known`` (index 0..n-1), its known cells as given."""
    plan = getattr(synth, "constraints_", None)
    if plan is not None:
        _check_known(plan, known)
    # the model is given the known values as it learned them (value protection's rare token and bounds);
    # the rows returned keep them as given
    protection = getattr(synth, "protection_", None)
    seen = protection.protect(known) if protection is not None else known
    out = _restore(_draw(synth, seen, rng), known)
    for _ in range(MAX_TRIES):
        bad = ~plan.valid(out) if plan is not None else np.zeros(len(out), dtype=bool)
        if not bad.any():
            return out
        again = _restore(_draw(synth, seen[bad].reset_index(drop=True), rng), known[bad].reset_index(drop=True))
        again.index = out.index[bad]
        out = out.copy()
        for name in out.columns:
            out.loc[bad, name] = again[name]
    raise InvalidDataError(f"{int(bad.sum()):,} of {len(out):,} rows could not be completed in a way that keeps "
                           f"the constraints with their known values (after {MAX_TRIES} tries); check those rows")


def _check_known(plan: Any, known: pd.DataFrame) -> None:
    """Raise if the known values already break a rule that reads known columns only."""
    broken = {}
    names = plan.source.names
    for rule, ok in plan.rule_masks(known.reindex(columns=list(dict.fromkeys(
            list(known.columns) + [c for r in plan.rules for c in r.columns_in(names)])))):
        if set(rule.columns_in(names)) <= set(known.columns) and not ok.all():
            broken[rule.describe()] = int((~ok).sum())
    if broken:
        listed = "; ".join(f"{rule}: {count:,} rows" for rule, count in broken.items())
        raise InvalidDataError(f"the known values break the constraints ({listed}); no completion can keep them")


def _restore(drawn: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    out = drawn.copy()
    for name in known.columns:
        out[name] = known[name].to_numpy()
    return out


def _draw(synth: Any, known: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    if hasattr(synth.model_, "complete"):
        return _complete(synth, known, rng)
    return _match(synth, known, rng)


def _complete(synth: Any, known: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The model completes the token rows whose known cells are given."""
    encoder, model = synth.encoder_, synth.model_
    plan = getattr(synth, "constraints_", None)
    given = plan.transform_known(known) if plan is not None else known
    n = len(known)
    starts = encoder.starts
    tokens = np.zeros((n, starts[-1]), dtype=np.int64)
    is_known = np.zeros_like(tokens, dtype=bool)
    missing_tokens = encoder.missing_tokens()
    for name in given.columns:
        if name not in encoder.columns:
            continue
        j = encoder.columns.index(name)
        values = given[name]
        absent = values.isna().to_numpy()
        if absent.any() and any(missing_tokens[t] is None for t in range(starts[j], starts[j + 1])):
            raise InvalidDataError(f"{int(absent.sum())} known values of {name!r} are missing, and the data the "
                                   "model learned had none there; give values, or leave the column out")
        tokens[:, starts[j]:starts[j + 1]] = encoder.encode_column(name, values)
        is_known[:, starts[j]:starts[j + 1]] = True
    drawn = model.complete(tokens, is_known, rng=rng)
    decoded = encoder.decode(drawn, rng=rng)
    return plan.reverse(decoded) if plan is not None else decoded


def _match(synth: Any, known: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Per combination of known categories: candidates that have it; per row the nearest in the numbers."""
    metadata = synth.metadata_
    categories = [c for c in known.columns if metadata[c].modelled_as in ("categorical", "boolean")]
    numbers = [c for c in known.columns if c not in categories]
    m = CANDIDATES if numbers else 1
    parts: list[pd.DataFrame] = []
    groups = known.groupby(categories, dropna=False, sort=False).indices if categories else {(): np.arange(len(known))}
    for key, rows in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        terms = [f"isnull(`{c}`)" if _missing(v) else condition_text({c: v}) for c, v in zip(categories, key)]
        predicate = Predicate.parse(" and ".join(terms), metadata.names) if terms else None
        candidates = RowSampler(synth, predicate).sample(len(rows) * m, rng)
        if numbers:
            candidates = _nearest(known.iloc[rows][numbers], candidates, m)
        candidates.index = rows
        parts.append(candidates)
    return pd.concat(parts).sort_index() if len(parts) > 1 else parts[0].sort_index()


def _nearest(targets: pd.DataFrame, candidates: pd.DataFrame, m: int) -> pd.DataFrame:
    """Row i of ``targets`` takes, among candidates i*m .. i*m+m-1, the one nearest in its columns."""
    n = len(targets)
    distance = np.zeros((n, m))
    for c in targets.columns:
        want = _numbers(targets[c]).reshape(n, 1)
        have = _numbers(candidates[c]).reshape(n, m)
        scale = np.nanstd(have) or 1.0
        gap = np.abs(have - want) / scale
        both_missing = np.isnan(have) & np.isnan(want)
        distance += np.where(both_missing, 0.0, np.where(np.isnan(gap), 10.0, gap))
    pick = np.arange(n) * m + distance.argmin(axis=1)
    return candidates.iloc[pick].reset_index(drop=True)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
