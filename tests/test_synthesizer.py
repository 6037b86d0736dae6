"""The Synthesizer end to end: types kept, ranges respected, determinism, clean errors."""
from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
import torch

import veil
from veil import GaussianCopulaSynthesizer, InvalidDataError, InvalidParameterError, NotFittedError


def test_round_trip_keeps_types_ranges_and_missing_rates(mixed_table):
    synth = GaussianCopulaSynthesizer().fit(mixed_table)
    out = synth.sample(2_000, seed=1)
    assert list(out.columns) == list(mixed_table.columns)
    assert out["age"].dtype == mixed_table["age"].dtype
    assert out["age"].between(mixed_table["age"].min(), mixed_table["age"].max()).all()
    assert out["member"].dtype == bool
    assert set(out["city"].dropna()) <= set(mixed_table["city"].dropna())
    assert abs(out["income"].isna().mean() - mixed_table["income"].isna().mean()) < 0.03
    assert abs(out["city"].isna().mean() - mixed_table["city"].isna().mean()) < 0.03
    present = out["income"].dropna()
    assert (np.round(present, 2) == present).all()
    dates = pd.to_datetime(out["joined"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2020-01-01")
    # a new unique id per row, not the real ones reused in order
    assert out["customer_id"].is_unique
    # the learned dependency between age and income survives
    assert np.corrcoef(out["age"], out["income"].fillna(out["income"].median()))[0, 1] > 0.2


def test_input_table_is_not_modified(mixed_table):
    before = mixed_table.copy(deep=True)
    GaussianCopulaSynthesizer().fit(mixed_table).sample(10, seed=0)
    pd.testing.assert_frame_equal(mixed_table, before)


def test_same_seed_same_table_and_global_rng_untouched(mixed_table):
    np_state = np.random.get_state()[1].copy()
    torch_state = torch.get_rng_state().clone()
    py_state = random.getstate()
    a = GaussianCopulaSynthesizer(seed=3).fit(mixed_table).sample(500, seed=9)
    b = GaussianCopulaSynthesizer(seed=3).fit(mixed_table).sample(500, seed=9)
    pd.testing.assert_frame_equal(a, b)
    c = GaussianCopulaSynthesizer(seed=3).fit(mixed_table).sample(500, seed=10)
    assert not a.equals(c)
    assert (np.random.get_state()[1] == np_state).all()
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert random.getstate() == py_state


def test_sample_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError, match="fit"):
        GaussianCopulaSynthesizer().sample(5)
    assert issubclass(NotFittedError, AttributeError) and issubclass(NotFittedError, ValueError)


def test_parameters_are_validated_at_fit_with_a_clear_message(mixed_table):
    synth = GaussianCopulaSynthesizer(default_distribution="lognormal", enforce_rounding="yes")
    with pytest.raises(InvalidParameterError) as info:
        synth.fit(mixed_table)
    text = str(info.value)
    assert "The 'default_distribution' parameter of GaussianCopulaSynthesizer must be one of" in text
    assert "Got 'lognormal' instead." in text
    assert "'enforce_rounding'" in text  # every problem at once
    with pytest.raises(InvalidParameterError, match="not in the table"):
        GaussianCopulaSynthesizer(numerical_distributions={"nope": "norm"}).fit(mixed_table)


@pytest.mark.parametrize("bad, message", [
    (pd.DataFrame(), "no columns"),
    (pd.DataFrame({"a": [1]}), "at least 2"),
    ([[1, 2]], "DataFrame"),
])
def test_bad_tables_get_clear_errors(bad, message):
    with pytest.raises(InvalidDataError, match=message):
        GaussianCopulaSynthesizer().fit(bad)


def test_metadata_that_does_not_fit_the_table_lists_every_problem(mixed_table):
    meta = veil.Metadata.detect(mixed_table)
    meta.columns.append(veil.Column("ghost", "numerical"))
    with pytest.raises(InvalidDataError) as info:
        GaussianCopulaSynthesizer(metadata=meta).fit(mixed_table.drop(columns=["age"]))
    assert "ghost" in str(info.value) and "age" in str(info.value)


def test_fast_ml_preset_runs(mixed_table):
    out = veil.FastMLPreset().fit(mixed_table).sample(100, seed=0)
    assert out.shape == (100, mixed_table.shape[1])


def test_pii_columns_are_faked_not_learned():
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(4)
    n = 300
    table = pd.DataFrame({
        "contact": [fake.email() for _ in range(n)],
        "full_name": [fake.name() for _ in range(n)],
        "ssn": [fake.ssn() for _ in range(n)],
        "hours": np.random.default_rng(0).integers(10, 60, n),
    })
    synth = GaussianCopulaSynthesizer().fit(table)
    kinds = {c.name: c.sdtype for c in synth.metadata_}
    assert kinds["contact"] == "email" and kinds["full_name"] == "person_name" and kinds["ssn"] == "ssn"
    out = synth.sample(n, seed=0)
    for col in ("contact", "ssn"):  # identifiers: no real value comes back
        assert not set(out[col]) & set(table[col]), col
    # names are not unique: two people may share one by chance, but no more often than chance
    assert len(set(out["full_name"]) & set(table["full_name"])) <= 0.02 * n
    assert out["contact"].str.contains("@").all()
