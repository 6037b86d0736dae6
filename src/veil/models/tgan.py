"""TGAN (Xu & Veeramachaneni, 2018, "Synthesizing Tabular Data using Generative Adversarial Networks"),
written from the paper over veil's shared encoder.

* Rows: mode-specific normalised numbers (a value, then a mode vector) and one-hot categories, from the
  shared encoder. Real one-hot vectors are smoothed: uniform noise in [0, ``noise``) on every entry,
  then renormalised.
* Generator: an LSTM that emits one span per step, in the table's column order: a number takes two steps
  (its value through tanh, then its mode vector through a softmax), a category one (a softmax). Each step
  has its own layers: the LSTM output h_t gives a feature f_t = tanh(W h_t), f_t gives the step's output.
  The next step's input is the noise z, the previous feature (after a value) or an embedding of the
  previous softmax output, and an attention context: a weighted sum of all earlier LSTM outputs, with
  weights learned per step.
* Discriminator: an MLP whose layers see minibatch-discrimination (diversity) features of the layer
  before, with batch norm and LeakyReLU; a sigmoid output. It takes each step's real and generated rows
  as one batch, so that batch norm cannot hide a shifted column (see ``DiversityCritic``).
* Generator loss: the usual -log D(G(z)), plus the KL divergence between the real and the generated
  batch's frequencies of every category and mode vector.
* Sampling takes the largest entry of each softmax output, as TGAN's own code does. The generator learns
  to imitate smoothed one-hot vectors, in which a wide category's true entry holds only a fifth of the
  mass (42 countries: 1.1 against about 4.2 of noise); drawing from such outputs would spread rows over
  every category (on Adult, native-country's frequencies were 0.64 away from the real ones in total
  variation).
* Adam (lr 1e-3, betas (0.5, 0.9)) with L2 weight decay 1e-5, batches of 200, as TGAN's own settings.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..encode.spans import Span, SpanSample
from .base import Conditions
from .nn.base import TorchModel
from .nn.blocks import DiversityCritic
from .nn.gan import discriminator_loss, fooled_loss, gan_setup
from .nn.heads import SpanLayout
from .nn.torch_utils import build, descend


class AttentionLSTMGenerator(nn.Module):
    """TGAN's generator: one LSTM step per span (see the module docstring). ``forward`` returns the raw
    outputs (pre-tanh values, softmax logits) and the activated ones, both in span order."""

    def __init__(self, spans: Sequence[Span], noise_dim: int, hidden: int, feature: int):
        super().__init__()
        self.scalar = [s.kind == "scalar" for s in spans]
        self.hidden = hidden
        steps = len(spans)
        # an LSTM cell over [z, previous output, context]; z is the same at every step, so its share of
        # the gates is computed once per row instead of once per step
        self.noise_gates = nn.Linear(noise_dim, 4 * hidden)
        self.step_gates = nn.Linear(feature + 2 * hidden, 4 * hidden, bias=False)
        self.go = nn.Parameter(torch.empty(1, feature))  # the first step's "previous output"
        self.attention = nn.Parameter(torch.empty(steps, steps))  # row t: logits over the outputs h_0..h_t
        self.to_feature = nn.ModuleList(nn.Linear(hidden, feature) for _ in spans)
        self.to_output = nn.ModuleList(nn.Linear(feature, s.width) for s in spans)
        self.embed = nn.ModuleList(nn.Linear(s.width, feature) for s in spans)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch = z.shape[0]
        noise_gates = self.noise_gates(z)
        h = cell = z.new_zeros(batch, self.hidden)
        previous, context = self.go.expand(batch, -1), h
        outputs: list[torch.Tensor] = []
        raws, activated = [], []
        for t, is_scalar in enumerate(self.scalar):
            gates = noise_gates + self.step_gates(torch.cat([previous, context, h], dim=1))
            forget, write, candidate, show = gates.chunk(4, dim=1)
            cell = torch.sigmoid(forget) * cell + torch.sigmoid(write) * torch.tanh(candidate)
            h = torch.sigmoid(show) * torch.tanh(cell)
            outputs.append(h)
            weights = torch.softmax(self.attention[t, :t + 1], dim=0)
            context = torch.einsum("k,kbh->bh", weights, torch.stack(outputs))
            feature = torch.tanh(self.to_feature[t](h))
            raw = self.to_output[t](feature)
            value = torch.tanh(raw) if is_scalar else torch.softmax(raw, dim=1)
            previous = feature if is_scalar else self.embed[t](value)
            raws.append(raw)
            activated.append(value)
        return torch.cat(raws, dim=1), torch.cat(activated, dim=1)


class TGAN(TorchModel):
    name: ClassVar[str] = "tgan"
    defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 200, "generator_dim": 100, "feature_dim": 100, "discriminator_dim": (100,),
        "batch_size": 200, "epochs": 100, "learning_rate": 1e-3, "l2scale": 1e-5, "noise": 0.2,
        "device": "auto", "early_stopping_patience": None,
    }
    networks = ("generator_", "discriminator_")

    def _build(self, spans: Sequence[Span], extra: Mapping[str, Any], device: torch.device,
               generator: torch.Generator) -> None:
        p = self.params
        self.layout_ = layout = SpanLayout(spans, device)
        self.generator_ = build(lambda: AttentionLSTMGenerator(spans, p["embedding_dim"], p["generator_dim"],
                                                               p["feature_dim"]), device, generator)
        self.discriminator_ = build(lambda: DiversityCritic(layout.width, p["discriminator_dim"]), device, generator)
        self.to_layout_ = torch.from_numpy(layout.order).to(device)  # span order -> layout order

    def _generate(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw and activated rows, in layout order."""
        z = torch.randn(n, self.params["embedding_dim"], generator=generator, device=self.to_layout_.device)
        raw, activated = self.generator_(z)
        return raw.index_select(1, self.to_layout_), activated.index_select(1, self.to_layout_)

    def fit(self, matrix: np.ndarray, spans: Sequence[Span], *, rng: np.random.Generator,
            callbacks: Sequence[Any] = ()) -> TGAN:
        p = self.params
        device, generator = self._start_fit(matrix, spans, rng)
        layout = self.layout_
        real_rows, opt_g, opt_d = gan_setup(layout.permute(matrix), self.generator_, self.discriminator_, device,
                                            generator, batch_size=p["batch_size"], lr=p["learning_rate"],
                                            betas=(0.5, 0.9), weight_decay=p["l2scale"])

        def step() -> dict[str, torch.Tensor]:
            real = layout.smooth(real_rows(), p["noise"], generator)
            n = real.shape[0]
            _, fake = self._generate(n, generator)
            # D sees real and generated rows in one batch (see DiversityCritic)
            logits = self.discriminator_(torch.cat([real, fake.detach()]), groups=2)
            loss_d = descend(opt_d, discriminator_loss(logits[:n], logits[n:]))
            self.discriminator_.requires_grad_(False)
            fake_logit = self.discriminator_(torch.cat([real, fake]), groups=2)[n:]
            self.discriminator_.requires_grad_(True)
            kl = layout.marginal_kl(real, fake)
            return {"generator": descend(opt_g, fooled_loss(fake_logit) + kl), "discriminator": loss_d,
                    "kl": kl.detach()}

        batch = min(p["batch_size"], matrix.shape[0])
        self._run(step, spans, steps_per_epoch=max(matrix.shape[0] // batch, 1), monitor="generator",
                  callbacks=callbacks)
        return self

    def sample(self, n: int, *, rng: np.random.Generator, conditions: Conditions | None = None) -> SpanSample:
        self._check_unconditional(conditions)

        def draw(size: int, generator: torch.Generator) -> SpanSample:  # argmax: see the module docstring
            return self.layout_.most_likely(self._generate(size, generator)[0])

        return self._sample_chunks(n, rng, draw)
