"""The autoregressive synthesizer: tokens, the masked network, conditions, temperature, files."""
from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
import torch

import veil
from veil import AutoregressiveSynthesizer, InvalidDataError
from veil.encode.spans import Span
from veil.encode.tokens import NumberTokens, TokenEncoder
from veil.metadata import Metadata
from veil.models import autoregressive
from veil.models.autoregressive import PAD, AutoregressiveModel, ColumnSampler, MaskedColumnNet
from veil.models.nn.torch_utils import draw_inverse_cdf

FAST = {"epochs": 8, "batch_size": 128, "time_budget": None}


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 2_000
    sex = rng.choice(["Female", "Male"], size=n, p=[0.3, 0.7])
    hours = np.where(sex == "Female", rng.normal(30, 4, n), rng.normal(45, 4, n)).round().astype(int)
    income = np.round(np.exp(9 + hours / 40 + rng.normal(0, 0.2, n)), 2)
    group = np.where(sex == "Female", rng.choice(["a", "b"], n), rng.choice(["c", "d"], n))
    score = pd.Series(rng.normal(0, 1, n)).mask(rng.random(n) < 0.1)
    return pd.DataFrame({"sex": sex, "hours": hours, "income": income, "group": group, "score": score})


@pytest.fixture(scope="module")
def fitted(people) -> AutoregressiveSynthesizer:
    return AutoregressiveSynthesizer(**FAST).fit(people)


def test_number_tokens_keep_exact_values_spikes_and_bins():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.zeros(5_000), rng.lognormal(8, 1, 5_000), [np.nan] * 100])
    tokens = NumberTokens.fit(x, n_bins=20)
    assert 0.0 in tokens.exact and tokens.n_bins >= 10 and tokens.has_missing
    codes = tokens.encode(x)
    assert codes.min() >= 0 and codes.max() == tokens.size - 1
    back = tokens.decode(codes, rng)
    assert np.isnan(back[-100:]).all() and (back[:5_000] == 0).all()
    inside = codes[5_000:10_000] - len(tokens.exact)
    assert ((back[5_000:10_000] >= tokens.edges[inside]) & (back[5_000:10_000] <= tokens.edges[inside + 1])).all()
    # a heavy tail: values drawn in the top bin follow the data there, not a flat spread up to the maximum
    tail = rng.lognormal(0, 1.5, 20_000)
    heavy = NumberTokens.fit(tail, n_bins=20)
    codes = heavy.encode(tail)
    top = codes == codes.max()
    drawn = heavy.decode(codes, rng)
    assert abs(np.median(drawn[top]) / np.median(tail[top]) - 1) < 0.1 and drawn.max() <= tail.max()
    flat = NumberTokens(heavy.exact, heavy.edges, False)  # the same bins without knots (older model files)
    assert np.median(flat.decode(codes, rng)[top]) > 5 * np.median(tail[top])
    assert drawn.std() < 0.5 * flat.decode(codes, rng).std()
    few = NumberTokens.fit(np.array([1.0, 2.0, 2.0, 7.0]))
    assert few.n_bins == 0 and few.encode(np.array([2.0, 6.0])).tolist() == [1, 2]  # 6 -> the nearest, 7


def test_token_encoder_round_trip(people):
    meta = Metadata.detect(people)
    enc = TokenEncoder(meta).fit(people)
    matrix = enc.encode(people)
    assert matrix.dtype == np.float32 and [s.kind for s in enc.spans] == ["discrete"] * 5
    assert (matrix.max(axis=0) < np.array(enc.sizes)).all()
    back = enc.decode(matrix, rng=np.random.default_rng(0))
    pd.testing.assert_series_equal(back["sex"], people["sex"], check_names=False)
    pd.testing.assert_series_equal(back["hours"], people["hours"], check_names=False)
    assert back["score"].isna().sum() == people["score"].isna().sum()
    again = TokenEncoder.from_state(*enc.state())
    np.testing.assert_array_equal(again.encode(people), matrix)


def test_datetimes_become_calendar_parts_that_round_trip():
    rng = np.random.default_rng(1)
    n = 1_500
    stamps = pd.Series(pd.Timestamp("2001-01-31 13:45:10") + pd.to_timedelta(rng.integers(0, 10**8, n), unit="s"))
    stamps[rng.random(n) < 0.1] = pd.NaT
    table = pd.DataFrame({
        "stamp": stamps,  # second precision, with missing values
        "day": (pd.Timestamp("2014-05-02") + pd.to_timedelta(rng.integers(0, 390, n), unit="D")).strftime("%Y-%m-%d"),
        "utc": pd.Timestamp("2013-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 8760, n), unit="h"),
    })
    enc = TokenEncoder(Metadata.detect(table)).fit(table)
    # year .. second for the stamp; year, month, day for the day; the UTC hours of one year: no year token
    assert [s.column for s in enc.spans] == ["stamp"] * 6 + ["day"] * 3 + ["utc"] * 3
    assert enc.sizes[6:] == [2, 12, 31, 12, 31, 24]
    matrix = enc.encode(table)
    back = enc.decode(matrix, rng=rng)
    for name in table:
        pd.testing.assert_series_equal(back[name], table[name], check_names=False)
    np.testing.assert_array_equal(TokenEncoder.from_state(*enc.state()).encode(table), matrix)
    # any tokens decode to real dates (day 31 of a 30-day month is its last day)
    noise = np.column_stack([rng.integers(0, size, 3_000) for size in enc.sizes]).astype(np.float32)
    decoded = enc.decode(noise, rng=rng)
    days = pd.to_datetime(decoded["day"], format="%Y-%m-%d")
    assert days.notna().all() and decoded["utc"].dt.year.eq(2013).all()


def test_rare_categories_share_one_token_decoded_as_one_of_them():
    rng = np.random.default_rng(2)
    common = rng.choice(["a", "b", "c"], 3_000)
    rare = np.array(["r1", "r2", "r3", "r4", "r5", "r6"] * 3 + ["solo"])  # 3 times each, and one once
    table = pd.DataFrame({"kind": np.concatenate([common, rare]), "x": rng.normal(size=3_019)})
    table.loc[range(0, 3_000, 50), "kind"] = None
    enc = TokenEncoder(Metadata.detect(table)).fit(table)
    assert enc.sizes[0] == 3 + 1 + 1  # a, b, c, missing, and one token for the seven rare categories
    matrix = enc.encode(table)
    assert len(np.unique(matrix[-19:, 0])) == 1
    back = enc.decode(np.repeat(matrix[-1:], 7_000, axis=0), rng=rng)["kind"]
    shares = back.value_counts(normalize=True)
    assert set(shares.index) == {"r1", "r2", "r3", "r4", "r5", "r6", "solo"} and (abs(shares - 1 / 7) < 0.02).all()
    kept = ~table["kind"].isin(["r1", "r2", "r3", "r4", "r5", "r6", "solo"])
    decoded = enc.decode(matrix, rng=rng)["kind"]
    pd.testing.assert_series_equal(decoded[kept], table["kind"][kept])
    assert enc.missing_tokens()[0] is not None and decoded[kept].isna().sum() == table["kind"].isna().sum()
    np.testing.assert_array_equal(TokenEncoder.from_state(*enc.state()).encode(table), matrix)
    with pytest.raises(InvalidDataError, match="too rare to condition on"):
        enc.category_code("kind", "r2")
    assert TokenEncoder(Metadata.detect(table), rare_category_threshold=0).fit(table).sizes[0] == 3 + 7 + 1


def test_each_head_sees_only_the_columns_before_it():
    net = MaskedColumnNet([3, 4, 5], embedding_dim=2, hidden_dim=4).initialise(torch.Generator().manual_seed(0))
    mask = net.block_mask(torch.tensor([1, 2, 0]))  # order: column 2, then 0, then 1
    tokens = torch.tensor([[0, 0, 0], [2, 3, 4]])
    base = net(tokens, mask)
    for changed in range(3):
        other = tokens.clone()
        other[:, changed] = (other[:, changed] + 1) % torch.tensor([3, 4, 5])[changed]
        moved = [bool((after - before).abs().max() > 0) for after, before in zip(net(other, mask), base)]
        position = {2: 0, 0: 1, 1: 2}
        expected = [position[c] > position[changed] for c in range(3)]
        assert moved == expected, changed


def test_learns_marginals_and_dependence(people, fitted):
    out = fitted.sample(4_000, seed=0)
    assert list(out.columns) == list(people.columns) and out["hours"].dtype == people["hours"].dtype
    assert abs((out["sex"] == "Female").mean() - 0.3) < 0.04
    # group depends on sex entirely: a, b only for women
    women = out[out["sex"] == "Female"]
    assert women["group"].isin(["a", "b"]).mean() > 0.9
    assert abs(out["hours"].groupby(out["sex"]).mean()["Female"] - 30) < 2.5
    assert abs(out["score"].isna().mean() - 0.1) < 0.03
    assert out["income"].between(people["income"].min(), people["income"].max()).all()
    assert len(fitted.loss_history_) >= 2 and "validation" in fitted.loss_history_


def test_conditions_on_several_columns(fitted):
    out = fitted.sample(500, seed=1, conditions={"sex": "Female", "group": "b"})
    assert (out["sex"] == "Female").all() and (out["group"] == "b").all()
    assert abs(out["hours"].mean() - 30) < 3
    with pytest.raises(InvalidDataError, match="valid values"):
        fitted.sample(5, conditions={"sex": "Other"})
    ranged = fitted.sample(200, seed=2, conditions={"sex": "Female", "hours": (35, None)})
    assert (ranged["sex"] == "Female").all() and (ranged["hours"] >= 35).all()


def test_conditions_on_a_later_column_still_shape_the_earlier_ones(people, fitted):
    """The fixed order draws sex before group; conditioning on group alone must still give women for
    'a' (rejection), not the unconditional 30% a model drawing sex first would give."""
    out = fitted.sample(400, seed=3, conditions={"group": "a"})
    assert (out["group"] == "a").all() and len(out) == 400
    assert (out["sex"] == "Female").mean() > 0.9


def test_imputation_fills_only_missing_cells_from_the_whole_row(people, fitted):
    table = people.copy()
    rng = np.random.default_rng(4)
    hide_sex, hide_hours = rng.random(len(table)) < 0.3, rng.random(len(table)) < 0.2
    table.loc[hide_sex, "sex"] = None
    table["hours"] = table["hours"].astype(float).mask(hide_hours)
    before = table.copy()
    out = fitted.impute(table, seed=0)
    pd.testing.assert_frame_equal(table, before)  # the input is untouched
    assert out.index.equals(table.index) and list(out.columns) == list(table.columns)
    kept = ~hide_sex
    assert (out.loc[kept, "sex"] == people.loc[kept, "sex"]).all() and out["sex"].notna().all()
    # sex comes before group in the model's order: only importance weighting can read it off the group
    assert (out.loc[hide_sex, "sex"] == people.loc[hide_sex, "sex"]).mean() > 0.9
    filled = out.loc[hide_hours & ~hide_sex]
    assert filled["hours"].notna().all()
    assert abs(filled.loc[filled["sex"] == "Female", "hours"].mean() - 30) < 3
    assert abs(filled.loc[filled["sex"] == "Male", "hours"].mean() - 45) < 3
    assert out["score"].isna().sum() == 0  # score's missing cells are filled too, never with "missing"
    pd.testing.assert_frame_equal(fitted.impute(table, seed=0), out)
    only_sex = fitted.impute(table[["sex", "group"]], seed=0)  # absent learned columns are drawn, not returned
    assert list(only_sex.columns) == ["sex", "group"] and only_sex["sex"].notna().all()
    with pytest.raises(InvalidDataError, match="none of the columns"):
        fitted.impute(pd.DataFrame({"other": [1, 2]}))


def test_temperature_sharpens(fitted):
    cold = fitted.sample(3_000, seed=2, temperature=0.3)
    warm = fitted.sample(3_000, seed=2, temperature=1.0)
    assert (cold["sex"] == "Male").mean() > (warm["sex"] == "Male").mean()
    with pytest.raises(InvalidDataError, match="temperature"):
        fitted.sample(5, temperature=0)


def test_same_seed_same_table_file_round_trip_and_global_rng(people, fitted, tmp_path):
    np_state, torch_state, py_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone(), random.getstate()
    a = AutoregressiveSynthesizer(seed=3, **FAST).fit(people).sample(300, seed=5)
    b = AutoregressiveSynthesizer(seed=3, **FAST).fit(people).sample(300, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert (np.random.get_state()[1] == np_state).all()
    assert torch.equal(torch.get_rng_state(), torch_state) and random.getstate() == py_state
    loaded = veil.load(fitted.save(tmp_path / "ar.veil"))
    pd.testing.assert_frame_equal(loaded.sample(400, seed=9), fitted.sample(400, seed=9))


def test_time_budget_stops_training(people):
    synth = AutoregressiveSynthesizer(epochs=500, batch_size=128, time_budget=0.5,
                                      early_stopping_patience=None).fit(people)
    assert len(synth.loss_history_) < 500


def test_random_orders_condition_natively_on_any_column(people):
    synth = AutoregressiveSynthesizer(epochs=15, batch_size=128, random_order=True, time_budget=None,
                                      early_stopping_patience=None).fit(people)
    out = synth.sample(1_000, seed=0, conditions={"group": "a"})
    assert (out["group"] == "a").all()
    assert (out["sex"] == "Female").mean() > 0.8  # a random-order model conditions backwards too


def test_bad_parameters_are_refused(people):
    with pytest.raises(veil.InvalidParameterError, match="dropout"):
        AutoregressiveSynthesizer(dropout=1.5).fit(people)
    with pytest.raises(veil.InvalidParameterError, match="validation_fraction"):
        AutoregressiveSynthesizer(validation_fraction=0.9).fit(people)
    with pytest.raises(veil.InvalidParameterError, match="rare_category_threshold"):
        AutoregressiveSynthesizer(rare_category_threshold=-1).fit(people)


def _small_model(sizes: list[int], order: list[int]) -> AutoregressiveModel:
    """An unfitted model with random weights (larger than initialised: sharper distributions)."""
    model = AutoregressiveModel(embedding_dim=3, hidden_dim=8)
    spans = [Span("discrete", 1, f"c{i}", size) for i, size in enumerate(sizes)]
    generator = torch.Generator().manual_seed(0)
    model._build(spans, {"order": order}, torch.device("cpu"), generator)
    with torch.no_grad():
        for param in model.net_.parameters():
            param.normal_(0, 0.7, generator=generator)
    model.spans_ = spans
    return model


def test_column_sampler_gives_forwards_logits():
    """The sampling path (first layer as per-token tables summed by embedding_bag, padded output weights)
    is the network's own maths: its logits equal forward's for the same rows, in any column order."""
    sizes = [3, 17, 1, 2, 40]
    for order in ([0, 1, 2, 3, 4], [4, 2, 0, 3, 1]):
        model = _small_model(sizes, order)
        net = model.net_
        rng = np.random.default_rng(1)
        tokens = torch.as_tensor(np.stack([rng.integers(0, s, 200) for s in sizes], 1))
        expected = net(tokens, net.block_mask(model._position(order, torch.device("cpu"))))
        sampler = ColumnSampler(net)
        bags = sampler.bags(200)
        for p, column in enumerate(order):
            logits = sampler.logits(bags[:, :p + 1], column)
            assert logits.shape[1] % PAD == 0 and torch.isinf(logits[:, sizes[column]:]).all()
            torch.testing.assert_close(logits[:, :sizes[column]], expected[column], rtol=1e-5, atol=1e-5)
            bags[:, p + 1] = tokens[:, column] + net.starts[column]


def test_inverse_cdf_draws_follow_the_softmax_alone_or_in_groups():
    generator = torch.Generator().manual_seed(0)
    logits = torch.tensor([[0.0, 1.0, -math.inf, 2.0, -1.0], [3.0, -math.inf, 0.0, 0.0, -math.inf]])
    p = torch.softmax(logits, 1).numpy()
    n = 200_000
    groups = torch.randint(0, 2, (n,), generator=generator)
    u = torch.rand(n, generator=generator)
    for drawn in (draw_inverse_cdf(logits[groups], u), draw_inverse_cdf(logits, u, groups)):
        for g in range(2):
            freq = np.bincount(drawn[groups == g].numpy(), minlength=5) / int((groups == g).sum())
            assert freq[p[g] == 0].sum() == 0  # a category of probability 0 is never drawn
            assert np.abs(freq - p[g]).max() < 4 * np.sqrt(p[g].max() / (n / 2)) + 1e-9
    # both forms take the same decision from the same uniform (equal up to rounding at the thresholds)
    assert (draw_inverse_cdf(logits[groups], u) == draw_inverse_cdf(logits, u, groups)).float().mean() > 0.9999
    edge = torch.tensor([0.0, 1 - 2**-24])  # u's extremes: the last and the first category with mass
    assert draw_inverse_cdf(logits[:1].expand(2, 5), edge).tolist() == [4, 0]


def test_sampled_rows_follow_the_models_joint_distribution():
    """Whole rows from the sampling path (shared prefixes on or off) against the exact joint probabilities of
    every possible row under forward's logits; the same seed gives the same rows at any thread count."""
    sizes, order = [3, 4, 2], [2, 0, 1]
    model = _small_model(sizes, order)
    net = model.net_
    grid = torch.cartesian_prod(*[torch.arange(s) for s in sizes])
    with torch.no_grad():
        logits = net(grid, net.block_mask(model._position(order, torch.device("cpu"))))
        exact = sum(torch.log_softmax(lg, 1).gather(1, grid[:, j:j + 1]).squeeze(1) for j, lg in enumerate(logits))
    exact = exact.exp().numpy()
    n = 60_000
    for shared in (0.25, 0.0):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(autoregressive, "SHARED_PREFIXES", shared)
            rows = model.sample(n, rng=np.random.default_rng(0)).astype(np.int64)
        index = (rows[:, 0] * 4 + rows[:, 1]) * 2 + rows[:, 2]
        freq = np.bincount(index, minlength=len(exact)) / n
        assert np.abs(freq - exact).max() < 4 * np.sqrt(exact.max() / n)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = model.sample(20_000, rng=np.random.default_rng(5))
        torch.set_num_threads(2)
        two = model.sample(20_000, rng=np.random.default_rng(5))
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(one, two)
