"""CTGAN (Xu et al., NeurIPS 2019, "Modeling Tabular Data using Conditional GAN"), written from the paper.

* Rows are mode-specific normalised (the encoder's ``scalar`` + ``mode`` spans) and one-hot categories.
* A conditional vector picks a discrete column uniformly and a category by log-frequency; real rows with
  that category are drawn to match (training-by-sampling); the generator pays a cross-entropy penalty
  when its output ignores the condition.
* Generator: residual blocks (linear, batch norm, ReLU, input concatenated); tanh for scalars and
  Gumbel-softmax (tau 0.2) for modes and categories.
* Critic: PacGAN (``pac`` rows judged together), LeakyReLU(0.2) and dropout(0.5); WGAN-GP loss with
  gradient penalty 10; Adam with lr 2e-4, betas (0.5, 0.9).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from ..encode.spans import Span, SpanSample
from ..errors import InvalidDataError, InvalidParameterError
from .base import Conditions
from .nn.base import TorchModel
from .nn.blocks import PacCritic, ResidualGenerator
from .nn.condvec import ConditionalSampler
from .nn.heads import SpanLayout
from .nn.torch_utils import adam_options, build, descend, make_generator

GUMBEL_TAU = 0.2
GRADIENT_PENALTY = 10.0


def gradient_penalty(critic: PacCritic, real: torch.Tensor, fake: torch.Tensor, pac: int,
                     generator: torch.Generator) -> torch.Tensor:
    """WGAN-GP: (||grad critic(x_hat)|| - 1)^2 on points between real and fake packs."""
    alpha = torch.rand(real.shape[0] // pac, 1, 1, generator=generator, device=real.device)
    alpha = alpha.expand(-1, pac, real.shape[1]).reshape(-1, real.shape[1])
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score = critic(mixed, generator)
    (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    norms = grad.reshape(-1, pac * real.shape[1]).norm(2, dim=1)
    return GRADIENT_PENALTY * ((norms - 1) ** 2).mean()


class CTGAN(TorchModel):
    name: ClassVar[str] = "ctgan"
    defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 128, "generator_dim": (256, 256), "discriminator_dim": (256, 256),
        "generator_lr": 2e-4, "generator_decay": 1e-6, "discriminator_lr": 2e-4, "discriminator_decay": 1e-6,
        "batch_size": 500, "discriminator_steps": 1, "log_frequency": True, "epochs": 300, "pac": 10,
        "device": "auto", "early_stopping_patience": None,
    }
    networks: ClassVar[tuple[str, ...]] = ("generator_", "critic_")

    # ------------------------------------------------------------------ build
    def _build(self, spans: Sequence[Span], extra: Mapping[str, Any], device: torch.device,
               generator: torch.Generator) -> None:
        self.layout_ = SpanLayout(spans, device)
        width, cond_width = self.layout_.width, int(extra["cond_width"])
        p = self.params
        self.cond_width_ = cond_width
        self.generator_ = build(lambda: ResidualGenerator(p["embedding_dim"] + cond_width, p["generator_dim"], width),
                                device, generator)
        self.critic_ = build(lambda: PacCritic(width + cond_width, p["discriminator_dim"], p["pac"]), device, generator)
        self.condition_arrays_ = extra.get("condition")

    def _extra_state(self) -> dict[str, Any]:
        return {"cond_width": self.cond_width_, "condition": self.condition_arrays_}

    # ------------------------------------------------------------------ fit
    def fit(self, matrix: np.ndarray, spans: Sequence[Span], *, rng: np.random.Generator,
            callbacks: Sequence[Any] = ()) -> CTGAN:
        p = self.params
        if p["batch_size"] % p["pac"] != 0:
            raise InvalidParameterError(f"The 'batch_size' parameter of CTGAN must be a multiple of pac "
                                        f"({p['pac']}). Got {p['batch_size']} instead.")
        device = self._prepare(matrix, spans)
        generator = make_generator(rng, device)
        sampler = ConditionalSampler(matrix, spans, log_frequency=p["log_frequency"])
        self._build(spans, {"cond_width": sampler.width, "condition": sampler.state()}, device, generator)
        layout = self.layout_
        data = torch.from_numpy(layout.permute(matrix)).to(device)
        batch, emb, pac = p["batch_size"], p["embedding_dim"], p["pac"]
        opt_g = torch.optim.Adam(self.generator_.parameters(), lr=p["generator_lr"], betas=(0.5, 0.9),
                                 weight_decay=p["generator_decay"], **adam_options(device))
        opt_d = torch.optim.Adam(self.critic_.parameters(), lr=p["discriminator_lr"], betas=(0.5, 0.9),
                                 weight_decay=p["discriminator_decay"], **adam_options(device))
        soft_of_discrete = torch.tensor([layout.soft_position[i] for i in sampler.span_ids],
                                        dtype=torch.long, device=device)
        every_row = torch.arange(batch, device=device)

        def conditioned(n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
            if sampler.n_discrete == 0:
                rows = torch.from_numpy(rng.integers(matrix.shape[0], size=n)).to(device)
                return data.new_zeros(n, 0), rows, rows, rows
            vec, column, category, rows = sampler.sample_train(n, rng)
            to = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
            return to(vec), to(column), to(category), to(rows)

        def step() -> dict[str, torch.Tensor]:
            for _ in range(p["discriminator_steps"]):
                cond, _, _, rows = conditioned(batch)
                noise = torch.randn(batch, emb, generator=generator, device=device)
                with torch.no_grad():
                    fake = layout.activate(self.generator_(torch.cat([noise, cond], 1)), tau=GUMBEL_TAU,
                                           generator=generator)
                real = torch.cat([data[rows], cond], 1)
                fake = torch.cat([fake, cond], 1)
                scores = self.critic_(torch.cat([fake, real]), generator)  # one pass; packs never mix
                loss_d = scores[:batch // pac].mean() - scores[batch // pac:].mean()
                descend(opt_d, loss_d + gradient_penalty(self.critic_, real, fake, pac, generator))
            cond, column, category, _ = conditioned(batch)
            noise = torch.randn(batch, emb, generator=generator, device=device)
            raw = self.generator_(torch.cat([noise, cond], 1))
            fake = layout.activate(raw, tau=GUMBEL_TAU, generator=generator)
            self.critic_.requires_grad_(False)  # the generator's step needs no critic weight gradients
            loss_g = -self.critic_(torch.cat([fake, cond], 1), generator).mean()
            self.critic_.requires_grad_(True)
            if sampler.n_discrete:  # the condition's column must show the condition's category
                position = soft_of_discrete[column]
                wanted = torch.zeros(batch, len(layout.softmax_spans), dtype=torch.long, device=device)
                wanted[every_row, position] = category
                loss_g = loss_g + layout.cross_entropy(raw, wanted)[every_row, position].mean()
            return {"generator": descend(opt_g, loss_g), "discriminator": loss_d.detach()}

        self._run(step, spans, steps_per_epoch=max(matrix.shape[0] // batch, 1), monitor="generator",
                  callbacks=callbacks)
        return self

    # ------------------------------------------------------------------ sample
    #: the conditional vector fixes one categorical column
    native_conditions: ClassVar[str] = "one"

    def condition_spans(self) -> list[int]:
        """The span indices the conditional vector can fix."""
        sampler = ConditionalSampler.from_state(self.condition_arrays_)
        return [] if sampler is None else list(sampler.span_ids)

    def sample(self, n: int, *, rng: np.random.Generator, conditions: Conditions | None = None) -> SpanSample:
        self._check_fitted()
        device = self.device_
        sampler = ConditionalSampler.from_state(self.condition_arrays_)
        if conditions and (sampler is None or any(k not in sampler.span_ids for k in conditions)):
            raise InvalidDataError("CTGAN conditions on one categorical column at a time")

        def draw(size: int, generator: torch.Generator) -> SpanSample:
            if sampler is None:
                cond = torch.zeros(size, 0, device=device)
            else:
                vec = sampler.fixed(size, conditions) if conditions else sampler.sample_original(size, rng)
                cond = torch.from_numpy(vec).to(device)
            noise = torch.randn(size, self.params["embedding_dim"], generator=generator, device=device)
            return self.layout_.sample(self.generator_(torch.cat([noise, cond], 1)), generator=generator)

        out = self._sample_chunks(n, rng, draw)
        if conditions:  # the generator was conditioned on the value; the row shows it exactly
            (span_index, code), = conditions.items()
            softmax_in_span_order = sorted(self.layout_.softmax_spans)
            out.codes[:, softmax_in_span_order.index(span_index)] = int(code)
        return out

