"""How a synthesizer makes its constraints hold: transform, repair, or draw again.

:meth:`ConstraintPlan.fit` reads the rules (from the metadata) and the real table, refuses a table that
breaks them (counts per rule, never values), and chooses for each rule the strongest way to enforce it:

* **transform** where the mathematics allows, so that the model cannot break the rule at all:
  ``Inequality`` a <= b learns log(b - a + 1) in b's place (log(b - a) when strict); a ``Range`` between
  two columns learns where the value sits between them, as a fraction; ``FixedIncrements`` learns the
  value divided by the step; ``FixedCombinations`` and ``OneHot`` learn one categorical column in place of
  theirs (which combination, which column is hot). A column is transformed by one rule at most (a rule
  whose columns another transform owns falls back to checking), and columns with missing values are
  checked rather than transformed;
* **repair** constant bounds (``Range`` with constants, ``Positive``, ``Negative``; not strict): values
  are clipped to them;
* **check** everything else (``Unique``, ``Expression``, strict bounds), and every rule again after the
  steps above: rows that break one are dropped and drawn again by the synthesizer (vectorised rounds).

:meth:`transform` runs before the encoder and :meth:`reverse` after the decoder. The plan is saved
with the model (JSON and arrays, no pickle).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..encode.datetime import TICKS_PER_SECOND, DatetimeCodec
from ..encode.table import Codec, codec_from_state, make_codec, split_state
from ..errors import InvalidDataError, raise_all
from ..metadata.model import Column, Metadata
from .rules import (
    Expression,
    FixedCombinations,
    FixedIncrements,
    Inequality,
    OneHot,
    Positive,
    Range,
    Rule,
    Unique,
    rule_from_dict,
)


# ---------------------------------------------------------------------- values on a common scale
def _to_scale(codec: Codec, series: pd.Series) -> np.ndarray:
    """A column's values as float64: numbers as they are, datetimes as seconds since 1970."""
    x = codec.to_float(series.reset_index(drop=True))
    if isinstance(codec, DatetimeCodec):
        return (int(codec.origin[0]) + x * codec.step) / TICKS_PER_SECOND[codec.unit]
    return x


def _from_scale(codec: Codec, x: np.ndarray) -> pd.Series:
    """The inverse of :func:`_to_scale`, in the column's own dtype (rounded and clipped by its codec)."""
    if isinstance(codec, DatetimeCodec):
        x = (x * TICKS_PER_SECOND[codec.unit] - int(codec.origin[0])) / codec.step
    return codec.from_float(x)


def typed_view(table: pd.DataFrame, metadata: Metadata) -> pd.DataFrame:
    """``table`` with datetimes stored as text parsed (by their format), for evaluating expressions."""
    out = {}
    for name in table.columns:
        values = table[name]
        if name in metadata and metadata[name].modelled_as == "datetime" \
                and not pd.api.types.is_datetime64_any_dtype(values.dtype):
            fmt = metadata[name].datetime_format
            values = pd.to_datetime(values, format=fmt if fmt else "mixed", errors="coerce")
        out[name] = values
    return pd.DataFrame(out, index=table.index, copy=False)


# ---------------------------------------------------------------------- transforms
class _Transform:
    """A fitted transform: the columns it ``replaces`` by ``output`` and those it only ``reads``."""

    replaces: list[str]
    reads: list[str]
    output: str

    def column(self) -> Column:  # pragma: no cover - interface
        raise NotImplementedError

    def forward(self, table: pd.DataFrame) -> pd.Series:  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, table: pd.DataFrame) -> dict[str, pd.Series]:  # pragma: no cover - interface
        raise NotImplementedError

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:  # pragma: no cover - interface
        raise NotImplementedError


class _Difference(_Transform):
    """a <= b as log1p(b - a) in b's place (log(b - a) when strict)."""

    def __init__(self, low: str, high: str, strict: bool, codecs: Sequence[Codec]):
        self.low, self.high, self.strict = low, high, strict
        self.codecs = list(codecs)
        self.replaces, self.reads, self.output = [high], [low], high

    def column(self) -> Column:
        return Column(self.high, "numerical", representation="float")

    def forward(self, table: pd.DataFrame) -> pd.Series:
        d = _to_scale(self.codecs[1], table[self.high]) - _to_scale(self.codecs[0], table[self.low])
        with np.errstate(divide="ignore"):
            t = np.log(d) if self.strict else np.log1p(d)
        return pd.Series(t, index=table.index)

    def backward(self, table: pd.DataFrame) -> dict[str, pd.Series]:
        t = table[self.high].to_numpy(dtype=np.float64, na_value=np.nan)
        d = np.exp(t) if self.strict else np.maximum(np.expm1(t), 0.0)
        out = _from_scale(self.codecs[1], _to_scale(self.codecs[0], table[self.low]) + d)
        out.index = table.index
        return {self.high: out}

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return _codec_states({"type": "difference", "low": self.low, "high": self.high, "strict": self.strict},
                             self.codecs)


class _Fraction(_Transform):
    """low <= x <= high (two columns) as where x sits between them, in [0, 1]."""

    def __init__(self, column: str, low: str, high: str, codecs: Sequence[Codec]):
        self.name, self.low, self.high = column, low, high
        self.codecs = list(codecs)  # x, low, high
        self.replaces, self.reads, self.output = [column], [low, high], column

    def column(self) -> Column:
        return Column(self.name, "numerical", representation="float")

    def forward(self, table: pd.DataFrame) -> pd.Series:
        x, lo, hi = (_to_scale(c, table[n]) for c, n in zip(self.codecs, (self.name, self.low, self.high)))
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(hi > lo, (x - lo) / (hi - lo), 0.5)
        return pd.Series(r, index=table.index)

    def backward(self, table: pd.DataFrame) -> dict[str, pd.Series]:
        r = np.clip(table[self.name].to_numpy(dtype=np.float64, na_value=np.nan), 0.0, 1.0)
        lo, hi = _to_scale(self.codecs[1], table[self.low]), _to_scale(self.codecs[2], table[self.high])
        out = _from_scale(self.codecs[0], lo + r * (hi - lo))
        out.index = table.index
        return {self.name: out}

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return _codec_states({"type": "fraction", "column": self.name, "low": self.low, "high": self.high},
                             self.codecs)


class _Steps(_Transform):
    """Multiples of ``increment`` as the number of steps."""

    def __init__(self, column: str, increment: float, codec: Codec):
        self.name, self.increment, self.codecs = column, float(increment), [codec]
        self.replaces, self.reads, self.output = [column], [], column

    def column(self) -> Column:
        return Column(self.name, "numerical", representation="int")

    def forward(self, table: pd.DataFrame) -> pd.Series:
        return pd.Series(np.round(_to_scale(self.codecs[0], table[self.name]) / self.increment), index=table.index)

    def backward(self, table: pd.DataFrame) -> dict[str, pd.Series]:
        steps = np.round(table[self.name].to_numpy(dtype=np.float64, na_value=np.nan))
        out = _from_scale(self.codecs[0], steps * self.increment)
        out.index = table.index
        return {self.name: out}

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return _codec_states({"type": "steps", "column": self.name, "increment": self.increment}, self.codecs)


class _Merge(_Transform):
    """Several columns as one categorical: the index of their combination among ``combos`` (the rows of
    a small frame holding each combination once, in the columns' own dtypes)."""

    def __init__(self, columns: Sequence[str], output: str, combos: pd.DataFrame, kind: str):
        self.columns, self.combos, self.kind = list(columns), combos.reset_index(drop=True), kind
        self.replaces, self.reads, self.output = list(columns), [], output

    @classmethod
    def fit(cls, columns: Sequence[str], output: str, table: pd.DataFrame, kind: str) -> _Merge:
        combos = table[list(columns)].drop_duplicates().reset_index(drop=True)
        return cls(columns, output, combos, kind)

    def column(self) -> Column:
        return Column(self.output, "categorical")

    def codes(self, table: pd.DataFrame) -> np.ndarray:
        """Each row's combination index, -1 where the combination is not one of :attr:`combos`."""
        index = pd.MultiIndex.from_frame(_as_keys(self.combos))
        return index.get_indexer(pd.MultiIndex.from_frame(_as_keys(table[self.columns])))

    def forward(self, table: pd.DataFrame) -> pd.Series:
        return pd.Series(self.codes(table), index=table.index, dtype=np.int64)

    def backward(self, table: pd.DataFrame) -> dict[str, pd.Series]:
        codes = table[self.output].to_numpy(dtype=np.int64)
        picked = self.combos.iloc[codes].reset_index(drop=True)
        picked.index = table.index
        return {c: picked[c] for c in self.columns}

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        values = json.loads(self.combos.astype(object).where(self.combos.notna(), None).to_json(orient="split",
                                                                                                  index=False))
        return {"type": "merge", "kind": self.kind, "columns": self.columns, "output": self.output,
                "dtypes": [str(self.combos[c].dtype) for c in self.columns], "values": values["data"]}, {}


def _as_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as hashable keys that compare across dtypes (1 == 1.0; every missing cell alike)."""
    out = {}
    for c in frame.columns:
        values = frame[c]
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            values = values.astype("float64")
        out[c] = values.astype(object).where(values.notna(), "\x00missing")
    return pd.DataFrame(out, index=frame.index)


def _codec_states(config: dict[str, Any], codecs: Sequence[Codec]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    config = dict(config, codecs=[])
    arrays: dict[str, np.ndarray] = {}
    for i, codec in enumerate(codecs):
        codec_config, codec_arrays = codec.state()
        config["codecs"].append(codec_config)
        arrays.update({f"{i}.{k}": v for k, v in codec_arrays.items()})
    return config, arrays


def _transform_from_state(config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> _Transform:
    kind = config["type"]
    if kind == "merge":
        columns = [str(c) for c in config["columns"]]
        combos = pd.DataFrame(config["values"], columns=columns)
        for c, dtype in zip(columns, config["dtypes"]):
            try:
                combos[c] = combos[c].astype(dtype)
            except (TypeError, ValueError):
                combos[c] = combos[c].astype(object)
        return _Merge(columns, str(config["output"]), combos, str(config["kind"]))
    codecs = [codec_from_state(c, split_state(arrays, f"{i}.")) for i, c in enumerate(config["codecs"])]
    if kind == "difference":
        return _Difference(config["low"], config["high"], bool(config["strict"]), codecs)
    if kind == "fraction":
        return _Fraction(config["column"], config["low"], config["high"], codecs)
    if kind == "steps":
        return _Steps(config["column"], float(config["increment"]), codecs[0])
    raise ValueError(f"unknown constraint transform {kind!r}")


# ---------------------------------------------------------------------- the plan
class ConstraintPlan:
    """The fitted way a synthesizer keeps its rules: transforms, repairs and checks (see the module)."""

    def __init__(self, rules: Sequence[Rule], transforms: Sequence[_Transform], metadata: Metadata,
                 combinations: Mapping[int, _Merge], source: Metadata | None = None):
        self.rules = list(rules)
        self.source = source if source is not None else metadata  # the metadata of the user's columns
        self.transforms = list(transforms)  # in the order they were chosen; forward runs them reversed
        self.metadata = metadata  # what the encoder sees: transformed columns in place of the originals
        self.combinations = dict(combinations)  # rule index -> fitted combinations (FixedCombinations)

    # ------------------------------------------------------------------ fit
    @classmethod
    def checker(cls, rules: Sequence[Rule], table: pd.DataFrame, metadata: Metadata) -> ConstraintPlan:
        """A plan that checks the rules (against the combinations of ``table`` for FixedCombinations) and
        enforces nothing: what counting violations needs."""
        rules = list(rules)
        check_rules(rules, metadata)
        combinations = {i: _Merge.fit(r.columns, "", table, "fixed_combinations") for i, r in enumerate(rules)
                        if isinstance(r, FixedCombinations)}
        return cls(rules, [], metadata, combinations, metadata)

    @classmethod
    def fit(cls, rules: Sequence[Rule], table: pd.DataFrame, metadata: Metadata, *, enforce_rounding: bool = True,
            enforce_min_max_values: bool = True, check: bool = True) -> ConstraintPlan:
        """Check the rules against the metadata and ``table`` (the learned columns), and choose how each is
        enforced. Raises :class:`InvalidDataError` listing every problem, or every rule the table breaks
        with how many rows break it (``check=False`` skips that, for a caller that has checked already)."""
        plan = cls.checker(rules, table, metadata)
        if check:
            broken = plan.violations(table)
            raise_all([f"{rule} is broken by {count:,} of {len(table):,} rows" for rule, count in broken.items()],
                      "the table breaks its constraints; fix or drop those rows (veil never changes your data), "
                      "or remove the constraint")
        rules = plan.rules

        owned: set[str] = set()  # columns a chosen transform replaces or reads
        replaced: set[str] = set()
        used_names = set(metadata.names)
        transforms: list[_Transform] = []

        def codec(name: str) -> Codec:
            return make_codec(metadata[name], enforce_rounding=enforce_rounding,
                              enforce_min_max_values=enforce_min_max_values).fit(table[name])

        for rule in rules:
            transform = None
            if any(table[c].isna().any() for c in rule.columns if c in table.columns):
                continue  # a transform would tie the columns' missing cells together: check instead
            if isinstance(rule, Inequality):
                transform = _Difference(rule.low, rule.high, rule.strict, [codec(rule.low), codec(rule.high)])
            elif isinstance(rule, Range) and isinstance(rule.low, str) and isinstance(rule.high, str) \
                    and not rule.strict:
                transform = _Fraction(rule.column, rule.low, rule.high,
                                      [codec(rule.column), codec(rule.low), codec(rule.high)])
            elif isinstance(rule, FixedIncrements):
                transform = _Steps(rule.column, rule.increment, codec(rule.column))
            elif isinstance(rule, (FixedCombinations, OneHot)):
                name = _fresh_name("+".join(rule.columns), used_names)
                transform = _Merge.fit(rule.columns, name, table, rule.kind)
            # a transform runs before those chosen earlier and is undone after them, so it may read a column
            # an earlier one replaces, but not replace a column an earlier one reads or replaces
            if transform is None or set(transform.replaces) & (owned | replaced):
                continue
            used_names.add(transform.output)
            owned |= set(transform.reads)
            replaced |= set(transform.replaces)
            transforms.append(transform)
        plan.transforms = transforms
        plan.metadata = _transformed_metadata(metadata, transforms)
        return plan

    # ------------------------------------------------------------------ use
    def transform(self, table: pd.DataFrame) -> pd.DataFrame:
        """The learned columns as the encoder sees them (transforms applied, last chosen first)."""
        if not self.transforms:
            return table
        out = table.copy(deep=False)
        for t in reversed(self.transforms):
            values = t.forward(out)
            position = list(out.columns).index(t.replaces[0])
            out = out.drop(columns=t.replaces)
            out.insert(position, t.output, values)
        return out

    def transform_known(self, known: pd.DataFrame) -> pd.DataFrame:
        """Known columns of some rows as the encoder sees them: a transform whose columns are all known is
        applied; the columns of one that is not are left out (the model draws them; the caller puts the
        known values back and checks the rules)."""
        out = known.copy(deep=False)
        for t in reversed(self.transforms):
            if set(t.replaces) | set(t.reads) <= set(out.columns):
                values = t.forward(out)
                out = out.drop(columns=t.replaces)
                out[t.output] = values
            else:
                out = out.drop(columns=[c for c in t.replaces if c in out.columns])
        return out

    def reverse(self, table: pd.DataFrame) -> pd.DataFrame:
        """Decoded rows back in their own columns, then constant bounds repaired."""
        out = table
        if self.transforms:
            out = table.copy(deep=False)
            for t in self.transforms:
                values = t.backward(out)
                position = list(out.columns).index(t.output)
                out = out.drop(columns=[t.output])
                for offset, (name, series) in enumerate(values.items()):
                    out.insert(position + offset, name, series)
        return self.repair(out)

    def repair(self, table: pd.DataFrame) -> pd.DataFrame:
        """Numbers clipped to the constant bounds of non-strict Range / Positive / Negative rules."""
        clips: dict[str, list[float]] = {}
        for rule in self.rules:
            if isinstance(rule, Positive) and not rule.strict:
                low, high = (0.0, None) if rule.sign > 0 else (None, 0.0)
            elif isinstance(rule, Range) and not rule.strict:
                low = rule.low if isinstance(rule.low, (int, float)) else None
                high = rule.high if isinstance(rule.high, (int, float)) else None
            else:
                continue
            bounds = clips.setdefault(rule.column, [-np.inf, np.inf])
            if low is not None:
                bounds[0] = max(bounds[0], float(low))
            if high is not None:
                bounds[1] = min(bounds[1], float(high))
        clips = {name: bounds for name, bounds in clips.items() if name in table.columns and _is_number(table[name])}
        if not clips:
            return table
        out = table.copy(deep=False)
        for name, (low, high) in clips.items():
            values = out[name]
            if pd.api.types.is_integer_dtype(values.dtype):
                low, high = np.ceil(low), np.floor(high)
            out[name] = values.clip(None if np.isinf(low) else low, None if np.isinf(high) else high)
        return out

    def rule_masks(self, table: pd.DataFrame) -> list[tuple[Rule, np.ndarray]]:
        """Each rule with one bool per row of ``table``: whether the row keeps it (a Unique rule: within
        ``table``; FixedCombinations: against the combinations of the real data)."""
        out = []
        typed = None
        for i, rule in enumerate(self.rules):
            if i in self.combinations:
                ok = self.combinations[i].codes(table) >= 0
            elif isinstance(rule, Expression):
                typed = typed if typed is not None else typed_view(table, self.source)
                ok = rule.is_valid(typed)
            else:
                ok = rule.is_valid(table)
            out.append((rule, ok))
        return out

    def valid(self, table: pd.DataFrame) -> np.ndarray:
        """One bool per row: every rule holds."""
        ok = np.ones(len(table), dtype=bool)
        for _, mask in self.rule_masks(table):
            ok &= mask
        return ok

    def violations(self, table: pd.DataFrame) -> dict[str, int]:
        """Rule (in words) -> how many rows of ``table`` break it; only rules that are broken."""
        return {rule.describe(): int((~ok).sum()) for rule, ok in self.rule_masks(table) if not ok.all()}

    def transform_of(self, column: str) -> _Transform | None:
        """The transform that replaces ``column`` (the encoder then sees something else under its name, or
        a merged column), or None."""
        return next((t for t in self.transforms if column in t.replaces), None)

    def merged_codes(self, column: str, values: Sequence[Any]) -> tuple[str, list[int]] | None:
        """For a column merged by FixedCombinations / OneHot: (the merged column, the codes of the
        combinations whose ``column`` is one of ``values``); None for other columns."""
        t = self.transform_of(column)
        if not isinstance(t, _Merge):
            return None
        self.check_values(column, values)
        keys = _as_keys(t.combos[[column]])[column]
        wanted = _as_keys(pd.DataFrame({column: pd.Series(list(values), dtype=object)}))[column]
        return t.output, np.flatnonzero(keys.isin(set(wanted)).to_numpy()).tolist()

    def check_values(self, column: str, values: Sequence[Any]) -> None:
        """Raise, listing the valid values, if a value of a column merged by a constraint never occurs."""
        for t in self.transforms:
            if isinstance(t, _Merge) and column in t.columns:
                known = t.combos[column].dropna().unique().tolist()
                missing = [v for v in values if v not in known and str(v) not in {str(k) for k in known}]
                if missing:
                    listed = ", ".join(repr(k) for k in sorted(known, key=lambda k: (str(k), repr(k))))
                    raise InvalidDataError(f"{column} has no category {missing[0]!r}; valid values: {listed}")

    @property
    def unique_columns(self) -> list[list[str]]:
        return [r.columns for r in self.rules if isinstance(r, Unique)]

    # ------------------------------------------------------------------ state
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {}
        transforms = []
        for j, t in enumerate(self.transforms):
            config, t_arrays = t.state()
            transforms.append(config)
            arrays.update({f"{j}/{k}": v for k, v in t_arrays.items()})
        combinations = {str(i): m.state()[0] for i, m in self.combinations.items()}
        return {"rules": [r.to_dict() for r in self.rules], "transforms": transforms,
                "combinations": combinations, "metadata": self.metadata.to_dict(),
                "source": self.source.to_dict()}, arrays

    @classmethod
    def from_state(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> ConstraintPlan:
        rules = [rule_from_dict(r) for r in config["rules"]]
        transforms = [_transform_from_state(c, split_state(arrays, f"{j}/"))
                      for j, c in enumerate(config["transforms"])]
        combinations = {int(i): _transform_from_state(c, {}) for i, c in config["combinations"].items()}
        if any(not 0 <= i < len(rules) or not isinstance(rules[i], FixedCombinations) for i in combinations):
            raise ValueError("the constraint plan does not hold together")
        return cls(rules, transforms, Metadata.from_dict(config["metadata"]), combinations,
                   Metadata.from_dict(config["source"]))


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def check_rules(rules: Sequence[Rule], metadata: Metadata) -> None:
    """Raise listing every rule that does not fit the metadata (unknown or unlearned columns, wrong kinds)."""
    kinds = {c.name: c.modelled_as for c in metadata if c.learned}
    problems = []
    for rule in rules:
        if not isinstance(rule, Rule):
            problems.append(f"{rule!r} is not a constraint; use veil.constraints (Range, Inequality, ...)")
            continue
        problems += rule.problems(kinds)
    raise_all(problems, "the constraints do not fit the metadata")


def _fresh_name(name: str, used: set[str]) -> str:
    while name in used:
        name += "_"
    return name


def _transformed_metadata(metadata: Metadata, transforms: Sequence[_Transform]) -> Metadata:
    columns = list(metadata.columns)
    for t in reversed(transforms):
        names = [c.name for c in columns]
        position = names.index(t.replaces[0])
        columns = [c for c in columns if c.name not in t.replaces]
        columns.insert(position, t.column())
    return Metadata(columns, metadata.primary_key if metadata.primary_key in {c.name for c in columns} else None)
