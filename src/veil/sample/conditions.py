"""Conditions on the rows a synthesizer returns: from a dict and / or a ``where`` expression to one
:class:`~veil.constraints.predicate.Predicate`, and the part of it a model can take natively."""
from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from ..constraints.predicate import Predicate, column_conditions, literal_text, name_text
from ..encode.table import category_code
from ..errors import InvalidDataError
from ..metadata import Metadata


def condition_text(conditions: Mapping[str, Any]) -> str:
    """``{"sex": "Female", "age": (60, None), "race": ["A", "B"]}`` as an expression."""
    terms = []
    for column, value in conditions.items():
        name = name_text(column)
        if isinstance(value, tuple):
            if len(value) != 2 or (value[0] is None and value[1] is None):
                raise InvalidDataError(f"the condition on {column!r} is a tuple, so it must be a range (low, high) "
                                       "with None for an open end, such as (60, None)")
            low, high = value
            if low is not None:
                terms.append(f"{name} >= {literal_text(low)}")
            if high is not None:
                terms.append(f"{name} <= {literal_text(high)}")
        elif isinstance(value, (list, set, frozenset)):
            if not value:
                raise InvalidDataError(f"the condition on {column!r} is an empty list; give at least one value")
            terms.append(f"{name} in [{', '.join(literal_text(v) for v in value)}]")
        elif isinstance(value, Mapping):
            raise InvalidDataError(f"the condition on {column!r} is a dict; give a value, a list of values or a "
                                   "(low, high) range")
        else:
            terms.append(f"{name} == {literal_text(value)}")
    return " and ".join(terms)


def condition_predicate(metadata: Metadata, conditions: Mapping[str, Any] | None,
                        where: str | None) -> Predicate | None:
    """The conditions and ``where`` as one predicate over the learned columns (None when neither)."""
    texts = []
    if conditions is not None:
        if not isinstance(conditions, Mapping):
            raise InvalidDataError("conditions must be a dict of column name -> value, list of values or "
                                   "(low, high) range")
        unknown = [c for c in conditions if c not in metadata]
        if unknown:
            raise InvalidDataError(f"conditions name columns that are not in the table: {unknown}; the columns are "
                                   f"{metadata.names}")
        if conditions:
            texts.append(condition_text(conditions))
    if where is not None:
        if not isinstance(where, str) or not where.strip():
            raise InvalidDataError("where must be an expression such as \"sex == 'Female' and age >= 60\"")
        texts.append(where)
    if not texts:
        return None
    names = metadata.names
    predicate = Predicate.parse(" and ".join(f"({t})" for t in texts) if len(texts) > 1 else texts[0], names)
    predicate.check_columns(names)
    learned = [c.name for c in metadata if c.learned]
    outside = [c for c in predicate.columns if c not in learned]
    if outside:
        raise InvalidDataError(f"conditions can only name columns the model learns; {outside} are not learned "
                               "(ids, free text, and PII that is dropped, faked or matched to people are made "
                               f"afresh). Learned columns: {learned}")
    transformed = [c.name for c in metadata if c.name in predicate.columns
                   and c.effective_policy in ("hash", "generalize")]
    if transformed:
        raise InvalidDataError(f"conditions cannot name {transformed}: the model learned them hashed or generalized, "
                               "so their original values are not there to match")
    return predicate


def native_conditions(synth: Any, predicate: Predicate | None) -> dict[int, Any]:
    """What ``synth``'s model conditions on natively, as it sees it: span index -> a code, or (for a model
    whose ``native_conditions`` is "many") an array of allowed codes. A model with "one" takes a single
    categorical equality; "none" takes nothing. Every categorical value the predicate names is checked
    against the model's categories first, so that asking for a value that does not exist fails with the
    valid ones listed (rare, protected values never shown). The whole predicate is still checked on the
    rows drawn."""
    if predicate is None or synth.encoder_ is None:
        return {}
    hints = column_conditions(predicate)
    capacity = getattr(synth.model_, "native_conditions", "none")
    plan = getattr(synth, "constraints_", None)
    located: dict[int, Any] = {}
    for column, hint in hints.items():
        transform = plan.transform_of(column) if plan is not None else None
        if transform is not None:  # the model sees another column in its place
            merged = plan.merged_codes(column, hint.values) if hint.values is not None else None
            if merged is not None and capacity == "many" and hasattr(synth.encoder_, "category_code"):
                output, combos = merged
                if not combos:
                    raise InvalidDataError(f"no row of the real data has {column} among {list(hint.values)} "
                                           "together with a value its fixed combinations allow")
                pairs = []
                for code in combos:
                    with contextlib.suppress(InvalidDataError):  # a rare combination (one shared token)
                        pairs.append(synth.encoder_.category_code(output, code))
                if pairs:
                    located[pairs[0][0]] = [code for _, code in pairs]
            continue
        codes = _locate(synth, column, hint.values) if hint.values is not None else None
        if capacity == "many":
            if codes:
                located[codes[0][0]] = [code for _, code in codes]
            elif hint.values is None and hasattr(synth.encoder_, "range_tokens") \
                    and isinstance(hint.low, (float, type(None))) and isinstance(hint.high, (float, type(None))):
                found = synth.encoder_.range_tokens(column, hint.low, hint.high)
                if found is not None:
                    located[found[0]] = found[1]
        elif capacity == "one" and codes and hint.is_equality and not located:
            index, code = codes[0]
            spans = synth.model_.condition_spans() if hasattr(synth.model_, "condition_spans") else [index]
            if index in spans:
                located[index] = code
    return located


def _locate(synth: Any, column: str, values: tuple[Any, ...]) -> list[tuple[int, int]] | None:
    """(span, code) of each value when ``column`` is a categorical column the encoder encodes and can
    locate; None otherwise. Every value is checked first: one the model does not know raises, listing
    the valid values (rare, protected ones left out)."""
    encoder, metadata = synth.encoder_, synth.metadata_
    if metadata[column].modelled_as not in ("categorical", "boolean"):
        return None
    plan = getattr(synth, "constraints_", None)
    columns = list(getattr(encoder, "columns", []))
    if column not in columns:  # merged into another column by a constraint
        if plan is not None:
            plan.check_values(column, values)
        return None
    codec = encoder.codecs_[columns.index(column)]
    hidden = encoder.hidden_codes(column) if hasattr(encoder, "hidden_codes") else ()
    for value in values:
        category_code(codec, column, value, hidden)
    locate = getattr(encoder, "category_code", None)
    return None if locate is None else [locate(column, v) for v in values]
