"""TVAE (Xu et al., NeurIPS 2019), written from the paper: a variational autoencoder over encoded rows.

Encoder and decoder are MLPs. The reconstruction loss is, per span, a Gaussian term with a learned
sigma for scalars and a cross-entropy for softmax spans (modes, categories, missing flags), weighted by
``loss_factor``, plus the KL divergence of the posterior from N(0, I).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..encode.spans import Span, SpanSample
from .base import Conditions
from .nn.base import TorchModel
from .nn.blocks import MLP
from .nn.distributed import current
from .nn.dp import DPSGD, functional, private_options
from .nn.heads import SpanLayout
from .nn.torch_utils import RowBatches, adam_options, build, descend, draw_categories

SIGMA_RANGE = (0.01, 1.0)


class _Sigma(nn.Module):
    """The decoder's learned noise scale, one per scalar span."""

    def __init__(self, n: int):
        super().__init__()
        self.value = nn.Parameter(torch.empty(n))

    def reset(self) -> None:
        with torch.no_grad():
            self.value.fill_(0.1)


class TVAE(TorchModel):
    name: ClassVar[str] = "tvae"
    defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 128, "compress_dims": (128, 128), "decompress_dims": (128, 128), "l2scale": 1e-5,
        "batch_size": 500, "epochs": 300, "loss_factor": 2.0, "learning_rate": 1e-3, "device": "auto",
        "early_stopping_patience": None, "dp": None,
    }
    networks: ClassVar[tuple[str, ...]] = ("encoder_", "decoder_", "sigma_")
    chunks_side_by_side: ClassVar[bool] = True

    def _build(self, spans: Sequence[Span], extra: Mapping[str, Any], device: torch.device,
               generator: torch.Generator) -> None:
        self.layout_ = SpanLayout(spans, device)
        p, width = self.params, self.layout_.width
        self.encoder_ = build(lambda: MLP(width, p["compress_dims"], 2 * p["embedding_dim"]), device, generator)
        self.decoder_ = build(lambda: MLP(p["embedding_dim"], p["decompress_dims"], width), device, generator)
        self.sigma_ = build(lambda: _Sigma(self.layout_.n_scalar), device, generator)
        self.sigma_.reset()

    def fit(self, matrix: np.ndarray, spans: Sequence[Span], *, rng: np.random.Generator,
            callbacks: Sequence[Any] = ()) -> TVAE:
        p = self.params
        device, generator = self._start_fit(matrix, spans, rng)
        layout = self.layout_
        data = torch.from_numpy(layout.permute(matrix)).to(device)
        n, batch = data.shape[0], min(p["batch_size"], data.shape[0])
        if p["dp"]:
            return self._fit_private(data, spans, generator, callbacks)
        params = [*self.encoder_.parameters(), *self.decoder_.parameters(), *self.sigma_.parameters()]
        optimizer = torch.optim.Adam(params, lr=p["learning_rate"], weight_decay=p["l2scale"], **adam_options(device))
        k = layout.n_scalar
        next_batch = RowBatches(data, batch, generator)
        parallel = current()

        def step() -> dict[str, torch.Tensor]:
            x = next_batch()
            n_all, mine = x.shape[0], parallel.local_rows(x.shape[0])  # data-parallel: this rank's rows
            x = x[mine]
            mu, logvar = self.encoder_(x).chunk(2, dim=1)
            eps = torch.randn(n_all, mu.shape[1], generator=generator, device=device)[mine]
            z = mu + eps * torch.exp(0.5 * logvar)
            raw = self.decoder_(z)
            sigma = self.sigma_.value
            gaussian = (((x[:, :k] - torch.tanh(raw[:, :k])) ** 2) / (2 * sigma ** 2)).sum() \
                + torch.log(sigma).sum() * x.shape[0]
            categorical = layout.total_cross_entropy(raw, x)
            reconstruction = p["loss_factor"] * (gaussian + categorical) / x.shape[0]
            kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp()) / x.shape[0]
            loss = descend(optimizer, reconstruction + kl, lambda: parallel.sync_gradients(params, x.shape[0], n_all))
            with torch.no_grad():
                sigma.clamp_(*SIGMA_RANGE)
            return {name: parallel.share(value, x.shape[0], n_all) for name, value in
                    (("loss", loss), ("reconstruction", reconstruction.detach()), ("kl", kl.detach()))}

        self._run(step, spans, steps_per_epoch=math.ceil(n / batch), monitor="loss", callbacks=callbacks)
        return self

    def _fit_private(self, data: torch.Tensor, spans: Sequence[Span], generator: torch.Generator,
                     callbacks: Sequence[Any]) -> TVAE:
        """DP-SGD over encoder and decoder together (both read the rows); sigma stays at its start, 0.1."""
        p, layout, k = self.params, self.layout_, self.layout_.n_scalar
        self.sigma_.value.requires_grad_(False)
        sigma = self.sigma_.value.detach()
        optimizer = torch.optim.Adam([*self.encoder_.parameters(), *self.decoder_.parameters()],
                                     lr=p["learning_rate"], weight_decay=p["l2scale"], **adam_options(data.device))
        trainer = DPSGD({"encoder": self.encoder_, "decoder": self.decoder_}, optimizer, rows=data.shape[0],
                        batch_size=p["batch_size"], epochs=p["epochs"],
                        **private_options(p["dp"]))

        def loss_of_row(params: dict[str, torch.Tensor], x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
            mu, logvar = functional(self.encoder_, params, "encoder")(x).chunk(2, dim=1)
            raw = functional(self.decoder_, params, "decoder")(mu + eps * torch.exp(0.5 * logvar))
            gaussian = (((x[:, :k] - torch.tanh(raw[:, :k])) ** 2) / (2 * sigma ** 2)).sum() + torch.log(sigma).sum()
            kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())
            return p["loss_factor"] * (gaussian + layout.blockwise_cross_entropy(raw, x)) + kl

        parallel = current()

        def step() -> dict[str, torch.Tensor]:
            if trainer.exhausted:
                return {}
            rows = trainer.batch()
            ours = parallel.local_rows(rows.shape[0])  # data-parallel: this rank's slice of the Poisson batch
            x = data[rows[ours]]
            trainer.step(loss_of_row, x, torch.randn(rows.shape[0], p["embedding_dim"], generator=generator,
                                                     device=data.device)[ours])
            return {"rows": torch.tensor(float(x.shape[0]))}

        self._run(step, spans, steps_per_epoch=trainer.steps_per_epoch, monitor="rows", callbacks=callbacks)
        self.privacy_ = trainer.report()
        return self

    #: any categorical columns, by rejection right after the decoder's last hidden layer
    native_conditions: ClassVar[str] = "many"

    def sample(self, n: int, *, rng: np.random.Generator, conditions: Conditions | None = None) -> SpanSample:
        self._check_fitted()
        if conditions:
            return self._sample_allowed(n, rng, conditions, self._propose)
        return self._sample_chunks(n, rng, lambda size, generator: self._finish(self._hidden(size, generator),
                                                                               generator))

    def _hidden(self, size: int, generator: torch.Generator) -> torch.Tensor:
        """The decoder's last hidden layer for ``size`` draws of the latent prior."""
        hidden = torch.randn(size, self.params["embedding_dim"], generator=generator, device=self.device_)
        for layer in self.decoder_.body:  # ReLU in place: sampling under a rare condition runs this on millions
            hidden = layer(hidden) if isinstance(layer, nn.Linear) else hidden.relu_()
        return hidden

    def _finish(self, hidden: torch.Tensor, generator: torch.Generator) -> SpanSample:
        """Rows from the decoder's last hidden layer: its output, scalars with the learned noise, a code per span."""
        raw = self.decoder_.out(hidden)
        k = self.layout_.n_scalar
        noise = torch.randn(hidden.shape[0], k, generator=generator, device=hidden.device)
        scalars = (torch.tanh(raw[:, :k]) + noise * self.sigma_.value).clamp(-1.0, 1.0)
        return self.layout_.sample(raw, generator=generator, scalars=scalars)

    def _propose(self, size: int, generator: torch.Generator, allowed: Mapping[int, torch.Tensor]) -> SpanSample:
        """``size`` prior draws, kept where each conditioned span's code (drawn from its own logits only,
        before the rest of the output layer is computed) is allowed. Spans are independent given the
        latent, so the kept rows are exactly the model's rows given the condition."""
        hidden = self._hidden(size, generator)
        out, layout = self.decoder_.out, self.layout_
        softmax = sorted(layout.softmax_spans)
        keep = torch.ones(size, dtype=torch.bool, device=hidden.device)
        drawn = {}
        for position, codes in allowed.items():
            columns = layout.columns_of[softmax[position]]
            logits = nn.functional.linear(hidden, out.weight[columns], out.bias[columns])
            drawn[position] = draw_categories(logits, 1.0, generator)
            keep &= torch.isin(drawn[position], codes)
        sample = self._finish(hidden[keep], generator)
        for position, codes in drawn.items():
            sample.codes[:, position] = codes[keep].cpu().numpy()
        return sample
