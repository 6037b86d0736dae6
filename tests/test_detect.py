"""Column-type and personal-data detection: Metadata.detect and veil.pii.detectors."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from veil.errors import InvalidDataError, InvalidParameterError
from veil.metadata import Metadata
from veil.metadata.detect import DATETIME_FORMATS, detect_datetime_format
from veil.pii import detectors as det

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
N = 2000

#: column -> PII kind hidden in it (misleading or non-English names)
PII_COLUMNS = {
    "contact": "email", "col_7": "ssn", "nombre": "person_name", "telefono": "phone", "area": "postal_code",
    "when": "date_of_birth", "card": "credit_card", "host": "ip_address", "site": "url",
    "domicile": "street_address", "konto": "iban", "v6": "ip_address", "kunde": "person_name",
    "strasse_nr": "street_address", "movil": "phone",
    # national identity numbers: found by value alone, or (plain 9-digit BSN / SIN) with a name hint
    "documento": "national_id", "extranjero": "national_id", "secu": "national_id", "cf_cliente": "national_id",
    "ref_uk": "national_id", "bsn": "national_id", "numero_assurance_sociale": "national_id",
}
_NINO_FIRST, _NINO_SECOND = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"


def make_ninos(n: int, rng: np.random.Generator) -> list[str]:
    """Valid UK National Insurance numbers (Faker's en_GB ones all use the never-issued prefix ZZ),
    half of them written with spaces."""
    out = []
    while len(out) < n:
        prefix = rng.choice(list(_NINO_FIRST)) + rng.choice(list(_NINO_SECOND))
        if prefix in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
            continue
        digits = "".join(rng.choice(list("0123456789"), 6))
        suffix = rng.choice(list("ABCD"))
        out.append(f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}" if len(out) % 2
                   else prefix + digits + suffix)
    return out


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    en, es, de, fr, it, nl, ca = (Faker(loc) for loc in ("en_US", "es_ES", "de_DE", "fr_FR", "it_IT", "nl_NL",
                                                          "en_CA"))
    for i, fake in enumerate((en, es, de, fr, it, nl, ca)):
        fake.seed_instance(100 + i)
    rng = np.random.default_rng(1)
    sale = pd.Timestamp("2014-05-02") + pd.to_timedelta(rng.integers(0, 390, N), unit="D")
    return pd.DataFrame({
        "contact": [en.email() for _ in range(N)],
        "col_7": [en.ssn() for _ in range(N)],
        "nombre": [es.name() for _ in range(N)],
        "telefono": [en.phone_number() for _ in range(N)],
        "area": [en.postcode() for _ in range(N)],
        "when": [en.date_of_birth().isoformat() for _ in range(N)],
        "card": [en.credit_card_number() for _ in range(N)],
        "host": [en.ipv4() for _ in range(N)],
        "site": [en.url() for _ in range(N)],
        "domicile": [en.address() for _ in range(N)],
        "konto": [de.iban() for _ in range(N)],
        "v6": [en.ipv6() for _ in range(N)],
        "kunde": [de.name() for _ in range(N)],
        "strasse_nr": [de.street_address() for _ in range(N)],
        "movil": [es.phone_number() for _ in range(N)],
        "documento": [es.nif() for _ in range(N)],  # DNI
        "extranjero": [es.nie() for _ in range(N)],
        "secu": [fr.ssn() for _ in range(N)],  # NIR, Corsican 2A / 2B included
        "cf_cliente": [it.ssn() for _ in range(N)],  # codice fiscale
        "ref_uk": make_ninos(N, rng),
        "bsn": [nl.ssn() for _ in range(N)],
        "numero_assurance_sociale": [ca.ssn() for _ in range(N)],  # SIN, '123 456 782'
        # ordinary columns, some with names that suggest personal data
        "email": rng.integers(0, 1_000_000, N),
        "age": rng.integers(18, 90, N),
        "income": np.round(rng.lognormal(10, 1, N), 2),
        "segment": rng.choice(["gold", "silver", "bronze"], N),
        "sale_date": sale.strftime("%Y-%m-%d"),
        "customer_id": np.arange(10_000, 10_000 + N),
        "zip_count": rng.integers(0, 600_000, N),
        "name": rng.choice(["basic", "premium", "family plan"], N),
        "comment": [en.sentence(nb_words=12) for _ in range(N)],
        # 9-digit numbers: about one in ten passes the BSN or the SIN check by chance, so valid BSNs under a
        # neutral name, and random numbers under a national id name, are not personal data
        "nummer": [nl.ssn() for _ in range(N)],
        "sin": rng.integers(10**8, 10**9, N),
        "nie_code": [f"{x:09d}" for x in rng.integers(0, 10**9, N)],
        "ref_no": [f"{x:09d}" for x in rng.integers(0, 10**9, N)],
    })


@pytest.fixture(scope="module")
def detected(people: pd.DataFrame) -> Metadata:
    return Metadata.detect(people)


# ----------------------------------------------------------------------------------------- PII
@pytest.mark.parametrize(("column", "kind"), sorted(PII_COLUMNS.items()))
def test_every_hidden_pii_column_is_found(detected: Metadata, column: str, kind: str):
    col = detected[column]
    assert col.sdtype == kind
    assert col.confidence is not None and 0.5 <= col.confidence <= 1.0
    assert col.detected_by in ("value", "name+value")


def test_pii_fixture_covers_every_kind(detected: Metadata):
    from veil.pii.kinds import PII_KINDS

    assert {c.sdtype for c in detected.pii_columns} == set(PII_KINDS)


def test_found_by_value_alone_under_a_misleading_name(detected: Metadata):
    for column in ("contact", "col_7", "host", "site", "area", "when", "documento", "extranjero", "secu",
                   "cf_cliente", "ref_uk"):
        assert detected[column].detected_by == "value"
        assert detected[column].confidence >= 0.9
    assert detected["nombre"].detected_by == "name+value"
    assert detected["bsn"].detected_by == detected["numero_assurance_sociale"].detected_by == "name+value"
    assert detected["when"].datetime_format == "%Y-%m-%d"


def test_ordinary_columns_are_not_pii(detected: Metadata):
    assert detected["email"].sdtype == "numerical"  # a name hint never decides alone
    assert detected["email"].representation == "int"
    assert (detected["age"].sdtype, detected["age"].representation) == ("numerical", "int")
    assert (detected["income"].sdtype, detected["income"].representation) == ("numerical", "float")
    assert detected["segment"].sdtype == "categorical"
    assert detected["name"].sdtype == "categorical"
    assert detected["zip_count"].sdtype == "numerical"  # 'zip' is a hint, but counts spread past zip codes
    assert (detected["sale_date"].sdtype, detected["sale_date"].datetime_format) == ("datetime", "%Y-%m-%d")
    assert detected["comment"].sdtype == "text"
    assert detected["customer_id"].sdtype == "id"
    assert detected.primary_key == "customer_id"
    assert detected["nummer"].sdtype == "id"  # valid BSNs, but 9 digits and no name hint
    assert (detected["sin"].sdtype, detected["sin"].representation) == ("numerical", "int")
    assert detected["nie_code"].sdtype == detected["ref_no"].sdtype == "id"
    expected = set(PII_COLUMNS)
    assert {c.name for c in detected.pii_columns} == expected


def test_object_dtype_tables_detect_the_same(people: pd.DataFrame, detected: Metadata):
    """pandas 2 keeps strings as object dtype; detection must not depend on it."""
    strings = [c for c in people.columns if not pd.api.types.is_numeric_dtype(people[c])]
    as_object = people.astype({c: object for c in strings})
    assert Metadata.detect(as_object).to_dict() == detected.to_dict()


def test_detection_is_seeded_and_sampled(people: pd.DataFrame):
    a = Metadata.detect(people, sample_size=500, seed=3)
    b = Metadata.detect(people, sample_size=500, seed=3)
    assert a.to_dict() == b.to_dict()
    assert a["contact"].sdtype == "email" and a["konto"].sdtype == "iban"


def test_missing_values_do_not_hide_pii(people: pd.DataFrame):
    table = people[["contact", "col_7"]].copy()
    table.loc[::3, "contact"] = None
    table.loc[::2, "col_7"] = np.nan
    meta = Metadata.detect(table)
    assert meta["contact"].sdtype == "email" and meta["col_7"].sdtype == "ssn"


def test_name_hint_lowers_threshold_but_values_must_agree():
    rng = np.random.default_rng(0)
    fake = Faker("en_US")
    fake.seed_instance(5)
    emails = [fake.email() for _ in range(300)]
    words = list(rng.choice(["n/a", "none given", "refused"], 300))
    mixed = emails[:180] + words[:120]  # 60 % emails
    table = pd.DataFrame({"email": mixed, "contact": mixed,
                          "contact_method": rng.choice(["cellular", "telephone"], 300)})
    meta = Metadata.detect(table)
    assert meta["email"].sdtype == "email" and meta["email"].detected_by == "name+value"
    assert meta["email"].confidence == pytest.approx(0.6, abs=1e-3)
    assert meta["contact"].sdtype == "categorical"  # 60 % is not enough without a hint
    assert meta["contact_method"].sdtype == "categorical"


def test_integer_postal_codes_need_a_name_hint():
    rng = np.random.default_rng(0)
    codes = rng.choice(np.arange(98001, 98200), 1000)
    meta = Metadata.detect(pd.DataFrame({"zipcode": codes, "PLZ": codes, "cp": codes, "amount": codes}))
    for name in ("zipcode", "PLZ", "cp"):
        col = meta[name]
        assert (col.sdtype, col.representation, col.detected_by) == ("postal_code", "int", "name+value")
    assert meta["amount"].sdtype == "numerical"


def test_string_postal_codes_keep_leading_zeros():
    codes = pd.Series([f"{i:05d}" for i in range(501, 2501)])
    meta = Metadata.detect(pd.DataFrame({"area": codes}))
    assert meta["area"].sdtype == "postal_code" and meta["area"].representation is None


def test_credit_cards_as_integers():
    fake = Faker("en_US")
    fake.seed_instance(2)
    numbers = [int(fake.credit_card_number(card_type="visa16")) for _ in range(500)]
    meta = Metadata.detect(pd.DataFrame({"x": numbers}))
    assert (meta["x"].sdtype, meta["x"].representation) == ("credit_card", "int")


def test_dates_of_birth_by_name_or_by_spread():
    rng = np.random.default_rng(0)
    recent = (pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 700, 500), unit="D"))
    old = (pd.Timestamp("1930-01-01") + pd.to_timedelta(rng.integers(0, 70 * 365, 500), unit="D"))
    table = pd.DataFrame({"geburtsdatum": recent.strftime("%d.%m.%Y"), "sold": recent.strftime("%Y-%m-%d"),
                          "x": old.strftime("%m/%d/%Y"), "native": old, "stamp": old + pd.Timedelta(hours=5)})
    meta = Metadata.detect(table)
    dob = meta["geburtsdatum"]
    assert (dob.sdtype, dob.datetime_format) == ("date_of_birth", "%d.%m.%Y")
    assert meta["geburtsdatum"].detected_by in ("name", "name+value")
    assert meta["sold"].sdtype == "datetime"
    assert (meta["x"].sdtype, meta["x"].datetime_format) == ("date_of_birth", "%m/%d/%Y")
    assert (meta["native"].sdtype, meta["native"].datetime_format) == ("date_of_birth", None)
    assert meta["stamp"].sdtype == "datetime"  # a time part: not a birth date


# ---------------------------------------------------------------------------------------- types
def test_booleans_and_yes_no_strings():
    table = pd.DataFrame({"flag": [True, False] * 50,
                          "nullable": pd.array([True, None] * 50, dtype="boolean"),
                          "answer": ["Yes", "No"] * 50})
    meta = Metadata.detect(table)
    assert meta["flag"].sdtype == "boolean" and meta["nullable"].sdtype == "boolean"
    assert meta["answer"].sdtype == "categorical"


def test_representation_follows_the_dtype_family():
    rng = np.random.default_rng(0)
    whole = rng.integers(0, 1000, 400)
    table = pd.DataFrame({
        "as_int": whole, "as_float": whole.astype(float),
        "nullable": pd.array(np.where(rng.random(400) < 0.1, None, whole), dtype="Int64"),
        "measure": rng.normal(size=400),
    })
    meta = Metadata.detect(table)
    assert [(meta[c].sdtype, meta[c].representation) for c in table.columns] == [
        ("numerical", "int"), ("numerical", "float"), ("numerical", "int"), ("numerical", "float")]


def test_integer_codes_and_few_values_are_categorical():
    rng = np.random.default_rng(0)
    n = 2000
    table = pd.DataFrame({
        "grade": rng.integers(1, 6, n),               # 5 values
        "admission_type_id": rng.integers(1, 30, n),  # a code table
        "region_code": rng.integers(100, 200, n),
        "number_diagnoses": rng.integers(1, 17, n),   # 'number' but not mostly unique: numerical
        "num_procedures": rng.integers(0, 40, n),
        "constant": np.zeros(n, dtype=int),
        "big": rng.integers(2**60, 2**62, n, dtype=np.int64),
        "unique_float": rng.normal(size=n),
        "patient_nbr": rng.integers(0, 10**8, n),
    })
    meta = Metadata.detect(table)
    got = {c.name: c.sdtype for c in meta}
    assert got == {"grade": "categorical", "admission_type_id": "categorical", "region_code": "categorical",
                   "number_diagnoses": "numerical", "num_procedures": "numerical", "constant": "numerical",
                   "big": "id", "unique_float": "numerical", "patient_nbr": "id"}


def test_mostly_unique_is_judged_on_the_whole_column():
    """A sample over-states how unique a column is; ids need >= 50 % distinct values overall."""
    rng = np.random.default_rng(0)
    n = 20_000
    table = pd.DataFrame({"account_no": rng.integers(0, 3_000, n),
                          "visit_id": rng.permutation(n),
                          "branch_key": rng.choice([f"B{i:04d}" for i in range(3_000)], n)})
    meta = Metadata.detect(table, sample_size=1_000)
    assert meta["account_no"].sdtype == "numerical"
    assert meta["visit_id"].sdtype == "id" and meta.primary_key == "visit_id"
    assert meta["branch_key"].sdtype == "categorical"
    assert Metadata.detect(table.head(500))["branch_key"].sdtype == "id"


def test_string_ids_and_text():
    fake = Faker("en_US")
    fake.seed_instance(4)
    table = pd.DataFrame({"ref": [fake.uuid4() for _ in range(300)],
                          "orderNo": [f"A{i}" for i in range(300)],
                          "review": [fake.paragraph(nb_sentences=2) for _ in range(300)],
                          "word": [fake.word() for _ in range(300)]})
    meta = Metadata.detect(table)
    assert meta["ref"].sdtype == "id" and meta["orderNo"].sdtype == "id"
    assert meta["review"].sdtype == "text" and meta["word"].sdtype == "categorical"
    assert meta.primary_key == "orderNo"  # a name with an id word is preferred


@pytest.mark.parametrize("fmt", [f for f in DATETIME_FORMATS if "%z" not in f])
def test_each_datetime_format_is_recognised(fmt: str):
    stamps = pd.Timestamp("2001-02-03") + pd.to_timedelta(np.arange(0, 300 * 86_400 * 7, 86_400 * 7 + 3_671),
                                                          unit="s")
    text = pd.Series(stamps.strftime(fmt))
    found = detect_datetime_format(text)
    assert found is not None
    assert pd.to_datetime(text, format=found, errors="coerce").notna().all()
    if "%d/%m" not in fmt and "%y" not in fmt:  # day-first twins and 2-digit years may match earlier
        assert found == fmt


def test_digit_only_strings_and_native_datetimes():
    assert detect_datetime_format(pd.Series(["20140101", "20140102"] * 20)) is None
    table = pd.DataFrame({"d": pd.date_range("2020-01-01 10:00", periods=50, freq="h"),
                          "code": ["20140101", "20140102"] * 25})
    meta = Metadata.detect(table)
    assert (meta["d"].sdtype, meta["d"].datetime_format) == ("datetime", None)
    assert meta["code"].sdtype == "categorical"


def test_bad_input_raises_clear_errors():
    with pytest.raises(InvalidDataError, match="DataFrame"):
        Metadata.detect([[1, 2]])
    with pytest.raises(InvalidParameterError, match="sample_size"):
        Metadata.detect(pd.DataFrame({"a": [1]}), sample_size=0)
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InvalidDataError, match="more than once"):
        Metadata.detect(dup)
    with pytest.raises(InvalidDataError, match="rename"):
        Metadata.detect(pd.DataFrame({0: [1], 1: [2]}))


def test_empty_and_all_missing_columns():
    meta = Metadata.detect(pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)}))
    assert [c.sdtype for c in meta] == ["categorical", "categorical"]
    meta = Metadata.detect(pd.DataFrame({"a": [np.nan] * 5, "b": [None] * 5}))
    assert [c.sdtype for c in meta] == ["categorical", "categorical"]


def test_half_a_million_rows_in_under_two_seconds():
    rng = np.random.default_rng(0)
    n = 500_000
    fake = Faker("en_US")
    fake.seed_instance(0)
    emails = np.array([fake.email() for _ in range(2000)], dtype=object)
    table = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(20)})
    table["count"] = rng.integers(0, 500, n)
    table["group"] = rng.choice(["a", "b", "c", "d"], n)
    table["email_seen"] = emails[rng.integers(0, 2000, n)]
    table["day"] = rng.choice(pd.date_range("2015-01-01", periods=900).strftime("%Y-%m-%d"), n)
    table["row_id"] = np.arange(n)
    Metadata.detect(table.head(100))  # load the name lists once
    start = time.perf_counter()
    meta = Metadata.detect(table)
    elapsed = time.perf_counter() - start
    assert meta["email_seen"].sdtype == "email" and meta.primary_key == "row_id"
    assert elapsed < 2.0


# ------------------------------------------------------------------------------------ detectors
def test_name_tokens_and_hints():
    assert det.name_tokens("customerFirstName") == ["customer", "first", "name"]
    assert det.name_tokens("IPAddress") == ["ip", "address"]
    assert det.name_tokens("e-mail 2") == ["e", "mail", "2"]
    assert det.name_hints("E-Mail") == {"email"}
    assert "phone" in det.name_hints("cellPhoneNumber")
    assert "postal_code" not in det.name_hints("capital-gain")  # 'cap' only as a whole word
    assert det.name_hints("num_procedures") == set()


def test_luhn_iban_and_ssn_rules():
    assert list(det.luhn_valid(pd.Series(["4111111111111111", "4111111111111112", "79927398713"]))) == [
        True, False, True]
    good, bad = "DE89370400440532013000", "DE89370400440532013001"
    assert list(det.iban_valid(pd.Series([good, bad, "GB82WEST12345698765432"]))) == [True, False, True]
    assert det.iban_fraction(pd.Series(["DE89 3704 0044 0532 0130 00"])) == 1.0
    ssns = pd.Series(["123-45-6789", "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567",
                      "123-45-0000"])
    assert det.ssn_fraction(ssns) == pytest.approx(1 / 6)


def test_phone_shapes():
    good = pd.Series(["(555) 123-4567", "555.123.4567", "+1-555-123-4567x89", "555-123-4567",
                      "+49 30 1234567"])
    assert det.phone_fraction(good) == 1.0
    plain = pd.Series(["5551234567"])
    assert det.phone_fraction(plain) == 0.0 and det.phone_fraction(plain, plain_digits=True) == 1.0
    assert det.phone_fraction(pd.Series(["123-45-6789", "2014-10-13", "12.5", "192.168.100.100"])) < 0.3


def test_phone_numbers_must_be_possible():
    """Phone-shaped strings that phonenumbers cannot read as a number of a possible length do not count."""
    impossible = pd.Series(["+1 555 123 456",       # 9 digits after +1: too short for North America
                            "+44 20 7946 09581",    # 11 digits after +44: too long for the UK
                            "+33 1 23 45 67 890",   # 10 digits after +33: too long for France
                            "+999 123 456 7890",    # no country has the code 999
                            "234-567-890-1234"])    # 13 digits, no country code: no plan here has them
    for value in impossible:
        assert det.phone_fraction(pd.Series([value]), plain_digits=True) == 0.0, value
    possible = pd.Series(["(555) 123-4567", "+49 30 1234567", "+34 912 345 678", "06 12 34 56 78",
                          "+39 0925141776"])
    assert det.phone_fraction(possible) == 1.0
    assert det.phone_fraction(pd.concat([possible, impossible], ignore_index=True)) == pytest.approx(0.5)
    assert det.phone_fraction(pd.concat([possible, impossible], ignore_index=True),
                              np.array([9] * 5 + [1] * 5)) == pytest.approx(0.9)


def _wrong_last(value: str, alphabet: str) -> str:
    """``value`` with its last character (the check) replaced by the next one of ``alphabet``."""
    return value[:-1] + alphabet[(alphabet.index(value[-1]) + 1) % len(alphabet)]


@pytest.mark.parametrize(("scheme", "locale", "method", "alphabet"), [
    ("dni", "es_ES", "nif", "ABCDEFGHJKLMNPQRSTVWXYZ"), ("nie", "es_ES", "nie", "ABCDEFGHJKLMNPQRSTVWXYZ"),
    ("codice_fiscale", "it_IT", "ssn", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), ("bsn", "nl_NL", "ssn", "0123456789"),
    ("sin", "en_CA", "ssn", "0123456789")])
def test_national_id_validators_reject_wrong_check_characters(scheme: str, locale: str, method: str,
                                                             alphabet: str):
    fake = Faker(locale)
    fake.seed_instance(11)
    good = pd.Series([getattr(fake, method)() for _ in range(300)])
    valid = det.NATIONAL_ID_VALIDATORS[scheme]
    assert valid(good).all()
    assert not valid(good.map(lambda v: _wrong_last(v, alphabet))).any()
    assert (det.national_id_schemes(good, plain_digits=True) != "").all()


def test_nir_key_and_corsica():
    fake = Faker("fr_FR")
    fake.seed_instance(3)
    good = pd.Series([fake.ssn() for _ in range(500)])
    assert det.nir_valid(good).all()
    key = good.str[-2:].astype(int)
    assert not det.nir_valid(good.str[:-2] + ((key % 97) + 1).map("{:02d}".format)).any()
    assert not det.nir_valid(good.str[:3] + "13" + good.str[5:]).any()  # month 13 does not exist
    body = 1_850_578_006_084  # a man born in May 1985 in department 78
    assert det.nir_valid(pd.Series([f"{body}{97 - body % 97:02d}", f"1 85 05 78 006 084 {97 - body % 97:02d}"])
                         ).all()
    corsica = 2_690_219_123_456  # 2A (read as 19 for the key) ...
    assert det.nir_valid(pd.Series([f"269022A123456{97 - corsica % 97:02d}"])).all()
    assert not det.nir_valid(pd.Series([f"269022B123456{97 - corsica % 97:02d}"])).any()  # ... not 2B (18)


def test_nino_rules():
    ninos = pd.Series(["AB123456C", "AB 12 34 56 D", "ce123456a", "OA123456B"])
    assert det.nino_valid(ninos).all()
    bad = pd.Series(["ZZ123456C",   # ZZ: never issued (Faker's en_GB numbers all use it)
                     "GB123456A",   # never issued
                     "DA123456A",   # D never starts one
                     "AO123456A",   # O is never the second letter
                     "AB123456E",   # suffix A-D only
                     "AB12345C"])   # six digits
    assert not det.nino_valid(bad).any()
    zz = Faker("en_GB")
    zz.seed_instance(0)
    assert det.national_id_fraction(pd.Series([zz.ssn() for _ in range(100)])) == 0.0


def test_plain_nine_digit_numbers_need_a_national_id_name():
    rng = np.random.default_rng(4)
    random9 = [f"{x:09d}" for x in rng.integers(0, 10**9, 1000)]
    nl = Faker("nl_NL")
    nl.seed_instance(4)
    bsns = [nl.ssn() for _ in range(1000)]
    ssns = [f"{a:03d}-{b:02d}-{c:04d}" for a, b, c in zip(rng.integers(1, 600, 1000), rng.integers(1, 100, 1000),
                                                          rng.integers(1, 10_000, 1000))]
    chance = det.national_id_fraction(pd.Series(random9), plain_digits=True)
    assert 0.1 < chance < 0.3  # BSN 11-proof ~ 1/11, SIN Luhn ~ 1/10 (first digit not 0 or 8)
    assert det.national_id_fraction(pd.Series(bsns)) == 0.0 and det.national_id_fraction(pd.Series(random9)) == 0.0
    table = pd.DataFrame({"value": bsns, "code": random9, "burgerservicenummer": bsns, "bsn_nr": random9,
                          "sin": rng.integers(10**8, 10**9, 1000), "nin": ssns})
    meta = Metadata.detect(table)
    assert {c.name: c.sdtype for c in meta.pii_columns} == {"burgerservicenummer": "national_id", "nin": "ssn"}
    assert meta["sin"].sdtype == "numerical"
    # SSN-shaped values stay SSNs under a national id name ('nin')


def test_integer_national_ids_need_a_name_hint():
    nl, fr = Faker("nl_NL"), Faker("fr_FR")
    nl.seed_instance(1)
    fr.seed_instance(1)
    bsn = [int(nl.ssn()) for _ in range(500)]  # some lose their leading zero
    nir = [int(v) for v in (fr.ssn() for _ in range(500)) if v.isdigit()]
    meta = Metadata.detect(pd.DataFrame({"BSN": bsn, "amount": bsn}))
    assert (meta["BSN"].sdtype, meta["BSN"].representation, meta["BSN"].detected_by) == (
        "national_id", "int", "name+value")
    assert meta["amount"].sdtype == "numerical"
    meta = Metadata.detect(pd.DataFrame({"numero_securite_sociale": nir}))
    assert meta["numero_securite_sociale"].sdtype == "national_id"


def test_national_id_name_hints():
    for name in ("NINO", "national_insurance_no", "numero_securite_sociale", "DNI", "codice fiscale",
                 "CodiceFiscale", "burgerservicenummer", "BSN", "sin", "Personalausweis", "idNacional",
                 "nationalId", "INSEE"):
        assert "national_id" in det.name_hints(name), name
    for name in ("sinister", "nominal", "signal", "dining", "business"):
        assert "national_id" not in det.name_hints(name), name


def test_weighted_fractions_and_names():
    values = pd.Series(["john@example.com", "not an email"])
    assert det.email_fraction(values, np.array([9, 1])) == pytest.approx(0.9)
    names = pd.Series(["Dr. Maria Garcia Lopez", "Hans-Peter Müller", "United States", "blue collar"])
    assert det.person_name_fraction(names) == pytest.approx(0.5)
    assert det.url_fraction(pd.Series(["https://a.example.org/x?y=1", "www.example.com", "example"])) == \
        pytest.approx(2 / 3)
    assert det.ip_address_fraction(pd.Series(["10.0.0.1", "::1", "999.1.1.1", "1.2.3"])) == 0.5


# --------------------------------------------------------------------------------- shared datasets
def _read(name: str, nrows: int = 20_000) -> pd.DataFrame:
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"shared dataset {name} is not available")
    return pd.read_csv(path, keep_default_na=False, na_values=[""], nrows=nrows, low_memory=False)


EXPECTED = {
    "adult.csv.gz": {"income": ("categorical", None, None), "age": ("numerical", "int", None),
                     "sex": ("categorical", None, None)},
    "kc_house_sales.csv.gz": {"date": ("datetime", None, "%Y-%m-%d"), "id": ("id", "int", None),
                              "zipcode": ("postal_code", "int", None),
                              "waterfront": ("categorical", "int", None), "price": ("numerical", "int", None),
                              "lat": ("numerical", "float", None)},
    "diabetes_130us.csv.gz": {"encounter_id": ("id", "int", None), "patient_nbr": ("id", "int", None),
                              "admission_type_id": ("categorical", "int", None),
                              "age": ("categorical", None, None), "metformin": ("categorical", None, None)},
    "nycflights13_flights.csv.gz": {"time_hour": ("datetime", None, "%Y-%m-%dT%H:%M:%SZ"),
                                    "tailnum": ("categorical", None, None),
                                    "dep_delay": ("numerical", "float", None)},
    "kddcup99_10pct.csv.gz": {"logged_in": ("categorical", "int", None), "num_shells": ("numerical", "int", None),
                              "src_bytes": ("numerical", "int", None)},
    "bank_marketing.csv.gz": {"contact": ("categorical", None, None), "age": ("numerical", "int", None)},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_datasets(name: str):
    table = _read(name)
    meta = Metadata.detect(table)
    pii = {c.name: c.sdtype for c in meta.pii_columns}
    assert pii == ({"zipcode": "postal_code"} if name == "kc_house_sales.csv.gz" else {})
    for column, (sdtype, rep, fmt) in EXPECTED[name].items():
        col = meta[column]
        assert (col.sdtype, col.representation) == (sdtype, rep), column
        if fmt is not None:
            assert col.datetime_format == fmt
    if name == "diabetes_130us.csv.gz":
        assert meta.primary_key == "encounter_id"
    meta.validate(table)  # detected metadata fits its own table
