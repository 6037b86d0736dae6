"""Neural synthesizers from the CTGAN paper: CTGAN, TVAE, and SDV's CopulaGAN variant.

Parameters carry the names SDV users know. All three read the mode-specific normalised matrix of
:class:`~veil.encode.table.TableEncoder`; CopulaGAN first maps every number through its empirical CDF
to a standard-normal score.
"""
from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from .. import _params as P
from ..encode.table import TableEncoder
from ..metadata import Metadata
from ..synthesizer import Synthesizer

log = logging.getLogger("veil")

POSITIVE_INT = P.Interval(int, 1, None)
POSITIVE_FLOAT = P.Interval(float, 0, None, closed="neither")
NON_NEGATIVE_FLOAT = P.Interval(float, 0, None)
LAYER_SIZES = P.Predicate(lambda v: isinstance(v, (tuple, list)) and all(
    isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in v), "a tuple of positive ints")
DEVICE = P.Predicate(lambda v: isinstance(v, str) and (v in ("auto", "cpu", "cuda") or v.startswith("cuda:")),
                     "'auto', 'cpu', 'cuda' or 'cuda:N'")
PATIENCE = [P.NONE, POSITIVE_INT]
#: the parameters of differentially private training (CTGAN, TVAE and the autoregressive model)
PRIVATE_PARAMS = {"dp": P.BOOL, "epsilon": [P.NONE, P.Interval(float, 0, None, closed="neither")],
                  "delta": P.Interval(float, 0, 1, closed="neither"),
                  "max_grad_norm": P.Interval(float, 0, None, closed="neither")}


class _LazyClass:
    """A class attribute naming a class that is imported on first use (torch loads only when a neural
    model is used, so ``import veil`` and the copula stay light)."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __get__(self, obj: Any, owner: type) -> type:
        return getattr(importlib.import_module(self.module, __package__), self.name)


class _LogEpochs:
    """``verbose=True``: one log line per epoch with the losses (the library itself never prints)."""

    def __init__(self, name: str):
        self.name = name

    def on_epoch_end(self, epoch: int, losses: Mapping[str, float]) -> None:
        text = ", ".join(f"{k} {v:.4f}" for k, v in losses.items())
        log.info("%s epoch %d: %s", self.name, epoch, text)


class NeuralSynthesizer(Synthesizer):
    """Shared plumbing of the neural synthesizers: model parameters, the encoder, progress."""

    encoder_class: ClassVar[type] = TableEncoder
    #: the encoder's treatment of numbers
    numerical: ClassVar[str] = "mode_specific"
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "epochs": POSITIVE_INT, "batch_size": P.Interval(int, 2, None), "embedding_dim": POSITIVE_INT,
        "verbose": P.BOOL, "device": DEVICE, "early_stopping_patience": PATIENCE,
    }

    #: settings that suit DP-SGD better, used under ``dp=True`` for those the user left at their defaults
    private_defaults: ClassVar[dict[str, Any]] = {}

    def _model_params(self) -> dict[str, Any]:
        names = self.model_class.defaults
        params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in self.get_params().items() if k in names}
        if getattr(self, "dp", False):
            defaults = inspect.signature(type(self).__init__).parameters
            for name, value in self.private_defaults.items():
                if params.get(name) == defaults[name].default:
                    params[name] = value
        return params

    def _make_encoder(self, metadata: Metadata) -> TableEncoder:
        return TableEncoder(metadata, numerical=self.numerical, enforce_rounding=self.enforce_rounding,
                            enforce_min_max_values=self.enforce_min_max_values)

    def _make_model(self, metadata: Metadata, spans: Sequence[Any]):
        return self.model_class(**self._model_params())

    def fit(self, table, *, callbacks: Sequence[Any] = (), hash_key: str | bytes | None = None):
        extra = [_LogEpochs(type(self).__name__)] if self.verbose else []
        return super().fit(table, callbacks=[*callbacks, *extra], hash_key=hash_key)

    @property
    def loss_history_(self):
        """The training losses per epoch, as a table."""
        import pandas as pd

        self._check_fitted()
        return pd.DataFrame(self.model_.history_ if self.model_ is not None else [])


class CTGANSynthesizer(NeuralSynthesizer):
    """CTGAN: a conditional GAN with mode-specific normalisation and training-by-sampling."""

    model_name: ClassVar[str] = "ctgan"
    model_class: ClassVar[type] = _LazyClass("..models.ctgan", "CTGAN")
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "generator_dim": LAYER_SIZES, "discriminator_dim": LAYER_SIZES,
        "generator_lr": POSITIVE_FLOAT, "generator_decay": NON_NEGATIVE_FLOAT,
        "discriminator_lr": POSITIVE_FLOAT, "discriminator_decay": NON_NEGATIVE_FLOAT,
        "discriminator_steps": POSITIVE_INT, "log_frequency": P.BOOL, "pac": POSITIVE_INT, **PRIVATE_PARAMS,
    }

    def __init__(self, *, metadata: Metadata | None = None, enforce_min_max_values: bool = True,
                 enforce_rounding: bool = True, locale: str = "en_US", seed: int | None = 0,
                 value_protection: bool | int = True,
                 epochs: int = 300, batch_size: int = 500, discriminator_steps: int = 1, pac: int = 10,
                 log_frequency: bool = True, embedding_dim: int = 128, generator_dim: Sequence[int] = (256, 256),
                 discriminator_dim: Sequence[int] = (256, 256), generator_lr: float = 2e-4,
                 generator_decay: float = 1e-6, discriminator_lr: float = 2e-4, discriminator_decay: float = 1e-6,
                 verbose: bool = False, device: str = "auto", early_stopping_patience: int | None = None,
                 dp: bool = False, epsilon: float | None = None, delta: float = 1e-5, max_grad_norm: float = 1.0):
        super().__init__(metadata=metadata, enforce_min_max_values=enforce_min_max_values,
                         enforce_rounding=enforce_rounding, locale=locale, seed=seed,
                         value_protection=value_protection)
        self.dp, self.epsilon, self.delta, self.max_grad_norm = dp, epsilon, delta, max_grad_norm
        self.epochs, self.batch_size, self.discriminator_steps, self.pac = epochs, batch_size, discriminator_steps, pac
        self.log_frequency, self.embedding_dim = log_frequency, embedding_dim
        self.generator_dim, self.discriminator_dim = generator_dim, discriminator_dim
        self.generator_lr, self.generator_decay = generator_lr, generator_decay
        self.discriminator_lr, self.discriminator_decay = discriminator_lr, discriminator_decay
        self.verbose, self.device, self.early_stopping_patience = verbose, device, early_stopping_patience


class CopulaGANSynthesizer(CTGANSynthesizer):
    """CopulaGAN (SDV's variant): numbers go through their CDF to normal scores, then CTGAN."""

    model_name: ClassVar[str] = "copulagan"
    numerical: ClassVar[str] = "copula"


class TVAESynthesizer(NeuralSynthesizer):
    """TVAE: a variational autoencoder with per-span Gaussian and cross-entropy losses."""

    model_name: ClassVar[str] = "tvae"
    model_class: ClassVar[type] = _LazyClass("..models.tvae", "TVAE")
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "compress_dims": LAYER_SIZES, "decompress_dims": LAYER_SIZES, "l2scale": NON_NEGATIVE_FLOAT,
        "loss_factor": POSITIVE_FLOAT, **PRIVATE_PARAMS,
    }

    def __init__(self, *, metadata: Metadata | None = None, enforce_min_max_values: bool = True,
                 enforce_rounding: bool = True, locale: str = "en_US", seed: int | None = 0,
                 value_protection: bool | int = True,
                 epochs: int = 300, batch_size: int = 500, embedding_dim: int = 128,
                 compress_dims: Sequence[int] = (128, 128), decompress_dims: Sequence[int] = (128, 128),
                 l2scale: float = 1e-5, loss_factor: float = 2.0, verbose: bool = False, device: str = "auto",
                 early_stopping_patience: int | None = None, dp: bool = False, epsilon: float | None = None,
                 delta: float = 1e-5, max_grad_norm: float = 1.0):
        super().__init__(metadata=metadata, enforce_min_max_values=enforce_min_max_values,
                         enforce_rounding=enforce_rounding, locale=locale, seed=seed,
                         value_protection=value_protection)
        self.dp, self.epsilon, self.delta, self.max_grad_norm = dp, epsilon, delta, max_grad_norm
        self.epochs, self.batch_size, self.embedding_dim = epochs, batch_size, embedding_dim
        self.compress_dims, self.decompress_dims = compress_dims, decompress_dims
        self.l2scale, self.loss_factor = l2scale, loss_factor
        self.verbose, self.device, self.early_stopping_patience = verbose, device, early_stopping_patience


class TableGANSynthesizer(NeuralSynthesizer):
    """table-GAN (Park et al., 2018): DCGAN over rows laid out as square images, with an information loss
    whose margins ``delta_mean`` and ``delta_sd`` are a privacy knob, and an optional classifier for
    ``label`` that keeps synthetic labels consistent with the other columns.

    The knobs: with ``delta_mean = delta_sd = 0`` (the default) the generator matches the mean and
    standard deviation of the discriminator's features on real rows as closely as it can. Raising them
    lets the synthetic rows' features drift that far before any penalty (the paper's privacy knob). They
    act only near the gaps that ``loss_history_`` records (``mean_gap``, ``sd_gap``).
    ``label`` names a categorical column (e.g. the target of a downstream model);
    ``classification_loss=False`` keeps the classifier but stops it from steering the generator.
    """

    model_name: ClassVar[str] = "tablegan"
    numerical: ClassVar[str] = "quantile"  # one value per number in [-1, 1], as the paper (see the model)
    model_class: ClassVar[type] = _LazyClass("..models.tablegan", "TableGAN")
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "channels": POSITIVE_INT, "learning_rate": POSITIVE_FLOAT, "l2scale": NON_NEGATIVE_FLOAT,
        "delta_mean": NON_NEGATIVE_FLOAT, "delta_sd": NON_NEGATIVE_FLOAT,
        "label": [P.NONE, P.InstanceOf((str,), "a column name")], "classification_loss": P.BOOL,
        "generator_steps": POSITIVE_INT,
    }

    def __init__(self, *, metadata: Metadata | None = None, enforce_min_max_values: bool = True,
                 enforce_rounding: bool = True, locale: str = "en_US", seed: int | None = 0,
                 value_protection: bool | int = True,
                 epochs: int = 20, batch_size: int = 500, embedding_dim: int = 100, channels: int = 16,
                 learning_rate: float = 2e-4, l2scale: float = 1e-5, delta_mean: float = 0.0, delta_sd: float = 0.0,
                 label: str | None = None, classification_loss: bool = True, generator_steps: int = 2,
                 verbose: bool = False, device: str = "auto", early_stopping_patience: int | None = None):
        super().__init__(metadata=metadata, enforce_min_max_values=enforce_min_max_values,
                         enforce_rounding=enforce_rounding, locale=locale, seed=seed,
                         value_protection=value_protection)
        self.epochs, self.batch_size, self.embedding_dim, self.channels = epochs, batch_size, embedding_dim, channels
        self.learning_rate, self.l2scale = learning_rate, l2scale
        self.delta_mean, self.delta_sd = delta_mean, delta_sd
        self.label, self.classification_loss, self.generator_steps = label, classification_loss, generator_steps
        self.verbose, self.device, self.early_stopping_patience = verbose, device, early_stopping_patience


class TGANSynthesizer(NeuralSynthesizer):
    """TGAN (Xu & Veeramachaneni, 2018): an LSTM generator with attention that writes a row one column at a
    time, a discriminator with minibatch discrimination, and KL terms on the category frequencies."""

    model_name: ClassVar[str] = "tgan"
    model_class: ClassVar[type] = _LazyClass("..models.tgan", "TGAN")
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "generator_dim": POSITIVE_INT, "feature_dim": POSITIVE_INT, "discriminator_dim": LAYER_SIZES,
        "learning_rate": POSITIVE_FLOAT, "l2scale": NON_NEGATIVE_FLOAT, "noise": P.Interval(float, 0, 1),
    }

    def __init__(self, *, metadata: Metadata | None = None, enforce_min_max_values: bool = True,
                 enforce_rounding: bool = True, locale: str = "en_US", seed: int | None = 0,
                 value_protection: bool | int = True,
                 epochs: int = 100, batch_size: int = 200, embedding_dim: int = 200, generator_dim: int = 100,
                 feature_dim: int = 100, discriminator_dim: Sequence[int] = (100,), learning_rate: float = 1e-3,
                 l2scale: float = 1e-5, noise: float = 0.2, verbose: bool = False, device: str = "auto",
                 early_stopping_patience: int | None = None):
        super().__init__(metadata=metadata, enforce_min_max_values=enforce_min_max_values,
                         enforce_rounding=enforce_rounding, locale=locale, seed=seed,
                         value_protection=value_protection)
        self.epochs, self.batch_size, self.embedding_dim = epochs, batch_size, embedding_dim
        self.generator_dim, self.feature_dim, self.discriminator_dim = generator_dim, feature_dim, discriminator_dim
        self.learning_rate, self.l2scale, self.noise = learning_rate, l2scale, noise
        self.verbose, self.device, self.early_stopping_patience = verbose, device, early_stopping_patience
