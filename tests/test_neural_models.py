"""CTGAN, TVAE and CopulaGAN end to end on small tables (small budgets; the benchmarks judge quality)."""
from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
import torch

import veil
from veil import (
    CopulaGANSynthesizer,
    CTGANSynthesizer,
    InvalidDataError,
    InvalidParameterError,
    TableGANSynthesizer,
    TGANSynthesizer,
    TVAESynthesizer,
)


@pytest.fixture(scope="module")
def people():
    rng = np.random.default_rng(0)
    n = 1_000
    sex = rng.choice(["Female", "Male"], size=n, p=[0.3, 0.7])
    hours = np.where(sex == "Female", rng.normal(30, 4, n), rng.normal(45, 4, n)).round().astype(int)
    income = np.round(np.exp(9 + hours / 40 + rng.normal(0, 0.2, n)), 2)
    return pd.DataFrame({"sex": sex, "hours": hours, "income": income,
                         "group": rng.choice(["a", "b", "c", "d"], size=n)})


FAST = {"epochs": 3, "batch_size": 100}


ALL = [CTGANSynthesizer, TVAESynthesizer, CopulaGANSynthesizer, TableGANSynthesizer, TGANSynthesizer]


@pytest.mark.parametrize("cls", ALL)
def test_fit_sample_types_and_ranges(cls, people):
    synth = cls(**FAST).fit(people)
    out = synth.sample(500, seed=0)
    assert list(out.columns) == list(people.columns)
    assert out["hours"].dtype == people["hours"].dtype
    assert set(out["sex"]) <= {"Female", "Male"}
    assert out["income"].between(people["income"].min(), people["income"].max()).all()
    history = synth.loss_history_
    assert len(history) == 3 and np.isfinite(history.drop(columns="epoch").to_numpy()).all()


@pytest.mark.parametrize("cls", [CTGANSynthesizer, TVAESynthesizer, TableGANSynthesizer, TGANSynthesizer])
def test_same_seed_same_table_and_global_rng_untouched(cls, people):
    np_state, torch_state, py_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone(), random.getstate()
    a = cls(seed=1, **FAST).fit(people).sample(300, seed=5)
    b = cls(seed=1, **FAST).fit(people).sample(300, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert (np.random.get_state()[1] == np_state).all()
    assert torch.equal(torch.get_rng_state(), torch_state) and random.getstate() == py_state


@pytest.mark.parametrize("cls", [CTGANSynthesizer, TVAESynthesizer])
def test_chunks_side_by_side_give_the_same_table(cls, people, monkeypatch):
    synth = cls(**FAST).fit(people)
    monkeypatch.setattr(veil.synthesizer, "SAMPLE_CHUNK", 128)  # 5 chunks
    monkeypatch.setattr(type(synth.model_), "chunks_side_by_side", True)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one_at_a_time = synth.sample(600, seed=7)
        torch.set_num_threads(2)  # two chunks at a time, one torch thread each
        side_by_side = synth.sample(600, seed=7)
        assert torch.get_num_threads() == 2  # restored
    finally:
        torch.set_num_threads(before)
    pd.testing.assert_frame_equal(one_at_a_time, side_by_side)


@pytest.mark.parametrize("cls", ALL)
def test_save_load_round_trip(cls, people, tmp_path):
    synth = cls(**FAST).fit(people)
    again = veil.load(synth.save(tmp_path / "m.veil"))
    pd.testing.assert_frame_equal(synth.sample(200, seed=3), again.sample(200, seed=3))
    pd.testing.assert_frame_equal(synth.loss_history_, again.loss_history_)


def test_ctgan_conditions_are_exact(people):
    synth = CTGANSynthesizer(**FAST).fit(people)
    out = synth.sample(400, seed=0, conditions={"sex": "Female"})
    assert (out["sex"] == "Female").all()
    with pytest.raises(InvalidDataError, match="valid values"):
        synth.sample(10, conditions={"sex": "Other"})
    with pytest.raises(InvalidDataError, match="not in the table"):
        synth.sample(10, conditions={"nope": 1})


def test_tvae_learns_a_dependency(people):
    synth = TVAESynthesizer(epochs=40, batch_size=100).fit(people)
    out = synth.sample(2_000, seed=0)
    means = out.groupby("sex")["hours"].mean()
    assert means["Male"] - means["Female"] > 5  # real gap: 15; independent columns: 0


def test_ctgan_learns_marginals(people):
    synth = CTGANSynthesizer(epochs=30, batch_size=100).fit(people)
    out = synth.sample(2_000, seed=0)
    assert abs((out["sex"] == "Female").mean() - 0.3) < 0.1
    assert out["hours"].std() > 2  # not collapsed to one value


def test_parameters_are_checked_with_clear_messages(people):
    with pytest.raises(InvalidParameterError, match=r"The 'epochs' parameter of CTGANSynthesizer must be an int "
                                                    r"in the range \[1, inf\)\. Got -3 instead\."):
        CTGANSynthesizer(epochs=-3).fit(people)
    with pytest.raises(InvalidParameterError, match="multiple of pac"):
        CTGANSynthesizer(epochs=1, batch_size=105).fit(people)
    with pytest.raises(InvalidParameterError, match="'compress_dims'"):
        TVAESynthesizer(compress_dims=(0,)).fit(people)
