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
#:   fake  - the column is not learned; synthetic rows get realistic fake values of the same kind
#:   drop  - the column is not learned and not written
#:   model - the column is learned like an ordinary column (quasi-identifiers)
POLICIES: tuple[str, ...] = ("fake", "drop", "model")

#: PII kinds whose modelled values are dates
DATE_KINDS = frozenset({"date_of_birth"})
