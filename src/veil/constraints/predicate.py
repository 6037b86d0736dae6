"""A small, safe expression language over a table's columns, for conditions and rules.

    sex == 'Female' and age >= 60
    `native-country` in ['Canada', 'Mexico'] or not (hours-per-week < 40)
    year(date) >= yr_built and price % 1000 == 0
    isnull(workclass) or 0 < capital-gain <= 99999

It is parsed (never given to Python's ``eval``) into a tree of a few node kinds and evaluated column-wise
on a DataFrame, with no loop over rows:

* literals: numbers, 'text' or "text", ``true`` / ``false`` (any case), ``date('2014-05-02')``;
* columns: bare names; a name with other characters in backticks (```my col```); a bare name may also
  contain ``-`` or ``.`` when the parser is told the table's columns and one of them matches (so
  ``capital-gain > 0`` reads as a column, not a subtraction);
* ``+ - * / // %`` and unary ``-``; comparisons ``== != < <= > >=`` (chains such as ``0 < x <= 5`` too),
  ``in [...]`` and ``not in [...]``; ``and``, ``or``, ``not``; parentheses;
* functions: ``abs round floor ceil`` of numbers, ``year month day hour minute second dayofweek`` of
  datetimes, ``length lower upper`` of text, ``isnull notnull`` of anything, ``min max`` of two values.

Missing cells follow SQL: arithmetic with a missing value is missing, a comparison with one is unknown,
``and`` / ``or`` / ``not`` use three-valued logic, and :func:`Predicate.evaluate` says what an unknown
result counts as (a condition wants it false; a rule lets it pass).
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidDataError

# ---------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Literal:
    value: Any  # int, float, str, bool or numpy.datetime64


@dataclass(frozen=True)
class ColumnRef:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # arithmetic, comparison, "and" or "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Membership:
    operand: Node
    values: tuple[Any, ...]
    negated: bool = False


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]


Node = Literal | ColumnRef | Unary | Binary | Membership | Call

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_KEYWORDS = {"and", "or", "not", "in", "true", "false"}
_MAX_LENGTH = 10_000


# ---------------------------------------------------------------------- tokens
@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "string", "name", "op", "end"
    text: str
    value: Any
    at: int


_OPERATORS = ("==", "!=", "<=", ">=", "//", "<", ">", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",")
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _tokenize(text: str, columns: Sequence[str]) -> list[_Token]:
    # longest column names first, so that "capital-gain" wins over "capital"
    named = sorted((c for c in columns if c and not _NAME.fullmatch(c)), key=len, reverse=True)
    tokens, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "'\"":
            end, parts, j = ch, [], i + 1
            while j < len(text) and text[j] != end:
                if text[j] == "\\" and j + 1 < len(text):
                    j += 1
                parts.append(text[j])
                j += 1
            if j >= len(text):
                raise _error(text, i, "this text is not closed; end it with " + end)
            tokens.append(_Token("string", text[i:j + 1], "".join(parts), i))
            i = j + 1
            continue
        if ch == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise _error(text, i, "this column name is not closed; end it with `")
            tokens.append(_Token("name", text[i:j + 1], text[i + 1:j], i))
            i = j + 1
            continue
        match = next((c for c in named if text.startswith(c, i) and not _continues_name(text, i + len(c))), None)
        if match is not None and (i == 0 or not _continues_name(text, i - 1)):
            tokens.append(_Token("name", match, match, i))
            i += len(match)
            continue
        m = _NUMBER.match(text, i)
        if m and (ch.isdigit() or ch == "."):
            literal = m.group(0)
            value = float(literal) if any(c in literal for c in ".eE") else int(literal)
            tokens.append(_Token("number", literal, value, i))
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m:
            word = m.group(0)
            kind = "op" if word.lower() in _KEYWORDS else "name"
            tokens.append(_Token(kind, word.lower() if kind == "op" else word, word, i))
            i = m.end()
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is None:
            hint = "; compare with ==" if ch == "=" else ("; use 'and' / 'or'" if ch in "&|" else "")
            raise _error(text, i, f"unexpected character {ch!r}{hint}")
        tokens.append(_Token("op", op, op, i))
        i += len(op)
    tokens.append(_Token("end", "", None, len(text)))
    return tokens


def _continues_name(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def _error(text: str, at: int, message: str) -> InvalidDataError:
    return InvalidDataError(f"cannot read the expression at character {at + 1}: {message}\n  {text}\n  {' ' * at}^")


# ---------------------------------------------------------------------- parser
FUNCTIONS: dict[str, int] = {
    "abs": 1, "round": 1, "floor": 1, "ceil": 1, "year": 1, "month": 1, "day": 1, "hour": 1, "minute": 1,
    "second": 1, "dayofweek": 1, "length": 1, "lower": 1, "upper": 1, "isnull": 1, "notnull": 1, "min": 2,
    "max": 2, "date": 1,
}


class _Parser:
    def __init__(self, text: str, columns: Sequence[str]):
        self.text = text
        self.tokens = _tokenize(text, columns)
        self.i = 0

    def peek(self, *texts: str) -> bool:
        t = self.tokens[self.i]
        return t.kind == "op" and t.text in texts

    def take(self) -> _Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def expect(self, text: str) -> None:
        if not self.peek(text):
            t = self.tokens[self.i]
            raise _error(self.text, t.at, f"expected {text!r} here, found {t.text or 'the end'!r}")
        self.i += 1

    def parse(self) -> Node:
        node = self.disjunction()
        t = self.tokens[self.i]
        if t.kind != "end":
            raise _error(self.text, t.at, f"unexpected {t.text!r}; join conditions with 'and' / 'or'")
        return node

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.peek("or"):
            self.take()
            node = Binary("or", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.peek("and"):
            self.take()
            node = Binary("and", node, self.negation())
        return node

    def negation(self) -> Node:
        if self.peek("not"):
            self.take()
            return Unary("not", self.negation())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if self.peek("in") or (self.peek("not") and self.tokens[self.i + 1].text == "in"):
            negated = self.take().text == "not"
            if negated:
                self.take()
            return Membership(left, self.literal_list(), negated)
        node: Node | None = None
        while self.peek(*COMPARISONS):
            op = self.take().text
            right = self.additive()
            pair = Binary(op, left, right)
            node = pair if node is None else Binary("and", node, pair)
            left = right
        return left if node is None else node

    def literal_list(self) -> tuple[Any, ...]:
        start = self.tokens[self.i].at
        self.expect("[")
        values = []
        while not self.peek("]"):
            node = self.unary()
            if not isinstance(node, Literal):
                raise _error(self.text, start, "a list after 'in' holds values only, such as ['a', 'b']")
            values.append(node.value)
            if not self.peek("]"):
                self.expect(",")
        self.expect("]")
        return tuple(values)

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.peek("+", "-"):
            node = Binary(self.take().text, node, self.multiplicative())
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.peek("*", "/", "//", "%"):
            node = Binary(self.take().text, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek("-"):
            self.take()
            operand = self.unary()
            if isinstance(operand, Literal) and isinstance(operand.value, (int, float)) \
                    and not isinstance(operand.value, bool):
                return Literal(-operand.value)
            return Unary("-", operand)
        if self.peek("+"):
            self.take()
            return self.unary()
        return self.primary()

    def primary(self) -> Node:
        t = self.take()
        if t.kind in ("number", "string"):
            return Literal(t.value)
        if t.kind == "op" and t.text in ("true", "false"):
            return Literal(t.text == "true")
        if t.kind == "op" and t.text == "(":
            node = self.disjunction()
            self.expect(")")
            return node
        if t.kind == "name":
            if self.peek("(") and t.text[0] != "`":
                return self.call(t)
            return ColumnRef(t.value)
        raise _error(self.text, t.at, f"expected a value or a column, found {t.text or 'the end'!r}")

    def call(self, name: _Token) -> Node:
        function = name.value.lower()
        if function not in FUNCTIONS:
            raise _error(self.text, name.at, f"unknown function {name.value!r}; functions: {', '.join(FUNCTIONS)}")
        self.expect("(")
        args: list[Node] = []
        while not self.peek(")"):
            args.append(self.disjunction())
            if not self.peek(")"):
                self.expect(",")
        self.expect(")")
        if len(args) != FUNCTIONS[function]:
            raise _error(self.text, name.at, f"{function}() takes {FUNCTIONS[function]} argument(s), got {len(args)}")
        if function == "date":
            if not (isinstance(args[0], Literal) and isinstance(args[0].value, str)):
                raise _error(self.text, name.at, "date() takes a text literal such as date('2014-05-02')")
            try:
                return Literal(np.datetime64(pd.Timestamp(args[0].value).tz_localize(None), "ns"))
            except (ValueError, TypeError):
                raise _error(self.text, name.at, f"date() cannot read {args[0].value!r}; write it as "
                                                 "'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'") from None
        return Call(function, tuple(args))


# ---------------------------------------------------------------------- values
@dataclass
class _Value:
    """A column-wise value: ``data`` (numpy array or scalar) and where it is missing."""

    data: Any
    missing: Any  # bool array or bool
    kind: str  # "number", "text", "datetime", "bool"


def _kind_of(array: np.ndarray) -> str:
    if array.dtype.kind == "b":
        return "bool"
    if array.dtype.kind in "iuf":
        return "number"
    if array.dtype.kind == "M":
        return "datetime"
    return "text"


def _column_value(series: pd.Series) -> _Value:
    missing = series.isna().to_numpy()
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_bool_dtype(series.dtype):
        return _Value(series.fillna(False).to_numpy(dtype=bool), missing, "bool")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _Value(series.to_numpy(dtype=np.float64, na_value=np.nan), missing, "number")
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return _Value(series.to_numpy(dtype="datetime64[ns]"), missing, "datetime")
    values = series.to_numpy(dtype=object)
    present = values[~missing]
    if present.size and all(isinstance(v, (bool, np.bool_)) for v in present):
        return _Value(np.where(missing, False, values).astype(bool), missing, "bool")
    return _Value(values, missing, "text")


def _literal_value(value: Any) -> _Value:
    if isinstance(value, bool):
        return _Value(value, False, "bool")
    if isinstance(value, (int, float)):
        return _Value(float(value), False, "number")
    if isinstance(value, np.datetime64):
        return _Value(value, False, "datetime")
    return _Value(value, False, "text")


def _describe(node: Node) -> str:
    if isinstance(node, ColumnRef):
        return f"column {node.name!r}"
    if isinstance(node, Literal):
        return repr(node.value)
    if isinstance(node, Call):
        return f"{node.function}(...)"
    return "an expression"


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "//": np.floor_divide, "%": np.mod,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
}


class Predicate:
    """A parsed expression. ``Predicate.parse(text, columns=...)``; ``evaluate(table)`` gives a bool array."""

    def __init__(self, text: str, tree: Node):
        self.text = text
        self.tree = tree

    @classmethod
    def parse(cls, text: str, columns: Iterable[str] = ()) -> Predicate:
        """Parse ``text``; ``columns`` (the table's) let bare names with ``-`` or ``.`` be read as columns."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidDataError("an expression must be non-empty text, such as \"age >= 60 and sex == 'F'\"")
        if len(text) > _MAX_LENGTH:
            raise InvalidDataError(f"the expression is {len(text):,} characters long; at most {_MAX_LENGTH:,}")
        return cls(text, _Parser(text, list(columns)).parse())

    @property
    def columns(self) -> list[str]:
        """The columns the expression reads, in order of first use."""
        out: list[str] = []

        def visit(node: Node) -> None:
            if isinstance(node, ColumnRef) and node.name not in out:
                out.append(node.name)
            for child in _children(node):
                visit(child)

        visit(self.tree)
        return out

    def check_columns(self, available: Iterable[str], what: str = "the table") -> None:
        """Raise naming any column the expression reads that is not in ``available`` (with a suggestion)."""
        available = list(available)
        for name in self.columns:
            if name not in available:
                close = difflib.get_close_matches(name, available, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; the columns are {available}"
                raise InvalidDataError(f"{self.text!r} reads column {name!r}, which {what} does not have{hint} "
                                       "(write names with spaces or other signs in backticks: `my col`)")

    def evaluate(self, table: pd.DataFrame, *, unknown: bool = False) -> np.ndarray:
        """One bool per row; rows where the result is unknown (a missing cell decided it) get ``unknown``."""
        self.check_columns(table.columns)
        value = self._eval(self.tree, table)
        if value.kind != "bool":
            raise InvalidDataError(f"{self.text!r} gives a {value.kind}, not true / false; compare it with "
                                   "something (==, <, in [...])")
        n = len(table)
        data = np.broadcast_to(np.asarray(value.data, dtype=bool), (n,))
        missing = np.broadcast_to(np.asarray(value.missing, dtype=bool), (n,))
        return np.where(missing, unknown, data)

    def __repr__(self) -> str:
        return f"Predicate({self.text!r})"

    # ------------------------------------------------------------------ evaluation
    def _eval(self, node: Node, table: pd.DataFrame) -> _Value:
        if isinstance(node, Literal):
            return _literal_value(node.value)
        if isinstance(node, ColumnRef):
            return _column_value(table[node.name])
        if isinstance(node, Unary):
            operand = self._eval(node.operand, table)
            if node.op == "not":
                self._need(operand, ("bool",), "not", node.operand)
                return _Value(~np.asarray(operand.data, dtype=bool), operand.missing, "bool")
            self._need(operand, ("number",), "-", node.operand)
            return _Value(-operand.data, operand.missing, "number")
        if isinstance(node, Membership):
            return self._membership(node, table)
        if isinstance(node, Call):
            return self._call(node, table)
        left, right = self._eval(node.left, table), self._eval(node.right, table)
        if node.op in ("and", "or"):
            self._need(left, ("bool",), node.op, node.left)
            self._need(right, ("bool",), node.op, node.right)
            return _three_valued(node.op, left, right)
        missing = np.logical_or(left.missing, right.missing)
        if node.op in _ARITHMETIC:
            return self._arithmetic(node, left, right, missing)
        return self._compare(node, left, right, missing)

    def _need(self, value: _Value, kinds: tuple[str, ...], op: str, node: Node) -> None:
        if value.kind not in kinds:
            raise InvalidDataError(f"in {self.text!r}: {op} needs {' or '.join(kinds)} values, and {_describe(node)} "
                                   f"holds {value.kind} values")

    def _arithmetic(self, node: Binary, left: _Value, right: _Value, missing: Any) -> _Value:
        if node.op == "-" and left.kind == right.kind == "datetime":
            seconds = (np.asarray(left.data, "datetime64[ns]") - np.asarray(right.data, "datetime64[ns]")
                       ).astype(np.int64) / 1e9
            return _Value(seconds, missing, "number")
        if node.op == "+" and left.kind == right.kind == "text":
            return _Value(np.char.add(np.asarray(left.data, str), np.asarray(right.data, str)).astype(object),
                          missing, "text")
        self._need(left, ("number",), node.op, node.left)
        self._need(right, ("number",), node.op, node.right)
        with np.errstate(divide="ignore", invalid="ignore"):
            data = _ARITHMETIC[node.op](left.data, right.data)
        bad = ~np.isfinite(data)  # division by zero: unknown, like a missing value
        return _Value(data, np.logical_or(missing, bad), "number")

    def _compare(self, node: Binary, left: _Value, right: _Value, missing: Any) -> _Value:
        left, right = self._align(node, left, right)
        if left.kind != right.kind:
            raise InvalidDataError(f"in {self.text!r}: cannot compare {_describe(node.left)} ({left.kind}) with "
                                   f"{_describe(node.right)} ({right.kind})")
        if left.kind == "text" and node.op not in ("==", "!="):
            a, b = _text(left), _text(right)
        else:
            a, b = left.data, right.data
        data = _COMPARE[node.op](a, b)
        return _Value(np.asarray(data, dtype=bool), missing, "bool")

    def _align(self, node: Binary, left: _Value, right: _Value) -> tuple[_Value, _Value]:
        """A datetime compared with a text literal reads the text as a date; a bool with 0 / 1 as a bool."""
        for a, b, other in ((left, right, node.right), (right, left, node.left)):
            if a.kind == "datetime" and b.kind == "text" and isinstance(other, Literal):
                try:
                    stamp = np.datetime64(pd.Timestamp(other.value).tz_localize(None), "ns")
                except (ValueError, TypeError):
                    raise InvalidDataError(f"in {self.text!r}: {other.value!r} is not a date; write "
                                           "'YYYY-MM-DD'") from None
                b.data, b.kind = stamp, "datetime"
            if a.kind == "bool" and b.kind == "number" and isinstance(other, Literal) and other.value in (0, 1):
                b.data, b.kind = bool(other.value), "bool"
        return left, right

    def _membership(self, node: Membership, table: pd.DataFrame) -> _Value:
        operand = self._eval(node.operand, table)
        values = [_literal_value(v) for v in node.values]
        wrong = [v for v in values if v.kind != operand.kind and not (operand.kind == "bool" and v.data in (0, 1))]
        if wrong:
            raise InvalidDataError(f"in {self.text!r}: {_describe(node.operand)} holds {operand.kind} values, and "
                                   f"the list holds {wrong[0].kind} {wrong[0].data!r}")
        data = np.asarray(operand.data)
        if operand.kind == "text":
            hit = pd.Series(data, dtype=object).isin([v.data for v in values]).to_numpy()
        else:
            hit = np.isin(data, np.asarray([v.data for v in values], dtype=data.dtype))
        return _Value(hit != node.negated, operand.missing, "bool")

    def _call(self, node: Call, table: pd.DataFrame) -> _Value:
        f = node.function
        args = [self._eval(a, table) for a in node.args]
        x = args[0]
        if f in ("isnull", "notnull"):
            missing = np.asarray(x.missing, dtype=bool)
            return _Value(missing if f == "isnull" else ~missing, False, "bool")
        if f in ("abs", "round", "floor", "ceil"):
            self._need(x, ("number",), f + "()", node.args[0])
            fn = {"abs": np.abs, "round": np.round, "floor": np.floor, "ceil": np.ceil}[f]
            return _Value(fn(x.data), x.missing, "number")
        if f in ("min", "max"):
            y = args[1]
            self._need(x, ("number", "datetime"), f + "()", node.args[0])
            if y.kind != x.kind:
                raise InvalidDataError(f"in {self.text!r}: {f}() needs two values of one kind")
            fn = np.minimum if f == "min" else np.maximum
            return _Value(fn(x.data, y.data), np.logical_or(x.missing, y.missing), x.kind)
        if f in ("length", "lower", "upper"):
            self._need(x, ("text",), f + "()", node.args[0])
            s = pd.Series(np.atleast_1d(x.data), dtype=object).where(~np.atleast_1d(x.missing), "").astype(str)
            if f == "length":
                return _Value(s.str.len().to_numpy(dtype=np.float64), x.missing, "number")
            return _Value((s.str.lower() if f == "lower" else s.str.upper()).to_numpy(dtype=object), x.missing,
                          "text")
        # calendar parts
        self._need(x, ("datetime",), f + "()", node.args[0])
        stamps = pd.DatetimeIndex(np.atleast_1d(np.asarray(x.data, dtype="datetime64[ns]")))
        part = getattr(stamps, "day_of_week" if f == "dayofweek" else f)
        return _Value(np.asarray(part, dtype=np.float64), x.missing, "number")


def _text(value: _Value) -> np.ndarray:
    return np.asarray(value.data, dtype=object).astype(str)


def _three_valued(op: str, left: _Value, right: _Value) -> _Value:
    """Kleene logic: false and unknown = false; true or unknown = true; otherwise unknown spreads."""
    a, b = np.asarray(left.data, dtype=bool), np.asarray(right.data, dtype=bool)
    ma, mb = np.asarray(left.missing, dtype=bool), np.asarray(right.missing, dtype=bool)
    if op == "and":
        definite_false = (~a & ~ma) | (~b & ~mb)
        return _Value(a & b, (ma | mb) & ~definite_false, "bool")
    definite_true = (a & ~ma) | (b & ~mb)
    return _Value(a | b, (ma | mb) & ~definite_true, "bool")


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Membership):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


# ---------------------------------------------------------------------- what conditions say per column
@dataclass
class ColumnCondition:
    """What a conjunction of simple terms says about one column: a set of allowed values and / or an
    interval (``low`` / ``high`` with their inclusiveness); ``None`` means no limit."""

    values: tuple[Any, ...] | None = None
    low: float | np.datetime64 | None = None
    low_inclusive: bool = True
    high: float | np.datetime64 | None = None
    high_inclusive: bool = True

    @property
    def is_equality(self) -> bool:
        return self.values is not None and len(self.values) == 1


def column_conditions(expression: Predicate) -> dict[str, ColumnCondition]:
    """Per column, what the expression's top-level ``and`` terms of the form ``column op literal`` (or
    ``column in [...]``) require. Other terms say nothing here; they still hold through
    :meth:`Predicate.evaluate`. A model uses this to condition natively; the whole expression is then
    checked on what it drew."""
    out: dict[str, ColumnCondition] = {}
    for term in _conjuncts(expression.tree):
        if isinstance(term, Membership) and isinstance(term.operand, ColumnRef) and not term.negated:
            cond = out.setdefault(term.operand.name, ColumnCondition())
            allowed = tuple(term.values)
            cond.values = allowed if cond.values is None else tuple(v for v in cond.values if v in allowed)
            continue
        if not (isinstance(term, Binary) and term.op in COMPARISONS and term.op != "!="):
            continue
        if isinstance(term.left, ColumnRef) and isinstance(term.right, Literal):
            name, op, value = term.left.name, term.op, term.right.value
        elif isinstance(term.right, ColumnRef) and isinstance(term.left, Literal):
            name, op, value = term.right.name, _FLIPPED[term.op], term.left.value
        else:
            continue
        if op != "==" and (isinstance(value, (bool, str)) or not isinstance(value, (int, float, np.datetime64))):
            continue  # an order on text: the whole expression still checks it
        cond = out.setdefault(name, ColumnCondition())
        if op == "==":
            cond.values = (value,) if cond.values is None else tuple(v for v in cond.values if v == value)
        else:
            bound = float(value) if isinstance(value, (int, float)) else value
            if op in (">", ">=") and (cond.low is None or bound >= cond.low):
                strict = op == ">"
                cond.low_inclusive = not strict if cond.low is None or bound > cond.low else \
                    cond.low_inclusive and not strict
                cond.low = bound
            elif op in ("<", "<=") and (cond.high is None or bound <= cond.high):
                strict = op == "<"
                cond.high_inclusive = not strict if cond.high is None or bound < cond.high else \
                    cond.high_inclusive and not strict
                cond.high = bound
    return out


def _conjuncts(node: Node) -> list[Node]:
    if isinstance(node, Binary) and node.op == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def literal_text(value: Any) -> str:
    """How a value is written in the expression language (for building expressions from dicts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
            raise InvalidDataError(f"{value!r} cannot be a condition's value; give a finite number")
        return repr(float(value)) if isinstance(value, (float, np.floating)) else str(int(value))
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        return f"date('{pd.Timestamp(value).isoformat()}')"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def name_text(name: str) -> str:
    """A column name as the expression language reads it (backticks when it is not a bare name)."""
    if _NAME.fullmatch(name) and name.lower() not in _KEYWORDS and name.lower() not in FUNCTIONS:
        return name
    if "`" in name:
        raise InvalidDataError(f"column {name!r} has a backtick in its name, which expressions cannot name; "
                               "rename it first")
    return f"`{name}`"


__all__ = ["Predicate", "ColumnCondition", "column_conditions", "literal_text", "name_text", "FUNCTIONS"]
