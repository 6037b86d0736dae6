"""Rows that keep the rules and meet the conditions: draw, check column-wise, keep, draw again.

:class:`RowSampler` asks the synthesizer for rows in rounds (native conditions passed to the model),
keeps those where every constraint holds and the condition is true, and sizes the next round by the
share kept so far. ``Unique`` rules hold across rounds too. When almost every row is rejected it stops
with an error that says which rule or condition rejects them and how often (never a value).
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from ..constraints.plan import typed_view
from ..constraints.predicate import Predicate
from ..errors import InvalidDataError
from ..models.base import rejection_hopeless

log = logging.getLogger("veil")

#: the most rows drawn in one round
MAX_ROUND = 500_000


class RowSampler:
    """Draws rows of a fitted synthesizer's learned columns that keep its constraints and a condition."""

    def __init__(self, synth: Any, predicate: Predicate | None):
        self.synth = synth
        self.predicate = predicate
        self.plan = getattr(synth, "constraints_", None)
        self.model_conditions = synth._model_conditions(predicate) if predicate is not None else {}

    @property
    def checks(self) -> bool:
        return self.predicate is not None or (self.plan is not None and bool(self.plan.rules))

    def sample(self, num_rows: int, rng: np.random.Generator) -> pd.DataFrame:
        if not self.checks:
            return self.synth._decode_rows(num_rows, rng, self.model_conditions)
        kept: list[pd.DataFrame] = []
        found = drawn = 0
        rejected: dict[str, int] = {}
        while found < num_rows:
            rate = (found + 1) / (drawn + 1) if drawn else 1.0
            size = int(min(max((num_rows - found) / rate * 1.1, 1_000), MAX_ROUND))
            rows = self.synth._decode_rows(size, rng, self.model_conditions)
            ok = self._keep(rows, kept, rejected)
            kept.append(rows[ok])
            found, drawn = found + int(ok.sum()), drawn + size
            if rejection_hopeless(found, drawn, num_rows):
                raise InvalidDataError(self._give_up_message(found, drawn, rejected))
        if drawn > num_rows:
            log.info("kept %d of %d drawn rows (constraints and conditions)", found, drawn)
        out = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0].reset_index(drop=True)
        return out.iloc[:num_rows].reset_index(drop=True)

    def _keep(self, rows: pd.DataFrame, kept: list[pd.DataFrame], rejected: dict[str, int]) -> np.ndarray:
        """Which of ``rows`` to keep; counts what rejected the others in ``rejected``."""
        ok = np.ones(len(rows), dtype=bool)
        if self.plan is not None:
            for rule, mask in self.plan.rule_masks(rows):
                if not mask.all():
                    rejected[rule.describe()] = rejected.get(rule.describe(), 0) + int((~mask).sum())
                ok &= mask
            for columns in self.plan.unique_columns:  # against the rows kept in earlier rounds
                if kept:
                    earlier = pd.concat([k[columns] for k in kept], ignore_index=True)
                    both = pd.concat([earlier, rows[columns]], ignore_index=True)
                    again = both.duplicated(keep="first").to_numpy()[len(earlier):]
                    ok &= ~(again & rows[columns].notna().all(axis=1).to_numpy())
        if self.predicate is not None:
            mask = self.predicate.evaluate(typed_view(rows, self.synth.metadata_), unknown=False)
            if not mask.all():
                rejected["the condition"] = rejected.get("the condition", 0) + int((~mask).sum())
            ok &= mask
        return ok

    def _give_up_message(self, found: int, drawn: int, rejected: dict[str, int]) -> str:
        reasons = sorted(rejected.items(), key=lambda kv: -kv[1])
        listed = "; ".join(f"{name} rejected {count / drawn:.1%}" for name, count in reasons[:5])
        what = "the condition is" if self.predicate is not None and not (self.plan and self.plan.rules) else \
            "the constraints and conditions are"
        return (f"{what} too hard to meet: only {found:,} of {drawn:,} drawn rows ({found / drawn:.3%}) kept them "
                f"({listed}). Ask for something the data holds more often, loosen the rule, or check that the "
                "values exist")
