"""The kinds of personal data veil recognises and what it does with each by default.

Direct identifiers (a name, an email, an SSN...) point at one person on their own: by default they are
replaced with realistic fake values that the model never learns. Quasi-identifiers (date of birth,
postal code) are only identifying in combination: by default they are modelled like any other column,
so that the synthetic table keeps their statistics, and value protection guards their rare values.
"""
from __future__ import annotations

#: kind -> default policy
DEFAULT_POLICY: dict[str, str] = {
    "email": "fake",
    "phone": "fake",
    "ssn": "fake",
    "national_id": "fake",
    "credit_card": "fake",
    "iban": "fake",
    "ip_address": "fake",
    "url": "fake",
    "person_name": "fake",
    "street_address": "fake",
    "date_of_birth": "model",
    "postal_code": "model",
}

PII_KINDS: frozenset[str] = frozenset(DEFAULT_POLICY)

#: What a policy does with a PII column.
#:   fake       - not learned; synthetic rows get realistic fake values of the same kind, from a space no
#:                real value is in (see veil.pii.fake_spaces)
#:   drop       - not learned and not written
#:   model      - learned like an ordinary column (quasi-identifiers)
#:   hash       - replaced by its keyed HMAC-SHA256 (the key is given at fit, never stored) and learned as a
#:                category; values held by fewer than RARE_PEOPLE people become one RARE_TOKEN
#:   generalize - coarsened, then learned: a date of birth to its year or an age band, a postal code to a
#:                prefix, a number (such as an age) to a band
#:   person_id  - used to find the records of one real person (veil.pii.linkage), then dropped; the output
#:                gets a pseudonymous person id column, and the number of records per person is kept
POLICIES: tuple[str, ...] = ("fake", "drop", "model", "hash", "generalize", "person_id")

#: generalize: kind -> the generalizations it allows (the first is its default). ``:N`` sets a width
#: ("prefix:3" keeps three characters, "band:10" makes bands ten wide, "age_band:10" ten years)
GENERALIZATIONS: dict[str, tuple[str, ...]] = {
    "date_of_birth": ("year", "age_band:10"),
    "postal_code": ("prefix:3",),
    "numerical": ("band:10",),
}

#: hash: a hashed value held by fewer people than this is replaced by RARE_TOKEN
RARE_PEOPLE = 5
RARE_TOKEN = "(rare)"

#: PII kinds whose modelled values are dates
DATE_KINDS = frozenset({"date_of_birth"})
