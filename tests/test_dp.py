"""Differential privacy, checked the way trusted privacy libraries check themselves: the accountant against
published values, DP-SGD against plain training with the privacy switched off, the clipping bound, and
the private schema's guarantees; then a private TVAE end to end."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import veil
from veil.metadata import Metadata
from veil.models.nn.dp import DPSGD, accountant_epsilon, functional, noise_for_budget
from veil.pii.kinds import RARE_TOKEN
from veil.protect.dp import PrivateSchema, gaussian_threshold


def test_the_accountant_gives_the_published_epsilon():
    # opacus's own pinned value: sigma 1.5, q 0.04, 90 epochs (2,250 steps), delta 1e-5
    assert accountant_epsilon(1.5, 0.04, int(90 / 0.04), 1e-5) == pytest.approx(7.32911117143, abs=1e-6)
    # and the noise it calibrates spends the budget, no more
    sigma = noise_for_budget(8.0, 1e-5, 0.04, int(90 / 0.04))
    assert sigma == pytest.approx(1.425307617, rel=0.01)  # calibrated to 1%, as opacus does
    assert accountant_epsilon(sigma, 0.04, int(90 / 0.04), 1e-5) <= 8.0


def _regression(seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)  # a local generator: no global seeding
    net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.copy_(0.3 * torch.randn(parameter.shape, generator=generator))
    x = torch.randn(40, 3, generator=generator)
    return net, x, x.sum(1, keepdim=True) + 0.1 * torch.randn(40, 1, generator=generator)


def _loss_of_row(net: nn.Module):
    def loss(params, x, y):
        return ((functional(net, params, "net")(x) - y) ** 2).sum()
    return loss


def test_with_no_noise_and_no_clipping_a_private_step_is_a_plain_step():
    private, x, y = _regression()
    plain = _regression()[0]
    trainer = DPSGD({"net": private}, torch.optim.SGD(private.parameters(), lr=0.1), rows=40, batch_size=40,
                    epochs=1, epsilon=1.0, delta=1e-5, max_grad_norm=1e9, noise_multiplier=0.0)
    trainer.step(_loss_of_row(private), x, y)
    sgd = torch.optim.SGD(plain.parameters(), lr=0.1)
    ((plain(x) - y) ** 2).sum(1).mean().backward()
    sgd.step()
    for a, b in zip(private.parameters(), plain.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_each_rows_gradient_is_clipped_to_the_bound():
    net, x, y = _regression()
    x[0] *= 1_000  # one row with a huge gradient
    trainer = DPSGD({"net": net}, torch.optim.SGD(net.parameters(), lr=0.1), rows=40, batch_size=40, epochs=1,
                    epsilon=1.0, delta=1e-5, max_grad_norm=0.5, noise_multiplier=0.0)
    grads = trainer.per_sample_gradients(_loss_of_row(net), (x, y))
    norms = torch.stack([g.reshape(40, -1).norm(dim=1) for g in grads.values()], 1).norm(dim=1)
    assert norms[0] > 100 and norms.min() > 0  # before clipping
    for row in range(40):  # what each row adds to the sum once clipped: the optimizer's own clipping
        for name, p in trainer.params.items():
            p.grad_sample = grads[name][row:row + 1]
        trainer.optimizer.clip_and_accumulate()
        added = torch.cat([p.summed_grad.reshape(-1) for p in trainer.params.values()]).norm()
        assert added <= 0.5 + 1e-5 and (added == pytest.approx(float(norms[row]), rel=1e-4) or norms[row] > 0.5)
        trainer.optimizer.zero_grad(set_to_none=True)


def test_training_stops_when_the_budget_is_spent():
    net, x, y = _regression()
    trainer = DPSGD({"net": net}, torch.optim.SGD(net.parameters(), lr=0.01), rows=40, batch_size=10, epochs=2,
                    epsilon=2.0, delta=1e-5, max_grad_norm=1.0)
    while not trainer.exhausted:
        rows = trainer.batch()
        trainer.step(_loss_of_row(net), x[rows], y[rows])
    assert trainer.taken == 8 and trainer.spent <= 2.0
    with pytest.raises(RuntimeError, match="budget is spent"):
        trainer.step(_loss_of_row(net), x[:2], y[:2])


def test_the_private_schema_keeps_no_category_of_one_row_and_bounds_numbers_on_a_fixed_grid():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"city": ["Leeds"] * 12_000 + ["York"] * 8_000 + ["Whitby"],
                          "income": np.r_[rng.normal(30_000, 5_000, 20_000), 9_876_543.0]})
    meta = Metadata.detect(table)
    kept = [PrivateSchema.measure(table, meta, epsilon=1.0, delta=1e-5, rng=np.random.default_rng(s))
            for s in range(20)]
    assert all(set(k.categories["city"]) == {"Leeds", "York", RARE_TOKEN} for k in kept)
    # a one-row category, 1 + N(0, sigma^2), clears the threshold with probability delta
    assert gaussian_threshold(10.0, 0.0013499) == pytest.approx(1 + 10.0 * 3.0, abs=1e-3)
    schema = kept[0]
    low, high = schema.bounds["income"]
    # the power-of-two bins that hold the data (the lowest has 70 rows); the outlier's bin does not count
    assert low in (2.0 ** 13, 2.0 ** 14) and high == 2.0 ** 16
    applied = schema.apply(table)
    assert applied.city.iloc[-1] == RARE_TOKEN and applied.income.max() <= high
    stand_in = schema.stand_in(meta)
    assert "Whitby" not in set(stand_in.city) and stand_in.income.max() == pytest.approx(high)


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 2_000
    sex = rng.choice(["F", "M"], n)
    return pd.DataFrame({"sex": sex, "age": rng.integers(18, 80, n),
                         "hours": np.where(sex == "F", 30, 45) + rng.integers(-5, 6, n)})


def test_a_private_tvae_records_its_budget_and_spends_no_more(people, tmp_path):
    synth = veil.TVAESynthesizer(dp=True, epsilon=3.0, delta=1e-5, epochs=2, batch_size=200).fit(people)
    privacy = synth.privacy_
    assert privacy["epsilon"] == 3.0 and privacy["epsilon_spent"] <= 3.0
    assert privacy["preprocessing"]["epsilon"] + privacy["training"]["epsilon"] == pytest.approx(3.0)
    # two epochs of steps, the epoch's length from the noisy row count (the exact one is never released)
    assert privacy["training"]["spent"]["steps"] == 2 * round(synth.fit_rows_ / 200)
    assert privacy["training"]["spent"]["sample_rate"] == pytest.approx(200 / synth.fit_rows_)
    assert synth.protection_ is None  # value protection reads the rows outside the budget: off under DP
    out = synth.sample(500, seed=0)
    assert set(out.sex) <= {"F", "M", RARE_TOKEN} and len(out) == 500
    again = veil.load(synth.save(tmp_path / "dp.veil"))
    assert again.privacy_ == privacy
    with pytest.raises(veil.InvalidParameterError, match="needs epsilon"):
        veil.TVAESynthesizer(dp=True).fit(people)


def test_private_noise_does_not_follow_the_seed(people):
    """The seed may be public; noise that can be recomputed from it protects nothing."""
    a = veil.TVAESynthesizer(dp=True, epsilon=3.0, epochs=1, batch_size=400, seed=0).fit(people)
    b = veil.TVAESynthesizer(dp=True, epsilon=3.0, epochs=1, batch_size=400, seed=0).fit(people)
    wa, wb = a.model_.decoder_.out.weight, b.model_.decoder_.out.weight
    assert not torch.equal(wa, wb)


def test_a_private_autoregressive_model_trains_without_validation_or_marginal_start(people):
    synth = veil.AutoregressiveSynthesizer(dp=True, epsilon=5.0, epochs=2, batch_size=250, embedding_dim=4,
                                           hidden_dim=8).fit(people)
    spent = synth.privacy_["training"]["spent"]
    assert spent["steps"] == 2 * round(synth.fit_rows_ / 250)
    assert spent["epsilon"] <= synth.privacy_["training"]["epsilon"]
    assert [set(r) for r in synth.model_.history_] == [{"epoch", "rows"}] * 2  # no validation loss
    assert len(spent["before_training"]) == 1  # the noisy marginals it starts from, in the same budget
    # settings left at their defaults take the private ones; those given are kept
    assert synth.model_.params["learning_rate"] == 1e-2 and synth.model_.params["batch_size"] == 250
    out = synth.sample(300, seed=0)
    assert len(out) == 300 and out.age.between(16, 128).all()


def test_the_stand_in_holds_every_kept_category_and_the_missing_values():
    rng = np.random.default_rng(2)
    letters = np.array(list("abcdefghij"), dtype=object)[rng.integers(0, 10, 30_000)]
    letters[:3_000] = None
    table = pd.DataFrame({"letter": letters, "x": np.where(rng.random(30_000) < 0.1, np.nan, rng.normal(size=30_000))})
    meta = Metadata.detect(table)
    schema = PrivateSchema.measure(table, meta, epsilon=2.0, delta=1e-5, rng=np.random.default_rng(0))
    stand_in = schema.stand_in(meta)
    assert set(stand_in.letter.dropna()) == set(schema.categories["letter"]) and stand_in.letter.isna().any()
    assert stand_in.x.dtype == np.float64 and stand_in.x.isna().any()
    applied = schema.apply(table)
    assert set(applied.letter.dropna()) <= set(schema.categories["letter"])


def test_a_private_ctgan_trains_its_critic_privately_and_keeps_the_budget(people, tmp_path):
    synth = veil.CTGANSynthesizer(dp=True, epsilon=5.0, epochs=2, batch_size=200, pac=10).fit(people)
    spent = synth.privacy_["training"]["spent"]
    assert spent["steps"] == 2 * round(synth.fit_rows_ / 200)
    assert spent["epsilon"] <= synth.privacy_["training"]["epsilon"]
    assert len(spent["before_training"]) == 1  # the noisy category counts behind its conditional vectors
    out = synth.sample(400, seed=0)
    assert len(out) == 400 and set(out.sex) <= {"F", "M", RARE_TOKEN}
    assert veil.load(synth.save(tmp_path / "c.veil")).privacy_ == synth.privacy_


def _with_unlearned(rng: np.random.Generator, n: int, id_prefix: str, words: int) -> pd.DataFrame:
    from faker import Faker

    fake = Faker()
    fake.seed_instance(int(rng.integers(1 << 30)))
    notes = np.array([" ".join(["word"] * words)] * n, dtype=object)
    notes[rng.random(n) < 0.3] = None
    return pd.DataFrame({"record": [f"{id_prefix}{i:07d}" for i in range(n)], "note": notes,
                         "email": [fake.email() for _ in range(n)], "sex": rng.choice(["F", "M"], n),
                         "age": rng.integers(18, 80, n)})


def test_under_dp_the_unlearned_columns_know_only_noisy_counts(monkeypatch):
    """Ids, free text and fake PII are made anew at sampling; under DP what shapes them is measured in the
    private schema (missing rates, words per row) and nothing else is read from their values."""
    import veil.synthesizer as synthesizer_module

    def fit(table: pd.DataFrame) -> veil.Synthesizer:
        monkeypatch.setattr(synthesizer_module, "_private_rng", lambda: np.random.default_rng(5))
        meta = Metadata.detect(table)
        meta.update_column("note", sdtype="text")
        return veil.MSTSynthesizer(metadata=meta, epsilon=10.0).fit(table)

    a = fit(_with_unlearned(np.random.default_rng(0), 3_000, "ID-", 12))
    b = fit(_with_unlearned(np.random.default_rng(1), 3_000, "XQ/", 12))  # other ids, emails, missing cells
    spec_a = {c["name"]: c for c in a.resynthesizer_.state()["columns"]}
    spec_b = {c["name"]: c for c in b.resynthesizer_.state()["columns"]}
    assert spec_a["note"]["missing_rate"] == pytest.approx(0.3, abs=0.03)  # measured, with noise
    assert spec_a["note"]["words"] == pytest.approx(12, abs=1)
    # the ids' shape and the fakes' space are not read from the values
    assert spec_a["record"]["id_shape"] == spec_b["record"]["id_shape"] == {
        "type": "str", "pattern": [["lit", "ID-"], ["digit", 6]]}
    assert spec_a["email"]["space"] == spec_b["email"]["space"] == 0
    # the row count the model file keeps is the schema's noisy one
    assert a.fit_rows_ == b.fit_rows_ != 3_000
    out = a.sample(2_000, seed=0)
    assert out.note.isna().mean() == pytest.approx(spec_a["note"]["missing_rate"], abs=0.04)
    assert out.record.str.fullmatch(r"ID-\d{6}").all() and out.email.str.contains("@").all()
