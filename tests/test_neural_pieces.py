"""The shared torch pieces: span heads, conditional vectors, the training loop, seeded building."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from veil import TrainingDivergedError
from veil.encode.spans import Span
from veil.models.nn.condvec import ConditionalSampler
from veil.models.nn.heads import SpanLayout
from veil.models.nn.loop import BestWeights, EarlyStopping, LearningRateDecay, train
from veil.models.nn.torch_utils import build, resolve_device

SPANS = [Span("scalar", 1, "a"), Span("mode", 3, "a"), Span("category", 2, "b"), Span("missing", 2, "c"),
         Span("scalar", 1, "c"), Span("category", 4, "d")]


def test_layout_groups_spans_by_width_and_permutes_back():
    layout = SpanLayout(SPANS)
    assert layout.n_scalar == 2 and [(n, w) for _, n, w in layout.groups] == [(2, 2), (1, 3), (1, 4)]
    matrix = np.arange(2 * layout.width, dtype=np.float32).reshape(2, -1)
    permuted = layout.permute(matrix)
    assert permuted[0, :2].tolist() == [0, 8]  # the two scalar columns come first
    np.testing.assert_array_equal(layout.unpermute(torch.from_numpy(permuted)).numpy(), matrix)


def test_activate_gives_probabilities_per_span_and_bounded_scalars():
    layout = SpanLayout(SPANS)
    raw = torch.randn(64, layout.width, generator=torch.Generator().manual_seed(0)) * 5
    out = layout.unpermute(layout.activate(raw, tau=0.2, generator=torch.Generator().manual_seed(1)))
    assert out[:, [0, 8]].abs().max() <= 1
    for start, width in ((1, 3), (4, 2), (6, 2), (9, 4)):
        torch.testing.assert_close(out[:, start:start + width].sum(1), torch.ones(64))
        assert (out[:, start:start + width] >= 0).all()


def test_hard_activate_is_exactly_one_hot_with_the_soft_gradient():
    layout = SpanLayout(SPANS)
    raw = (torch.randn(64, layout.width, generator=torch.Generator().manual_seed(0)) * 5).requires_grad_()
    hard = layout.activate(raw, tau=0.2, generator=torch.Generator().manual_seed(1), hard=True)
    soft = layout.activate(raw, tau=0.2, generator=torch.Generator().manual_seed(1))
    ones = layout.unpermute(hard.detach())
    for start, width in ((1, 3), (4, 2), (6, 2), (9, 4)):
        block = ones[:, start:start + width]
        assert set(block.unique().tolist()) <= {0.0, 1.0} and (block.sum(1) == 1).all()
        # the one is where the soft sample (same Gumbel draw) is largest
        assert (block.argmax(1) == layout.unpermute(soft.detach())[:, start:start + width].argmax(1)).all()
    weights = torch.randn(layout.width, generator=torch.Generator().manual_seed(2))
    (grad_hard,) = torch.autograd.grad((hard * weights).sum(), raw)
    (grad_soft,) = torch.autograd.grad((soft * weights).sum(), raw)
    torch.testing.assert_close(grad_hard, grad_soft)  # straight-through: the soft sample's gradient


def test_sample_gives_one_hot_draws_that_follow_the_softmax():
    layout = SpanLayout([Span("category", 3, "x")])
    raw = torch.log(torch.tensor([[0.2, 0.3, 0.5]])).repeat(40_000, 1)
    out = layout.sample(raw, generator=torch.Generator().manual_seed(0)).to_matrix(layout.spans)
    assert set(out.sum(1).tolist()) == {1.0}
    np.testing.assert_allclose(out.mean(0), [0.2, 0.3, 0.5], atol=0.01)


def test_sample_follows_each_spans_softmax_even_far_below_the_others():
    layout = SpanLayout([Span("category", 2, "x"), Span("category", 3, "y"), Span("scalar", 1, "z")])
    row = torch.cat([torch.log(torch.tensor([0.9, 0.1])), torch.log(torch.tensor([0.2, 0.3, 0.5])) - 500.0])
    raw = torch.cat([torch.zeros(1), row]).repeat(40_000, 1)  # layout order: the scalar first
    out = layout.sample(raw, generator=torch.Generator().manual_seed(0))
    assert out.codes.shape == (40_000, 2) and out.scalars.shape == (40_000, 1)
    np.testing.assert_allclose(np.bincount(out.codes[:, 0], minlength=2) / 40_000, [0.9, 0.1], atol=0.01)
    np.testing.assert_allclose(np.bincount(out.codes[:, 1], minlength=3) / 40_000, [0.2, 0.3, 0.5], atol=0.01)


def test_sample_of_scalars_only():
    layout = SpanLayout([Span("scalar", 1, "a"), Span("scalar", 1, "b")])
    out = layout.sample(torch.zeros(5, 2), generator=torch.Generator().manual_seed(0))
    assert out.codes.shape == (5, 0) and np.allclose(out.scalars, 0.0)


def test_sample_writes_encoder_order():
    layout = SpanLayout(SPANS)
    raw = torch.zeros(500, layout.width)
    out = layout.sample(raw, generator=torch.Generator().manual_seed(0)).to_matrix(layout.spans)
    assert out[:, [0, 8]].tolist() == [[0.0, 0.0]] * 500  # tanh(0)
    for start, width in ((1, 3), (4, 2), (6, 2), (9, 4)):
        assert (out[:, start:start + width].sum(1) == 1).all()


@pytest.mark.parametrize("far_span", [None, 5])
def test_cross_entropy_matches_per_span_reference(far_span):
    layout = SpanLayout(SPANS)
    g = torch.Generator().manual_seed(0)
    raw = torch.randn(16, layout.width, generator=g)                  # layout order
    if far_span is not None:  # one span's logits 500 below the others: the one-shift fast path underflows
        start = layout.n_scalar + int(layout._span_offsets[layout.soft_position[far_span]])
        raw[:, start:start + SPANS[far_span].width] -= 500.0
    x = layout.sample(torch.randn(16, layout.width, generator=g), generator=g).to_matrix(layout.spans)
    ce = layout.cross_entropy(raw, torch.from_numpy(layout.targets(x)))
    original = layout.unpermute(raw)
    for span, (start, width) in zip((1, 2, 3, 5), ((1, 3), (4, 2), (6, 2), (9, 4))):
        ref = F.cross_entropy(original[:, start:start + width], torch.from_numpy(x[:, start:start + width]).argmax(1),
                              reduction="none")
        torch.testing.assert_close(ce[:, layout.soft_position[span]], ref, atol=1e-4, rtol=1e-4)  # float32 at 500


def _onehot(codes, k):
    return np.eye(k, dtype=np.float32)[codes]


def test_conditional_sampler_log_frequency_and_matching_rows():
    rng = np.random.default_rng(0)
    b = rng.choice(2, size=5000, p=[0.9, 0.1])
    d = rng.choice(4, size=5000, p=[0.7, 0.2, 0.09, 0.01])
    matrix = np.hstack([rng.normal(size=(5000, 1)), _onehot(rng.integers(3, size=5000), 3), _onehot(b, 2),
                        _onehot(np.zeros(5000, int), 2), rng.normal(size=(5000, 1)), _onehot(d, 4)]).astype(np.float32)
    sampler = ConditionalSampler(matrix, SPANS, log_frequency=True)
    assert sampler.span_ids == [2, 5] and sampler.width == 6
    vec, column, category, rows = sampler.sample_train(200_000, np.random.default_rng(1))
    assert (vec.sum(1) == 1).all()
    assert abs((column == 0).mean() - 0.5) < 0.01
    counts = np.bincount(d, minlength=4)
    expected = np.log1p(counts) / np.log1p(counts).sum()
    np.testing.assert_allclose(np.bincount(category[column == 1], minlength=4) / (column == 1).sum(), expected,
                               atol=0.01)
    # every matched real row has the chosen category
    assert (b[rows[column == 0]] == category[column == 0]).all()
    assert (d[rows[column == 1]] == category[column == 1]).all()
    original = sampler.sample_original(200_000, np.random.default_rng(2))
    share = original[:, 2:].sum(0) / original[:, 2:].sum()
    np.testing.assert_allclose(share, counts / counts.sum(), atol=0.01)


def test_training_loop_history_callbacks_and_early_stopping():
    values = iter([5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 1.0])
    seen = []

    class Recorder:
        def on_epoch_end(self, epoch, losses):
            seen.append((epoch, losses["loss"]))

    history = train(lambda: {"loss": torch.tensor(next(values))}, epochs=7, steps_per_epoch=1,
                    callbacks=[Recorder()], early_stopping=EarlyStopping("loss", patience=3))
    assert [h["loss"] for h in history] == [5.0, 4.0, 4.0, 4.0, 4.0]
    assert seen[-1] == (5, 4.0)

    class Stopper:
        def on_epoch_end(self, epoch, losses):
            return epoch == 2

    assert len(train(lambda: {"loss": torch.tensor(1.0)}, epochs=9, steps_per_epoch=3, callbacks=[Stopper()])) == 2


def test_training_loop_validation_best_weights_decay_and_time_budget():
    net = torch.nn.Linear(1, 1, bias=False)
    start = float(net.weight.detach())
    optimizer = torch.optim.SGD(net.parameters(), lr=1.0)
    scores = iter([3.0, 2.0, 2.5, 2.5, 2.5, 2.5])

    def step():
        with torch.no_grad():
            net.weight += 1.0  # the weights move every step; the best epoch's must come back
        return {"loss": torch.tensor(0.0)}

    history = train(step, epochs=6, steps_per_epoch=2, validate=lambda: {"validation": next(scores)},
                    early_stopping=EarlyStopping("validation", patience=None), best_weights=BestWeights([net]),
                    lr_decay=LearningRateDecay(optimizer, factor=0.5, patience=2))
    assert [h["validation"] for h in history] == [3.0, 2.0, 2.5, 2.5, 2.5, 2.5]  # patience None: never stops
    assert float(net.weight.detach()) == pytest.approx(start + 4)  # the weights after epoch 2 (2 steps each), the best
    assert optimizer.param_groups[0]["lr"] == 0.25  # halved after 2 and after 4 epochs without improvement
    calls = []

    def slow_step():
        calls.append(1)
        time.sleep(0.02)
        return {"loss": torch.tensor(1.0)}

    history = train(slow_step, epochs=100, steps_per_epoch=10, time_budget=0.05)
    assert len(history) == 1 and len(calls) < 10 and history[0]["loss"] == 1.0  # mean over the steps taken


def test_a_diverged_loss_stops_training_with_a_clear_error():
    losses = iter([1.0, float("nan")])
    with pytest.raises(TrainingDivergedError, match="diverged at epoch 2: the loss became NaN"):
        train(lambda: {"loss": torch.tensor(next(losses))}, epochs=5, steps_per_epoch=1)


def test_building_networks_never_touches_global_rng_and_is_seeded():
    state = torch.get_rng_state().clone()
    a = build(lambda: torch.nn.Linear(4, 3), torch.device("cpu"), torch.Generator().manual_seed(7))
    b = build(lambda: torch.nn.Linear(4, 3), torch.device("cpu"), torch.Generator().manual_seed(7))
    assert torch.equal(torch.get_rng_state(), state)
    torch.testing.assert_close(a.weight, b.weight)
    assert a.weight.abs().max() <= 0.5


def test_cuda_without_a_gpu_falls_back_to_cpu(caplog):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert resolve_device("cuda").type == "cpu"
    assert "CUDA is not available" in caplog.text
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu")


def test_total_cross_entropy_equals_the_sum_of_per_span_terms():
    layout = SpanLayout(SPANS)
    g = torch.Generator().manual_seed(3)
    raw = torch.randn(32, layout.width, generator=g)
    x = layout.sample(torch.randn(32, layout.width, generator=g), generator=g).to_matrix(layout.spans)
    per_span = layout.cross_entropy(raw, torch.from_numpy(layout.targets(x)))
    total = layout.total_cross_entropy(raw, torch.from_numpy(layout.permute(x)))
    torch.testing.assert_close(total, per_span.sum())


def test_gumbel_noise_has_the_gumbel_moments():
    from veil.models.nn.heads import _gumbel

    g = torch.Generator().manual_seed(0)
    noise = _gumbel(torch.Size([400_000]), g, torch.device("cpu"), torch.float32)
    assert torch.isfinite(noise).all()
    assert abs(noise.mean().item() - 0.5772) < 0.01  # Euler-Mascheroni constant
    assert abs(noise.var().item() - math.pi ** 2 / 6) < 0.03
    # P(G <= 0) = exp(-1)
    assert abs((noise <= 0).float().mean().item() - math.exp(-1)) < 0.005


def test_dropout_keeps_the_expected_share_and_mean():
    from veil.models.nn.torch_utils import dropout

    g = torch.Generator().manual_seed(0)
    x = torch.ones(200, 1000)
    out = dropout(x, 0.5, g, training=True)
    assert set(out.unique().tolist()) == {0.0, 2.0}
    assert abs((out > 0).float().mean().item() - 0.5) < 0.01
    assert abs(out.mean().item() - 1.0) < 0.02
    assert torch.equal(dropout(x, 0.5, g, training=False), x)
    again = dropout(x, 0.5, torch.Generator().manual_seed(0), training=True)
    assert torch.equal(out, again)  # the generator decides the mask


def test_smooth_keeps_one_hot_spans_distributions_with_the_true_entry_on_top():
    layout = SpanLayout(SPANS)
    rng = np.random.default_rng(0)
    rows = np.zeros((50, layout.width), dtype=np.float32)
    for start, width in ((1, 3), (4, 2), (6, 2), (9, 4)):
        rows[np.arange(50), start + rng.integers(width, size=50)] = 1
    rows[:, [0, 8]] = rng.uniform(-1, 1, size=(50, 2))
    permuted = torch.from_numpy(layout.permute(rows))
    smoothed = layout.unpermute(layout.smooth(permuted, 0.2, torch.Generator().manual_seed(0))).numpy()
    np.testing.assert_array_equal(smoothed[:, [0, 8]], rows[:, [0, 8]])  # values untouched
    for start, width in ((1, 3), (4, 2), (6, 2), (9, 4)):
        block, truth = smoothed[:, start:start + width], rows[:, start:start + width]
        np.testing.assert_allclose(block.sum(1), 1, rtol=1e-6)
        assert (block.argmax(1) == truth.argmax(1)).all() and (block < 1).all() and (block > 0).all()


def test_marginal_kl_is_zero_for_equal_frequencies_and_grows_with_the_gap():
    layout = SpanLayout([Span("category", 2, "b")])
    real = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # frequencies 0.5 / 0.5
    assert float(layout.marginal_kl(real, torch.full((4, 2), 0.5))) == pytest.approx(0, abs=1e-6)
    near = float(layout.marginal_kl(real, torch.tensor([[0.6, 0.4]])))
    far = float(layout.marginal_kl(real, torch.tensor([[0.9, 0.1]])))
    assert near == pytest.approx(0.5 * math.log(0.5 / 0.6) + 0.5 * math.log(0.5 / 0.4), rel=1e-5)
    assert 0 < near < far


@pytest.mark.parametrize("width, side", [(1, 4), (16, 4), (17, 8), (170, 16), (257, 32)])
def test_square_side_and_conv_networks_shapes(width, side):
    from veil.models.nn.blocks import ConvDiscriminator, ConvGenerator, square_side

    assert square_side(width) == side
    gen = build(lambda: ConvGenerator(10, side, 8), torch.device("cpu"), torch.Generator().manual_seed(0))
    images = gen(torch.randn(6, 10))
    assert images.shape == (6, side * side)
    critic = build(lambda: ConvDiscriminator(side, 8, 3), torch.device("cpu"), torch.Generator().manual_seed(0))
    logits, features = critic(images)
    assert logits.shape == (6, 3) and features.shape == (6, critic.feature_dim)


def test_minibatch_discrimination_sees_a_collapsed_batch():
    from veil.models.nn.blocks import MinibatchDiscrimination

    layer = build(lambda: MinibatchDiscrimination(4, 5, 3), torch.device("cpu"), torch.Generator().manual_seed(0))
    varied = torch.randn(8, 4, generator=torch.Generator().manual_seed(1)) * 3
    collapsed = varied[:1].expand(8, -1)
    with torch.no_grad():
        closeness_varied, closeness_collapsed = layer(varied)[:, 4:], layer(collapsed)[:, 4:]
        torch.testing.assert_close(closeness_collapsed, torch.full((8, 5), 7.0))  # 7 identical neighbours
        assert float(closeness_varied.max()) < 7.0 and layer(varied)[:, :4].equal(varied)
        # two batches in one call: each row is compared with its own batch only
        torch.testing.assert_close(layer(torch.cat([varied, collapsed]), groups=2),
                                   torch.cat([layer(varied), layer(collapsed)]))


def test_diversity_critic_sees_a_shifted_column_only_beside_real_rows():
    """Batch norm over generated rows alone removes their mean: a constant shift changes no logit. With
    the real rows in the same batch it does."""
    from veil.models.nn.blocks import DiversityCritic

    critic = build(lambda: DiversityCritic(4, (16,)), torch.device("cpu"), torch.Generator().manual_seed(0))
    real = torch.randn(64, 4, generator=torch.Generator().manual_seed(1))
    shifted = real + torch.tensor([0.9, 0.0, 0.0, 0.0])
    with torch.no_grad():
        torch.testing.assert_close(critic(shifted), critic(real), atol=1e-4, rtol=0)  # alone: blind
        together = critic(torch.cat([real, shifted]), groups=2)
        assert (together[64:] - together[:64]).abs().mean() > 0.05


def test_most_likely_takes_the_largest_entry_of_each_span():
    layout = SpanLayout(SPANS)
    raw = torch.randn(40, layout.width, generator=torch.Generator().manual_seed(3))
    sample = layout.most_likely(raw)
    encoder_order = layout.unpermute(raw).numpy()
    expected = [encoder_order[:, start:start + width].argmax(1) for start, width in ((1, 3), (4, 2), (6, 2), (9, 4))]
    np.testing.assert_array_equal(sample.codes, np.stack(expected, axis=1))
    np.testing.assert_allclose(sample.scalars, np.tanh(encoder_order[:, [0, 8]]), rtol=1e-6)
