"""PII policies in a synthesizer: hash (keyed, never stored), generalize, person_id, and fakes that never
equal a real value."""
from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from faker import Faker
from people_fixture import people_records

import veil
from veil.errors import InvalidDataError, InvalidParameterError
from veil.metadata import Metadata
from veil.pii import fake_spaces
from veil.pii.kinds import RARE_TOKEN
from veil.pii.policies import PeopleShape, generalize, keyed_hash, resolve_hash_key

KEY = "k" * 32


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return people_records(1_500, seed=3)


def _meta(table: pd.DataFrame, **policies: str) -> Metadata:
    meta = Metadata.detect(table)
    for name, policy in policies.items():
        meta.update_column(name, policy=policy)
    return meta


# ------------------------------------------------------------------------------------------ hash
def test_hashing_without_a_key_fails_clearly(records, monkeypatch):
    monkeypatch.delenv("VEIL_HASH_KEY", raising=False)
    monkeypatch.delenv("VEIL_HASH_KEY_FILE", raising=False)
    synth = veil.GaussianCopulaSynthesizer(metadata=_meta(records, ssn="hash"))
    with pytest.raises(InvalidParameterError, match="needs a secret key") as err:
        synth.fit(records)
    assert "VEIL_HASH_KEY" in str(err.value) and "ssn" in str(err.value)
    with pytest.raises(InvalidParameterError, match="at least 16"):
        resolve_hash_key("short")
    with pytest.raises(InvalidParameterError, match="does not exist"):
        resolve_hash_key(key_file="/nonexistent/key")


def test_the_key_comes_from_the_argument_the_environment_or_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv("VEIL_HASH_KEY", raising=False)
    monkeypatch.delenv("VEIL_HASH_KEY_FILE", raising=False)
    assert resolve_hash_key(KEY) == KEY.encode()
    monkeypatch.setenv("VEIL_HASH_KEY", "e" * 20)
    assert resolve_hash_key() == b"e" * 20
    monkeypatch.delenv("VEIL_HASH_KEY")
    path = tmp_path / "key"
    path.write_text("f" * 24 + "\n")
    monkeypatch.setenv("VEIL_HASH_KEY_FILE", str(path))
    assert resolve_hash_key() == b"f" * 24


def test_keyed_hash_normalises_and_depends_on_the_key():
    values = pd.Series(["123-45-6789", "123456789", None, "987-65-4321"])
    a = keyed_hash(values, KEY.encode(), "ssn")
    assert a[0] == a[1] and a[0] != a[3] and a[2] is None
    assert a[0] != keyed_hash(values, b"x" * 32, "ssn")[0]
    assert all(len(v) == 16 and int(v, 16) >= 0 for v in a.dropna())


def test_hashed_columns_are_learned_rare_values_merged_and_the_key_is_not_stored(tmp_path):
    n = 1_200
    rng = np.random.default_rng(0)
    employer = rng.choice(["Acme Corp", "Globex Inc", "Initech LLC"], n).astype(object)
    employer[:3] = ["Tiny Shop One", "Tiny Shop Two", "Tiny Shop Three"]  # held by one person each
    fake = Faker()
    fake.seed_instance(0)
    table = pd.DataFrame({"email": [fake.email() for _ in range(n)], "employer_contact": employer,
                          "amount": rng.normal(100, 10, n)})
    meta = Metadata.detect(table).update_column("employer_contact", sdtype="person_name", policy="hash")
    meta.update_column("email", policy="hash")
    synth = veil.GaussianCopulaSynthesizer(metadata=meta).fit(table, hash_key=KEY)
    out = synth.sample(2_000, seed=0)
    hashes = keyed_hash(pd.Series(employer), KEY.encode(), "person_name")
    common = set(hashes[3:])
    assert set(out["employer_contact"]) <= common | {RARE_TOKEN}
    assert set(out["employer_contact"]) >= common  # the three employers keep their hashed identity
    assert set(out["email"]) == {RARE_TOKEN}  # every e-mail is held by one person: all merged
    path = synth.save(tmp_path / "m.veil")
    with zipfile.ZipFile(path) as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist())
    assert KEY.encode() not in blob
    for name in ("Tiny Shop", "Acme", "Globex"):
        assert name.encode() not in blob
    with pytest.raises(veil.InvalidDataError, match="learned them hashed or generalized"):
        synth.sample(5, conditions={"employer_contact": "Acme"})


# ------------------------------------------------------------------------------------------ generalize
def test_generalizations():
    col = veil.Column("born", "date_of_birth", datetime_format="%Y-%m-%d", policy="generalize")
    dates = pd.Series(["1980-06-01", "1999-12-31", None])
    assert generalize(dates, col, today=pd.Timestamp("2026-01-01").date()).tolist()[:2] == [1980, 1999]
    band = veil.Column("born", "date_of_birth", datetime_format="%Y-%m-%d", policy="generalize",
                       generalization="age_band:10")
    labels = generalize(dates, band, today=pd.Timestamp("2026-01-01").date())
    assert labels.tolist()[:2] == ["40-49", "20-29"] and pd.isna(labels[2])
    zips = veil.Column("zip", "postal_code", policy="generalize")
    assert generalize(pd.Series(["98103", "02139-4307"]), zips, today=None).tolist() == ["981**", "021*******"]
    assert generalize(pd.Series([2139, 98103]), zips, today=None).tolist() == ["021**", "981**"]
    age = veil.Column("age", "numerical", representation="int", policy="generalize", generalization="band:5")
    assert generalize(pd.Series([17, 20, 64]), age, today=None).tolist() == ["15-19", "20-24", "60-64"]


def test_generalized_columns_are_learned_coarse(records):
    table = records.assign(age=np.random.default_rng(0).integers(18, 90, len(records)))
    meta = _meta(table, date_of_birth="generalize", zip="generalize", age="generalize")
    synth = veil.GaussianCopulaSynthesizer(metadata=meta).fit(table)
    out = synth.sample(500, seed=1)
    years = out["date_of_birth"].dropna()
    assert years.between(1940, 2006).all() and (years == years.round()).all()
    assert out["zip"].dropna().str.fullmatch(r"\d{3}\*\*|\(rare\)").all()  # held by < 5 people: (rare)
    assert out["age"].str.fullmatch(r"\d+-\d+").all()


def test_bad_policies_are_refused_with_reasons():
    table = pd.DataFrame({"born": ["1980-01-01"] * 20, "x": np.linspace(0, 1, 20), "city": list("abcde") * 4})
    meta = Metadata.detect(table).update_column("born", sdtype="date_of_birth")
    with pytest.raises(InvalidDataError, match="could equal a real one"):
        meta.update_column("born", policy="fake")
    with pytest.raises(InvalidDataError, match="unknown generalization"):
        meta.update_column("born", policy="generalize", generalization="month")
    with pytest.raises(InvalidDataError, match="only to PII kinds"):
        meta.update_column("city", policy="hash")
    with pytest.raises(InvalidDataError, match="cannot help match"):
        Metadata.detect(table).update_column("born", sdtype="postal_code", policy="person_id")
    meta.update_column("x", policy="generalize", generalization="band:2")  # numbers may be banded


# ------------------------------------------------------------------------------------------ person_id
def test_person_ids_keep_the_records_per_person_and_drop_the_pii(records, tmp_path):
    table = records.drop(columns=["person"])
    meta = _meta(table, name="person_id", date_of_birth="person_id", email="person_id", phone="person_id",
                 address="person_id", ssn="person_id")
    synth = veil.GaussianCopulaSynthesizer(metadata=meta).fit(table)
    out = synth.sample(20_000, seed=2)
    assert list(out.columns) == ["person_id", "visit_cost", "department", "zip"]
    real_sizes = records["person"].value_counts()
    fake_sizes = out["person_id"].value_counts()
    assert abs(fake_sizes.mean() - real_sizes.mean()) / real_sizes.mean() < 0.05
    assert fake_sizes.max() <= real_sizes.max()
    loaded = veil.load(synth.save(tmp_path / "p.veil"))
    pd.testing.assert_frame_equal(loaded.sample(300, seed=4), synth.sample(300, seed=4))


def test_fakes_are_consistent_within_a_synthetic_person(records):
    table = records.drop(columns=["person"])
    meta = _meta(table, date_of_birth="person_id", phone="person_id", address="person_id", ssn="person_id",
                 email="person_id")
    out = veil.GaussianCopulaSynthesizer(metadata=meta).fit(table).sample(3_000, seed=0)
    per_person = out.dropna(subset=["name"]).groupby("person_id")["name"].nunique()
    assert (per_person == 1).all()
    assert out["name"].nunique() > 0.5 * out["person_id"].nunique()


def test_people_shape_clips_the_largest_counts():
    shape = PeopleShape.fit(np.array([1] * 50 + [2] * 30 + [3] * 10 + [40, 50, 60, 70, 80, 90]))
    assert shape.sizes.max() == 50  # the fifth largest: no one's exact count of 60-90 is kept
    labels = shape.assign(10_000, np.random.default_rng(0))
    assert len(labels) == 10_000 and np.all(np.diff(labels) >= 0)
    assert PeopleShape.from_state(shape.state()).state() == shape.state()


# ------------------------------------------------------------------------------------------ fakes
def test_fakes_never_equal_a_real_value_even_when_real_values_sit_in_the_reserved_space():
    fake = Faker()
    fake.seed_instance(9)
    real = pd.Series([fake.email() for _ in range(300)] + ["someone@example.com", "x@mail.example"])
    space = fake_spaces.choose_space("email", real, "contact")
    assert space == 2  # example.com and mail.example hold real values here: the next space is used
    fakes = fake_spaces.fake_in_space("email", 5_000, rng=np.random.default_rng(0), locale="en_US", space=space)
    assert not set(pd.Series(fakes).str.lower()) & set(real.str.lower())
    every_space = pd.Series(["a@example.com", "b@mail.example", "c@mail.test"])
    with pytest.raises(InvalidDataError, match="use the policy 'drop' or 'hash'"):
        fake_spaces.choose_space("email", every_space, "contact")


@pytest.mark.parametrize("kind", sorted(fake_spaces.SPACES))
def test_every_reserved_space_holds_its_fakes(kind):
    for index, space in enumerate(fake_spaces.SPACES[kind]):
        values = fake_spaces.fake_in_space(kind, 500, rng=np.random.default_rng(index), locale="en_US", space=index)
        assert space.contains(pd.Series(values)).all()
