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

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from ..encode.spans import Span, SpanSample, span_slices
from ..errors import InvalidDataError, InvalidParameterError
from .base import Conditions
from .nn.base import TorchModel
from .nn.blocks import PacCritic, ResidualGenerator
from .nn.condvec import ConditionalSampler
from .nn.distributed import DataParallel, current, rand_rows
from .nn.dp import DPSGD, functional, noisy_counts, private_options
from .nn.heads import SpanLayout
from .nn.torch_utils import adam_options, build, descend, make_generator

GUMBEL_TAU = 0.2
GRADIENT_PENALTY = 10.0


def gradient_penalty(critic: PacCritic, real: torch.Tensor, fake: torch.Tensor, pac: int,
                     generator: torch.Generator) -> torch.Tensor:
    """WGAN-GP: (||grad critic(x_hat)|| - 1)^2 on points between real and fake packs."""
    alpha = rand_rows((real.shape[0] // pac, 1, 1), generator, real.device)
    alpha = alpha.expand(-1, pac, real.shape[1]).reshape(-1, real.shape[1])
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score = critic(mixed, generator)
    (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    norms = grad.reshape(-1, pac * real.shape[1]).norm(2, dim=1)
    return GRADIENT_PENALTY * ((norms - 1) ** 2).mean()


def _pack_share(batch: int, pac: int) -> tuple[DataParallel, slice, slice]:
    """The data-parallel context, this rank's packs of a global batch of ``batch`` rows, and their rows
    (packs are never split: the critic judges a pack as one)."""
    parallel = current()
    if batch // pac < parallel.world:
        raise InvalidParameterError(f"CTGAN's batch of {batch} rows holds {batch // pac} packs of {pac}, fewer than "
                                    f"the {parallel.world} training processes; raise batch_size")
    packs = parallel.local_rows(batch // pac)
    return parallel, packs, slice(packs.start * pac, packs.stop * pac)


class CTGAN(TorchModel):
    name: ClassVar[str] = "ctgan"
    defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 128, "generator_dim": (256, 256), "discriminator_dim": (256, 256),
        "generator_lr": 2e-4, "generator_decay": 1e-6, "discriminator_lr": 2e-4, "discriminator_decay": 1e-6,
        "batch_size": 500, "discriminator_steps": 1, "log_frequency": True, "epochs": 300, "pac": 10,
        "device": "auto", "early_stopping_patience": None, "dp": None,
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
        if p["dp"]:
            return self._fit_private(matrix, spans, device, generator, callbacks)
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
        parallel, packs, mine = _pack_share(batch, pac)
        n_mine, n_packs, every_row = mine.stop - mine.start, batch // pac, torch.arange(mine.stop - mine.start,
                                                                                        device=device)
        both = torch.cat([torch.arange(packs.start, packs.stop, device=device),
                          torch.arange(packs.start, packs.stop, device=device) + n_packs])
        d_params, g_params = list(self.critic_.parameters()), list(self.generator_.parameters())

        def conditioned(n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
            if sampler.n_discrete == 0:
                rows = torch.from_numpy(rng.integers(matrix.shape[0], size=n)).to(device)
                return data.new_zeros(n, 0), rows, rows, rows
            vec, column, category, rows = sampler.sample_train(n, rng)
            to = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
            return to(vec), to(column), to(category), to(rows)

        def step() -> dict[str, torch.Tensor]:
            # data-parallel: the global batch is drawn on every rank, each takes its packs (see _pack_share)
            for _ in range(p["discriminator_steps"]):
                cond, _, _, rows = conditioned(batch)
                noise = torch.randn(batch, emb, generator=generator, device=device)
                cond, rows, noise = cond[mine], rows[mine], noise[mine]
                with torch.no_grad(), parallel.local_batch(batch, mine):
                    fake = layout.activate(self.generator_(torch.cat([noise, cond], 1)), tau=GUMBEL_TAU,
                                           generator=generator)
                real = torch.cat([data[rows], cond], 1)
                fake = torch.cat([fake, cond], 1)
                with parallel.local_batch(2 * n_packs, both):
                    scores = self.critic_(torch.cat([fake, real]), generator)  # one pass; packs never mix
                loss_d = scores[:n_mine // pac].mean() - scores[n_mine // pac:].mean()
                with parallel.local_batch(n_packs, packs):
                    penalty = gradient_penalty(self.critic_, real, fake, pac, generator)
                descend(opt_d, loss_d + penalty, lambda: parallel.sync_gradients(d_params, n_mine, batch))
            cond, column, category, _ = conditioned(batch)
            noise = torch.randn(batch, emb, generator=generator, device=device)
            cond, column, category, noise = cond[mine], column[mine], category[mine], noise[mine]
            with parallel.local_batch(batch, mine):
                raw = self.generator_(torch.cat([noise, cond], 1))
                fake = layout.activate(raw, tau=GUMBEL_TAU, generator=generator)
            self.critic_.requires_grad_(False)  # the generator's step needs no critic weight gradients
            with parallel.local_batch(n_packs, packs):
                loss_g = -self.critic_(torch.cat([fake, cond], 1), generator).mean()
            self.critic_.requires_grad_(True)
            if sampler.n_discrete:  # the condition's column must show the condition's category
                position = soft_of_discrete[column]
                wanted = torch.zeros(n_mine, len(layout.softmax_spans), dtype=torch.long, device=device)
                wanted[every_row, position] = category
                loss_g = loss_g + layout.cross_entropy(raw, wanted)[every_row, position].mean()
            loss_g = descend(opt_g, loss_g, lambda: parallel.sync_gradients(g_params, n_mine, batch))
            return {"generator": parallel.share(loss_g, n_mine, batch),
                    "discriminator": parallel.share(loss_d.detach(), n_mine, batch)}

        self._run(step, spans, steps_per_epoch=max(matrix.shape[0] // batch, 1), monitor="generator",
                  callbacks=callbacks)
        return self

    def _fit_private(self, matrix: np.ndarray, spans: Sequence[Span], device: torch.device,
                     generator: torch.Generator, callbacks: Sequence[Any]) -> CTGAN:
        """DP-SGD on the critic only (the generator sees the rows only through it: post-processing).

        Changes from the paper's training, each because it would read the rows outside the budget:
        real rows come in Poisson batches, not by training-by-sampling, and each carries a conditional
        vector built from one of its own categories; the generator's conditional vectors follow noisy
        category counts (released first, in the same budget); the critic uses the standard GAN loss
        instead of WGAN-GP (a gradient penalty has no per-row form) and no dropout. A pack of ``pac``
        real rows is one unit of clipping, so each row is in at most one clipped gradient."""
        p, pac, emb = self.params, self.params["pac"], self.params["embedding_dim"]
        self._build(spans, {"cond_width": 0, "condition": None}, device, generator)  # widths fixed below
        layout = self.layout_
        data = torch.from_numpy(layout.permute(matrix)).to(device)
        discrete = [i for i, s in enumerate(spans) if s.kind == "category"]
        widths = [spans[i].width for i in discrete]
        codes = torch.from_numpy(np.stack([matrix[:, span_slices(spans)[i]].argmax(1) for i in discrete], 1)
                                 if discrete else np.zeros((matrix.shape[0], 0), dtype=np.int64)).to(device)
        counts, release = noisy_counts(codes, widths) if discrete else ([], None)
        real = [(c.clamp_min(0) + 1e-3) / (c.clamp_min(0) + 1e-3).sum() for c in counts]
        state = None if not discrete else {
            "span_ids": discrete, "widths": widths,
            "real_cumulative": [np.pad(np.cumsum(r.cpu().numpy()), (0, max(widths) - len(r)), constant_values=1.0)
                                .tolist() for r in real]}
        sampler = ConditionalSampler.from_state(state)
        self._build(spans, {"cond_width": sampler.width if sampler else 0, "condition": state}, device, generator)
        offsets = torch.tensor(sampler.offsets if sampler else [], dtype=torch.long, device=device)
        opt_g = torch.optim.Adam(self.generator_.parameters(), lr=p["generator_lr"], betas=(0.5, 0.9),
                                 weight_decay=p["generator_decay"], **adam_options(device))
        opt_d = torch.optim.Adam(self.critic_.parameters(), lr=p["discriminator_lr"], betas=(0.5, 0.9),
                                 weight_decay=p["discriminator_decay"], **adam_options(device))
        trainer = DPSGD({"critic": self.critic_}, opt_d, rows=data.shape[0], batch_size=p["batch_size"],
                        epochs=p["epochs"], prior=[release] if release else [], **private_options(p["dp"]))
        noise_rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=generator)))
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        parallel, packs_g, mine_g = _pack_share(p["batch_size"], pac)
        g_params = list(self.generator_.parameters())

        def own_condition(rows: torch.Tensor) -> torch.Tensor:
            """Each real row's conditional vector: one of its own categories, the column drawn at random."""
            vec = data.new_zeros(rows.shape[0], sampler.width if sampler else 0)
            if sampler:
                column = torch.randint(len(discrete), (rows.shape[0],), generator=generator, device=device)
                vec[torch.arange(rows.shape[0], device=device), offsets[column] + codes[rows, column]] = 1.0
            return vec

        def fake_rows(n: int, mine: slice | None = None) -> tuple[torch.Tensor, torch.Tensor]:
            """``n`` generated rows and their conditions; only the rows ``mine`` of them when given."""
            cond = (torch.from_numpy(sampler.sample_original(n, noise_rng)).to(device) if sampler
                    else data.new_zeros(n, 0))
            noise = torch.randn(n, emb, generator=generator, device=device)
            if mine is not None:
                cond, noise = cond[mine], noise[mine]
            with parallel.local_batch(n, mine) if mine is not None else contextlib.nullcontext():
                return layout.activate(self.generator_(torch.cat([noise, cond], 1)), tau=GUMBEL_TAU,
                                       generator=generator), cond

        def loss_of_pack(params: dict[str, torch.Tensor], pack: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
            score = functional(self.critic_, params, "critic")(pack.reshape(pac, -1), None)
            return bce(score.reshape(-1), label.reshape(-1))

        def step() -> dict[str, torch.Tensor]:
            if trainer.exhausted:
                return {}
            rows = trainer.batch()
            rows = rows[:rows.shape[0] - rows.shape[0] % pac]
            real_rows = torch.cat([data[rows], own_condition(rows)], 1)
            with torch.no_grad():
                fake, cond = fake_rows(max(rows.shape[0], pac))
            packs = torch.cat([real_rows, torch.cat([fake, cond], 1)]).reshape(-1, pac, real_rows.shape[1])
            labels = torch.cat([torch.ones(rows.shape[0] // pac), torch.zeros(packs.shape[0] - rows.shape[0] // pac)])
            self.critic_.eval()  # no dropout inside the per-pack gradients
            ours = parallel.local_rows(packs.shape[0])  # data-parallel: each rank clips its share of the packs
            trainer.step(loss_of_pack, packs[ours], labels.to(device)[ours])
            fake, cond = fake_rows(p["batch_size"], mine_g)
            self.critic_.requires_grad_(False)
            loss_g = bce(self.critic_(torch.cat([fake, cond], 1), None).reshape(-1),
                         torch.ones(packs_g.stop - packs_g.start, device=device))
            self.critic_.requires_grad_(True)
            n_mine = mine_g.stop - mine_g.start
            loss_g = descend(opt_g, loss_g, lambda: parallel.sync_gradients(g_params, n_mine, p["batch_size"]))
            return {"generator": parallel.share(loss_g, n_mine, p["batch_size"])}

        self._run(step, spans, steps_per_epoch=trainer.steps_per_epoch, monitor="generator", callbacks=callbacks)
        self.privacy_ = trainer.report()
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

