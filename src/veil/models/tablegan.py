"""table-GAN (Park et al., VLDB 2018, "Data Synthesis based on Generative Adversarial Networks"), written
from the paper over veil's shared encoder.

* Layout: an encoded row (numbers as one value each in [-1, 1], categories one-hot, in the neural models'
  layout order) is zero-padded to a square ``side x side`` image, side a power of two. The paper scales
  each number to [-1, 1]; veil's synthesizer does it through the quantile transform (one value per
  column, no mode vector), so that a spike such as Adult's capital-gain = 0 (92% of rows) owns a whole
  interval and decodes exactly even when the generator is a little off (mode-specific normalisation put
  that spike in a mode 40 wide, and every small error became a gain of 100 or more).
* Generator: DCGAN, fractionally-strided convolutions with batch norm and ReLU; tanh on the values
  (and a straight-through Gumbel-softmax on the one-hot spans, as the shared encoder needs; the paper's
  table had no one-hot columns): exact one-hot vectors go forward, so the discriminator cannot tell
  generated rows by their soft entries alone (with soft ones it won within a few epochs on Adult and
  quality fell to 0.64 at 8 epochs, against 0.75 with exact ones). Discriminator: strided convolutions,
  batch norm, LeakyReLU, a sigmoid output.
* Information loss (the privacy knob): the means and standard deviations of the discriminator's last
  features on real and on fake rows are tracked as exponential moving averages (weight 0.99); the
  generator pays ``max(0, ||mean_real - mean_fake|| - delta_mean) + max(0, ||sd_real - sd_fake|| - delta_sd)``.
  With both deltas 0 the generator is pushed to match the real features as closely as it can; larger
  deltas tolerate a gap, so the synthetic rows stay further from the real ones (less fidelity, more
  privacy). The moving average gives the loss its value; its gradient is the current batch's. A hinge's
  gradient does not depend on its margin while it is active, so a delta changes the model only once it
  is near the gaps themselves: the loss history records them (``mean_gap``, ``sd_gap``) for choosing it.
* Classifier (semantic integrity), when a ``label`` column is named: a network built like the
  discriminator predicts the label from a row whose label is removed (zeroed). It learns on real rows
  with the loss ``E|label(x) - C(remove(x))|``; the generator pays the same loss on its own rows, so
  that their labels agree with what their other columns say. The generator's label is drawn from its
  softmax, so it pays that loss's expectation over the draw, ``2 (1 - pi . p)``, which leads it to C's
  most likely label (through the straight-through one-hot the gradient led the label probabilities to
  C's probabilities instead, and on a table where the label follows from one column agreement fell from
  0.64 without the loss to 0.55 with it; with the expectation it rose to 0.70). The history records
  ``label_disagreement``, that loss on generated rows, with or without ``classification_loss``.
* Each step trains D, then C, then G, as in the paper (Adam, lr 2e-4, betas (0.5, 0.999)); G takes
  ``generator_steps`` updates (2, as the DCGAN code table-GAN's authors built on does, so that D does
  not win outright).
* Defaults for a CPU: 16 channels in the first convolution (the DCGAN's 64 cost 3 s a step on Adult, 16
  about a tenth) and 20 epochs: the discriminator keeps gaining, and on Adult quality rose from 0.77 at
  8 epochs to 0.84 at 20 (judge's score).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..encode.spans import Span, SpanSample, span_slices
from ..errors import InvalidParameterError
from .base import Conditions
from .nn.base import TorchModel
from .nn.blocks import ConvDiscriminator, ConvGenerator, square_side
from .nn.gan import discriminator_loss, fooled_loss, gan_setup
from .nn.heads import SpanLayout
from .nn.torch_utils import adam, build, descend

GUMBEL_TAU = 0.2
#: weight of the past in the moving averages of the discriminator's feature statistics (the paper's)
MOVING_AVERAGE = 0.99


def label_span(spans: Sequence[Span], label: str) -> int:
    """The index of the category span of column ``label``, with a clear error when there is none."""
    for i, span in enumerate(spans):
        if span.column == label and span.kind == "category":
            return i
    learned = sorted({s.column for s in spans})
    if label in learned:
        raise InvalidParameterError(f"table-GAN's classifier predicts a categorical label, and {label!r} is not "
                                    "categorical; name a categorical column as label, or none")
    raise InvalidParameterError(f"label {label!r} is not a learned column of the table; the learned columns are "
                                f"{learned}")


class _FeatureStatistics:
    """Moving averages of the mean and standard deviation of discriminator features (real or fake)."""

    def __init__(self) -> None:
        self.mean: torch.Tensor | None = None
        self.sd: torch.Tensor | None = None

    def track(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Update with a batch; the averages, carrying the batch's gradient (their value is the average's)."""
        mean, sd = features.mean(0), features.std(0)
        if self.mean is None:
            self.mean, self.sd = mean.detach(), sd.detach()
        else:
            self.mean = MOVING_AVERAGE * self.mean + (1 - MOVING_AVERAGE) * mean.detach()
            self.sd = MOVING_AVERAGE * self.sd + (1 - MOVING_AVERAGE) * sd.detach()
        return self.mean + (mean - mean.detach()), self.sd + (sd - sd.detach())


class TableGAN(TorchModel):
    name: ClassVar[str] = "tablegan"
    defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 100, "channels": 16, "batch_size": 500, "epochs": 20, "learning_rate": 2e-4,
        "l2scale": 1e-5, "delta_mean": 0.0, "delta_sd": 0.0, "label": None, "classification_loss": True,
        "generator_steps": 2,
        "device": "auto", "early_stopping_patience": None,
    }
    networks = ("generator_", "discriminator_", "classifier_")

    def _build(self, spans: Sequence[Span], extra: Mapping[str, Any], device: torch.device,
               generator: torch.Generator) -> None:
        p = self.params
        self.layout_ = layout = SpanLayout(spans, device)
        self.side_ = side = square_side(layout.width)
        self.generator_ = build(lambda: ConvGenerator(p["embedding_dim"], side, p["channels"]), device, generator)
        self.discriminator_ = build(lambda: ConvDiscriminator(side, p["channels"]), device, generator)
        self.label_columns_ = None
        if p["label"] is None:
            self.networks = ("generator_", "discriminator_")
            return
        columns = span_slices(list(spans))[label_span(spans, p["label"])]
        positions = np.sort(layout.inverse[columns])  # the label's one-hot columns in layout order
        self.label_columns_ = torch.from_numpy(positions).to(device)
        self.classifier_ = build(lambda: ConvDiscriminator(side, p["channels"], len(positions)), device, generator)

    def _square(self, rows: torch.Tensor) -> torch.Tensor:
        """Rows (layout order) zero-padded to ``side * side`` values."""
        return nn.functional.pad(rows, (0, self.side_ ** 2 - rows.shape[1]))

    def _without_label(self, image: torch.Tensor) -> torch.Tensor:
        """remove(x): the rows with their label columns set to 0."""
        return image.index_fill(1, self.label_columns_, 0.0)

    def _label_loss(self, image: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The paper's classification loss, mean |label(x) - C(remove(x))|. For a one-hot label e_k and C's
        probabilities p it is 2 (1 - p_k); for ``labels`` given as the generator's probabilities pi (its
        label is then drawn from pi) it is the expectation of that, 2 (1 - pi . p)."""
        logits, _ = self.classifier_(self._without_label(image))
        if labels is None:
            labels = image.index_select(1, self.label_columns_)
        return 2 * (1 - (labels * torch.softmax(logits, 1)).sum(1)).mean()

    # ------------------------------------------------------------------ fit
    def fit(self, matrix: np.ndarray, spans: Sequence[Span], *, rng: np.random.Generator,
            callbacks: Sequence[Any] = ()) -> TableGAN:
        p = self.params
        device, generator = self._start_fit(matrix, spans, rng)
        layout = self.layout_
        options = {"lr": p["learning_rate"], "betas": (0.5, 0.999), "weight_decay": p["l2scale"]}
        real_rows, opt_g, opt_d = gan_setup(self._pad_matrix(matrix), self.generator_, self.discriminator_, device,
                                            generator, batch_size=p["batch_size"], **options)
        classify = self.label_columns_ is not None
        opt_c = adam(self.classifier_, device, **options) if classify else None
        real_stats, fake_stats = _FeatureStatistics(), _FeatureStatistics()
        delta_mean, delta_sd = p["delta_mean"], p["delta_sd"]

        def generate(n: int) -> tuple[torch.Tensor, torch.Tensor]:
            """Generated rows as images, and the generator's raw outputs (layout order)."""
            noise = torch.randn(n, p["embedding_dim"], generator=generator, device=device)
            raw = self.generator_(noise)[:, :layout.width]
            return self._square(layout.activate(raw, tau=GUMBEL_TAU, generator=generator, hard=True)), raw

        def update_generator(generated: tuple[torch.Tensor, torch.Tensor], mean_real: torch.Tensor,
                             sd_real: torch.Tensor) -> dict:
            """G: fool D, match D's feature statistics up to the deltas, agree with C."""
            fake, raw = generated
            self.discriminator_.requires_grad_(False)
            fake_logit, fake_features = self.discriminator_(fake)
            self.discriminator_.requires_grad_(True)
            mean_fake, sd_fake = fake_stats.track(fake_features)
            mean_gap = torch.linalg.vector_norm(mean_real - mean_fake)
            sd_gap = torch.linalg.vector_norm(sd_real - sd_fake)
            information = torch.relu(mean_gap - delta_mean) + torch.relu(sd_gap - delta_sd)
            loss_g = fooled_loss(fake_logit) + information
            record = {"information": information.detach(), "mean_gap": mean_gap.detach(), "sd_gap": sd_gap.detach()}
            if classify:  # how far the generated labels are from C's reading of their rows, steering G or not
                self.classifier_.requires_grad_(False)
                with torch.set_grad_enabled(p["classification_loss"]):
                    # expected over the label draw: the straight-through one-hot's gradient would pull the
                    # label probabilities towards C's (a calibrated, not a consistent, label)
                    label_loss = self._label_loss(fake, torch.softmax(raw.index_select(1, self.label_columns_), 1))
                self.classifier_.requires_grad_(True)
                if p["classification_loss"]:
                    loss_g = loss_g + label_loss
                record["label_disagreement"] = label_loss.detach()
            return {"generator": descend(opt_g, loss_g), **record}

        def step() -> dict[str, torch.Tensor]:
            real = real_rows()
            generated = generate(real.shape[0])
            # D: real rows -> 1, generated rows -> 0
            real_logit, real_features = self.discriminator_(real)
            fake_logit, _ = self.discriminator_(generated[0].detach())
            losses = {"discriminator": descend(opt_d, discriminator_loss(real_logit, fake_logit))}
            # C: the label of real rows from their other columns
            if classify:
                losses["classifier"] = descend(opt_c, self._label_loss(real))
            mean_real, sd_real = real_stats.track(real_features.detach())
            for i in range(p["generator_steps"]):
                losses.update(update_generator(generated if i == 0 else generate(real.shape[0]), mean_real, sd_real))
            return losses

        batch = min(p["batch_size"], matrix.shape[0])
        self._run(step, spans, steps_per_epoch=max(matrix.shape[0] // batch, 1), monitor="generator",
                  callbacks=callbacks)
        return self

    def _pad_matrix(self, matrix: np.ndarray) -> np.ndarray:
        rows = self.layout_.permute(matrix)
        return np.pad(rows, ((0, 0), (0, self.side_ ** 2 - rows.shape[1])))

    # ------------------------------------------------------------------ sample
    def sample(self, n: int, *, rng: np.random.Generator, conditions: Conditions | None = None) -> SpanSample:
        self._check_unconditional(conditions)
        device, width = self.device_, self.layout_.width

        def draw(size: int, generator: torch.Generator) -> SpanSample:
            noise = torch.randn(size, self.params["embedding_dim"], generator=generator, device=device)
            return self.layout_.sample(self.generator_(noise)[:, :width], generator=generator)

        return self._sample_chunks(n, rng, draw)
