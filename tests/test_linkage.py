"""Record linkage: the records of one real person get one person number (veil.pii.linkage)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from people_fixture import pairwise_scores, people_records

from veil.errors import InvalidDataError, InvalidParameterError
from veil.pii.linkage import Linkage, link_records
from veil.pii.nicknames import canonical_given_name

FIELDS = {"name": "name", "date_of_birth": "date_of_birth", "email": "email", "phone": "phone",
          "address": "address", "ssn": "exact"}


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return people_records(20_000, seed=0)


@pytest.fixture(scope="module")
def linked(records: pd.DataFrame) -> Linkage:
    return link_records(records, FIELDS)


def test_twenty_thousand_people_are_found_with_high_precision_and_recall(records, linked):
    """The acceptance figure: 20,000 fictional people with 1-5 noisy records each (about 60,000 rows)."""
    scores = pairwise_scores(records["person"].to_numpy(), linked.labels)
    assert scores["precision"] >= 0.98, scores
    assert scores["recall"] >= 0.95, scores
    assert abs(linked.n_people - 20_000) / 20_000 < 0.02
    assert linked.records_per_person().sum() == len(records)


def test_linkage_is_deterministic_and_does_not_depend_on_row_order(records, linked):
    again = link_records(records, FIELDS)
    np.testing.assert_array_equal(again.labels, linked.labels)
    order = np.random.default_rng(5).permutation(len(records))
    shuffled = link_records(records.iloc[order].reset_index(drop=True), FIELDS)
    # the same partition: two rows share a person in one run exactly when they do in the other
    scores = pairwise_scores(linked.labels[order], shuffled.labels)
    assert scores["precision"] == 1.0 and scores["recall"] == 1.0
    # numbered in order of first appearance
    first_seen = pd.unique(linked.labels)
    np.testing.assert_array_equal(first_seen, np.arange(linked.n_people))


def test_the_table_is_not_modified(records):
    before = records.copy()
    link_records(records.head(500), FIELDS)
    pd.testing.assert_frame_equal(records, before)


def _people(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["name", "date_of_birth", "email", "phone", "address", "ssn"])


def test_noise_of_real_data_entry_still_matches():
    table = _people([
        {"name": "Robert Miller", "date_of_birth": "1970-03-04", "phone": "(415) 555-2671",
         "address": "12 Oak Street Apt. 4", "email": "rmiller@gmail.com"},
        {"name": "MILLER, BOB", "date_of_birth": "1970-03-04", "phone": "+1 415 555 2671"},  # order, case, nickname
        {"name": "Robert Mlilre", "date_of_birth": "1970-03-04", "email": "rmiller@yahoo.com",  # typos, new domain
         "address": "12 Oak St #4"},
        {"name": "Rob Miller", "phone": "415.555.2671", "address": "12 oak street, apt 4"},  # no date of birth
    ])
    assert link_records(table, FIELDS).labels.tolist() == [0, 0, 0, 0]


def test_household_members_stay_apart():
    """Same surname, address and home phone, different given name and birth date: two people."""
    table = _people([
        {"name": "Anna Kowalski", "date_of_birth": "1980-01-02", "phone": "312-555-0100", "address": "5 Elm Rd"},
        {"name": "Piotr Kowalski", "date_of_birth": "1978-06-30", "phone": "312-555-0100", "address": "5 Elm Rd"},
        {"name": "Piotr Kowalski", "phone": "312-555-0100", "address": "5 Elm Road"},
    ])
    assert link_records(table, FIELDS).labels.tolist() == [0, 1, 1]


def test_an_exact_identifier_decides_both_ways():
    table = _people([
        {"name": "Lee Chan", "date_of_birth": "1990-05-05", "ssn": "123-45-6789"},
        {"name": "Li Chen", "ssn": "123456789"},  # different spelling, same SSN
        {"name": "Lee Chan", "date_of_birth": "1990-05-05", "ssn": "987-65-4321"},  # same name and date, other SSN
    ])
    assert link_records(table, FIELDS).labels.tolist() == [0, 0, 1]


def test_placeholder_values_shared_by_many_do_not_merge_them():
    n = 600
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    names = [" ".join("".join(rng.choice(letters, 7)).capitalize() for _ in range(2)) for _ in range(n)]
    table = _people([{"name": names[i], "phone": "000-000-0000", "email": "none@none.com",
                      "date_of_birth": f"19{rng.integers(40, 99)}-0{rng.integers(1, 9)}-1{rng.integers(0, 9)}"}
                     for i in range(n)])
    result = link_records(table, FIELDS)
    assert result.n_people > 0.99 * n


def test_nicknames_map_to_one_given_name():
    assert canonical_given_name("bob") == canonical_given_name("robert") == "robert"
    assert canonical_given_name("liz") == "elizabeth"
    assert canonical_given_name("zebedee") == "zebedee"


def test_first_and_last_name_columns():
    table = pd.DataFrame({"given": ["Bill", "William", "Wilma"], "family": ["Ortiz", "Ortiz", "Ortiz"],
                          "born": ["2001-02-03", "3 Feb 2001", "2001-02-03"]})
    result = link_records(table, {"given": "first_name", "family": "last_name", "born": "date_of_birth"})
    assert result.labels.tolist() == [0, 0, 1]


def test_bad_fields_raise_clear_errors(records):
    with pytest.raises(InvalidDataError, match="not in the table"):
        link_records(records, {"nope": "name"})
    with pytest.raises(InvalidParameterError, match="unknown roles"):
        link_records(records, {"name": "full name"})
    with pytest.raises(InvalidParameterError, match="at least one column"):
        link_records(records, {})
    with pytest.raises(InvalidDataError, match="DataFrame"):
        link_records([1, 2], FIELDS)


def test_empty_and_tiny_tables():
    empty = _people([])
    assert link_records(empty, FIELDS).n_people == 0
    one = _people([{"name": "Ada Byron"}])
    assert link_records(one, FIELDS).labels.tolist() == [0]
