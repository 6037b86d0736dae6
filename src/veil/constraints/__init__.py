"""Constraints: rules synthetic rows keep (see :mod:`.rules`), and the expression language of rules and
conditions (see :mod:`.predicate`). How a synthesizer enforces them is :mod:`.plan`."""
from .predicate import Predicate
from .rules import (
                    Expression,
                    FixedCombinations,
                    FixedIncrements,
                    Inequality,
                    Negative,
                    OneHot,
                    Positive,
                    Range,
                    Rule,
                    Unique,
                    rule_from_dict,
)

__all__ = ["Expression", "FixedCombinations", "FixedIncrements", "Inequality", "Negative", "OneHot", "Positive",
           "Predicate", "Range", "Rule", "Unique", "rule_from_dict"]
