"""Find the records that belong to one real person, from their personal data (record linkage).

A table often holds several records per person (visits, orders, enrolments) without a clean person key.
:func:`link_records` groups them, in four steps, all vectorised:

1. **Normalise** each field (case, accents, punctuation; ``Last, First`` order; nicknames to one given
   name; phone digits; street-word abbreviations; dates parsed).
2. **Block**: only records that share at least one blocking key are compared (an exact identifier such as
   the SSN, the e-mail, its local part, the phone, date of birth with the first letters of a name, the full
   name, the address with the first initial). Blocks larger than ``max_block`` records (placeholders such
   as ``000-000-0000``) are skipped for that key.
3. **Score** each candidate pair with a fixed Fellegi-Sunter-style rule: every field adds the weight of its
   comparison level (see :data:`WEIGHTS`; roughly log2 of how much likelier the level is for a true match
   than for a random pair), a missing value adds nothing. String closeness is Jaro-Winkler similarity
   (rapidfuzz).
4. **Cluster**: pairs scoring at least ``threshold`` are links; the people are the connected components of
   the link graph, numbered in order of first appearance, so the same table always gives the same ids.
"""
from __future__ import annotations

import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, InvalidParameterError
from .detectors import phone_digits
from .nicknames import canonical_given_name

#: what each role of a field contributes; the roles a column can play in matching
ROLES: tuple[str, ...] = ("name", "first_name", "last_name", "date_of_birth", "email", "phone", "address",
                          "exact")
#: PII kind -> role, for columns found by detection
ROLE_OF_KIND: dict[str, str] = {
    "person_name": "name", "date_of_birth": "date_of_birth", "email": "email", "phone": "phone",
    "street_address": "address", "ssn": "exact", "national_id": "exact", "credit_card": "exact", "iban": "exact",
}

#: field -> comparison level -> weight. Levels: ``exact`` (normalised values equal), ``close`` (similar:
#: Jaro-Winkler >= CLOSE, a date with one part wrong or day and month swapped, the same e-mail user at
#: another domain), ``other`` (both present and different). A missing value weighs 0.
WEIGHTS: dict[str, dict[str, float]] = {
    "given": {"exact": 4.0, "close": 2.0, "other": -8.0},
    "family": {"exact": 5.0, "close": 3.0, "other": -5.0},
    "date_of_birth": {"exact": 7.0, "close": 1.0, "other": -7.0},
    "email": {"exact": 8.0, "close": 2.0, "other": -1.0},
    "phone": {"exact": 6.0, "other": -1.0},
    "address": {"exact": 5.0, "close": 3.0, "other": -1.0},
    "exact": {"exact": 25.0, "other": -15.0},  # a shared SSN outweighs a differently written name
}
#: names whose exact agreement is adjusted for how common the name is (see :func:`_frequency_adjustment`)
FREQUENCY_ADJUSTED = ("given", "family")
MAX_ADJUSTMENT = 3.0
THRESHOLD = 11.0
CLOSE = 0.9
MAX_BLOCK = 200

_TITLES = r"\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|rev|jr|sr|ii|iii|iv|md|phd|dds|esq)\b"
_STREET_WORDS = {
    "street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr", "lane": "ln", "court": "ct",
    "boulevard": "blvd", "place": "pl", "terrace": "ter", "circle": "cir", "highway": "hwy", "parkway": "pkwy",
    "square": "sq", "trail": "trl", "suite": "unit", "ste": "unit", "apartment": "unit", "apt": "unit",
    "north": "n", "south": "s", "east": "e", "west": "w", "number": "", "no": "",
}


@dataclass(frozen=True)
class Linkage:
    """The result of :func:`link_records`: one person number per record (0, 1, ... in order of first
    appearance) and what it took."""

    labels: np.ndarray
    n_people: int
    candidate_pairs: int
    linked_pairs: int
    seconds: float

    def records_per_person(self) -> np.ndarray:
        """How many records each person has."""
        return np.bincount(self.labels, minlength=self.n_people)


# ------------------------------------------------------------------------------------------ normalise
def _ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def _by_distinct(values: pd.Series, fn) -> tuple[np.ndarray, pd.Series]:
    """Apply a Series -> Series normalisation to the distinct values only; returns codes (-1 missing) and
    the normalised distinct values."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, fn(pd.Series(np.asarray(uniques, dtype=object).astype(str), dtype=object))


def _recode(codes: np.ndarray, normalised: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes into the distinct normalised values (-1 where missing or empty) and those values."""
    norm_codes, values = pd.factorize(normalised.replace("", None), use_na_sentinel=True)
    out = np.where(codes >= 0, norm_codes[np.maximum(codes, 0)] if len(norm_codes) else -1, -1)
    return out.astype(np.int64), np.asarray(values, dtype=object)


def _names(values: pd.Series) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    codes, distinct = _by_distinct(values, lambda s: s)
    text = distinct.map(_ascii_lower)
    text = text.str.replace(r"^([^,]+),\s*([^,]+)$", r"\2 \1", regex=True)
    text = text.str.replace(r"[^a-z\s]", " ", regex=True).str.replace(_TITLES, " ", regex=True)
    words = text.str.split()
    given = words.str[0].fillna("").map(canonical_given_name)
    family = words.map(lambda w: w[-1] if len(w) >= 2 else "")
    return {"given": _recode(codes, given), "family": _recode(codes, family)}


def _single_name(values: pd.Series, given: bool) -> tuple[np.ndarray, np.ndarray]:
    codes, distinct = _by_distinct(values, lambda s: s)
    text = distinct.map(_ascii_lower).str.replace(r"[^a-z]", "", regex=True)
    return _recode(codes, text.map(canonical_given_name) if given else text)


def _dates(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = pd.to_datetime(pd.Series(uniques), errors="coerce", format="mixed")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    text = parsed.dt.strftime("%Y%m%d").fillna("")
    return _recode(codes, text)


def _emails(values: pd.Series) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    codes, distinct = _by_distinct(values, lambda s: s.str.strip().str.lower())
    local = distinct.str.split("@").str[0].str.replace(r"\+.*$", "", regex=True)
    local = local.where(local.str.len() >= 4, "")
    return {"email": _recode(codes, distinct.where(distinct.str.contains("@", regex=False), "")),
            "email_user": _recode(codes, local)}


def _phones(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, digits = _by_distinct(values, lambda s: phone_digits(s.str.strip()))
    return _recode(codes, digits.where(digits.str.len() >= 7, ""))


def _addresses(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, distinct = _by_distinct(values, lambda s: s)
    text = distinct.map(_ascii_lower).str.split("\n").str[0].str.replace(r"[^a-z0-9\s]", " ", regex=True)
    words = text.str.split()
    return _recode(codes, words.map(lambda w: " ".join(x for x in (_STREET_WORDS.get(t, t) for t in w) if x)))


def _identifiers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, distinct = _by_distinct(values, lambda s: s.str.upper().str.replace(r"[^0-9A-Z]", "", regex=True))
    return _recode(codes, distinct)


def _normalise(table: pd.DataFrame, fields: Mapping[str, str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Field -> (codes per record, -1 missing; distinct normalised values)."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for column, role in fields.items():
        values = table[column]
        if role == "name":
            for key, value in _names(values).items():
                out.setdefault(key, value)
        elif role == "first_name":
            out["given"] = _single_name(values, given=True)
        elif role == "last_name":
            out["family"] = _single_name(values, given=False)
        elif role == "date_of_birth":
            out["date_of_birth"] = _dates(values)
        elif role == "email":
            out.update(_emails(values))
        elif role == "phone":
            out["phone"] = _phones(values)
        elif role == "address":
            out["address"] = _addresses(values)
        else:
            out[f"exact:{column}"] = _identifiers(values)
    return out


# ------------------------------------------------------------------------------------------ block
def _combine(*parts: np.ndarray) -> np.ndarray:
    """One code per record for a tuple of codes (-1 if any part is missing)."""
    frame = pd.DataFrame({str(i): p for i, p in enumerate(parts)})
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy(dtype=np.int64)
    return np.where((frame.to_numpy() < 0).any(axis=1), -1, codes)


def _prefix(field: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    codes, values = field
    heads, _ = pd.factorize(pd.Series(values, dtype=object).str[:n])
    return np.where(codes >= 0, heads[np.maximum(codes, 0)] if len(heads) else -1, -1).astype(np.int64)


def _blocking_keys(fields: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    keys = [codes for name, (codes, _) in fields.items()
            if name.startswith("exact:") or name in ("email", "email_user", "phone")]
    given, family, dob = fields.get("given"), fields.get("family"), fields.get("date_of_birth")
    if dob is not None:
        for name_field in (given, family):
            if name_field is not None:
                keys.append(_combine(dob[0], _prefix(name_field, 2)))
    if given is not None and family is not None:
        keys.append(_combine(given[0], family[0]))
    if "address" in fields and given is not None:
        keys.append(_combine(fields["address"][0], _prefix(given, 1)))
    elif "address" in fields:
        keys.append(fields["address"][0])
    return keys


def _pairs_within_blocks(codes: np.ndarray, max_block: int) -> np.ndarray:
    """Every pair of records (as ``i * n + j`` with i < j) sharing a code, in blocks of 2..max_block."""
    n = len(codes)
    rows = np.flatnonzero(codes >= 0)
    if len(rows) < 2:
        return np.zeros(0, dtype=np.int64)
    rows = rows[np.argsort(codes[rows], kind="stable")]
    sorted_codes = codes[rows]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(rows)])
    keep = (sizes >= 2) & (sizes <= max_block)
    if not keep.any():
        return np.zeros(0, dtype=np.int64)
    starts, sizes = starts[keep], sizes[keep]
    members = np.repeat(starts, sizes) + (np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes))
    group_end = np.repeat(starts + sizes, sizes)
    later = group_end - members - 1  # partners after each member in its block
    left = np.repeat(members, later)
    right = left + 1 + (np.arange(later.sum()) - np.repeat(np.cumsum(later) - later, later))
    a, b = rows[left], rows[right]
    return np.minimum(a, b) * n + np.maximum(a, b)


def candidate_pairs(fields: dict[str, tuple[np.ndarray, np.ndarray]], n: int,
                    max_block: int = MAX_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """The distinct record pairs (i < j) that share at least one blocking key."""
    found = [_pairs_within_blocks(key, max_block) for key in _blocking_keys(fields)]
    pairs = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    return pairs // max(n, 1), pairs % max(n, 1)


# ------------------------------------------------------------------------------------------ score
def _similarity(values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaro-Winkler similarity of values[a] and values[b] (code arrays; both present)."""
    from rapidfuzz.distance import JaroWinkler
    from rapidfuzz.process import cpdist

    if len(a) == 0:
        return np.zeros(0)
    return cpdist(values[a].tolist(), values[b].tolist(), scorer=JaroWinkler.normalized_similarity, workers=-1)


def _string_levels(field: tuple[np.ndarray, np.ndarray], a: np.ndarray, b: np.ndarray,
                   weights: Mapping[str, float]) -> np.ndarray:
    codes, values = field
    ca, cb = codes[a], codes[b]
    present = (ca >= 0) & (cb >= 0)
    score = np.where(present, np.where(ca == cb, weights["exact"], weights["other"]), 0.0)
    if "close" in weights:
        differ = np.flatnonzero(present & (ca != cb))
        close = _similarity(values, ca[differ], cb[differ]) >= CLOSE
        score[differ[close]] = weights["close"]
    return score


def _frequency_adjustment(codes: np.ndarray) -> np.ndarray:
    """Per distinct value, log2(u / u_value) clipped to +-MAX_ADJUSTMENT: agreeing on a rare name is
    stronger evidence than agreeing on a common one. ``u_value`` is the chance that two random records
    share that value, ``u`` the chance that they share any value."""
    present = codes[codes >= 0]
    counts = np.bincount(present).astype(float)
    if counts.sum() == 0:
        return np.zeros(len(counts))
    share = counts / counts.sum()
    agree_any = float((share ** 2).sum())
    with np.errstate(divide="ignore"):
        adjustment = np.log2(agree_any / np.where(share > 0, share, 1.0))
    return np.clip(adjustment, -MAX_ADJUSTMENT, MAX_ADJUSTMENT)


def _date_levels(field: tuple[np.ndarray, np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    codes, values = field
    w = WEIGHTS["date_of_birth"]
    ca, cb = codes[a], codes[b]
    present = (ca >= 0) & (cb >= 0)
    score = np.where(present, np.where(ca == cb, w["exact"], w["other"]), 0.0)
    differ = np.flatnonzero(present & (ca != cb))
    if len(differ):
        ymd = np.array([[int(v[:4]), int(v[4:6]), int(v[6:8])] for v in values], dtype=np.int64).reshape(-1, 3)
        x, y = ymd[ca[differ]], ymd[cb[differ]]
        one_part = (x != y).sum(axis=1) == 1
        swapped = (x[:, 0] == y[:, 0]) & (x[:, 1] == y[:, 2]) & (x[:, 2] == y[:, 1])
        score[differ[one_part | swapped]] = w["close"]
    return score


def score_pairs(fields: dict[str, tuple[np.ndarray, np.ndarray]], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The match score of each pair (a[k], b[k]) under :data:`WEIGHTS`."""
    score = np.zeros(len(a))
    for name, field in fields.items():
        if name == "email_user":
            continue
        if name == "date_of_birth":
            score += _date_levels(field, a, b)
        elif name == "email":
            w = WEIGHTS["email"]
            part = _string_levels(field, a, b, {"exact": w["exact"], "other": w["other"]})
            user = fields.get("email_user")
            if user is not None:
                same_user = (user[0][a] >= 0) & (user[0][a] == user[0][b]) & (part == w["other"])
                part[same_user] = w["close"]
            score += part
        elif name.startswith("exact:"):
            score += _string_levels(field, a, b, WEIGHTS["exact"])
        elif name == "phone":
            score += _string_levels(field, a, b, WEIGHTS["phone"])
        else:
            part = _string_levels(field, a, b, WEIGHTS[name])
            if name in FREQUENCY_ADJUSTED:
                codes = field[0]
                same = (codes[a] >= 0) & (codes[a] == codes[b])
                part[same] += _frequency_adjustment(codes)[codes[a][same]]
            score += part
    return score


# ------------------------------------------------------------------------------------------ cluster
def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    labels, _ = pd.factorize(labels)  # numbered in order of first appearance
    return labels.astype(np.int64)


def check_fields(table: pd.DataFrame, fields: Mapping[str, str]) -> None:
    """Raise a clear error for fields that are not columns or roles that do not exist."""
    if not isinstance(fields, Mapping) or not fields:
        raise InvalidParameterError("fields must map at least one column name to its role, e.g. "
                                    "{'full_name': 'name', 'dob': 'date_of_birth', 'ssn': 'exact'}")
    missing = [c for c in fields if c not in table.columns]
    if missing:
        raise InvalidDataError(f"fields name columns that are not in the table: {missing}")
    wrong = {c: r for c, r in fields.items() if r not in ROLES}
    if wrong:
        raise InvalidParameterError(f"unknown roles {sorted(set(wrong.values()))} for columns {sorted(wrong)}; "
                                    f"use one of {', '.join(ROLES)}")


def link_records(table: pd.DataFrame, fields: Mapping[str, str], *, threshold: float = THRESHOLD,
                 max_block: int = MAX_BLOCK) -> Linkage:
    """Group the records of ``table`` by the real person they belong to.

    ``fields`` maps columns to their role in matching (see :data:`ROLES`): ``name`` (a full name),
    ``first_name``, ``last_name``, ``date_of_birth``, ``email``, ``phone``, ``address``, or ``exact`` for an
    identifier that is the same for every record of a person where present (an SSN). Returns a
    :class:`Linkage` whose ``labels`` give one person number per row. The table is not modified.
    """
    if not isinstance(table, pd.DataFrame):
        raise InvalidDataError(f"link_records needs a pandas DataFrame, got {type(table).__name__}")
    check_fields(table, fields)
    started = time.perf_counter()
    n = len(table)
    normalised = _normalise(table, fields)
    a, b = candidate_pairs(normalised, n, max_block)
    scores = score_pairs(normalised, a, b)
    linked = scores >= threshold
    labels = _components(n, a[linked], b[linked]) if n else np.zeros(0, dtype=np.int64)
    return Linkage(labels=labels, n_people=int(labels.max()) + 1 if n else 0, candidate_pairs=len(a),
                   linked_pairs=int(linked.sum()), seconds=time.perf_counter() - started)
