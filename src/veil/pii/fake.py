"""Realistic fake values for each PII kind, generated in bulk with numpy.

Word lists (names, e-mail domains, street suffixes...) are read once per locale from Faker's providers;
values are then composed with vectorised numpy operations, so 200,000 values take well under a second.
Faker's own random generator is never used: all randomness comes from the ``numpy.random.Generator``
passed in, so the same seed gives the same values.

Numbers follow their kind's rules: SSNs avoid the never-issued areas, card numbers carry a real network
prefix and a Luhn check digit, IBANs (DE, GB) pass the mod-97 check, IPv4 addresses are public unicast,
national id numbers (UK NINO, French NIR, Spanish DNI/NIE, Italian codice fiscale, Dutch BSN, Canadian SIN)
pass their scheme's check. The locale picks the word lists and the national id scheme; the other number
formats (phone, SSN, postal code) are those of the US.
"""
from __future__ import annotations

import importlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, InvalidParameterError
from . import detectors as det
from .kinds import PII_KINDS

#: every kind :func:`fake_values` knows: the PII kinds plus ``id``
FAKE_KINDS: tuple[str, ...] = tuple(sorted(PII_KINDS)) + ("id",)

_DOB_LOW = np.datetime64("1930-01-01", "D")
_DOB_HIGH = np.datetime64("2008-12-31", "D")
_NAME_TEMPER = 0.75  # flatten Faker's name frequencies a little so that fewer fake people share a name
_MAX_ROUNDS = 100


# ---------------------------------------------------------------------------------------------- words
@dataclass(frozen=True)
class _Vocab:
    values: np.ndarray  # object array of display strings
    p: np.ndarray | None  # probabilities, or None for uniform
    ascii: np.ndarray  # the same words in lowercase ASCII letters (for e-mails and URLs)

    def index(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self.values), size=n, p=self.p)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.values[self.index(rng, n)]


@dataclass(frozen=True)
class _Words:
    first: _Vocab
    first_male: _Vocab
    first_female: _Vocab
    last: _Vocab
    email_domains: _Vocab
    tlds: _Vocab
    street_suffixes: _Vocab
    lorem: _Vocab
    iban_countries: tuple[str, ...]


def _vocab(words: Any, temper: float = 1.0) -> _Vocab:
    if isinstance(words, dict):
        values = np.array(list(words.keys()), dtype=object)
        w = np.asarray(list(words.values()), dtype=float) ** temper
        return _Vocab(values, w / w.sum(), _ascii_words(values))
    values = np.array(list(words), dtype=object)
    return _Vocab(values, None, _ascii_words(values))


def _ascii_words(values: np.ndarray) -> np.ndarray:
    return np.array([_ascii_lower(str(v)) or "x" for v in values], dtype=object)


def _provider(section: str, locale: str) -> Any | None:
    try:
        return importlib.import_module(f"faker.providers.{section}.{locale}").Provider
    except ModuleNotFoundError:
        return None


def _attr(section: str, locale: str, *names: str) -> Any:
    """The first of ``names`` found on the locale's provider, else on the en_US one."""
    for loc in (locale, "en_US"):
        prov = _provider(section, loc)
        for name in names:
            value = getattr(prov, name, None) if prov is not None else None
            if value:
                return value
    raise InvalidParameterError(f"Faker has no {section} word list {names[0]!r}")  # pragma: no cover


def _check_locale(locale: Any) -> None:
    if not isinstance(locale, str) or not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", locale):
        raise InvalidParameterError(f"locale must look like 'en_US', got {locale!r}")


@lru_cache(maxsize=16)
def _words(locale: str) -> _Words:
    _check_locale(locale)
    if _provider("person", locale) is None:
        raise InvalidParameterError(f"Faker has no person names for locale {locale!r}; use e.g. 'en_US'")
    first = _attr("person", locale, "first_names")
    country = locale.split("_")[-1]
    ibans = ("DE",) if country in ("DE", "AT", "CH") else ("GB",) if country == "GB" else ("DE", "GB")
    return _Words(
        first=_vocab(first, _NAME_TEMPER),
        first_male=_vocab(_attr("person", locale, "first_names_male", "first_names"), _NAME_TEMPER),
        first_female=_vocab(_attr("person", locale, "first_names_female", "first_names"), _NAME_TEMPER),
        last=_vocab(_attr("person", locale, "last_names"), _NAME_TEMPER),
        email_domains=_vocab(_attr("internet", locale, "free_email_domains")),
        tlds=_vocab(_attr("internet", locale, "tlds")),
        street_suffixes=_vocab(_attr("address", locale, "street_suffixes", "street_suffixes_long")),
        lorem=_vocab(_attr("lorem", locale, "word_list")),
        iban_countries=ibans,
    )


# ------------------------------------------------------------------------------------ string helpers
_SMALL = np.array([str(i) for i in range(1000)], dtype=object)


def _codes_to_str(codes: np.ndarray) -> np.ndarray:
    """Rows of unicode code points (n, L) -> object array of n strings."""
    codes = np.ascontiguousarray(codes, dtype=np.uint32)
    n, width = codes.shape
    if width == 0:
        return np.full(n, "", dtype=object)
    return codes.view(f"<U{width}").reshape(n).astype(object)


def _digit_codes(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative ints as code points, shape (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers) % 10 + ord("0")


def _lit(n: int, text: str) -> np.ndarray:
    return np.broadcast_to(np.array([ord(c) for c in text], dtype=np.uint32), (n, len(text)))


def _join(*parts: np.ndarray) -> np.ndarray:
    return _codes_to_str(np.concatenate(parts, axis=1))


def _ascii_lower(word: str) -> str:
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z]", "", plain)


def _to_ascii_lower(values: np.ndarray) -> np.ndarray:
    """Lowercase ASCII letters of each value (loops over distinct values only)."""
    uniq, inverse = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    mapped = np.array([_ascii_lower(w) or "user" for w in uniq], dtype=object)
    return mapped[inverse.reshape(-1)]


# ------------------------------------------------------------------------------------ person names
def fake_person(n: int, *, rng: np.random.Generator, locale: str = "en_US",
                sex: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """First and last names (two object arrays). ``sex`` ('M'/'F' per row) picks gendered first names."""
    _check_args("person_name", n, rng)
    w = _words(locale)
    if sex is None:
        first = w.first.draw(rng, n)
    else:
        sex = np.asarray(sex)
        if sex.shape != (n,):
            raise InvalidParameterError(f"sex must have one entry per name ({n}), got shape {sex.shape}")
        first = np.empty(n, dtype=object)
        male, female = sex == "M", sex == "F"
        other = ~(male | female)
        first[male] = w.first_male.draw(rng, int(male.sum()))
        first[female] = w.first_female.draw(rng, int(female.sum()))
        first[other] = w.first.draw(rng, int(other.sum()))
    return first, w.last.draw(rng, n)


def email_from_names(first: np.ndarray, last: np.ndarray, *, rng: np.random.Generator,
                     locale: str = "en_US") -> np.ndarray:
    """Lowercase e-mail addresses built from people's names (mostly ``first.last@domain``)."""
    if len(first) != len(last):
        raise InvalidParameterError(f"first and last names must be as many; got {len(first)} and {len(last)}")
    first_a, last_a = _to_ascii_lower(first), _to_ascii_lower(last)
    n = len(first_a)
    initial = _first_letter(first_a)
    two = _SMALL[rng.integers(10, 100, n)]
    more = _SMALL[rng.integers(1, 1000, n)]
    patterns: list[tuple[float, Callable[[np.ndarray], np.ndarray]]] = [
        (0.45, lambda m: first_a[m] + "." + last_a[m]),
        (0.10, lambda m: first_a[m] + last_a[m]),
        (0.15, lambda m: initial[m] + last_a[m]),
        (0.05, lambda m: first_a[m] + "_" + last_a[m]),
        (0.10, lambda m: first_a[m] + "." + last_a[m] + two[m]),
        (0.07, lambda m: first_a[m] + more[m]),
        (0.08, lambda m: last_a[m] + initial[m]),
    ]
    which = rng.choice(len(patterns), size=n, p=[p for p, _ in patterns])
    local = np.empty(n, dtype=object)
    for k, (_, make) in enumerate(patterns):
        m = which == k
        if m.any():
            local[m] = make(m)
    return local + "@" + _words(locale).email_domains.draw(rng, n)


def _first_letter(words: np.ndarray) -> np.ndarray:
    uniq, inverse = np.unique(words.astype(str), return_inverse=True)
    return np.array([u[:1] for u in uniq], dtype=object)[inverse.reshape(-1)]


def _person_name(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    first, last = fake_person(n, rng=rng, locale=locale)
    return first + " " + last


def _email(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    first, last = fake_person(n, rng=rng, locale=locale)
    return email_from_names(first, last, rng=rng, locale=locale)


# ---------------------------------------------------------------------------------- numbers as text
def _nanp_three(rng: np.random.Generator, n: int) -> np.ndarray:
    """Area codes / exchanges: first digit 2-9, never N11."""
    d = np.column_stack([rng.integers(2, 10, n), rng.integers(0, 10, n), rng.integers(0, 10, n)])
    n11 = (d[:, 1] == 1) & (d[:, 2] == 1)
    d[n11, 2] = (d[n11, 2] + 1 + rng.integers(0, 9, int(n11.sum()))) % 10
    return d + ord("0")


def _phone(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    area, exchange = _nanp_three(rng, n), _nanp_three(rng, n)
    line = _digit_codes(rng.integers(0, 10_000, n), 4)
    paren = rng.random(n) < 0.5
    out = np.empty(n, dtype=object)
    k = int(paren.sum())
    out[paren] = _join(_lit(k, "("), area[paren], _lit(k, ") "), exchange[paren], _lit(k, "-"), line[paren])
    k = n - k
    out[~paren] = _join(area[~paren], _lit(k, "-"), exchange[~paren], _lit(k, "-"), line[~paren])
    return out


def _ssn(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    area = rng.integers(1, 899, n)  # 001-899 without 666
    area[area >= 666] += 1
    group, serial = rng.integers(1, 100, n), rng.integers(1, 10_000, n)
    return _join(_digit_codes(area, 3), _lit(n, "-"), _digit_codes(group, 2), _lit(n, "-"),
                 _digit_codes(serial, 4))


def luhn_check_digit(payload: np.ndarray) -> np.ndarray:
    """Luhn check digits for rows of digits (n, L) (the number without its check digit)."""
    payload = np.asarray(payload, dtype=np.int64)
    doubled = (payload.shape[1] - 1 - np.arange(payload.shape[1])) % 2 == 0
    d = np.where(doubled, payload * 2, payload)
    d = np.where(d > 9, d - 9, d)
    return (10 - d.sum(axis=1) % 10) % 10


def _card_numbers(rng: np.random.Generator, prefixes: np.ndarray, length: int) -> np.ndarray:
    n, width = len(prefixes), prefixes.shape[1]
    body = rng.integers(0, 10, (n, length - 1 - width))
    payload = np.concatenate([prefixes, body], axis=1)
    digits = np.concatenate([payload, luhn_check_digit(payload)[:, None]], axis=1)
    return _codes_to_str(digits + ord("0"))


def _credit_card(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    network = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])  # Visa, Mastercard, Amex
    out = np.empty(n, dtype=object)
    m = network == 0
    out[m] = _card_numbers(rng, np.full((int(m.sum()), 1), 4), 16)
    m = network == 1
    k = int(m.sum())
    out[m] = _card_numbers(rng, np.column_stack([np.full(k, 5), rng.integers(1, 6, k)]), 16)
    m = network == 2
    k = int(m.sum())
    out[m] = _card_numbers(rng, np.column_stack([np.full(k, 3), rng.choice([4, 7], k)]), 15)
    return out


def _mod97(codes: np.ndarray) -> np.ndarray:
    """Remainder mod 97 of rows of IBAN characters read as one number (letters A=10 ... Z=35)."""
    r = np.zeros(codes.shape[0], dtype=np.int64)
    for j in range(codes.shape[1]):  # loop over character positions, not rows
        c = codes[:, j].astype(np.int64)
        is_digit = c < ord("A")
        value = np.where(is_digit, c - ord("0"), c - ord("A") + 10)
        r = np.where(is_digit, r * 10 + value, r * 100 + value) % 97
    return r


def _iban_country(rng: np.random.Generator, n: int, country: str) -> np.ndarray:
    if country == "DE":  # 8-digit bank code (first digit 1-8) + 10-digit account
        bban = np.concatenate([rng.integers(1, 9, (n, 1)), rng.integers(0, 10, (n, 17))], axis=1) + ord("0")
    else:  # GB: 4-letter bank code + 6-digit sort code + 8-digit account
        bban = np.concatenate([rng.integers(0, 26, (n, 4)) + ord("A"),
                               rng.integers(0, 10, (n, 14)) + ord("0")], axis=1)
    return iban_from_bban(bban, country)


def iban_from_bban(bban: np.ndarray, country: str) -> np.ndarray:
    """IBANs (with their mod-97 check digits) from rows of BBAN code points (n, L) and a country code."""
    n = len(bban)
    cc = _lit(n, country)
    check = 98 - _mod97(np.concatenate([bban, cc, _lit(n, "00")], axis=1))
    return _join(cc, _digit_codes(check, 2), bban)


def with_luhn_digit(payloads: np.ndarray) -> np.ndarray:
    """Digit strings with their Luhn check digit appended (payloads of any lengths)."""
    text = pd.Series(payloads, dtype=object).astype(str)
    width = int(text.str.len().max()) if len(text) else 0
    digits = det._digit_matrix(text, width)  # zero-padded on the left, which does not change a Luhn sum
    return (text + pd.Series(luhn_check_digit(digits).astype(str), dtype=object)).to_numpy(dtype=object)


def iban_is_valid(value: str) -> bool:
    """Whether an IBAN's check digits are right (mod-97 == 1); spaces are ignored."""
    s = value.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{4,30}", s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _iban(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    countries = _words(locale).iban_countries
    which = rng.integers(0, len(countries), n)
    out = np.empty(n, dtype=object)
    for k, country in enumerate(countries):
        m = which == k
        out[m] = _iban_country(rng, int(m.sum()), country)
    return out


#: locale (or its country) -> the national id scheme of its fakes; other locales get UK National Insurance numbers
NATIONAL_ID_BY_LOCALE: dict[str, str] = {"en_GB": "nino", "fr_FR": "nir", "es_ES": "dni", "it_IT": "codice_fiscale",
                                         "nl_NL": "bsn", "en_CA": "sin", "fr_CA": "sin"}
_NATIONAL_ID_BY_COUNTRY = {"GB": "nino", "FR": "nir", "ES": "dni", "IT": "codice_fiscale", "NL": "bsn", "CA": "sin"}
NATIONAL_ID_SCHEMES: tuple[str, ...] = ("nino", "nir", "dni", "nie", "codice_fiscale", "bsn", "sin")
NUMERIC_NATIONAL_IDS = det.NUMERIC_NATIONAL_IDS
_NINO_FIRST = np.array([ord(c) for c in "ABCEGHJKLMNOPRSTWXYZ"], dtype=np.int64)
_NINO_SECOND = np.array([ord(c) for c in "ABCEGHJKLMNPRSTWXYZ"], dtype=np.int64)
_CF_MONTHS = np.array([ord(c) for c in "ABCDEHLMPRST"], dtype=np.int64)
_DNI_LETTERS = np.array([ord(c) for c in det.DNI_LETTERS], dtype=np.int64)


def national_id_scheme_for(locale: str) -> str:
    """The national id scheme whose fakes a locale gets (UK NINO when its country has none here)."""
    return NATIONAL_ID_BY_LOCALE.get(locale) or _NATIONAL_ID_BY_COUNTRY.get(locale.split("_")[-1], "nino")


def _nino(n: int, rng: np.random.Generator) -> np.ndarray:
    prefix = np.column_stack([_NINO_FIRST[rng.integers(0, len(_NINO_FIRST), n)],
                              _NINO_SECOND[rng.integers(0, len(_NINO_SECOND), n)]])
    not_issued = np.array([[ord(a), ord(b)] for a, b in det.NINO_NOT_ISSUED], dtype=np.int64)
    for _ in range(_MAX_ROUNDS):
        bad = (prefix[:, None, :] == not_issued[None, :, :]).all(axis=2).any(axis=1)
        if not bad.any():
            break
        k = int(bad.sum())
        prefix[bad] = np.column_stack([_NINO_FIRST[rng.integers(0, len(_NINO_FIRST), k)],
                                       _NINO_SECOND[rng.integers(0, len(_NINO_SECOND), k)]])
    suffix = rng.integers(0, 4, (n, 1)) + ord("A")
    return _join(prefix, _digit_codes(rng.integers(0, 1_000_000, n), 6), suffix)


def _nir(n: int, rng: np.random.Generator) -> np.ndarray:
    sex, year, month = rng.integers(1, 3, n), rng.integers(0, 100, n), rng.integers(1, 13, n)
    department = rng.integers(1, 96, n)
    department[department == 20] = 21  # 20 (Corsica) became 2A / 2B
    commune, order = rng.integers(1, 991, n), rng.integers(1, 1000, n)
    number = ((((sex * 100 + year) * 100 + month) * 100 + department) * 1000 + commune) * 1000 + order
    return _join(_digit_codes(number, 13), _digit_codes(det.nir_key(number), 2))


def _dni(n: int, rng: np.random.Generator) -> np.ndarray:
    number = rng.integers(0, 100_000_000, n)
    return _join(_digit_codes(number, 8), _DNI_LETTERS[number % 23][:, None])


def _nie(n: int, rng: np.random.Generator) -> np.ndarray:
    first, number = rng.integers(0, 3, n), rng.integers(0, 10_000_000, n)
    letter = _DNI_LETTERS[(first * 10_000_000 + number) % 23]
    return _join((first + ord("X"))[:, None], _digit_codes(number, 7), letter[:, None])


def _codice_fiscale(n: int, rng: np.random.Generator) -> np.ndarray:
    day = rng.integers(1, 29, n) + np.where(rng.random(n) < 0.5, 40, 0)  # women: day + 40
    body = np.concatenate([rng.integers(0, 26, (n, 6)) + ord("A"), _digit_codes(rng.integers(0, 100, n), 2),
                           _CF_MONTHS[rng.integers(0, 12, n)][:, None], _digit_codes(day, 2),
                           rng.integers(0, 13, (n, 1)) + ord("A"), _digit_codes(rng.integers(1, 1000, n), 3)],
                          axis=1)
    return _join(body, det.codice_fiscale_check(body)[:, None])


def _bsn(n: int, rng: np.random.Generator) -> np.ndarray:
    weights = det.BSN_WEIGHTS[:8]
    digits = np.concatenate([rng.integers(1, 10, (n, 1)), rng.integers(0, 10, (n, 7))], axis=1)
    for _ in range(_MAX_ROUNDS):
        bad = (digits @ weights) % 11 == 10  # no last digit makes these pass the 11-proof
        if not bad.any():
            break
        k = int(bad.sum())
        digits[bad] = np.concatenate([rng.integers(1, 10, (k, 1)), rng.integers(0, 10, (k, 7))], axis=1)
    return _codes_to_str(np.concatenate([digits, ((digits @ weights) % 11)[:, None]], axis=1) + ord("0"))


def _sin(n: int, rng: np.random.Generator) -> np.ndarray:
    payload = np.concatenate([rng.integers(1, 8, (n, 1)), rng.integers(0, 10, (n, 7))], axis=1)  # 1-7: issued
    return _codes_to_str(np.concatenate([payload, luhn_check_digit(payload)[:, None]], axis=1) + ord("0"))


_NATIONAL_IDS: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "nino": _nino, "nir": _nir, "dni": _dni, "nie": _nie, "codice_fiscale": _codice_fiscale, "bsn": _bsn,
    "sin": _sin,
}


def _national_id(n: int, rng: np.random.Generator, locale: str, scheme: str | None = None) -> np.ndarray:
    """National identity numbers with valid checks, of ``scheme`` or else the locale's (see
    :data:`NATIONAL_ID_BY_LOCALE`), written without separators."""
    scheme = scheme or national_id_scheme_for(locale)
    if scheme not in _NATIONAL_IDS:
        raise InvalidParameterError(f"unknown national id scheme {scheme!r}; use one of "
                                    + ", ".join(NATIONAL_ID_SCHEMES))
    return _NATIONAL_IDS[scheme](n, rng)


#: IPv4 networks that are not public unicast (RFC 6890 and friends), as (address, prefix length)
_RESERVED_V4 = [("0.0.0.0", 8), ("10.0.0.0", 8), ("100.64.0.0", 10), ("127.0.0.0", 8), ("169.254.0.0", 16),
                ("172.16.0.0", 12), ("192.0.0.0", 24), ("192.0.2.0", 24), ("192.31.196.0", 24),
                ("192.52.193.0", 24), ("192.88.99.0", 24), ("192.168.0.0", 16), ("192.175.48.0", 24),
                ("198.18.0.0", 15), ("198.51.100.0", 24), ("203.0.113.0", 24), ("224.0.0.0", 3)]


def _v4(text: str) -> int:
    a, b, c, d = (int(x) for x in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def _ip_address(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    ip = rng.integers(1 << 24, 224 << 24, n, dtype=np.int64)
    for _ in range(_MAX_ROUNDS):
        bad = np.zeros(n, dtype=bool)
        for net, bits in _RESERVED_V4:
            bad |= (ip >> (32 - bits)) == (_v4(net) >> (32 - bits))
        if not bad.any():
            break
        ip[bad] = rng.integers(1 << 24, 224 << 24, int(bad.sum()), dtype=np.int64)
    octet = _SMALL[:256]
    return (octet[ip >> 24] + "." + octet[(ip >> 16) & 255] + "." + octet[(ip >> 8) & 255] + "."
            + octet[ip & 255])


def _url(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    w = _words(locale)
    name = w.last.ascii[w.last.index(rng, n)]
    two = rng.random(n) < 0.25
    name[two] = name[two] + "-" + w.last.ascii[w.last.index(rng, int(two.sum()))]
    scheme = np.where(rng.random(n) < 0.8, "https://", "http://").astype(object)
    www = np.where(rng.random(n) < 0.6, "www.", "").astype(object)
    path_kind = rng.choice(4, size=n, p=[0.35, 0.25, 0.25, 0.15])
    word1, word2 = w.lorem.ascii[w.lorem.index(rng, n)], w.lorem.ascii[w.lorem.index(rng, n)]
    path = np.full(n, "/", dtype=object)
    path[path_kind == 0] = ""
    m = path_kind == 2
    path[m] = "/" + word1[m] + "/"
    m = path_kind == 3
    path[m] = "/" + word1[m] + "/" + word2[m] + ".html"
    return scheme + www + name + "." + w.tlds.draw(rng, n) + path


def _street_address(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    w = _words(locale)
    width = rng.choice([3, 4, 5], size=n, p=[0.3, 0.4, 0.3])
    number = _SMALL[rng.integers(100, 1000, n)].copy()
    for k in (4, 5):
        m = width == k
        number[m] = np.asarray(rng.integers(10 ** (k - 1), 10 ** k, int(m.sum()))).astype("U").astype(object)
    use_first = rng.random(n) < 0.5
    street = w.last.draw(rng, n)
    street[use_first] = w.first.draw(rng, int(use_first.sum()))
    out = number + " " + street + " " + w.street_suffixes.draw(rng, n)
    unit = rng.choice(3, size=n, p=[0.8, 0.12, 0.08])
    for k, label in ((1, " Apt. "), (2, " Suite ")):
        m = unit == k
        out[m] = out[m] + label + _SMALL[rng.integers(100, 1000, int(m.sum()))]
    return out


def _date_of_birth(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    span = int((_DOB_HIGH - _DOB_LOW).astype(int)) + 1
    return _DOB_LOW + rng.integers(0, span, n).astype("timedelta64[D]")


@lru_cache(maxsize=1)
def _zip_ranges() -> tuple[np.ndarray, np.ndarray]:
    ranges = _attr("address", "en_US", "states_postcode")
    lo = np.array([r[0] for r in ranges.values()], dtype=np.int64)
    hi = np.array([r[1] for r in ranges.values()], dtype=np.int64)
    return lo, hi


def _postal_code(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    lo, hi = _zip_ranges()
    state = rng.integers(0, len(lo), n)
    code = lo[state] + (rng.random(n) * (hi[state] - lo[state] + 1)).astype(np.int64)
    return _codes_to_str(_digit_codes(np.minimum(code, hi[state]), 5))


# ---------------------------------------------------------------------------------------------- ids
_CLASSES = {
    "digit": "0123456789",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "alnum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
}


def id_spec(values: Iterable[Any], *, min_examples: int = 10) -> dict[str, Any]:
    """The shape of a column of ids, as JSON data: ``{"type": "int", "digits": 6}`` or
    ``{"type": "str", "pattern": [["lit", "ID-"], ["digit", 5]]}``.

    No id is stored: a string pattern keeps only character classes per position, plus characters
    that every one of at least ``min_examples`` ids shares at that position (a prefix such as ``ID-``);
    digits are never kept.
    """
    s = pd.Series(values if isinstance(values, pd.Series) else list(values)).dropna()
    if len(s) == 0:
        return {"type": "int", "digits": 6}
    if pd.api.types.is_bool_dtype(s):
        raise InvalidDataError("an id column cannot hold true/false values")
    if pd.api.types.is_numeric_dtype(s):
        num = s.to_numpy(dtype=float)
        if np.all(np.isfinite(num)) and np.all(num == np.round(num)) and np.all(num >= 0):
            digits = np.floor(np.log10(np.maximum(num, 1))).astype(int) + 1
            return {"type": "int", "digits": int(np.bincount(digits).argmax())}
    text = s.iloc[:100_000].astype(str)
    lengths = text.str.len().to_numpy(dtype=np.int64)
    common = int(np.bincount(lengths).argmax())
    if common == 0:
        return {"type": "int", "digits": 6}
    sample = text.to_numpy(dtype=object)[lengths == common].astype(f"<U{common}")
    codes = sample.view(np.uint32).reshape(len(sample), common)
    pattern: list[list[Any]] = []
    for j in range(common):  # loop over character positions
        col = codes[:, j]
        first = chr(int(col[0]))
        constant = bool(np.all(col == col[0]))
        if constant and not first.isdigit() and (len(col) >= min_examples or not first.isalnum()):
            cls, piece = "lit", first
        else:
            cls, piece = _position_class(col), 1
        if pattern and pattern[-1][0] == cls:
            pattern[-1][1] += piece
        else:
            pattern.append([cls, piece])
    return {"type": "str", "pattern": pattern}


def _position_class(col: np.ndarray) -> str:
    def within(chars: str) -> bool:
        return bool(np.isin(col, np.array([ord(c) for c in chars], dtype=np.uint32)).all())

    for cls in ("digit", "upper", "lower", "hex", "HEX"):
        if within(_CLASSES[cls]):
            return cls
    return "alnum"


def _check_spec(spec: dict[str, Any]) -> None:
    problems = []
    if not isinstance(spec, dict) or spec.get("type") not in ("int", "str"):
        raise InvalidParameterError("an id spec must be a dict with 'type' 'int' or 'str' (see id_spec)")
    if spec["type"] == "int":
        d = spec.get("digits")
        if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 18:
            problems.append("'digits' must be an int from 1 to 18")
    else:
        pattern = spec.get("pattern")
        if not isinstance(pattern, list) or not pattern:
            problems.append("'pattern' must be a non-empty list")
        else:
            for part in pattern:
                ok = (isinstance(part, (list, tuple)) and len(part) == 2
                      and ((part[0] == "lit" and isinstance(part[1], str) and part[1])
                           or (part[0] in _CLASSES and isinstance(part[1], int) and part[1] > 0)))
                if not ok:
                    problems.append("each pattern part must be ['lit', text] or [class, count] with class one of "
                                    + ", ".join(_CLASSES))
                    break
    if problems:
        raise InvalidParameterError("invalid id spec: " + "; ".join(problems))


def _resolve_id_spec(spec: dict[str, Any] | None, n: int) -> dict[str, Any]:
    """``spec`` checked and widened (more digits) so that it has room for ``n`` unique ids."""
    if spec is None:
        spec = {"type": "int", "digits": max(6, len(str(4 * n)))}
    _check_spec(spec)
    if spec["type"] == "int":
        digits = spec["digits"]
        while digits < 18 and 9 * 10 ** (digits - 1) < 4 * n:
            digits += 1
        return {"type": "int", "digits": digits}
    parts = [list(p) for p in spec["pattern"]]
    capacity = sum(p[1] * math.log(len(_CLASSES[p[0]])) for p in parts if p[0] != "lit")
    extra = max(0, math.ceil((math.log(max(4 * n, 1)) - capacity) / math.log(10)))
    if extra:
        parts.append(["digit", extra])
    return {"type": "str", "pattern": parts}


def _id_values(n: int, rng: np.random.Generator, spec: dict[str, Any] | None) -> np.ndarray:
    """Unique ids shaped like ``spec`` (see :func:`id_spec`); integer ids come back as int64."""
    spec = _resolve_id_spec(spec, n)
    if spec["type"] == "int":
        digits = spec["digits"]
        low = 0 if digits == 1 else 10 ** (digits - 1)
        return low + rng.choice(10 ** digits - low, size=n, replace=False).astype(np.int64)
    parts = spec["pattern"]
    out = _pattern_values(n, rng, parts)
    for _ in range(_MAX_ROUNDS):
        dup = pd.Series(out).duplicated().to_numpy()
        if not dup.any():
            return out
        out[dup] = _pattern_values(int(dup.sum()), rng, parts)
    raise InvalidParameterError("could not generate unique ids of this shape")  # pragma: no cover


def _pattern_values(n: int, rng: np.random.Generator, parts: list[list[Any]]) -> np.ndarray:
    blocks = []
    for cls, piece in parts:
        if cls == "lit":
            blocks.append(_lit(n, piece))
        else:
            alphabet = np.array([ord(c) for c in _CLASSES[cls]], dtype=np.uint32)
            blocks.append(alphabet[rng.integers(0, len(alphabet), (n, piece))])
    return _join(*blocks)


# -------------------------------------------------------------------------------------------- API
_GENERATORS: dict[str, Callable[[int, np.random.Generator, str], np.ndarray]] = {
    "email": _email,
    "phone": _phone,
    "ssn": _ssn,
    "national_id": _national_id,
    "credit_card": _credit_card,
    "iban": _iban,
    "ip_address": _ip_address,
    "url": _url,
    "person_name": _person_name,
    "street_address": _street_address,
    "date_of_birth": _date_of_birth,
    "postal_code": _postal_code,
}


def _check_args(kind: str, n: int, rng: Any) -> None:
    if kind not in FAKE_KINDS:
        raise InvalidParameterError(f"unknown kind {kind!r} for fake values; use one of {', '.join(FAKE_KINDS)}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InvalidParameterError(f"n must be an int >= 0, got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise InvalidParameterError("rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(0)")


def fake_values(kind: str, n: int, *, rng: np.random.Generator, locale: str = "en_US",
                spec: dict[str, Any] | None = None) -> np.ndarray:
    """``n`` realistic fake values of a PII ``kind`` (or ``"id"``).

    Strings come back as an object array; ``date_of_birth`` as ``datetime64[D]`` (1930-2008);
    ``id`` as unique values shaped like ``spec`` (from :func:`id_spec`; int64 for integer ids);
    ``national_id`` in the scheme ``spec["scheme"]`` (one of :data:`NATIONAL_ID_SCHEMES`) when given, else in
    the locale's (see :data:`NATIONAL_ID_BY_LOCALE`).
    """
    _check_args(kind, n, rng)
    n = int(n)
    if kind == "id":
        return _id_values(n, rng, spec)
    if kind == "national_id":  # needs no word lists: any well-formed locale (en_CA has no Faker names)
        _check_locale(locale)
        if spec is not None and not isinstance(spec, dict):
            raise InvalidParameterError(f"a national id spec must be a dict like {{'scheme': 'dni'}}, got {spec!r}")
        return _national_id(n, rng, locale, (spec or {}).get("scheme"))
    _words(locale)  # validates the locale
    return _GENERATORS[kind](n, rng, locale)


def _keys(kind: str, values: Any, spec: dict[str, Any] | None) -> np.ndarray:
    """Values normalised for comparison: '123-45-6789' and '123456789' are the same SSN."""
    s = pd.Series(values, dtype=object)
    if kind == "date_of_birth":
        days = pd.to_datetime(s, errors="coerce", format="mixed").to_numpy("datetime64[s]")
        return days.astype("datetime64[D]").astype("datetime64[s]")
    if kind == "id" and (spec is None or spec.get("type") == "int"):
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    s = s.astype(str)
    if kind in ("phone", "ssn", "national_id", "credit_card", "iban"):
        s = s.str.replace(r"[^0-9A-Za-z]", "", regex=True).str.upper()
    elif kind in ("email", "url", "person_name", "street_address"):
        s = s.str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    else:
        s = s.str.strip()
    return s.to_numpy(dtype=object)


def _member(keys: np.ndarray, banned: np.ndarray) -> np.ndarray:
    """Whether each key is in ``banned`` (hash lookups on numpy arrays; pandas' arrow strings are slow here)."""
    return pd.Series(keys, dtype=keys.dtype).isin(banned).to_numpy().copy()


def fake_like(kind: str, n: int, *, rng: np.random.Generator, avoid: Iterable[Any] | None = None,
              locale: str = "en_US", spec: dict[str, Any] | None = None) -> np.ndarray:
    """Like :func:`fake_values`, but no value equals one in ``avoid`` (e.g. the real values).

    Values are compared after normalising (case for e-mails and names, punctuation for numbers),
    and colliding values are drawn again until none is left.
    """
    if kind == "id":
        _check_args(kind, n, rng)
        spec = _resolve_id_spec(spec, int(n))
    out = fake_values(kind, n, rng=rng, locale=locale, spec=spec)
    if avoid is None or n == 0:
        return out
    banned = _keys(kind, pd.Series(list(avoid), dtype=object).dropna(), spec)
    banned = pd.unique(banned[~pd.isna(banned)])
    for _ in range(_MAX_ROUNDS):
        keys = _keys(kind, out, spec)
        bad = _member(keys, banned)
        if kind == "id":
            bad |= pd.Series(keys).duplicated().to_numpy()
        if not bad.any():
            return out
        out[bad] = fake_values(kind, int(bad.sum()), rng=rng, locale=locale, spec=spec)
    raise InvalidParameterError(f"could not generate {kind} values outside the avoid set; "
                                "it covers nearly every value this kind can take")
