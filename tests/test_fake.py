"""Fake PII values: valid for their kind, reproducible, varied, fast, and never equal to avoided values."""
from __future__ import annotations

import ipaddress
import re
import time

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from veil.errors import InvalidParameterError
from veil.metadata import Metadata
from veil.pii import detectors as det
from veil.pii.fake import (
    FAKE_KINDS,
    NATIONAL_ID_SCHEMES,
    email_from_names,
    fake_like,
    fake_person,
    fake_values,
    iban_is_valid,
    id_spec,
)
from veil.pii.kinds import PII_KINDS
from veil.sample.resynthesis import ColumnResynthesizer

N = 5000


def values(kind: str, n: int = N, seed: int = 0, **kw) -> np.ndarray:
    return fake_values(kind, n, rng=np.random.default_rng(seed), **kw)


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def test_every_pii_kind_has_a_generator():
    assert set(PII_KINDS) | {"id"} == set(FAKE_KINDS)


@pytest.mark.parametrize("kind", FAKE_KINDS)
def test_shape_and_type(kind):
    v = values(kind, 257)
    assert v.shape == (257,)
    if kind == "date_of_birth":
        assert v.dtype == np.dtype("datetime64[D]")
    elif kind == "id":
        assert v.dtype == np.int64
    else:
        assert v.dtype == object
        assert all(isinstance(x, str) and x for x in v)
    assert len(values(kind, 0)) == 0


@pytest.mark.parametrize("kind", FAKE_KINDS)
def test_same_seed_same_values(kind):
    np.testing.assert_array_equal(values(kind, 500, seed=7), values(kind, 500, seed=7))
    assert not np.array_equal(values(kind, 500, seed=7), values(kind, 500, seed=8))


def test_ssn_follows_ssa_rules():
    v = values("ssn")
    assert all(re.fullmatch(r"\d{3}-\d{2}-\d{4}", s) for s in v)
    area = np.array([int(s[:3]) for s in v])
    group = np.array([int(s[4:6]) for s in v])
    serial = np.array([int(s[7:]) for s in v])
    assert area.min() >= 1 and area.max() <= 899 and not (area == 666).any()
    assert group.min() >= 1 and serial.min() >= 1


def test_credit_cards_pass_luhn_with_network_prefix():
    v = values("credit_card")
    assert all(luhn_ok(s) for s in v)
    for s in v:
        if s[0] == "4":
            assert len(s) == 16
        elif s[0] == "5":
            assert len(s) == 16 and "51" <= s[:2] <= "55"
        else:
            assert s[:2] in ("34", "37") and len(s) == 15
    assert {s[0] for s in v} == {"3", "4", "5"}


def test_ibans_pass_mod_97():
    v = values("iban")
    assert all(iban_is_valid(s) for s in v)
    assert {s[:2] for s in v} == {"DE", "GB"}
    assert all(len(s) == 22 for s in v)  # both DE and GB IBANs are 22 characters
    assert {s[:2] for s in values("iban", 200, locale="de_DE")} == {"DE"}
    assert not iban_is_valid("DE00" + v[0][4:])  # the checker itself rejects wrong check digits


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _reference_check(scheme: str, value: str) -> bool:
    """Each scheme's check written out plainly, one value at a time (independent of veil's vectorised one)."""
    if scheme == "nino":
        return bool(re.fullmatch(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]", value)) and value[:2] not in (
            "BG", "GB", "KN", "NK", "NT", "TN", "ZZ")
    if scheme == "nir":
        body = value[:5] + {"2A": "19", "2B": "18"}.get(value[5:7], value[5:7]) + value[7:13]
        return len(value) == 15 and value[0] in "12" and 1 <= int(value[3:5]) <= 12 and \
            int(value[13:]) == 97 - int(body) % 97
    if scheme in ("dni", "nie"):
        number = value[:-1].replace("X", "0").replace("Y", "1").replace("Z", "2")
        shape = r"\d{8}[A-Z]" if scheme == "dni" else r"[XYZ]\d{7}[A-Z]"
        return bool(re.fullmatch(shape, value)) and _DNI_LETTERS[int(number) % 23] == value[-1]
    if scheme == "codice_fiscale":
        from faker.providers.ssn.it_IT import checksum  # Faker's own implementation of the official tables

        return len(value) == 16 and checksum(value[:15]) == value[15]
    if scheme == "bsn":
        return len(value) == 9 and value.isdigit() and \
            (sum((9 - i) * int(d) for i, d in enumerate(value[:8])) - int(value[8])) % 11 == 0
    assert scheme == "sin"
    return len(value) == 9 and value.isdigit() and value[0] not in "08" and luhn_ok(value)


@pytest.mark.parametrize("scheme", NATIONAL_ID_SCHEMES)
def test_national_ids_pass_their_checks(scheme):
    v = values("national_id", 2000, spec={"scheme": scheme})
    assert all(_reference_check(scheme, s) for s in v)
    assert (det.national_id_schemes(pd.Series(v), plain_digits=True) != "").all()
    assert det.national_id_scheme(pd.Series(v)) == scheme
    assert len(set(v)) > 1900


def test_national_id_scheme_follows_the_locale():
    expected = {"en_GB": "nino", "fr_FR": "nir", "es_ES": "dni", "it_IT": "codice_fiscale", "nl_NL": "bsn",
                "en_CA": "sin", "en_US": "nino", "de_DE": "nino"}
    for locale, scheme in expected.items():
        v = values("national_id", 300, locale=locale)
        assert all(_reference_check(scheme, s) for s in v), locale
    with pytest.raises(InvalidParameterError, match="scheme"):
        values("national_id", 3, spec={"scheme": "passport"})
    with pytest.raises(InvalidParameterError, match="locale"):
        values("national_id", 3, locale="english")


def test_national_ids_avoid_real_values_written_differently():
    real = values("national_id", 400, seed=2, spec={"scheme": "nino"})
    spaced = {f"{s[:2]} {s[2:4]} {s[4:6]} {s[6:8]} {s[8]}".lower() for s in real}
    out = fake_like("national_id", 400, rng=np.random.default_rng(2), avoid=spaced, spec={"scheme": "nino"})
    assert not set(out) & set(real)
    assert all(_reference_check("nino", s) for s in out)


def test_national_id_columns_are_faked_in_their_own_scheme():
    """Detected, not learned, and made anew at sampling time in the scheme found in the column: its shape,
    with one of its rules broken on purpose (a check letter never used, an 11-proof that fails), so that
    no fake can be anyone's number (veil.pii.fake_spaces)."""
    nl, es = Faker("nl_NL"), Faker("es_ES")
    nl.seed_instance(0)
    es.seed_instance(0)
    table = pd.DataFrame({"documento": [es.nif() for _ in range(500)],
                          "bsn": [int(nl.ssn()) for _ in range(500)],
                          "extranjero": [es.nie() if i % 10 else None for i in range(500)]})
    meta = Metadata.detect(table)
    assert all(c.sdtype == "national_id" and not c.learned and c.effective_policy == "fake" for c in meta)
    resynth = ColumnResynthesizer.fit(meta, table)  # the default locale, en_US, would give UK numbers
    state = resynth.state()
    assert {c["name"]: c["scheme"] for c in state["columns"]} == {"documento": "dni", "bsn": "bsn",
                                                                  "extranjero": "nie"}
    out = ColumnResynthesizer.from_state(state).sample(1000, rng=np.random.default_rng(0))
    assert out["documento"].str.fullmatch(r"\d{8}[IOU]").all()
    assert not any(_reference_check("dni", s) for s in out["documento"])
    assert out["bsn"].dtype == np.int64 and not any(_reference_check("bsn", f"{s:09d}") for s in out["bsn"])
    present = out["extranjero"].dropna()
    assert 0.8 < len(present) / 1000 < 0.98 and present.str.fullmatch(r"[XYZ]\d{7}[IOU]").all()
    assert not set(out["documento"]) & set(table["documento"])


def test_ip_addresses_are_public_unicast():
    for s in values("ip_address"):
        ip = ipaddress.ip_address(s)
        assert ip.version == 4 and ip.is_global and not ip.is_multicast


def test_emails_phones_urls_postal_codes_look_right():
    assert all(re.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+\.[a-z]{2,}", s) for s in values("email"))
    phones = values("phone")
    assert all(re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}|\d{3}-\d{3}-\d{4}", s) for s in phones)
    areas = np.array([int(re.sub(r"\D", "", s)[:3]) for s in phones])
    assert areas.min() >= 200 and not np.isin(areas % 100, [11]).any()
    assert all(re.fullmatch(r"https?://[a-z.-]+\.[a-z]+(/|/[a-z]+/|/[a-z]+/[a-z]+\.html)?", s)
               for s in values("url"))
    assert all(re.fullmatch(r"\d{5}", s) for s in values("postal_code"))
    assert all(re.fullmatch(r"\d{3,5} [A-Za-z' -]+( (Apt\.|Suite) \d{3})?", s) for s in values("street_address"))


def test_dates_of_birth_in_range():
    v = values("date_of_birth")
    assert v.min() >= np.datetime64("1930-01-01") and v.max() <= np.datetime64("2008-12-31")
    years = v.astype("datetime64[Y]").astype(int) + 1970
    assert len(np.unique(years)) > 70


def test_names_are_varied():
    v = values("person_name", 10_000)
    assert len(set(v)) / len(v) > 0.9
    assert all(len(s.split(" ")) >= 2 for s in v)


def test_gendered_first_names_and_emails_from_names():
    rng = np.random.default_rng(3)
    sex = np.array(["M", "F"] * 500)
    first, _ = fake_person(1000, rng=rng, sex=sex)
    from faker.providers.person.en_US import Provider

    assert set(first[sex == "M"]) <= set(Provider.first_names_male)
    assert set(first[sex == "F"]) <= set(Provider.first_names_female)
    emails = email_from_names(np.array(["José", "Mary"], dtype=object), np.array(["O'Neil", "Smith"], dtype=object),
                              rng=rng)
    assert all(e.isascii() and e == e.lower() for e in emails)
    assert "oneil" in emails[0] or "jose" in emails[0]


def test_other_locale_and_bad_locale():
    assert len(values("person_name", 50, locale="de_DE")) == 50
    with pytest.raises(InvalidParameterError, match="locale"):
        values("person_name", 5, locale="xx_XX")


def test_bad_arguments_are_clear():
    with pytest.raises(InvalidParameterError, match="unknown kind"):
        values("shoe_size")
    with pytest.raises(InvalidParameterError, match="n must be"):
        fake_values("ssn", -1, rng=np.random.default_rng(0))
    with pytest.raises(InvalidParameterError, match="Generator"):
        fake_values("ssn", 3, rng=0)


# ------------------------------------------------------------------------------------------- ids
def test_integer_ids_are_unique_and_keep_digits():
    spec = id_spec(pd.Series(np.arange(1000, 9000)))
    assert spec == {"type": "int", "digits": 4}
    v = fake_values("id", 2000, rng=np.random.default_rng(0), spec=spec)
    assert len(set(v)) == 2000 and v.min() >= 1000 and v.max() <= 9999
    v = fake_values("id", 50_000, rng=np.random.default_rng(0), spec=spec)  # needs more room: widened
    assert len(set(v)) == 50_000


def test_string_ids_keep_shape_but_no_values():
    real = [f"CUST-{i:05d}" for i in range(200)]
    spec = id_spec(real)
    assert spec == {"type": "str", "pattern": [["lit", "CUST-"], ["digit", 5]]}
    v = fake_values("id", 3000, rng=np.random.default_rng(0), spec=spec)
    assert len(set(v)) == 3000 and all(re.fullmatch(r"CUST-\d{5}", s) for s in v)
    uuids = [f"{i:08x}-ab{i % 100:02d}-4{i % 999:03x}-9abc-{i * 7919:012x}" for i in range(1, 300)]
    spec = id_spec(uuids)
    v = fake_values("id", 100, rng=np.random.default_rng(0), spec=spec)
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", s) for s in v)


def test_few_examples_do_not_leak_letters():
    spec = id_spec(["AB-12", "AB-34"])  # too few examples to call "AB" a shared prefix
    assert spec["pattern"][0] == ["upper", 2] and ["lit", "-"] in spec["pattern"]


def test_bad_id_spec():
    with pytest.raises(InvalidParameterError, match="id spec"):
        fake_values("id", 3, rng=np.random.default_rng(0), spec={"type": "int", "digits": 0})
    with pytest.raises(InvalidParameterError, match="pattern part"):
        fake_values("id", 3, rng=np.random.default_rng(0), spec={"type": "str", "pattern": [["emoji", 2]]})


# ----------------------------------------------------------------------------------------- avoid
def test_avoid_set_is_honoured():
    seeded = fake_values("ssn", 300, rng=np.random.default_rng(5))
    avoid = {s.replace("-", "") for s in seeded[:150]}  # the same SSNs written without dashes
    out = fake_like("ssn", 300, rng=np.random.default_rng(5), avoid=avoid)
    assert not {s.replace("-", "") for s in out} & avoid
    assert (out[150:] == seeded[150:]).sum() > 100  # the first draw is kept where it did not collide
    real = values("person_name", 2000)
    names = fake_like("person_name", 2000, rng=np.random.default_rng(0), avoid={n.upper() for n in real})
    assert not {n.lower() for n in names} & {n.lower() for n in real}
    emails = values("email", 1000)
    out = fake_like("email", 1000, rng=np.random.default_rng(0), avoid=list(emails))
    assert not set(out) & set(emails)


def test_avoid_for_ids_and_dates():
    avoid = set(range(100_000, 1_000_000, 2))  # every even 6-digit id
    v = fake_like("id", 1000, rng=np.random.default_rng(0), avoid=avoid, spec={"type": "int", "digits": 6})
    assert (v % 2 == 1).all() and len(set(v)) == 1000
    days = values("date_of_birth", 1000)
    avoid_dates = {str(d) for d in days[:500]}
    v = fake_like("date_of_birth", 1000, rng=np.random.default_rng(0), avoid=avoid_dates)
    assert not set(v.astype(str)) & avoid_dates


def test_impossible_avoid_set_raises():
    every_zip = [f"{i:05d}" for i in range(100_000)]
    with pytest.raises(InvalidParameterError, match="avoid"):
        fake_like("postal_code", 10, rng=np.random.default_rng(0), avoid=every_zip)


# ----------------------------------------------------------------------------------------- speed
@pytest.mark.parametrize("kind", FAKE_KINDS)
def test_200k_values_fast(kind):
    fake_values(kind, 10, rng=np.random.default_rng(0))  # warm the word-list cache
    start = time.perf_counter()
    v = fake_values(kind, 200_000, rng=np.random.default_rng(0))
    elapsed = time.perf_counter() - start
    assert len(v) == 200_000
    assert elapsed < 3.0, f"{kind}: {elapsed:.2f}s"  # < 1 s on a laptop; generous against slow CI
