"""Recognise personal data by column name and by value.

Each ``<kind>_fraction(values, counts)`` function returns the fraction of values that look like that
kind. ``values`` is a Series of distinct values (strings, or integers where a kind allows them) and
``counts`` how often each occurs in the sample, so that the work is done once per distinct value.
:func:`name_hints` returns the kinds a column's name suggests. The decision (thresholds, which kind
wins) lives in :mod:`veil.metadata.detect`.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import importlib
import ipaddress
import re
from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers

FAKER_LOCALES: tuple[str, ...] = ("en_US", "de_DE", "fr_FR", "es_ES", "it_IT")

# ---------------------------------------------------------------------------------------------- names
#: kind -> words in a column name that suggest it (lower case; several languages)
NAME_HINTS: dict[str, frozenset[str]] = {
    "email": frozenset({"email", "mail", "emailaddress", "correo", "courriel", "emails"}),
    "phone": frozenset({"phone", "telephone", "tel", "telefon", "telefono", "teléfono", "téléphone", "mobile",
                        "cell", "cellphone", "handy", "fax", "movil", "móvil", "cellulare", "telefone",
                        "phonenumber", "portable"}),
    "ssn": frozenset({"ssn", "socialsecurity", "sozialversicherungsnummer", "nss", "ssnumber"}),
    "national_id": frozenset({"nino", "nin", "nationalinsurance", "insee", "nir", "dni", "nie", "nif",
                              "codicefiscale", "bsn", "burgerservicenummer", "sofinummer", "sin",
                              "socialinsurance", "assurancesociale", "personalausweis", "ausweisnummer",
                              "idnumber", "nationalid", "idnacional", "identitynumber", "numeroidentidad",
                              "documentoidentidad", "carteidentite", "securitesociale", "sécuritésociale"}),
    "credit_card": frozenset({"card", "cc", "creditcard", "ccnumber", "kreditkarte", "tarjeta", "carte",
                              "pan", "cardnumber"}),
    "iban": frozenset({"iban", "bban", "konto", "kontonummer", "bankaccount"}),
    "ip_address": frozenset({"ip", "ipv4", "ipv6", "ipaddress", "ipaddr"}),
    "url": frozenset({"url", "uri", "website", "homepage", "web", "link", "webseite", "sitio", "webpage"}),
    "person_name": frozenset({"name", "fullname", "firstname", "lastname", "surname", "forename", "givenname",
                              "familyname", "nombre", "nom", "prenom", "prénom", "vorname", "nachname",
                              "apellido", "apellidos", "cognome", "nome", "names"}),
    "street_address": frozenset({"address", "addr", "adresse", "direccion", "dirección", "street", "strasse",
                                 "straße", "calle", "rue", "indirizzo", "domicile", "domicilio", "anschrift",
                                 "residence", "wohnort"}),
    "date_of_birth": frozenset({"dob", "birth", "born", "birthday", "birthdate", "dateofbirth",
                                "geburtsdatum", "geburtstag", "naissance", "nacimiento", "nascita",
                                "geboren"}),
    "postal_code": frozenset({"zip", "zipcode", "postcode", "postal", "postalcode", "plz", "cp", "cap",
                              "postleitzahl", "codigopostal", "zip5"}),
}
#: multi-word hints, matched on the name with separators removed (``social_security`` -> ``socialsecurity``)
_MIN_SUBSTRING = 5  # hints this long also match inside a longer word ("cellphone" contains "phone")


def name_tokens(name: object) -> list[str]:
    """Split a column name into lower-case words on ``_ - . space`` and camelCase boundaries."""
    text = str(name)
    words: list[str] = []
    for part in re.split(r"[\W_]+", text):
        if not part:
            continue
        current = part[0]
        for i in range(1, len(part)):
            prev, ch = part[i - 1], part[i]
            nxt = part[i + 1] if i + 1 < len(part) else ""
            if ch.isupper() and (prev.islower() or (prev.isupper() and nxt.islower())):
                words.append(current)
                current = ch
            else:
                current += ch
        words.append(current)
    out = []
    for w in words:
        w = w.lower()
        out.append(w)
        stripped = w.rstrip("0123456789")
        if stripped and stripped != w:
            out.append(stripped)
    return out


def name_hints(name: object) -> set[str]:
    """The PII kinds whose hint words occur in ``name``."""
    tokens = name_tokens(name)
    compact = "".join(t for t in tokens if not t.isdigit())
    found = set()
    for kind, hints in NAME_HINTS.items():
        for hint in hints:
            if hint in tokens or hint == compact or (len(hint) >= _MIN_SUBSTRING and hint in compact):
                found.add(kind)
                break
    return found


# --------------------------------------------------------------------------------------------- helpers
def _fraction(mask: np.ndarray | pd.Series, counts: np.ndarray | None) -> float:
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return 0.0
    if counts is None:
        return float(mask.mean())
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    return float((mask * counts).sum() / total) if total > 0 else 0.0


def _as_str(values: pd.Series) -> pd.Series:
    """Values as plain strings (integers written without a decimal point)."""
    values = pd.Series(values).reset_index(drop=True)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty"):
        return values
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float)
        if np.all(np.isfinite(numbers) & (numbers == np.floor(numbers))):
            values = values.astype("int64")
    return values.astype(str).astype(object)


def _digit_matrix(digits: pd.Series, width: int) -> np.ndarray:
    """Digit strings (at most ``width`` long) -> (n, width) int array, right-aligned, zero-padded."""
    padded = digits.str.zfill(width).to_numpy(dtype=f"U{width}")
    return padded.view(np.uint32).reshape(len(padded), width).astype(np.int64) - 48


# ------------------------------------------------------------------------------------------- by value
_EMAIL = re.compile(r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def email_fraction(values: pd.Series, counts: np.ndarray | None = None) -> float:
    """Fraction of values that are e-mail addresses."""
    return _fraction(_as_str(values).str.strip().str.fullmatch(_EMAIL), counts)


_PHONE_EXT = re.compile(r"\s*(?:x|ext\.?|#)\s*\d{1,6}$", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"\+?[\d\s().\-/]+")


#: regions tried for numbers written without a country code: numbers that start with a trunk ``0`` are read
#: as national numbers of the European FAKER_LOCALES; the others as North American, then Spanish or Italian
#: (whose national numbers have no trunk prefix). ``00`` is the international prefix of all of them.
_TRUNK_REGIONS: tuple[str, ...] = ("DE", "FR", "IT", "GB", "ES")
_NO_TRUNK_REGIONS: tuple[str, ...] = ("US", "ES", "IT")


def _possible_phone(text: str) -> bool:
    """Whether ``phonenumbers`` parses ``text`` to a number of a possible length for its country."""
    if text.startswith("+"):
        regions: tuple[str | None, ...] = (None,)
    elif text.startswith("00"):
        regions = ("DE",)
    elif text.lstrip("(").startswith("0"):
        regions = _TRUNK_REGIONS
    else:
        regions = _NO_TRUNK_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return True
    return False


def phone_fraction(values: pd.Series, counts: np.ndarray | None = None, *,
                   plain_digits: bool = False) -> float:
    """Fraction of values that are phone numbers: 10-15 digits written with phone formatting
    (``(555) 123-4567``, ``555.123.4567``, ``+1-555-123-4567x89``...) that ``phonenumbers`` reads as a
    number of a possible length for its country (US for numbers without a country code, or a European
    locale's; see :func:`_possible_phone`). With ``plain_digits`` (the name says phone) bare digit
    strings of that length count too. Only values that pass the cheap shape test are parsed, once each."""
    text = _as_str(values).str.strip().str.replace(_PHONE_EXT, "", regex=True)
    shape_ok = text.str.fullmatch(_PHONE_CHARS)
    digits = text.str.count(r"\d")
    n_ok = digits.between(10, 15)
    separators = text.str.count(r"[\s.\-/]+(?=\d|\()")
    formatted = text.str.startswith("+") | text.str.contains("(", regex=False) | (separators >= 2)
    if plain_digits:
        formatted = formatted | (separators <= 1)
    ok = np.array(shape_ok & n_ok & formatted, dtype=bool)
    if ok.any():  # one parse (a few at most) per distinct candidate of a bounded sample
        ok[ok] = np.fromiter((_possible_phone(t) for t in text[ok]), dtype=bool, count=int(ok.sum()))
    return _fraction(ok, counts)


def phone_digits(text: pd.Series) -> pd.Series:
    """A phone number's digits, without an extension and without the North American leading 1
    ('+1 (415) 555-2671 x12' -> '4155552671'), so that one number written several ways compares equal."""
    digits = text.str.replace(_PHONE_EXT, "", regex=True).str.replace(r"\D", "", regex=True)
    return digits.where(~((digits.str.len() == 11) & digits.str.startswith("1")), digits.str[1:])


_SSN = re.compile(r"(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}")


def ssn_fraction(values: pd.Series, counts: np.ndarray | None = None) -> float:
    """Fraction of values that are US social security numbers ``ddd-dd-dddd`` valid under SSA rules."""
    return _fraction(_as_str(values).str.strip().str.fullmatch(_SSN), counts)


# ------------------------------------------------------------------------------------ national ids
_SEPARATORS = re.compile(r"[\s.\-]")
#: UK National Insurance numbers: the first letter is never D F I Q U V, the second never D F I O Q U V
_NINO = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]")
NINO_NOT_ISSUED = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")
#: French NIR: sex, year, month (01-12, or 20-42 / 50-99 for unknown months), department (2A/2B: Corsica),
#: commune, order number, key
_NIR = re.compile(r"[1-478] ?\d{2} ?(?:0[1-9]|1[0-2]|[23]\d|4[0-2]|[5-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}")
_DNI = re.compile(r"\d{8}[ \-]?[A-Z]")
_NIE = re.compile(r"[XYZ][ \-]?\d{7}[ \-]?[A-Z]")
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"  # DNI / NIE check letter by number mod 23
#: codice fiscale: digits may be replaced by the letters L-V (omocodia) when two people would share a code
_CF_DIGIT = "[0-9LMNPQRSTUV]"
_CODICE_FISCALE = re.compile(rf"[A-Z]{{6}}{_CF_DIGIT}{{2}}[ABCDEHLMPRST]{_CF_DIGIT}{{2}}[A-Z]{_CF_DIGIT}{{3}}[A-Z]")
_CF_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                   (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8,
                    12, 14, 16, 10, 22, 25, 24, 23)))
_SIN = re.compile(r"\d{3}([ \-]?)\d{3}\1\d{3}")
BSN_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1], dtype=np.int64)


def _cf_tables() -> tuple[np.ndarray, np.ndarray]:
    """Code point -> value of a codice fiscale character at an odd (1st, 3rd...) and an even position."""
    odd, even = np.zeros(128, dtype=np.int64), np.zeros(128, dtype=np.int64)
    for ch, value in _CF_ODD.items():
        odd[ord(ch)] = value
        even[ord(ch)] = int(ch) if ch.isdigit() else ord(ch) - ord("A")
    return odd, even


_CF_ODD_TABLE, _CF_EVEN_TABLE = _cf_tables()


def codice_fiscale_check(codes: np.ndarray) -> np.ndarray:
    """Check characters (as code points) of codici fiscali from the code points of their first 15
    characters, shape (n, 15) (upper-case letters and digits)."""
    codes = np.asarray(codes, dtype=np.int64)
    total = _CF_ODD_TABLE[codes[:, 0::2]].sum(axis=1) + _CF_EVEN_TABLE[codes[:, 1::2]].sum(axis=1)
    return total % 26 + ord("A")


def nir_key(numbers: np.ndarray) -> np.ndarray:
    """NIR keys (1-97) of the 13-digit numbers (Corsica's 2A / 2B read as 19 / 18)."""
    return 97 - np.asarray(numbers, dtype=np.int64) % 97


def _clean(values: pd.Series) -> pd.Series:
    return _as_str(values).str.strip().str.upper()


def _checked(text: pd.Series, shape: re.Pattern, check) -> np.ndarray:
    """Values that fully match ``shape`` and whose compact form (separators removed) passes ``check``."""
    ok = np.array(text.str.fullmatch(shape), dtype=bool)
    if ok.any():
        ok[ok] = check(text[ok].str.replace(_SEPARATORS, "", regex=True).reset_index(drop=True))
    return ok


def nino_valid(values: pd.Series) -> np.ndarray:
    """Whether each value is a UK National Insurance number: two prefix letters (not D F I Q U V, the second
    not O either, and not one of the never-issued prefixes BG GB KN NK NT TN ZZ), six digits and a suffix
    A-D; spaces between the pairs allowed. A NINO has no check digit: these are all its rules."""
    return _checked(_clean(values), _NINO, lambda c: ~c.str[:2].isin(NINO_NOT_ISSUED).to_numpy())


def _nir_check(compact: pd.Series) -> np.ndarray:
    body = compact.str[:13]
    department = compact.str[5:7].replace({"2A": "19", "2B": "18"})
    number = (body.str[:5] + department + body.str[7:]).astype(np.int64).to_numpy()
    return compact.str[13:].astype(np.int64).to_numpy() == nir_key(number)


def nir_valid(values: pd.Series) -> np.ndarray:
    """Whether each value is a French NIR (INSEE number): sex 1-4/7/8, year, month, department (2A/2B for
    Corsica), commune, order number, and a key equal to 97 - (the first 13 digits mod 97); spaces allowed."""
    return _checked(_clean(values), _NIR, _nir_check)


def _dni_check(compact: pd.Series) -> np.ndarray:
    digits = compact.str[:-1].str.replace("X", "0").str.replace("Y", "1").str.replace("Z", "2")
    expected = np.array(list(DNI_LETTERS), dtype=object)[digits.astype(np.int64).to_numpy() % 23]
    return compact.str[-1].to_numpy(dtype=object) == expected


def _dni_only(values: pd.Series) -> np.ndarray:
    return _checked(_clean(values), _DNI, _dni_check)


def _nie_only(values: pd.Series) -> np.ndarray:
    return _checked(_clean(values), _NIE, _dni_check)


def dni_valid(values: pd.Series) -> np.ndarray:
    """Whether each value is a Spanish DNI (8 digits and a letter) or NIE (X/Y/Z, 7 digits and a letter)
    whose letter is the mod-23 check letter (X/Y/Z read as 0/1/2); a space or dash before the letter allowed."""
    return _dni_only(values) | _nie_only(values)


def _cf_check(compact: pd.Series) -> np.ndarray:
    codes = compact.to_numpy(dtype="U16").view(np.uint32).reshape(len(compact), 16)
    return codes[:, 15] == codice_fiscale_check(codes[:, :15])


def codice_fiscale_valid(values: pd.Series) -> np.ndarray:
    """Whether each value is an Italian codice fiscale: 6 letters (surname, name), year, month letter, day,
    place code (digits possibly replaced by L-V) and the check letter of the official odd/even tables."""
    return _checked(_clean(values), _CODICE_FISCALE, _cf_check)


def _bsn_check(compact: pd.Series) -> np.ndarray:
    total = _digit_matrix(compact, 9) @ BSN_WEIGHTS
    return (total % 11 == 0) & compact.str.contains(r"[1-9]").to_numpy(dtype=bool)


def bsn_valid(values: pd.Series) -> np.ndarray:
    """Whether each value is a Dutch BSN: 9 digits passing the 11-proof (9*d1 + 8*d2 + ... + 2*d8 - d9 is a
    multiple of 11), not all zeros."""
    return _checked(_clean(values), re.compile(r"\d{9}"), _bsn_check)


def sin_valid(values: pd.Series) -> np.ndarray:
    """Whether each value is a Canadian SIN: 9 digits (groups of 3 may be split by spaces or dashes), not
    starting with 0 or 8 (never issued), passing the Luhn check."""
    return _checked(_clean(values), _SIN, lambda c: luhn_valid(c) & ~c.str[0].isin(("0", "8")).to_numpy())


#: national id scheme -> validator; the last two are plain 9-digit numbers, counted only with a name hint
NATIONAL_ID_VALIDATORS = {
    "nino": nino_valid,
    "nir": nir_valid,
    "dni": _dni_only,
    "nie": _nie_only,
    "codice_fiscale": codice_fiscale_valid,
    "bsn": bsn_valid,
    "sin": sin_valid,
}
#: schemes that are only digits, and so may be stored as integers
NUMERIC_NATIONAL_IDS = ("nir", "bsn", "sin")
_NINE_DIGIT_SCHEMES = ("bsn", "sin")


def national_id_schemes(values: pd.Series, *, plain_digits: bool = False) -> np.ndarray:
    """The national id scheme (a key of :data:`NATIONAL_ID_VALIDATORS`) each value is valid under, or ``""``.

    BSN and SIN are plain 9-digit numbers, and about one random 9-digit number in ten passes each of their
    checks: they count only with ``plain_digits`` (the column name says national id)."""
    text = _clean(values)
    out = np.full(len(text), "", dtype=object)
    for scheme, valid in NATIONAL_ID_VALIDATORS.items():
        if scheme in _NINE_DIGIT_SCHEMES and not plain_digits:
            continue
        todo = out == ""
        if not todo.any():
            break
        ok = np.zeros(len(text), dtype=bool)
        ok[todo] = valid(text[todo].reset_index(drop=True))
        out[ok] = scheme
    return out


def national_id_fraction(values: pd.Series, counts: np.ndarray | None = None, *,
                         plain_digits: bool = False) -> float:
    """Fraction of values that are national identity numbers with a valid check (UK NINO, French NIR,
    Spanish DNI/NIE, Italian codice fiscale; with ``plain_digits`` also Dutch BSN and Canadian SIN)."""
    return _fraction(national_id_schemes(values, plain_digits=plain_digits) != "", counts)


def national_id_scheme(values: pd.Series, counts: np.ndarray | None = None, *,
                       plain_digits: bool = True) -> str | None:
    """The most common national id scheme among ``values`` (weighted by ``counts``), or ``None``."""
    schemes = pd.Series(national_id_schemes(values, plain_digits=plain_digits), dtype=object)
    weights = pd.Series(np.ones(len(schemes)) if counts is None else np.asarray(counts, dtype=float))
    totals = weights[(schemes != "").to_numpy()].groupby(schemes[schemes != ""]).sum()
    return str(totals.idxmax()) if len(totals) else None


_CARD_PREFIX = re.compile(r"(?:4|5[0-8]|2[2-7]|3[0-9]|6|0604|1800|2131)\d*")


def luhn_valid(digits: pd.Series) -> np.ndarray:
    """Whether each digit string (at most 19 digits) passes the Luhn check."""
    if len(digits) == 0:
        return np.zeros(0, dtype=bool)
    d = _digit_matrix(digits, 19)[:, ::-1]  # rightmost digit first
    doubled = d[:, 1::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = d[:, 0::2].sum(axis=1) + doubled.sum(axis=1)
    return total % 10 == 0


def credit_card_fraction(values: pd.Series, counts: np.ndarray | None = None) -> float:
    """Fraction of values that are card numbers: 12-19 digits (spaces or dashes allowed) with a known
    network prefix, passing the Luhn check. Integers count too."""
    text = _as_str(values).str.strip()
    shape_ok = text.str.fullmatch(r"\d(?:[\d \-]*\d)?")
    digits = text.str.replace(r"[ \-]", "", regex=True)
    ok = shape_ok & digits.str.len().between(12, 19) & digits.str.fullmatch(_CARD_PREFIX)
    ok = np.array(ok, dtype=bool)
    if ok.any():
        ok[ok] = luhn_valid(digits[ok].reset_index(drop=True))
    return _fraction(ok, counts)


_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


def iban_valid(ibans: pd.Series) -> np.ndarray:
    """Whether each (upper-case, space-free) IBAN passes the ISO 13616 mod-97 check."""
    if len(ibans) == 0:
        return np.zeros(0, dtype=bool)
    moved = (ibans.str[4:] + ibans.str[:4]).str.rjust(34, "0").to_numpy(dtype="U34")
    codes = moved.view(np.uint32).reshape(len(moved), 34).astype(np.int64)
    value = np.where(codes < 58, codes - 48, codes - 55)  # '0'-'9' -> 0-9, 'A'-'Z' -> 10-35
    rem = np.zeros(len(moved), dtype=np.int64)
    for col in range(34):
        v = value[:, col]
        rem = np.where(v < 10, rem * 10 + v, rem * 100 + v) % 97
    return rem == 1


def iban_fraction(values: pd.Series, counts: np.ndarray | None = None) -> float:
    """Fraction of values that are IBANs (spaces allowed) passing the mod-97 check."""
    text = _as_str(values).str.replace(" ", "", regex=False).str.upper()
    ok = np.array(text.str.fullmatch(_IBAN), dtype=bool)
    if ok.any():
        ok[ok] = iban_valid(text[ok].reset_index(drop=True))
    return _fraction(ok, counts)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def ip_address_fraction(values: pd.Series, counts: np.ndarray | None = None) -> float:
    """Fraction of values that are IPv4 or IPv6 addresses."""
    text = _as_str(values).str.strip()
    maybe = text.str.fullmatch(r"[0-9A-Fa-f:.]{2,45}") & text.str.contains(r"[.:]")
    ok = np.array(maybe, dtype=bool)
    if ok.any():  # one call per distinct candidate of a bounded sample
        ok[ok] = np.fromiter((_is_ip(t) for t in text[ok]), dtype=bool, count=int(ok.sum()))
    return _fraction(ok, counts)


_URL = re.compile(r"(?:https?://[^\s/?#]+\.[^\s/?#]+|https?://localhost|www\.[^\s/?#]+\.[^\s/?#]+)"
                  r"(?::\d+)?(?:[/?#]\S*)?", re.IGNORECASE)


def url_fraction(values: pd.Series, counts: np.ndarray | None = None) -> float:
    """Fraction of values that are web addresses (``http(s)://...`` or ``www....``)."""
    return _fraction(_as_str(values).str.strip().str.fullmatch(_URL), counts)


_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "jr", "sr", "md", "dds", "phd", "dvm", "ii",
                     "iii", "iv", "v", "herr", "frau", "sig", "sigra", "dott", "ing", "mme", "mlle", "m",
                     "sra", "srta", "don", "doña", "esq"})
_PARTICLES = frozenset({"de", "la", "del", "van", "von", "der", "den", "di", "da", "du", "le", "des", "y",
                        "auch", "zu", "dos", "das", "e", "i", "el", "los", "las", "ten", "ter"})


_FIRST_NAME_LISTS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")


def _faker_names(attrs: tuple[str, ...]) -> frozenset[str]:
    names: set[str] = set()
    for locale in FAKER_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:  # pragma: no cover - faker without that locale
            continue
        for attr in attrs:
            for item in getattr(provider, attr, ()) or ():
                names.update(part.lower() for part in re.split(r"[\s\-]+", str(item)) if part)
    return frozenset(names - _PARTICLES)


@lru_cache(maxsize=1)
def known_first_names() -> frozenset[str]:
    """Lower-case first names from Faker's person providers for a few locales (cached)."""
    return _faker_names(_FIRST_NAME_LISTS)


@lru_cache(maxsize=1)
def known_names() -> frozenset[str]:
    """Lower-case first and last names from Faker's person providers for a few locales (cached)."""
    return known_first_names() | _faker_names(("last_names",))


_SKIPPED = pd.Index(sorted(_TITLES | _PARTICLES), dtype=object)


@lru_cache(maxsize=2)
def _index(first_only: bool) -> pd.Index:
    return pd.Index(sorted(known_first_names() if first_only else known_names()), dtype=object)


def person_name_fraction(values: pd.Series, counts: np.ndarray | None = None) -> float:
    """Fraction of values that are person names: 2-5 capitalised words (titles and particles such as
    ``Dr.`` or ``de`` aside), the first a known first name (``Last, First`` is read as ``First Last``)
    and at least half of them known first or last names."""
    text = _as_str(values).str.strip()
    if len(text) == 0:
        return 0.0
    plausible = np.array(text.str.fullmatch(r"[^\d@/:_\n]{3,80}"), dtype=bool)
    if _fraction(plausible, counts) < 0.5:
        return 0.0
    text = text.str.replace(r"^([^,]+),\s*([^,]+)$", r"\2 \1", regex=True)
    words = text.str.replace(r"[\-,]", " ", regex=True).str.split().explode()
    words = words[words.notna()].astype(object)
    key = words.str.lower().str.replace(".", "", regex=False)
    keep = ~(words.str.endswith(".") | key.isin(_SKIPPED) | (key == ""))
    words, key = words[keep], key[keep]
    leading = key.groupby(level=0).cumcount().to_numpy() == 0
    stats = pd.DataFrame({"n": 1, "capital": words.str[0].str.isupper(), "known": key.isin(_index(False)),
                          "first": leading & np.array(key.isin(_index(True)), dtype=bool)})
    stats = stats.groupby(level=0).sum().reindex(range(len(text)), fill_value=0)
    ok = (stats["n"].between(2, 5) & (stats["capital"] == stats["n"]) & (2 * stats["known"] >= stats["n"])
          & (stats["first"] == 1))
    return _fraction(ok.to_numpy(dtype=bool) & plausible, counts)


@lru_cache(maxsize=1)
def _street_patterns() -> tuple[re.Pattern, ...]:
    suffixes = {"st", "street", "ave", "av", "avenue", "rd", "road", "blvd", "boulevard", "lane", "ln", "dr",
                "drive", "ct", "court", "way", "pl", "place", "ter", "terrace", "cir", "circle", "hwy",
                "highway", "pkwy", "parkway", "sq", "square", "trl", "trail", "row", "close", "crescent"}
    with contextlib.suppress(ImportError):
        suffixes |= {s.lower() for s in importlib.import_module("faker.providers.address.en_US")
                     .Provider.street_suffixes}
    suffix = "|".join(sorted((re.escape(s) for s in suffixes), key=len, reverse=True))
    english = (rf"\d{{1,6}}[a-z]?\s+(?:[^\d\s,][^\s,]*\s+){{0,5}}(?:{suffix})\.?"
               r"(?:\s+(?:n|s|e|w|ne|nw|se|sw)\.?)?"
               r"(?:,?\s*(?:suite|ste\.?|apt\.?|apartment|unit|#|no\.?)\s*[\w\-]+)?\s*(?:,.*)?")
    military = r"(?:psc \d+, box \d+|unit \d+ box \d+|us(?:ns|s|nv|cgc) [\w ]+)"
    prefix_words = ("rue|chemin|avenue|boulevard|allée|allee|impasse|place|route|quai|cours|via|viale|piazza|"
                    "piazzale|corso|vicolo|borgo|contrada|strada|largo|calle|avenida|plaza|paseo|camino|"
                    "carrer|ronda|glorieta|urbanización|pasaje|callejón|cañada|alameda|rambla|travesía|"
                    "acceso|cuesta|pasadizo|vial|c\\.")
    european = rf"(?=.*\d)(?:\d{{1,5}}[a-z]?,?\s+)?(?:{prefix_words})\s+\S.*"
    german = (r"[^\d,\n]*?(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee)"
              r"\s+\d{1,5}[a-z]?\b.*")
    return tuple(re.compile(p, re.IGNORECASE) for p in (english, military, european, german))


def street_address_fraction(values: pd.Series, counts: np.ndarray | None = None) -> float:
    """Fraction of values that are street addresses (a house number, words and a street suffix, or
    the French/Italian/Spanish/German shapes); only the first line of a multi-line address is read."""
    first = _as_str(values).str.strip().str.split("\n", n=1).str[0].str.strip()
    ok = np.zeros(len(first), dtype=bool)
    for pattern in _street_patterns():
        ok |= first.str.fullmatch(pattern).to_numpy(dtype=bool)
    return _fraction(ok, counts)


def postal_code_fraction(values: pd.Series, counts: np.ndarray | None = None, *,
                         integer: bool = False) -> float:
    """Fraction of values that are US-style postal codes: 5 digits or ZIP+4 for strings; for integers
    (where a name hint is required by the caller) a number in 501..99950."""
    if integer:
        numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        return _fraction((numbers >= 501) & (numbers <= 99950) & (numbers == np.floor(numbers)), counts)
    return _fraction(_as_str(values).str.strip().str.fullmatch(r"\d{5}(?:-\d{4})?"), counts)


def date_of_birth_fraction(dates: pd.Series, counts: np.ndarray | None = None, *,
                           today: _dt.date | None = None, min_spread_years: float = 10.0) -> float:
    """Fraction of dates between 1900-01-01 and today, or 0 when the years' interquartile range is under
    ``min_spread_years`` (sale or event dates cluster; birth dates spread over decades)."""
    stamps = pd.to_datetime(pd.Series(dates), errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    valid = stamps.notna().to_numpy()
    if not valid.any():
        return 0.0
    today = today or _dt.date.today()
    low, high = pd.Timestamp(1900, 1, 1), pd.Timestamp(today) + pd.Timedelta(days=1)
    in_range = (stamps >= low) & (stamps < high)
    w = np.ones(len(stamps)) if counts is None else np.asarray(counts, dtype=float)
    years = (stamps.dt.year + stamps.dt.dayofyear / 366.0).to_numpy(dtype=float)[valid]
    wv = w[valid]
    order = np.argsort(years)
    cum = np.cumsum(wv[order]) / wv.sum()
    q1 = years[order][min(np.searchsorted(cum, 0.25), len(cum) - 1)]
    q3 = years[order][min(np.searchsorted(cum, 0.75), len(cum) - 1)]
    if q3 - q1 < min_spread_years:
        return 0.0
    return _fraction(in_range.to_numpy(dtype=bool), w)


def candidate_kinds(values: pd.Series, counts: np.ndarray | None = None, *,
                    at_least: float = 0.5) -> list[str]:
    """The string kinds worth checking: those whose digit count or telltale characters fit enough
    values (a cheap gate before the full checks)."""
    text = _as_str(values)
    digits = text.str.count(r"\d").to_numpy(dtype=np.int64)
    spaced = np.array(text.str.contains(r"\S\s+\S", regex=True), dtype=bool)
    gates = {
        "email": np.array(text.str.contains("@", regex=False), dtype=bool),
        "ssn": digits == 9,
        "national_id": np.isin(text.str.count(r"[0-9A-Za-z]").to_numpy(dtype=np.int64), (9, 15, 16)),
        "credit_card": (digits >= 12) & (digits <= 19),
        "iban": (digits >= 2) & (text.str.len().to_numpy() >= 15),
        "ip_address": np.array(text.str.contains(r"[.:]", regex=True), dtype=bool),
        "url": np.array(text.str.contains(r"(?i)www\.|https?:", regex=True), dtype=bool),
        "phone": (digits >= 10) & (digits <= 21),
        "postal_code": (digits == 5) | (digits == 9),
        "street_address": (digits >= 1) & spaced,
        "person_name": (digits == 0) & spaced,
    }
    return [kind for kind, ok in gates.items() if _fraction(ok, counts) >= at_least]


#: string kinds checked by value, most specific first (wins ties)
STRING_DETECTORS = {
    "email": email_fraction,
    "ssn": ssn_fraction,
    "national_id": national_id_fraction,
    "credit_card": credit_card_fraction,
    "iban": iban_fraction,
    "ip_address": ip_address_fraction,
    "url": url_fraction,
    "phone": phone_fraction,
    "postal_code": postal_code_fraction,
    "street_address": street_address_fraction,
    "person_name": person_name_fraction,
}
