"""An autoregressive model of a table's rows: p(row) = prod_k p(column k | the columns before k).

Every column is a vocabulary of tokens (:class:`~veil.encode.tokens.TokenEncoder`: categories, exact
values or quantile bins of numbers, a missing token). The network is one masked MLP with a head per
column, so one forward pass gives every column's conditional distribution at once (as in MADE, Germain
et al. 2015; the tokenised, per-column-head design follows TabularARGN, Tiwald et al. 2025):

* each token has an embedding (``embedding_dim`` per column);
* a masked linear layer maps the embeddings of all columns to ``hidden_dim`` units per column; the units
  of column k see only the columns placed before k in the column order (a block mask);
* a residual per-column layer, then per-column logits over the column's vocabulary.

Training minimises the cross-entropy of every column given the columns before it, with Adam, on a
validation split that decides when to stop (and whose best weights are kept), within a time budget.
With ``random_order`` each batch uses a new random column order, so any set of columns can later be
placed first and serve as conditions. Sampling draws the columns one at a time for all rows at once (no
loop over rows); ``conditions`` allow some tokens only at some columns, and the other columns follow the
model given them (see :meth:`AutoregressiveModel._draw_allowed`).
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..encode.spans import Span
from ..errors import InvalidDataError
from .base import Conditions, rejection_hopeless
from .nn.base import TorchModel
from .nn.distributed import current
from .nn.dp import DPSGD, functional, noisy_counts, private_options
from .nn.loop import BestWeights, EarlyStopping, LearningRateDecay, train
from .nn.rows import RowSource, TokenRows
from .nn.torch_utils import adam_options, build, draw_inverse_cdf, dropout, make_generator

SAMPLE_CHUNK = 25_000
#: rows drawn together, column by column (a chunk's activations stay in cache)
DRAW_CHUNK = 8_192
#: each column's logits are padded to a multiple of this width (see ColumnSampler)
PAD = 16
#: a chunk's rows share their next column's computation while they have at most this share as many
#: distinct prefixes as rows (see SharedPrefixes)
SHARED_PREFIXES = 0.25
#: epochs without a better validation loss before the learning rate is multiplied by LR_DECAY
LR_PATIENCE = 2
LR_DECAY = 0.3
#: completions drawn per row when imputing, one kept by importance weight
IMPUTE_CANDIDATES = 16


#: validation rows scored at once (a split no larger is scored in one pass)
VALIDATION_BATCH = 16_384


class MaskedColumnNet(nn.Module):
    """Embeddings -> block-masked linear -> residual per-column layer -> per-column logits."""

    def __init__(self, sizes: Sequence[int], embedding_dim: int, hidden_dim: int):
        super().__init__()
        k, d, h = len(sizes), embedding_dim, hidden_dim
        self.sizes = list(sizes)
        self.k, self.d, self.h = k, d, h
        self.starts = [int(x) for x in np.concatenate([[0], np.cumsum(self.sizes)[:-1]])]
        total = int(sum(self.sizes))
        self.register_buffer("offsets", torch.zeros(k, dtype=torch.long), persistent=False)
        self.embedding = nn.Embedding(total, d)
        self.w1 = nn.Parameter(torch.empty(k * d, k * h))
        self.b1 = nn.Parameter(torch.zeros(k * h))
        self.w2 = nn.Parameter(torch.empty(k, h, h))
        self.b2 = nn.Parameter(torch.zeros(k, h))
        # every column's output weights side by side (no padding to the largest vocabulary)
        self.w3 = nn.Parameter(torch.empty(h, total))
        self.b3 = nn.Parameter(torch.zeros(total))

    def initialise(self, generator: torch.Generator) -> MaskedColumnNet:
        """Fill the vocabulary offsets and draw the weights from ``generator``."""
        with torch.no_grad():
            self.offsets.copy_(torch.tensor(self.starts, dtype=torch.long))
            self.embedding.weight.normal_(generator=generator)
            for w, fan_in in ((self.w1, max(self.k * self.d / 2, 1)), (self.w2, self.h), (self.w3, self.h)):
                w.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=generator)
            for b in (self.b1, self.b2, self.b3):
                b.zero_()
        return self

    def block_mask(self, position: torch.Tensor) -> torch.Tensor:
        """(k*d, k*h) 0/1: the units of column c see column j when j comes before c (``position[col]``)."""
        sees = (position[:, None] < position[None, :]).to(self.w1.dtype)  # [input column, head column]
        return sees.repeat_interleave(self.d, 0).repeat_interleave(self.h, 1)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """[n, k] tokens -> [n, k*d] embeddings."""
        return self.embedding(tokens + self.offsets).reshape(tokens.shape[0], -1)

    def output(self, column: int) -> tuple[torch.Tensor, torch.Tensor]:
        """A column's output weights and biases."""
        start, size = self.starts[column], self.sizes[column]
        return self.w3[:, start:start + size], self.b3[start:start + size]

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor, *, dropout_p: float = 0.0,
                generator: torch.Generator | None = None) -> list[torch.Tensor]:
        """[n, k] tokens -> each column's logits [n, size] given the columns before it (dropout on the
        hidden units while training)."""
        n = tokens.shape[0]
        drop = self.training and dropout_p > 0 and generator is not None
        hidden = torch.relu(self.embed(tokens) @ (self.w1 * mask) + self.b1).reshape(n, self.k, self.h)
        if drop:
            hidden = dropout(hidden, dropout_p, generator, True)
        hidden = hidden + torch.relu(torch.einsum("nkh,khg->nkg", hidden, self.w2) + self.b2)
        if drop:
            hidden = dropout(hidden, dropout_p, generator, True)
        # split and unbind, not one slice per column: backward then builds each gradient once, not k times
        weights, biases = torch.split(self.w3, self.sizes, dim=1), torch.split(self.b3, self.sizes)
        return [torch.addmm(b, h, w) for h, w, b in zip(hidden.unbind(1), weights, biases)]



class ColumnSampler:
    """A fitted :class:`MaskedColumnNet` rearranged to draw columns one at a time: the same maths as its
    ``forward`` (equal up to float rounding), with less work per drawn column.

    * The first layer is linear in the embeddings, so each token's contribution to each column's units is
      a table row, its embedding times its own rows of ``w1`` (``tables[c]``: [total + 1, h], ``b1`` as the
      last row). A column's pre-activations given the columns drawn so far are then one ``embedding_bag``
      sum over their tokens' rows and the bias row, not a matmul over all their embeddings.
    * Each column's output weights are contiguous and padded to a multiple of :data:`PAD` columns whose
      logits are -inf (never drawn): BLAS is several times faster on such widths than on 2, 7 or 123.
    """

    def __init__(self, net: MaskedColumnNet):
        k, d, h = net.k, net.d, net.h
        self.net, self.bias_index, self.starts = net, int(sum(net.sizes)), net.starts
        with torch.no_grad():
            emb = net.embedding.weight
            rows = [emb[s:s + z] @ net.w1[j * d:(j + 1) * d] for j, (s, z) in enumerate(zip(net.starts, net.sizes))]
            self.tables = torch.cat([*rows, net.b1[None]]).reshape(-1, k, h).transpose(0, 1).contiguous()
            self.weights: list[torch.Tensor] = []
            self.biases: list[torch.Tensor] = []
            for c, size in enumerate(net.sizes):
                weight, bias = net.output(c)
                pad = -size % PAD
                self.weights.append(torch.cat([weight, weight.new_zeros(h, pad)], 1))
                self.biases.append(torch.cat([bias, bias.new_full((pad,), -math.inf)]))

    def bags(self, n: int) -> torch.Tensor:
        """[n, k + 1] index rows: the bias row first, then each drawn column's table row (token + start) in
        drawing order, written by the caller; the first p + 1 are the bags of the column drawn p-th."""
        return torch.full((n, self.net.k + 1), self.bias_index, dtype=torch.long, device=self.tables.device)

    def logits(self, bags: torch.Tensor, column: int) -> torch.Tensor:
        """[n, padded width] logits of ``column`` given the columns in ``bags`` ([n, p + 1]: the bias index,
        then the table rows of the columns drawn before it)."""
        net, c = self.net, column
        hidden = nn.functional.embedding_bag(bags, self.tables[c], mode="sum").relu_()
        hidden = hidden.add_(torch.addmm(net.b2[c], hidden, net.w2[c]).relu_())
        return torch.addmm(self.biases[c], hidden, self.weights[c])


class SharedPrefixes:
    """Which rows of a chunk drew the same tokens so far (``groups``: [n] ids, or None once they are too
    many to pay): rows that share their prefix share their next column's distribution, so it is computed
    once per group. The first columns have few distinct prefixes (one before the first column, its
    vocabulary after it), and much of the work is spared there."""

    def __init__(self, n: int, device: torch.device):
        self.n = n
        self.groups: torch.Tensor | None = torch.zeros(n, dtype=torch.long, device=device)
        self.count = 1

    def representatives(self) -> torch.Tensor | None:
        """The first row of each group (None: every row is its own)."""
        if self.groups is None:
            return None
        rows = torch.arange(self.n, device=self.groups.device)
        first = torch.full((self.count,), self.n, dtype=torch.long, device=self.groups.device)
        return first.scatter_reduce_(0, self.groups, rows, reduce="amin")

    def extend(self, tokens: torch.Tensor, size: int) -> None:
        """Split the groups by the tokens just drawn (of a column with ``size`` tokens)."""
        if self.groups is None:
            return
        unique, self.groups = torch.unique(self.groups * size + tokens, return_inverse=True)
        self.count = int(unique.shape[0])
        if self.count > SHARED_PREFIXES * self.n:
            self.groups = None


class AutoregressiveModel(TorchModel):
    name: ClassVar[str] = "autoregressive"
    defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 16, "hidden_dim": 64, "batch_size": 512, "epochs": 200, "learning_rate": 3e-3,
        "weight_decay": 1e-4, "dropout": 0.4, "validation_fraction": 0.1, "early_stopping_patience": 5,
        "time_budget": 120.0,
        "random_order": False, "device": "auto", "dp": None,
    }
    networks: ClassVar[tuple[str, ...]] = ("net_",)
    chunks_side_by_side: ClassVar[bool] = True
    #: conditions may restrict any number of columns (see _draw_allowed)
    native_conditions: ClassVar[str] = "many"
    #: sampling temperature (set by the synthesizer around a call)
    temperature: float = 1.0

    def _build(self, spans: Sequence[Span], extra: Mapping[str, Any], device: torch.device,
               generator: torch.Generator) -> None:
        p = self.params
        sizes = [int(s.size or 1) for s in spans]
        self.net_ = build(lambda: MaskedColumnNet(sizes, p["embedding_dim"], p["hidden_dim"]), device,
                          generator).initialise(generator)
        self.order_ = list(extra.get("order", range(len(sizes))))

    def _extra_state(self) -> dict[str, Any]:
        return {"order": self.order_}

    def _position(self, order: Sequence[int], device: torch.device) -> torch.Tensor:
        position = torch.empty(len(order), dtype=torch.long, device=device)
        position[torch.as_tensor(list(order), device=device)] = torch.arange(len(order), device=device)
        return position

    # ------------------------------------------------------------------ fit
    def fit(self, matrix: np.ndarray, spans: Sequence[Span], *, rng: np.random.Generator,
            callbacks: Sequence[Any] = ()) -> AutoregressiveModel:
        p = self.params
        self._check_spans(spans)
        device, generator = self._start_fit(matrix, spans, rng)
        tokens = torch.from_numpy(np.rint(matrix).astype(np.int64)).to(device)
        if p["dp"]:
            return self._fit_private(tokens, spans, callbacks)
        return self._fit_rows(TokenRows(tokens, p["validation_fraction"], generator), spans, generator, callbacks)

    def fit_rows(self, rows: RowSource, spans: Sequence[Span], *, rng: np.random.Generator,
                 callbacks: Sequence[Any] = ()) -> AutoregressiveModel:
        """Fit on token rows that need not fit in memory (:class:`veil.scale.stream.TokenShards`: shards
        on disk, streamed through a shuffle buffer); the same training as :meth:`fit` otherwise."""
        self._check_spans(spans)
        if self.params["dp"]:
            raise InvalidDataError("differential privacy needs the rows in memory (Poisson sampling over all "
                                   "of them); fit without streaming")
        _, generator = self._start_fit(None, spans, rng)
        return self._fit_rows(rows, spans, generator, callbacks)

    @staticmethod
    def _check_spans(spans: Sequence[Span]) -> None:
        if any(s.kind != "discrete" for s in spans):
            raise InvalidDataError("the autoregressive model reads token columns (TokenEncoder's discrete spans)")

    def _fit_rows(self, source: RowSource, spans: Sequence[Span], generator: torch.Generator,
                  callbacks: Sequence[Any]) -> AutoregressiveModel:
        """Adam on the cross-entropy of every column given the ones before it; early stopping on the
        validation rows (whose best weights are kept) within the time budget."""
        p, net = self.params, self.net_
        device = net.b3.device
        val = source.validation.to(device)
        n_val = int(val.shape[0])
        with torch.no_grad():  # start every column at its marginal: the network learns the dependence
            for j, counts in enumerate(source.counts(net.sizes)):
                counts = counts.to(device=device, dtype=net.b3.dtype)
                net.output(j)[1].copy_(torch.log((counts + 0.5) / (counts.sum() + 0.5 * net.sizes[j])))
        batch = min(p["batch_size"], source.training_rows)
        steps = max(source.training_rows // batch, 1)
        optimizer = torch.optim.Adam(net.parameters(), lr=p["learning_rate"], weight_decay=p["weight_decay"],
                                     **adam_options(device))
        k = len(spans)
        fixed_mask = net.block_mask(self._position(self.order_, device))

        def loss_of(rows: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            logits = net(rows, mask, dropout_p=p["dropout"], generator=generator)
            return sum(nn.functional.cross_entropy(logits[j], rows[:, j]) for j in range(k))

        batches: Iterator[torch.Tensor] = iter(())

        def step() -> dict[str, torch.Tensor]:
            nonlocal batches
            rows = next(batches, None)
            if rows is None:  # a new epoch: a new shuffle
                batches = source.epoch(batch, generator)
                rows = next(batches)
            rows = rows.to(device)
            parallel, n_all = current(), rows.shape[0]  # data-parallel: this rank's slice of the global batch
            mine = parallel.local_rows(n_all)
            mask = net.block_mask(torch.randperm(k, generator=generator, device=device)) if p["random_order"] \
                else fixed_mask
            with parallel.local_batch(n_all, mine):
                loss = loss_of(rows[mine], mask)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            parallel.sync_gradients(net.parameters(), mine.stop - mine.start, n_all)
            optimizer.step()
            return {"loss": parallel.share(loss.detach(), mine.stop - mine.start, n_all)}

        def validate() -> dict[str, float]:
            net.eval()
            total = 0.0
            ours = current().local_rows(n_val)  # data-parallel: each rank scores its share, summed below
            with torch.no_grad():  # in slices, so a large validation split costs no more memory than a small one
                for start in range(ours.start, ours.stop, VALIDATION_BATCH):
                    part = val[start:min(start + VALIDATION_BATCH, ours.stop)]
                    total += float(loss_of(part, fixed_mask)) * part.shape[0]
            net.train()
            return {"validation": current().total(total) / max(n_val, 1)}

        net.train()
        try:
            self.history_ = train(
                step, epochs=p["epochs"], steps_per_epoch=steps, callbacks=callbacks,
                early_stopping=EarlyStopping("validation" if n_val else "loss", p["early_stopping_patience"],
                                             min_delta=1e-4),
                validate=validate if n_val else None, time_budget=p["time_budget"], best_weights=BestWeights([net]),
                lr_decay=LearningRateDecay(optimizer, LR_DECAY, LR_PATIENCE))
        finally:
            net.eval()
        self.spans_ = list(spans)
        return self

    def _fit_private(self, tokens: torch.Tensor, spans: Sequence[Span], callbacks: Sequence[Any]
                     ) -> AutoregressiveModel:
        """DP-SGD for ``epochs`` epochs after a noisy start at the marginals: no validation split, early
        stopping or time budget (each would read the rows outside the budget), and no dropout (the noise
        regularises)."""
        p, net, k = self.params, self.net_, len(spans)
        # start every column at its marginal, from noisy counts inside the same budget (a small share)
        counts, release = noisy_counts(tokens, net.sizes)
        with torch.no_grad():
            for j, noisy in enumerate(counts):
                noisy = noisy.clamp_min(0).to(net.b3.dtype)
                net.output(j)[1].copy_(torch.log((noisy + 0.5) / (noisy.sum() + 0.5 * len(noisy))))
        mask = net.block_mask(self._position(self.order_, tokens.device))
        optimizer = torch.optim.Adam(net.parameters(), lr=p["learning_rate"], weight_decay=p["weight_decay"],
                                     **adam_options(tokens.device))
        trainer = DPSGD({"net": net}, optimizer, rows=tokens.shape[0], batch_size=p["batch_size"],
                        epochs=p["epochs"], prior=[release], **private_options(p["dp"]))

        def loss_of_row(params: dict[str, torch.Tensor], row: torch.Tensor) -> torch.Tensor:
            logits = functional(net, params, "net")(row, mask)
            return sum(nn.functional.cross_entropy(logits[j], row[:, j], reduction="sum") for j in range(k))

        def step() -> dict[str, torch.Tensor]:
            if trainer.exhausted:
                return {}
            rows = trainer.batch()
            rows = tokens[rows[current().local_rows(rows.shape[0])]]  # data-parallel: this rank's slice
            trainer.step(loss_of_row, rows)
            return {"rows": torch.tensor(float(rows.shape[0]))}

        net.train()
        try:
            self.history_ = train(step, epochs=p["epochs"], steps_per_epoch=trainer.steps_per_epoch,
                                  callbacks=callbacks)
        finally:
            net.eval()
        self.privacy_ = trainer.report()
        self.spans_ = list(spans)
        return self

    def log_likelihood(self, tokens: np.ndarray) -> np.ndarray:
        """log p(row) of each token row under the model, at temperature 1 (for audits and attacks)."""
        self._check_fitted()
        net, device = self.net_, self.device_
        rows = torch.from_numpy(np.rint(np.asarray(tokens)).astype(np.int64)).to(device)
        mask = net.block_mask(self._position(self.order_, device))
        with torch.no_grad():
            logits = net(rows, mask)
            total = sum(torch.log_softmax(logits[j], 1).gather(1, rows[:, j:j + 1]).squeeze(1)
                        for j in range(len(logits)))
        return total.cpu().numpy().astype(np.float64)

    # ------------------------------------------------------------------ sample
    def sample(self, n: int, *, rng: np.random.Generator, conditions: Conditions | None = None,
               temperature: float | None = None) -> np.ndarray:
        """``n`` rows of tokens (float32, one column per span). ``conditions`` maps a column index to a token
        or to a sequence of allowed tokens; every returned row has one of them there, and the other
        columns follow the model's distribution given that (see :meth:`_draw_allowed`)."""
        self._check_fitted()
        net = self.net_
        generator = make_generator(rng, self.device_)
        temperature = self.temperature if temperature is None else temperature
        allowed: dict[int, torch.Tensor] = {}
        for column, tokens in (conditions or {}).items():
            column = int(column)
            tokens = np.unique(np.atleast_1d(np.asarray(tokens, dtype=np.int64)))
            if not 0 <= column < net.k or not tokens.size or tokens.min() < 0 or tokens.max() >= net.sizes[column]:
                raise InvalidDataError("a condition names a column or value the model does not have")
            allowed[column] = torch.as_tensor(tokens, device=self.device_)
        if not allowed:
            return self._draw_rows(n, generator, temperature)
        return self._draw_allowed(n, generator, allowed, temperature)

    def _draw_allowed(self, n: int, generator: torch.Generator, allowed: Mapping[int, torch.Tensor],
                      temperature: float) -> np.ndarray:
        """``n`` token rows drawn from the model given that each column in ``allowed`` takes one of its
        tokens: p(row | conditions), exactly up to the envelope below.

        Columns are drawn in the model's order (conditioned ones first when it was trained on random
        orders). At a conditioned column each row is kept with probability w / M, where w is the
        probability the model gives the allowed tokens there given the row so far and M the largest w
        in the batch (rejection sampling with that envelope: a row's earlier columns are then distributed
        as given the condition), and its token is drawn among the allowed ones. Rows are dropped as soon
        as they are rejected, so a rare condition late in the order costs the columns before it only."""
        net, device = self.net_, self.device_
        order = ([c for c in allowed] + [c for c in self.order_ if c not in allowed] if self.params["random_order"]
                 else list(self.order_))
        sampler = ColumnSampler(net)
        kept: list[np.ndarray] = []
        found = drawn = 0
        rate = 1.0
        with torch.no_grad():
            while found < n:
                size = int(min(max((n - found) / max(rate, 1e-6) * 1.1, 1_000), 4 * SAMPLE_CHUNK))
                bags = sampler.bags(size)
                for p, column in enumerate(order):
                    logits = sampler.logits(bags[:, :p + 1], column)
                    if temperature != 1.0:
                        logits = logits.div_(temperature)
                    if column in allowed:
                        inside = torch.full_like(logits, -math.inf)
                        inside[:, allowed[column]] = logits[:, allowed[column]]
                        w = torch.exp(torch.logsumexp(inside, 1) - torch.logsumexp(logits, 1))
                        u = torch.rand(w.shape[0], generator=generator, device=device, dtype=w.dtype)
                        keep = u * w.max().clamp_min(1e-30) < w
                        bags, logits = bags[keep], inside[keep]
                    u = torch.rand(bags.shape[0], generator=generator, device=device, dtype=logits.dtype)
                    bags[:, p + 1] = draw_inverse_cdf(logits, u) + net.starts[column]
                kept.append(self._tokens_of(bags, order))
                found, drawn = found + bags.shape[0], drawn + size
                rate = (found + 1) / (drawn + 1)
                if rejection_hopeless(found, drawn, n):
                    raise InvalidDataError(
                        f"only {found} of {drawn:,} drawn rows meet the conditions; the model gives them almost "
                        "no probability. Ask for values the data holds more often")
        return np.concatenate(kept)[:n]

    def _tokens_of(self, bags: torch.Tensor, order: Sequence[int]) -> np.ndarray:
        """Token rows ([n, k] float32, in column order) from :meth:`ColumnSampler.bags` filled in ``order``."""
        starts = torch.tensor([self.net_.starts[c] for c in order], device=bags.device)
        out = np.empty((bags.shape[0], self.net_.k), dtype=np.float32)
        out[:, list(order)] = (bags[:, 1:] - starts).cpu().numpy()
        return out

    def _draw_rows(self, n: int, generator: torch.Generator, temperature: float, given: np.ndarray | None = None,
                   known: np.ndarray | None = None, forbid: Sequence[int | None] = ()) -> np.ndarray:
        """``n`` token rows drawn column by column in the model's order, :data:`DRAW_CHUNK` rows at a time
        (:class:`ColumnSampler`; rows with the same tokens so far share a computation while such rows are
        common, see :class:`SharedPrefixes`). ``given`` and ``known`` ([n, k]) fix single cells, kept where
        ``known``; ``forbid`` (empty, or one entry per column) names a token per column that is never drawn
        (None: none)."""
        net, device, order = self.net_, self.device_, self.order_
        sampler = ColumnSampler(net)
        out = np.empty((n, net.k), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, n, DRAW_CHUNK):
                size = min(DRAW_CHUNK, n - start)
                bags, shared = sampler.bags(size), SharedPrefixes(size, device)
                if known is not None:
                    chunk_given = torch.as_tensor(given[start:start + size], dtype=torch.long, device=device)
                    chunk_known = torch.as_tensor(known[start:start + size], device=device)
                for p, column in enumerate(order):
                    if known is not None and bool(chunk_known[:, column].all()):
                        drawn = chunk_given[:, column]
                    else:
                        first = shared.representatives()
                        logits = sampler.logits(bags[:, :p + 1] if first is None else bags[first, :p + 1], column)
                        if forbid and forbid[column] is not None:
                            logits[:, forbid[column]] = -math.inf
                        if temperature != 1.0:
                            logits = logits.div_(temperature)
                        u = torch.rand(size, generator=generator, device=device, dtype=logits.dtype)
                        drawn = draw_inverse_cdf(logits, u, shared.groups)
                        if known is not None:
                            drawn = torch.where(chunk_known[:, column], chunk_given[:, column], drawn)
                    bags[:, p + 1] = drawn + net.starts[column]
                    shared.extend(drawn, net.sizes[column])
                out[start:start + size] = self._tokens_of(bags, order)
        return out

    # ------------------------------------------------------------------ impute
    def complete(self, tokens: np.ndarray, known: np.ndarray, *, rng: np.random.Generator,
                 forbid: Sequence[int | None] = (), candidates: int = IMPUTE_CANDIDATES) -> np.ndarray:
        """``tokens`` ([n, k]) with the cells where ``known`` is False drawn from the model given the known
        ones; ``forbid`` is a token per column never drawn there (the missing token, for imputation).

        Sampling importance resampling: each row is completed ``candidates`` times in the model's column
        order (known cells kept, the others drawn given the columns before them), and one completion is
        kept with probability proportional to the likelihood of the row's known cells given it. That
        corrects for the known cells that come after an unknown one, which the draws could not see."""
        self._check_fitted()
        net, device = self.net_, self.device_
        generator = make_generator(rng, device)
        tokens = np.asarray(tokens, dtype=np.int64)
        known = np.asarray(known, dtype=bool)
        if tokens.shape != known.shape or tokens.ndim != 2 or tokens.shape[1] != net.k:
            raise InvalidDataError(f"expected token rows and a known mask of shape [n, {net.k}]")
        # a column whose only token is the forbidden one still draws it
        forbid = [forbid[c] if c < len(forbid) and net.sizes[c] > 1 else None for c in range(net.k)]
        out = tokens.astype(np.float32)
        todo = np.flatnonzero(~known.all(axis=1))
        mask = net.block_mask(self._position(self.order_, device))
        per_chunk = max(SAMPLE_CHUNK // candidates, 1)
        for start in range(0, len(todo), per_chunk):
            rows = todo[start:start + per_chunk]
            given, seen = np.repeat(tokens[rows], candidates, 0), np.repeat(known[rows], candidates, 0)
            drawn = self._draw_rows(len(given), generator, 1.0, given, seen, forbid)
            weight = self._known_log_likelihood(drawn, seen, mask, forbid).reshape(len(rows), candidates)
            weight = torch.softmax(weight, dim=1).cumsum(dim=1)
            u = torch.rand(len(rows), 1, generator=generator, device=device, dtype=weight.dtype)
            pick = torch.searchsorted(weight, u * weight[:, -1:]).squeeze(1).clamp_max_(candidates - 1)
            out[rows] = drawn.reshape(len(rows), candidates, net.k)[np.arange(len(rows)), pick.cpu().numpy()]
        return out

    def _known_log_likelihood(self, rows: np.ndarray, known: np.ndarray, mask: torch.Tensor,
                              forbid: Sequence[int | None]) -> torch.Tensor:
        """Per row: log p(known cells | the cells before them), plus log(1 - p(forbidden token)) of every
        unknown cell whose draw excluded a token (the importance weights of :meth:`complete`)."""
        net, device = self.net_, self.device_
        tokens = torch.as_tensor(rows, dtype=torch.long, device=device)
        seen = torch.as_tensor(known, device=device)
        total = torch.zeros(tokens.shape[0], device=device)
        with torch.no_grad():
            for column, logits in enumerate(net(tokens, mask)):
                log_p = torch.log_softmax(logits, dim=1)
                total += torch.where(seen[:, column], log_p.gather(1, tokens[:, column:column + 1]).squeeze(1), 0.0)
                if forbid[column] is not None:
                    excluded = torch.log1p(-log_p[:, forbid[column]].exp().clamp_max(1 - 1e-6))
                    total += torch.where(seen[:, column], 0.0, excluded)
        return total
