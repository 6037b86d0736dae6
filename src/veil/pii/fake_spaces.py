"""Fake values that cannot be anyone's real value: each kind's fakes are drawn from a *reserved space*.

A synthesizer keeps no real value, so at sampling time it cannot check a fake against the real column.
Instead every fake is moved into a space that real values do not occupy: e-mail and web addresses at the
domains reserved for examples (RFC 2606: ``example.com``, ``.test``...), phones with an ``N11`` area code
(never assigned in the North American plan), SSNs in area 900-999 with group 01-49 (never issued, and
not the ITIN ranges), card numbers on a few fixed test BINs, IBANs with a German bank code starting with
0 (none exists) or a country code left to private use (QZ, XA), IP addresses in the documentation ranges
(RFC 5737, RFC 3849), names with a double-barrelled surname made of two surnames, street addresses whose
house number carries a letter, national ids that break one rule of their scheme (see
:func:`_national_id_spaces`).

Each kind has a few such spaces. At fit, :func:`choose_space` picks the first space that none of the real
values falls in and the model records only its number: nothing about the real values is kept. If every
space holds a real value, fit fails with a clear error (use ``drop`` or ``hash`` for that column).
Dates of birth and postal codes have no such space, so they cannot be faked; they are modelled,
generalised or dropped.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InvalidDataError

#: PII kinds that have no reserved space: a fake could equal a real value
NOT_FAKEABLE = frozenset({"date_of_birth", "postal_code"})

_EMAIL_DOMAINS = (("example.com", "example.net", "example.org"), ("mail.example", "inbox.example"),
                  ("mail.test", "post.test"))
_N11 = tuple(f"{d}11" for d in range(2, 10))
_SSN_SPACES = ((900, 1000, 1, 50), (666, 667, 1, 100))  # area low/high, group low/high
_CARD_BINS = (("400000", "510000", "340000"), ("411111", "555555", "378282"))
_IPV4_DOC = ("192.0.2.", "198.51.100.", "203.0.113.")
_NINO_UNALLOCATED = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")


@dataclass(frozen=True)
class Space:
    """One reserved space of a kind: ``make`` moves generated fakes into it, ``contains`` tells whether
    values (real ones, at fit) are in it."""

    make: Callable[[np.ndarray, np.random.Generator], np.ndarray]
    contains: Callable[[pd.Series], np.ndarray]


def _text(values: pd.Series) -> pd.Series:
    return pd.Series(values, dtype=object).astype(str).str.strip()


# ------------------------------------------------------------------------------------ e-mail, url
def _domain_space(domains: tuple[str, ...], kind: str) -> Space:
    suffixes = tuple(domains)

    def host_of(values: pd.Series) -> pd.Series:
        text = _text(values).str.lower()
        if kind == "email":
            return text.str.rsplit("@", n=1).str[-1]
        return text.str.replace(r"^[a-z]+://", "", regex=True).str.split(r"[/:?#]", regex=True).str[0]

    def contains(values: pd.Series) -> np.ndarray:
        host = host_of(values)
        hit = np.zeros(len(host), dtype=bool)
        for d in suffixes:
            hit |= ((host == d) | host.str.endswith("." + d)).to_numpy(dtype=bool)
        return hit

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        chosen = np.asarray(suffixes, dtype=object)[rng.integers(0, len(suffixes), len(values))]
        s = pd.Series(values, dtype=object).astype(str)
        if kind == "email":
            return (s.str.rsplit("@", n=1).str[0] + "@" + chosen).to_numpy(dtype=object)
        parts = s.str.extract(r"^(?P<scheme>[a-z]+://)?(?P<host>[^/:?#]*)(?P<rest>.*)$")
        scheme = parts["scheme"].fillna("https://")
        return (scheme + "www." + chosen + parts["rest"].fillna("")).to_numpy(dtype=object)

    return Space(make, contains)


# ------------------------------------------------------------------------------------ numbers
def _phone_digits(values: pd.Series) -> pd.Series:
    from .detectors import phone_digits

    return phone_digits(_text(values))


def _phone_n11() -> Space:
    def contains(values: pd.Series) -> np.ndarray:
        digits = _phone_digits(values)
        return ((digits.str.len() == 10) & digits.str[:3].isin(_N11)).to_numpy(dtype=bool)

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        area = pd.Series(np.asarray(_N11, dtype=object)[rng.integers(0, len(_N11), len(values))])
        s = pd.Series(values, dtype=object).astype(str)
        head = s.str.extract(r"^(\D*)\d{3}(.*)$")
        return (head[0].fillna("") + area + head[1].fillna("")).to_numpy(dtype=object)

    return Space(make, contains)


def _phone_555() -> Space:  # 555-0100 .. 555-0199: the exchange reserved for fiction
    def contains(values: pd.Series) -> np.ndarray:
        digits = _phone_digits(values)
        return ((digits.str.len() == 10) & (digits.str[3:8] == "55501")).to_numpy(dtype=bool)

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        s = pd.Series(values, dtype=object).astype(str)
        line = pd.Series([f"01{d:02d}" for d in rng.integers(0, 100, len(values))], dtype=object)
        parts = s.str.extract(r"^(\D*\d{3}\D*)\d{3}(\D*)\d{4}(.*)$")
        return (parts[0].fillna("") + "555" + parts[1].fillna("-") + line + parts[2].fillna("")).to_numpy(
            dtype=object)

    return Space(make, contains)


def _ssn_space(area_low: int, area_high: int, group_low: int, group_high: int) -> Space:
    def contains(values: pd.Series) -> np.ndarray:
        digits = _text(values).str.replace(r"\D", "", regex=True)
        ok = digits.str.len() == 9
        area = pd.to_numeric(digits.str[:3].where(ok), errors="coerce")
        group = pd.to_numeric(digits.str[3:5].where(ok), errors="coerce")
        return (ok & area.between(area_low, area_high - 1) & group.between(group_low, group_high - 1)).to_numpy(
            dtype=bool)

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(values)
        area, group = rng.integers(area_low, area_high, n), rng.integers(group_low, group_high, n)
        serial = rng.integers(1, 10_000, n)
        return np.array([f"{a:03d}-{g:02d}-{s:04d}" for a, g, s in zip(area, group, serial)], dtype=object)

    return Space(make, contains)


def _card_space(bins: tuple[str, ...]) -> Space:
    def contains(values: pd.Series) -> np.ndarray:
        digits = _text(values).str.replace(r"\D", "", regex=True)
        return digits.str[:6].isin(bins).to_numpy(dtype=bool)

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        from .fake import with_luhn_digit

        n = len(values)
        prefix = pd.Series(np.asarray(bins, dtype=object)[rng.integers(0, len(bins), n)], dtype=object)
        body = pd.Series(rng.integers(0, 10**9, n)).astype(str).str.zfill(9)
        payload = prefix + body  # 15 digits, then the check digit: 16
        amex = prefix.str.startswith("3").to_numpy()  # American Express numbers have 15 digits
        payload[amex] = payload[amex].str[:14]
        return with_luhn_digit(payload.to_numpy(dtype=object))

    return Space(make, contains)


def _iban_de0() -> Space:
    def contains(values: pd.Series) -> np.ndarray:
        text = _text(values).str.replace(" ", "", regex=False).str.upper()
        return (text.str.startswith("DE") & (text.str[4] == "0")).to_numpy(dtype=bool)

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        from .fake import iban_from_bban

        digits = rng.integers(0, 10, (len(values), 18))
        digits[:, 0] = 0  # a German bank code never starts with 0
        return iban_from_bban(digits + ord("0"), "DE")

    return Space(make, contains)


def _iban_user_assigned(country: str) -> Space:
    """IBANs of a country code that ISO 3166 leaves to private use (never a country's)."""
    def contains(values: pd.Series) -> np.ndarray:
        return _text(values).str.upper().str.startswith(country).to_numpy(dtype=bool)

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        from .fake import iban_from_bban

        return iban_from_bban(rng.integers(0, 10, (len(values), 18)) + ord("0"), country)

    return Space(make, contains)


def _ip_doc() -> Space:
    v6 = ipaddress.ip_network("2001:db8::/32")

    def contains(values: pd.Series) -> np.ndarray:
        text = _text(values)
        hit = np.zeros(len(text), dtype=bool)
        for prefix in _IPV4_DOC:
            hit |= text.str.startswith(prefix).to_numpy(dtype=bool)
        maybe6 = np.flatnonzero(text.str.contains(":", regex=False).to_numpy(dtype=bool))
        for i in maybe6:
            try:
                hit[i] = ipaddress.ip_address(text.iloc[i]) in v6
            except ValueError:
                continue
        return hit

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(values)
        six = np.array([":" in str(v) for v in values], dtype=bool)
        out = np.empty(n, dtype=object)
        prefixes = np.asarray(_IPV4_DOC, dtype=object)[rng.integers(0, 3, n)]
        hosts = rng.integers(1, 255, n)
        out[~six] = [f"{p}{h}" for p, h in zip(prefixes[~six], hosts[~six])]
        groups = rng.integers(0, 65536, (n, 6))
        out[six] = [f"2001:db8:{g[0]:x}:{g[1]:x}:{g[2]:x}:{g[3]:x}:{g[4]:x}:{g[5]:x}" for g in groups[six]]
        return out

    return Space(make, contains)


# ------------------------------------------------------------------------------------ words
def _double_surname(initial: bool) -> Space:
    shape = r"^\S+ [A-Z]\. \S+-\S+$" if initial else r"^\S+ \S+-\S+$"

    def contains(values: pd.Series) -> np.ndarray:
        return _text(values).str.fullmatch(shape).to_numpy(dtype=bool)

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        s = pd.Series(values, dtype=object).astype(str)
        words = s.str.split()
        first, last = words.str[0], words.str[-1]
        other = last.sample(frac=1.0, random_state=np.random.RandomState(rng.integers(2**31))).reset_index(drop=True)
        other = other.where(other != last, last.str[::-1].str.capitalize())
        middle = ""
        if initial:
            middle = pd.Series([chr(c) + ". " for c in rng.integers(ord("A"), ord("Z") + 1, len(s))], dtype=object)
        return (first + " " + middle + last + "-" + other).to_numpy(dtype=object)

    return Space(make, contains)


def _lettered_house(word: str) -> Space:
    shape = r"^\d+[A-H]\b.*" if not word else rf"^{word} \d+[A-H]\b.*"

    def contains(values: pd.Series) -> np.ndarray:
        return _text(values).str.fullmatch(shape).to_numpy(dtype=bool)

    def make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        s = pd.Series(values, dtype=object).astype(str).str.replace(r"^\d+", "", regex=True)
        number = pd.Series([f"{k}{chr(ord('A') + int(c))}" for k, c in
                            zip(rng.integers(1, 9999, len(s)), rng.integers(0, 8, len(s)))], dtype=object)
        prefix = f"{word} " if word else ""
        return (prefix + number + s).to_numpy(dtype=object)

    return Space(make, contains)


def _compact(values: pd.Series) -> pd.Series:
    return _text(values).str.upper().str.replace(r"[\s\-.]", "", regex=True)


def _national_id_spaces() -> dict[str, Space]:
    """Per scheme, national ids that break one of the scheme's rules, so none is anyone's: UK numbers with a
    never-issued prefix, NIRs of department 00, DNI/NIE with a check letter that is never used, codici
    fiscali with a month letter that does not exist, BSNs failing the 11-proof, SINs starting with 0."""
    from . import detectors as det

    def nino_make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        prefix = np.asarray(det.NINO_NOT_ISSUED, dtype=object)[rng.integers(0, len(det.NINO_NOT_ISSUED), len(values))]
        return (prefix + _compact(pd.Series(values)).str[2:]).to_numpy(dtype=object)

    def nir_make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        body = _compact(pd.Series(values)).str[:13]
        body = body.str[:5] + "00" + body.str[7:]
        key = det.nir_key(body.to_numpy(dtype=np.int64))
        return (body + pd.Series([f"{k:02d}" for k in key], dtype=object)).to_numpy(dtype=object)

    def dni_make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        letters = np.asarray(("I", "O", "U"), dtype=object)[rng.integers(0, 3, len(values))]
        return (_compact(pd.Series(values)).str[:-1] + letters).to_numpy(dtype=object)

    def cf_make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        text = _compact(pd.Series(values))
        months = np.asarray(("F", "G", "N", "Q", "U", "V", "Z"), dtype=object)[rng.integers(0, 7, len(values))]
        body = text.str[:8] + months + text.str[9:15]
        codes = body.to_numpy(dtype="U15").view(np.uint32).reshape(len(body), 15)
        return (body + pd.Series([chr(c) for c in det.codice_fiscale_check(codes)], dtype=object)).to_numpy(
            dtype=object)

    def bsn_make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        text = _compact(pd.Series(values))
        last = ((text.str[-1].astype(int) + 1) % 10).astype(str)  # one digit off fails the 11-proof
        return (text.str[:-1] + last).to_numpy(dtype=object)

    def sin_make(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        text = _compact(pd.Series(values))
        from .fake import with_luhn_digit

        return with_luhn_digit(("0" + text.str[1:8]).to_numpy(dtype=object))

    def nine_digits(values: pd.Series) -> pd.Series:
        text = _compact(values)
        return text.where(text.str.fullmatch(r"\d{9}").fillna(False), "")

    return {
        "nino": Space(nino_make, lambda v: _compact(v).str[:2].isin(det.NINO_NOT_ISSUED).to_numpy(dtype=bool)),
        "nir": Space(nir_make, lambda v: (_compact(v).str.fullmatch(r"\d{15}").fillna(False)
                                          & (_compact(v).str[5:7] == "00")).to_numpy(dtype=bool)),
        "dni": Space(dni_make, lambda v: _compact(v).str[-1:].isin(("I", "O", "U", "Ñ")).to_numpy(dtype=bool)),
        "nie": Space(dni_make, lambda v: _compact(v).str[-1:].isin(("I", "O", "U", "Ñ")).to_numpy(dtype=bool)),
        "codice_fiscale": Space(cf_make, lambda v: (_compact(v).str.len() == 16).to_numpy(dtype=bool)
                                & ~_compact(v).str[8:9].isin(tuple("ABCDEHLMPRST")).to_numpy(dtype=bool)),
        "bsn": Space(bsn_make, lambda v: (nine_digits(v) != "").to_numpy(dtype=bool) & ~det.bsn_valid(nine_digits(v))),
        "sin": Space(sin_make, lambda v: nine_digits(v).str.startswith("0").to_numpy(dtype=bool)),
    }


SPACES: dict[str, tuple[Space, ...]] = {
    "email": tuple(_domain_space(d, "email") for d in _EMAIL_DOMAINS),
    "url": tuple(_domain_space(d, "url") for d in _EMAIL_DOMAINS),
    "phone": (_phone_n11(), _phone_555()),
    "ssn": tuple(_ssn_space(*s) for s in _SSN_SPACES),
    "credit_card": tuple(_card_space(b) for b in _CARD_BINS),
    "iban": (_iban_de0(), _iban_user_assigned("QZ"), _iban_user_assigned("XA")),
    "ip_address": (_ip_doc(),),
    "person_name": (_double_surname(False), _double_surname(True)),
    "street_address": (_lettered_house(""), _lettered_house("Rear")),
}
#: national ids: one reserved space per scheme (the column's scheme is found at fit)
NATIONAL_ID_SPACES: dict[str, Space] = _national_id_spaces()


def _spaces(kind: str, scheme: str | None) -> tuple[Space, ...]:
    if kind == "national_id":
        return (NATIONAL_ID_SPACES[scheme or "nino"],)
    return SPACES[kind]


def choose_space(kind: str, real: pd.Series, column: str, scheme: str | None = None) -> int:
    """The first reserved space of ``kind`` (of its ``scheme`` for national ids) that holds none of the
    ``real`` values; only its number is kept."""
    if kind in NOT_FAKEABLE:
        raise InvalidDataError(f"column {column!r}: fake {kind} values could equal real ones; use the policy "
                               "'model', 'generalize' or 'drop' for it")
    present = pd.Series(real).dropna()
    if pd.api.types.is_numeric_dtype(present.dtype):
        present = present.astype("int64").astype(str).str.zfill(9 if kind == "national_id" else 1)
    for index, space in enumerate(_spaces(kind, scheme)):
        if not space.contains(present).any():
            return index
    raise InvalidDataError(f"column {column!r}: some real values fall in every space veil keeps for fake {kind} "
                           "values, so a fake could equal one of them; use the policy 'drop' or 'hash' for it")


def fake_in_space(kind: str, n: int, *, rng: np.random.Generator, locale: str, space: int,
                  scheme: str | None = None) -> np.ndarray:
    """``n`` fake values of ``kind`` (national ids of ``scheme``) moved into reserved space number ``space``."""
    from .fake import fake_values

    spec = {"scheme": scheme} if kind == "national_id" and scheme else None
    values = fake_values(kind, n, rng=rng, locale=locale, spec=spec)
    if n == 0:
        return values
    return _spaces(kind, scheme)[space].make(np.asarray(values, dtype=object), rng)
