"""A fictional table of people with several records each, made with Faker, for the record-linkage tests
and benchmark. Nothing here is real.

Each person has 1-5 records. Records copy the person's details with the noise of real data entry:
swapped letters, nicknames, a changed e-mail domain, phones written differently, abbreviated street
words, and missing fields. Households (a partner or a child at the same address, with the same surname
and home phone) make wrong merges possible. ``person`` is the ground truth.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from faker import Faker

#: formal name -> nicknames written in the fixture's records (a few common English ones)
NICKNAMES = {
    "Robert": ["Bob", "Rob", "Bobby"], "William": ["Bill", "Will", "Billy"], "Richard": ["Rick", "Dick", "Rich"],
    "James": ["Jim", "Jimmy"], "John": ["Jack", "Johnny"], "Michael": ["Mike", "Mikey"],
    "Christopher": ["Chris"], "Jennifer": ["Jen", "Jenny"], "Elizabeth": ["Liz", "Beth", "Betsy"],
    "Katherine": ["Kate", "Kathy"], "Margaret": ["Maggie", "Peggy"], "Thomas": ["Tom", "Tommy"],
    "Daniel": ["Dan", "Danny"], "Joseph": ["Joe", "Joey"], "Anthony": ["Tony"], "Matthew": ["Matt"],
    "Patricia": ["Pat", "Patty"], "Susan": ["Sue"], "Deborah": ["Debbie", "Deb"], "Rebecca": ["Becky"],
    "Jessica": ["Jess"], "Samantha": ["Sam"], "Alexander": ["Alex"], "Benjamin": ["Ben"],
    "Nicholas": ["Nick"], "Jonathan": ["Jon"], "Timothy": ["Tim"], "Steven": ["Steve"], "Stephen": ["Steve"],
    "Edward": ["Ed", "Eddie"], "Charles": ["Charlie", "Chuck"], "David": ["Dave"], "Andrew": ["Andy", "Drew"],
    "Kenneth": ["Ken"], "Ronald": ["Ron"], "Donald": ["Don"], "Gregory": ["Greg"], "Jeffrey": ["Jeff"],
    "Kimberly": ["Kim"], "Christina": ["Chris", "Tina"], "Victoria": ["Vicky"], "Cynthia": ["Cindy"],
    "Pamela": ["Pam"], "Abigail": ["Abby"], "Zachary": ["Zach"], "Nathaniel": ["Nate"], "Joshua": ["Josh"],
}
_STREET_ABBREVIATIONS = {" Street": " St", " Avenue": " Ave", " Road": " Rd", " Drive": " Dr", " Lane": " Ln",
                         " Court": " Ct", " Boulevard": " Blvd", " Suite ": " Ste ", " Apt. ": " #"}
_FREE_MAIL = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com")


def _swap_letters(word: str, rng: np.random.Generator) -> str:
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 2))
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _phone_style(digits: str, style: int) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return (f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"{a}{b}{c}",
            f"1-{a}-{b}-{c}")[style]


def _people(n: int, fake: Faker, rng: np.random.Generator) -> pd.DataFrame:
    male = rng.random(n) < 0.5
    first = [fake.first_name_male() if m else fake.first_name_female() for m in male]
    # a share of formal names that have nicknames, so the nickname noise has something to work on
    formal = [k for k in NICKNAMES]
    use_formal = rng.random(n) < 0.25
    first = [formal[int(rng.integers(len(formal)))] if f else name for f, name in zip(use_formal, first)]
    last = [fake.last_name() for _ in range(n)]
    dob = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 365 * 65, n), unit="D")
    phone = [f"{rng.integers(201, 990)}{rng.integers(200, 1000)}{rng.integers(0, 10_000):04d}" for _ in range(n)]
    people = pd.DataFrame({
        "first": first, "last": last, "dob": dob, "phone": phone,
        "address": [fake.street_address() for _ in range(n)],
        "city": [fake.city() for _ in range(n)], "zip": [fake.zipcode() for _ in range(n)],
        "ssn": [fake.unique.ssn() for _ in range(n)],
    })
    people["email"] = [
        f"{f.lower()}{sep}{ln.lower()}{'' if d < 0 else d}@{_FREE_MAIL[int(k)]}".replace(" ", "").replace("'", "")
        for f, ln, sep, d, k in zip(people["first"], people["last"], rng.choice([".", "_", ""], n),
                                    np.where(rng.random(n) < 0.4, rng.integers(1, 99, n), -1),
                                    rng.integers(0, len(_FREE_MAIL), n))]
    # an e-mail address belongs to one person: repeated ones get a number, as a mail provider would insist
    repeat = people["email"].duplicated()
    local_domain = people.loc[repeat, "email"].str.split("@", n=1)
    people.loc[repeat, "email"] = (local_domain.str[0] + (np.flatnonzero(repeat) % 997 + 100).astype(str) + "@"
                                   + local_domain.str[1])
    people["email"] = people["email"].where(~people["email"].duplicated(), people.index.astype(str) + "." +
                                            people["email"])
    # households: about 10 % of people live with the person before them (same surname, address, phone)
    home = np.flatnonzero(rng.random(n) < 0.10)
    home = home[home > 0]
    for col in ("last", "address", "city", "zip", "phone"):
        people.loc[home, col] = people[col].to_numpy()[home - 1]
    return people


def people_records(n_people: int = 20_000, *, seed: int = 0, max_records: int = 5) -> pd.DataFrame:
    """Records of ``n_people`` fictional people (1..``max_records`` each, shuffled), with a ``person``
    column giving the ground truth."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    people = _people(n_people, fake, rng)
    counts = rng.integers(1, max_records + 1, n_people)
    person = np.repeat(np.arange(n_people), counts)
    rec = people.iloc[person].reset_index(drop=True)
    n = len(rec)
    r = rng.random((n, 12))
    first = rec["first"].to_numpy(dtype=object).copy()
    last = rec["last"].to_numpy(dtype=object).copy()
    for i in np.flatnonzero(r[:, 0] < 0.15):  # nickname
        nick = NICKNAMES.get(first[i])
        if nick:
            first[i] = nick[int(rng.integers(len(nick)))]
    for i in np.flatnonzero(r[:, 1] < 0.08):
        first[i] = _swap_letters(first[i], rng)
    for i in np.flatnonzero(r[:, 2] < 0.08):
        last[i] = _swap_letters(last[i], rng)
    name = pd.Series(first) + " " + pd.Series(last)
    upper = r[:, 3] < 0.05
    name[upper] = name[upper].str.upper()
    last_first = (r[:, 3] >= 0.05) & (r[:, 3] < 0.10)
    name[last_first] = pd.Series(last)[last_first] + ", " + pd.Series(first)[last_first]

    email = rec["email"].to_numpy(dtype=object).copy()
    for i in np.flatnonzero(r[:, 4] < 0.15):  # a changed domain
        local = email[i].split("@")[0]
        email[i] = f"{local}@{_FREE_MAIL[int(rng.integers(len(_FREE_MAIL)))]}"
    styles = rng.integers(0, 6, n)
    phone = [_phone_style(p, int(s)) for p, s in zip(rec["phone"], styles)]
    address = rec["address"].to_numpy(dtype=object).copy()
    for i in np.flatnonzero(r[:, 5] < 0.3):
        for long, short in _STREET_ABBREVIATIONS.items():
            address[i] = address[i].replace(long, short)
    dob = rec["dob"].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    ssn = rec["ssn"].to_numpy(dtype=object).copy()
    no_dash = r[:, 6] < 0.2
    ssn[no_dash] = [s.replace("-", "") for s in ssn[no_dash]]

    out = pd.DataFrame({"name": name.to_numpy(dtype=object), "date_of_birth": dob, "email": email,
                        "phone": phone, "address": address, "zip": rec["zip"].to_numpy(dtype=object),
                        "ssn": ssn, "person": person})
    # missing fields; the SSN is known for only some records
    for col, rate, k in (("email", 0.12, 7), ("phone", 0.12, 8), ("address", 0.10, 9), ("date_of_birth", 0.05, 10),
                         ("ssn", 0.55, 11)):
        out.loc[r[:, k] < rate, col] = None
    order = rng.permutation(n)
    out = out.iloc[order].reset_index(drop=True)
    # ordinary columns next to the personal data
    out.insert(0, "visit_cost", np.round(rng.lognormal(5, 1, n), 2))
    out.insert(1, "department", rng.choice(["cardiology", "oncology", "radiology", "pediatrics"], n))
    return out


def pairwise_scores(true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Pairwise precision and recall of a clustering: pairs of records put together that belong together."""
    def pairs(counts: np.ndarray) -> float:
        c = counts.astype(np.float64)
        return float((c * (c - 1) / 2).sum())

    both = pd.DataFrame({"t": true, "p": predicted}).value_counts().to_numpy()
    tp = pairs(both)
    predicted_pairs = pairs(pd.Series(predicted).value_counts().to_numpy())
    true_pairs = pairs(pd.Series(true).value_counts().to_numpy())
    return {"precision": tp / predicted_pairs if predicted_pairs else 1.0,
            "recall": tp / true_pairs if true_pairs else 1.0, "true_pairs": true_pairs,
            "predicted_pairs": predicted_pairs}
