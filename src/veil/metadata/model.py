"""Metadata: what each column of a table is, as plain JSON-round-trippable data.

Detection (:meth:`Metadata.detect`) is a best guess; the user always has the last word through
:meth:`Metadata.update_column` or by editing the JSON.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..constraints.rules import Rule, rule_from_dict
from ..errors import InvalidDataError, raise_all
from ..pii.kinds import DATE_KINDS, DEFAULT_POLICY, GENERALIZATIONS, PII_KINDS, POLICIES

BASE_SDTYPES: tuple[str, ...] = ("numerical", "categorical", "boolean", "datetime", "id", "text")
SDTYPES: tuple[str, ...] = BASE_SDTYPES + tuple(sorted(PII_KINDS))
REPRESENTATIONS: tuple[str, ...] = ("int", "float")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Column:
    """One column's description.

    ``sdtype`` is the semantic type; for PII kinds ``policy`` says how the column is handled
    (see :mod:`veil.pii.kinds`); a numerical column may have the policy ``generalize``.
    ``generalization`` refines ``generalize`` ("year", "age_band:10", "prefix:3", "band:10"; the kind's
    default when unset). ``representation`` is ``int`` or ``float`` for numbers;
    ``datetime_format`` is the strftime format of a datetime stored as text (``None`` for native
    datetimes). ``confidence`` and ``detected_by`` record how a PII kind was found.
    """

    name: str
    sdtype: str
    representation: str | None = None
    datetime_format: str | None = None
    policy: str | None = None
    confidence: float | None = None
    detected_by: str | None = None
    generalization: str | None = None

    @property
    def is_pii(self) -> bool:
        return self.sdtype in PII_KINDS

    @property
    def effective_policy(self) -> str | None:
        """The policy in force: the user's, else the kind's default; ``None`` for other columns
        (a numerical column's ``generalize`` included)."""
        if not self.is_pii:
            return self.policy
        return self.policy or DEFAULT_POLICY[self.sdtype]

    @property
    def effective_generalization(self) -> str | None:
        """The generalization in force under the ``generalize`` policy (the kind's default when unset)."""
        if self.effective_policy != "generalize":
            return None
        allowed = GENERALIZATIONS.get(self.sdtype, ())
        return self.generalization or (allowed[0] if allowed else None)

    @property
    def learned(self) -> bool:
        """Whether the model learns this column (ids, free text, fake, dropped and person-matching PII are
        not learned; hashed and generalized columns are)."""
        if self.sdtype in ("id", "text"):
            return False
        return not self.is_pii or self.effective_policy in ("model", "hash", "generalize")

    @property
    def modelled_as(self) -> str:
        """The base sdtype used to encode a learned column."""
        policy = self.effective_policy
        if policy == "hash":
            return "categorical"
        if policy == "generalize":
            return "numerical" if self.effective_generalization == "year" else "categorical"
        if self.sdtype in BASE_SDTYPES:
            return self.sdtype
        if self.sdtype in DATE_KINDS or self.datetime_format is not None:
            return "datetime"
        if self.representation in REPRESENTATIONS and self.sdtype not in ("postal_code",):
            return "numerical"
        return "categorical"

    def problems(self) -> list[str]:
        out = []
        if not isinstance(self.name, str) or not self.name:
            out.append(f"column name must be a non-empty string, got {self.name!r}")
        if self.sdtype not in SDTYPES:
            out.append(f"column {self.name!r}: unknown sdtype {self.sdtype!r}; use one of {', '.join(SDTYPES)}")
        if self.representation is not None and self.representation not in REPRESENTATIONS:
            out.append(f"column {self.name!r}: representation must be 'int' or 'float', got {self.representation!r}")
        if self.policy is not None:
            if self.policy not in POLICIES:
                out.append(f"column {self.name!r}: unknown policy {self.policy!r}; use one of {', '.join(POLICIES)}")
            elif not self.is_pii and not (self.sdtype == "numerical" and self.policy == "generalize"):
                out.append(f"column {self.name!r}: a policy applies only to PII kinds (and 'generalize' to "
                           f"numerical columns), not to {self.sdtype!r}")
            else:
                out.extend(self._policy_problems())
        if self.generalization is not None and self.effective_policy != "generalize":
            out.append(f"column {self.name!r}: 'generalization' needs the policy 'generalize'")
        return out

    def _policy_problems(self) -> list[str]:
        from ..pii.fake_spaces import NOT_FAKEABLE
        from ..pii.linkage import ROLE_OF_KIND

        policy = self.policy
        if policy == "fake" and self.sdtype in NOT_FAKEABLE:
            return [f"column {self.name!r}: a fake {self.sdtype} could equal a real one; use the policy 'model', "
                    "'generalize' or 'drop'"]
        if policy == "person_id" and self.sdtype not in ROLE_OF_KIND:
            return [f"column {self.name!r}: {self.sdtype} cannot help match a person's records; person_id applies "
                    f"to {', '.join(sorted(ROLE_OF_KIND))}"]
        if policy == "generalize":
            allowed = GENERALIZATIONS.get(self.sdtype)
            if not allowed:
                return [f"column {self.name!r}: {self.sdtype} cannot be generalized; generalize applies to "
                        f"{', '.join(GENERALIZATIONS)}"]
            if self.generalization is not None and not _generalization_ok(self.generalization, allowed):
                return [f"column {self.name!r}: unknown generalization {self.generalization!r}; use one of "
                        f"{', '.join(allowed)} (the number after ':' may change)"]
        return []

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Column:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidDataError(f"column {data.get('name')!r}: unknown metadata keys {unknown}; "
                                   f"known keys are {sorted(known)}")
        if "name" not in data or "sdtype" not in data:
            raise InvalidDataError("every column in the metadata needs a 'name' and an 'sdtype'")
        return cls(**data)


def _generalization_ok(value: object, allowed: tuple[str, ...]) -> bool:
    """Whether ``value`` is one of ``allowed``, or one with another positive width after ':'."""
    if not isinstance(value, str):
        return False
    name, _, width = value.partition(":")
    for option in allowed:
        base, _, default_width = option.partition(":")
        width_ok = not width or (width.isdigit() and int(width) > 0)
        if name == base and bool(width) == bool(default_width) and width_ok:
            return True
    return False


@dataclass
class Metadata:
    """The columns of one table, in order, its primary key, and the rules its rows keep
    (:mod:`veil.constraints`; add them with :meth:`add_constraint`)."""

    columns: list[Column] = field(default_factory=list)
    primary_key: str | None = None
    constraints: list[Rule] = field(default_factory=list)

    # ------------------------------------------------------------------ access
    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.columns)

    def __getitem__(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def pii_columns(self) -> list[Column]:
        return [c for c in self.columns if c.is_pii]

    # ------------------------------------------------------------------ build
    @classmethod
    def detect(cls, table: pd.DataFrame, *, sample_size: int = 10_000, seed: int = 0) -> Metadata:
        """Guess every column's sdtype, representation, datetime format and PII kind."""
        from .detect import detect_metadata

        return detect_metadata(table, sample_size=sample_size, seed=seed)

    def update_column(self, name: str, **changes: Any) -> Metadata:
        """Change one column's settings (e.g. ``sdtype="categorical"``); validated at once."""
        if name not in self:
            raise InvalidDataError(f"column {name!r} is not in the metadata; its columns are {self.names}")
        allowed = {f.name for f in fields(Column)} - {"name"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise InvalidDataError(f"cannot update {unknown} of column {name!r}; settable keys are {sorted(allowed)}")
        if "sdtype" in changes and "detected_by" not in changes:
            changes["detected_by"] = "user"
            changes.setdefault("confidence", None)
        new = replace(self[name], **changes)
        raise_all(new.problems(), f"invalid settings for column {name!r}")
        self.columns = [new if c.name == name else c for c in self.columns]
        return self

    def set_primary_key(self, name: str | None) -> Metadata:
        if name is not None and name not in self:
            raise InvalidDataError(f"primary key {name!r} is not a column of the metadata")
        self.primary_key = name
        return self

    def add_constraint(self, *rules: Rule) -> Metadata:
        """Add rules that every synthetic row must keep (``Inequality("start", "end")``, ...); checked
        against the columns at once, and against the data at fit (see :meth:`validate`)."""
        from ..constraints.plan import check_rules

        check_rules(rules, self)
        self.constraints = list(self.constraints) + list(rules)
        return self

    # ------------------------------------------------------------------ check
    def problems(self) -> list[str]:
        out = []
        seen: set[str] = set()
        for c in self.columns:
            out.extend(c.problems())
            if c.name in seen:
                out.append(f"column {c.name!r} is listed twice")
            seen.add(c.name)
        if self.primary_key is not None and self.primary_key not in seen:
            out.append(f"primary key {self.primary_key!r} is not a column of the metadata")
        if self.constraints and not out:
            kinds = {c.name: c.modelled_as for c in self.columns if c.learned}
            for rule in self.constraints:
                out += rule.problems(kinds) if isinstance(rule, Rule) else [f"{rule!r} is not a constraint"]
        return out

    def validate(self, table: pd.DataFrame | None = None) -> None:
        """Raise :class:`InvalidDataError` listing every problem at once (no raw values are shown)."""
        problems = self.problems()
        if table is not None:
            from .validate import table_problems

            problems += table_problems(self, table)
            if not problems and self.constraints:
                problems += [f"{rule} is broken by {count:,} of {len(table):,} rows"
                             for rule, count in self.constraint_violations(table).items()]
        raise_all(problems, "the metadata does not fit the table" if table is not None else "invalid metadata")

    def constraint_violations(self, table: pd.DataFrame) -> dict[str, int]:
        """Each constraint that ``table`` breaks, in words, with how many rows break it (never a value)."""
        from ..constraints.plan import ConstraintPlan

        learned = [c.name for c in self.columns if c.learned and c.name in table.columns]
        return ConstraintPlan.checker(self.constraints, table[learned], self).violations(table[learned])

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        out = {"format": "veil-metadata", "version": FORMAT_VERSION, "primary_key": self.primary_key,
               "columns": [c.to_dict() for c in self.columns]}
        if self.constraints:
            out["constraints"] = [r.to_dict() for r in self.constraints]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metadata:
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise InvalidDataError("metadata must be a JSON object with a 'columns' list")
        version = data.get("version", FORMAT_VERSION)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise InvalidDataError(f"metadata format version {version!r} is newer than this veil understands "
                                   f"({FORMAT_VERSION}); upgrade veil")
        cols = []
        for item in data["columns"]:
            if not isinstance(item, dict):
                raise InvalidDataError("each entry of 'columns' must be a JSON object")
            cols.append(Column.from_dict(item))
        rules = data.get("constraints", [])
        if not isinstance(rules, list):
            raise InvalidDataError("'constraints' must be a list of JSON objects")
        meta = cls(columns=cols, primary_key=data.get("primary_key"), constraints=[rule_from_dict(r) for r in rules])
        meta.validate()
        return meta

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, source: str | Path) -> Metadata:
        """Read metadata from a JSON string or a path to a JSON file."""
        text = str(source)
        if not text.lstrip().startswith("{"):
            path = Path(source)
            if not path.exists():
                raise InvalidDataError(f"metadata file {str(path)!r} does not exist")
            text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidDataError(f"metadata is not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_dict(data)

    def subset(self, names: Iterable[str]) -> Metadata:
        keep = set(names)
        return Metadata([c for c in self.columns if c.name in keep],
                        self.primary_key if self.primary_key in keep else None,
                        [r for r in self.constraints if set(r.columns_in(self.names)) <= keep])

    def __repr__(self) -> str:
        kinds = ", ".join(f"{c.name}:{c.sdtype}" for c in self.columns)
        return f"Metadata({kinds})"
