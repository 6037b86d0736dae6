"""Utility: how useful a synthetic table is for machine learning.

* :func:`train_synthetic_test_real` - fit a model on the synthetic table (TSTR) and the same model on
  the real training table (TRTR), test both on a real holdout table the generator never saw, and
  compare. A synthetic table that is as useful as the real one gives the same scores.
* :func:`model_compatibility` - table-GAN's variant: every column in turn is the target, predicted
  from the others by gradient boosting; one TSTR and one TRTR score per column.

Features are the learned numerical, datetime, categorical and boolean columns that all three tables
hold, the target excepted. Numbers (datetimes as days since 1970) are floats with missing values
kept as NaN. Categories get integer codes shared by the three tables (missing is a category of its
own; beyond 255 categories the rarest share the last code). Gradient boosting
(``HistGradientBoosting*``) reads the codes as categorical features and missing numbers natively; the
linear model (``LogisticRegression`` / ``Ridge``) gets numbers imputed with the training median and
standardised, and categories one-hot encoded. Rows whose target is missing are left out.

Both fits see the same encoding, sampling and seed, so a synthetic table equal to the training table
gives exactly the TRTR scores.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, r2_score, roc_auc_score

from ..errors import InvalidDataError, InvalidParameterError
from ..metadata import Column, Metadata
from ._checks import check_common, check_tables
from .fidelity import _NUMERIC, _SCORED, _as_number, _as_text, scored_columns

MODELS = ("hist_gradient_boosting", "linear")
TASKS = ("classification", "regression")
#: a target with at most this many distinct values is a classification target
MAX_CLASSES_INFERRED = 10
#: HistGradientBoosting's limit on the categories of a feature; rarer categories share the last code
MAX_CATEGORIES = 255
COMPATIBILITY_MAX_ITER = 50
_TABLES = ("train", "synthetic", "holdout")
_TRAIN, _SYN, _HOLD = 0, 1, 2


@dataclass
class _Feature:
    """One column of the three tables: floats (NaN missing) or shared category codes 0..n_codes-1."""

    name: str
    categorical: bool
    parts: list[np.ndarray]  # train, synthetic, holdout
    n_codes: int = 0


@dataclass
class _Target:
    """The target of the three tables: class codes (-1 missing) or floats (NaN missing)."""

    name: str
    task: str
    parts: list[np.ndarray]
    n_real_classes: int = 0  # classification: codes 0..n_real_classes-1 are the real train's classes

    def present(self, t: int) -> np.ndarray:
        y = self.parts[t]
        return y >= 0 if self.task == "classification" else ~np.isnan(y)


# -------------------------------------------------------------------------------------- public API
def train_synthetic_test_real(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame,
                              metadata: Metadata, *, target: str, task: str | None = None,
                              models: Sequence[str] | str = MODELS, max_rows: int = 50_000,
                              seed: int = 0) -> pd.DataFrame:
    """Fit each model on ``synthetic`` (TSTR) and on ``train`` (TRTR), score both on ``holdout``.

    One row per (``model``, ``trained_on``: "synthetic" or "real") with ``task``, ``n_train``,
    ``n_test`` and the metrics: ``accuracy``, ``macro_f1`` and ``roc_auc`` for classification (binary:
    the probability of the real train's second class in sorted order; multiclass: one-vs-rest macro
    average; a class the model never saw has probability 0); ``r2`` and ``mean_relative_error``
    (table-GAN's mean of |y - prediction| / |y| over rows with y != 0) for regression.
    ``task`` is inferred when None: classification for a categorical or boolean target or one with at
    most 10 distinct values, regression otherwise. Each table is sampled to ``max_rows`` rows.
    """
    tables = _check(train, synthetic, holdout, metadata, max_rows, seed)
    models = _check_models(models)
    if task is not None and task not in TASKS:
        raise InvalidParameterError(f"task must be one of {', '.join(TASKS)} or None, got {task!r}")
    target_column = _target_column(metadata, target, tables)
    tables = [_sample(t, max_rows, seed) for t in tables]
    target_data = _encode_target(tables, target_column, task)
    features = _features(tables, metadata, exclude=target)
    if not features:
        raise InvalidDataError("no feature column is left to predict the target from; the three tables need "
                               "learned numerical, datetime, categorical or boolean columns besides the target")
    rows = []
    for model in models:
        for t, trained_on in ((_SYN, "synthetic"), (_TRAIN, "real")):
            scores = _fit_and_score(model, features, target_data, t, seed)
            rows.append({"model": model, "trained_on": trained_on, "task": target_data.task, **scores})
    return pd.DataFrame(rows)


def model_compatibility(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame,
                        metadata: Metadata, *, columns: Iterable[str] | None = None, max_rows: int = 20_000,
                        seed: int = 0) -> pd.DataFrame:
    """table-GAN's model compatibility: predict each column from the others with gradient boosting
    (50 iterations), trained on ``synthetic`` and on ``train``, tested on ``holdout``.

    One row per column: ``column``, ``task``, ``metric`` (``macro_f1`` for classification, ``r2`` for
    regression), ``trained_on_real``, ``trained_on_synthetic`` and ``difference`` (real minus
    synthetic: what the synthetic table loses; negative when it does better). ``columns`` defaults to
    every scored column; the task of each is inferred as in :func:`train_synthetic_test_real`.
    """
    tables = _check(train, synthetic, holdout, metadata, max_rows, seed)
    if columns is None:
        targets = _scored_columns(metadata, tables)
    else:
        if isinstance(columns, str):
            columns = [columns]
        targets = [_target_column(metadata, name, tables) for name in columns]
    if not targets:
        raise InvalidDataError("the three tables share no learned column to predict; check that they have the "
                               "columns the metadata describes")
    tables = [_sample(t, max_rows, seed) for t in tables]
    features = _features(tables, metadata)
    rows = []
    for column in targets:
        target_data = _encode_target(tables, column, None)
        others = [f for f in features if f.name != column.name]
        metric = "macro_f1" if target_data.task == "classification" else "r2"
        real, syn = (_compatibility_score(others, target_data, t, seed, metric) for t in (_TRAIN, _SYN))
        rows.append({"column": column.name, "task": target_data.task, "metric": metric, "trained_on_real": real,
                     "trained_on_synthetic": syn, "difference": real - syn})
    columns_out = ["column", "task", "metric", "trained_on_real", "trained_on_synthetic", "difference"]
    return pd.DataFrame(rows, columns=columns_out)


def _compatibility_score(features: list[_Feature], target: _Target, t: int, seed: int, metric: str) -> float:
    """One model-compatibility score; NaN when a table has no value to learn from or to test on."""
    if not features or not target.present(t).any() or not target.present(_HOLD).any():
        return float("nan")
    scores = _fit_and_score("hist_gradient_boosting", features, target, t, seed, max_iter=COMPATIBILITY_MAX_ITER)
    return scores[metric]


# ------------------------------------------------------------------------------------- validation
def _check(train: object, synthetic: object, holdout: object, metadata: object, max_rows: object,
           seed: object) -> list[pd.DataFrame]:
    tables = [train, synthetic, holdout]
    check_tables(dict(zip(_TABLES, tables)))
    check_common(metadata, seed=seed, max_rows=max_rows)
    return tables  # type: ignore[return-value]


def _check_models(models: Sequence[str] | str) -> list[str]:
    if isinstance(models, str):
        models = [models]
    models = list(models)
    unknown = [m for m in models if m not in MODELS]
    if not models or unknown:
        raise InvalidParameterError(f"models must be a non-empty list of {', '.join(MODELS)}; "
                                    f"got {unknown if unknown else 'none'}")
    return list(dict.fromkeys(models))


def _target_column(metadata: Metadata, name: object, tables: list[pd.DataFrame]) -> Column:
    if not isinstance(name, str) or name not in metadata:
        raise InvalidDataError(f"target column {name!r} is not in the metadata; its columns are {metadata.names}")
    column = metadata[name]
    if not column.learned or column.modelled_as not in _SCORED:
        raise InvalidDataError(f"target column {name!r} is not a learned numerical, datetime, categorical or "
                               f"boolean column (sdtype {column.sdtype!r}); pick another target")
    for table_name, table in zip(_TABLES, tables):
        if name not in table.columns:
            raise InvalidDataError(f"target column {name!r} is missing from the {table_name} table")
        if isinstance(table[name], pd.DataFrame):
            raise InvalidDataError(f"column {name!r} appears more than once in the {table_name} table")
    return column


def _scored_columns(metadata: Metadata, tables: list[pd.DataFrame]) -> list[Column]:
    """The learned, scored columns that all three tables hold."""
    out = scored_columns(metadata, *tables)
    for c in out:
        for table_name, table in zip(_TABLES, tables):
            if isinstance(table[c.name], pd.DataFrame):
                raise InvalidDataError(f"column {c.name!r} appears more than once in the {table_name} table")
    return out


def _sample(table: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """At most ``max_rows`` rows; a fresh generator per table, so equal tables give equal samples."""
    if len(table) <= max_rows:
        return table
    rng = np.random.default_rng(seed)
    return table.iloc[np.sort(rng.choice(len(table), size=int(max_rows), replace=False))]


# --------------------------------------------------------------------------------------- encoding
def category_codes(parts: list[pd.Series], cap: int = MAX_CATEGORIES) -> tuple[list[np.ndarray], int]:
    """Integer codes shared by several columns, most frequent category first; missing values are a
    category of their own and the rarest categories beyond ``cap`` share the last code."""
    numeric = {pd.api.types.is_numeric_dtype(p) and not pd.api.types.is_bool_dtype(p) for p in parts}
    if len(numeric) > 1:  # e.g. 1 in one table and "1" in another: compare as text
        parts = [_as_text(p) for p in parts]
    both = pd.concat([p.astype(object) for p in parts], ignore_index=True)
    codes, uniques = pd.factorize(both, use_na_sentinel=True)
    k = len(uniques)
    codes = np.where(codes < 0, k, codes).astype(np.int64)
    counts = np.bincount(codes, minlength=k + 1)
    rank = np.empty(k + 1, dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(k + 1)
    codes = np.minimum(rank[codes], cap - 1)
    n_codes = int(min(int((counts > 0).sum()), cap))
    bounds = np.cumsum([0] + [len(p) for p in parts])
    return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])], n_codes


def _features(tables: list[pd.DataFrame], metadata: Metadata, exclude: str | None = None) -> list[_Feature]:
    out = []
    for c in _scored_columns(metadata, tables):
        if c.name == exclude:
            continue
        if c.modelled_as in _NUMERIC:
            out.append(_Feature(c.name, False, [_as_number(t[c.name], c) for t in tables]))
        else:
            parts, n_codes = category_codes([t[c.name] for t in tables])
            out.append(_Feature(c.name, True, parts, n_codes))
    return out


def _encode_target(tables: list[pd.DataFrame], column: Column, task: str | None) -> _Target:
    values = [t[column.name] for t in tables]
    if task is None:
        few = values[_TRAIN].nunique(dropna=True) <= MAX_CLASSES_INFERRED
        task = "classification" if column.modelled_as in ("categorical", "boolean") or few else "regression"
    if task == "regression":
        if column.modelled_as not in _NUMERIC:
            raise InvalidParameterError(f"task='regression' needs a numerical or datetime target; column "
                                        f"{column.name!r} is {column.modelled_as}")
        return _Target(column.name, task, [_as_number(v, column) for v in values])
    numeric = {pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v) for v in values}
    if len(numeric) > 1:
        values = [_as_text(v) for v in values]
    real_classes = _sorted(pd.unique(values[_TRAIN].dropna()))
    seen = set(real_classes)
    extra = _sorted([x for v in values[1:] for x in pd.unique(v.dropna()) if x not in seen])
    index = pd.Index(real_classes + [x for x in dict.fromkeys(extra)], dtype=object)
    parts = [index.get_indexer(v.astype(object)).astype(np.int64) for v in values]
    return _Target(column.name, task, parts, len(real_classes))


def _sorted(values: Iterable[object]) -> list[object]:
    values = list(values)
    try:
        return sorted(values)
    except TypeError:  # mixed types
        return sorted(values, key=lambda x: (type(x).__name__, str(x)))


# --------------------------------------------------------------------------------------- modelling
def _fit_and_score(model: str, features: list[_Feature], target: _Target, t: int, seed: int, *,
                   max_iter: int = 100) -> dict[str, float]:
    """Fit ``model`` on table ``t`` (train or synthetic) and score it on the holdout."""
    fit_rows, test_rows = target.present(t), target.present(_HOLD)
    y_fit, y_test = target.parts[t][fit_rows], target.parts[_HOLD][test_rows]
    source = "synthetic" if t == _SYN else "train"
    if len(y_fit) == 0:
        raise InvalidDataError(f"the {source} table has no row with a value in the target column {target.name!r}")
    if len(y_test) == 0:
        raise InvalidDataError(f"the holdout table has no row with a value in the target column {target.name!r}")
    classify = target.task == "classification"
    if model == "hist_gradient_boosting":
        x_fit, x_test = _tree_matrix(features, t, fit_rows), _tree_matrix(features, _HOLD, test_rows)
    else:
        x_fit, x_test = _linear_matrices(features, t, fit_rows, test_rows)
    estimator = _estimator(model, classify, features, seed, max_iter, y_fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the linear model
        estimator.fit(x_fit, y_fit)
        if classify:
            proba = estimator.predict_proba(x_test)
            scores = _classification_scores(y_test, proba, np.asarray(estimator.classes_), target)
        else:
            scores = _regression_scores(y_test, estimator.predict(x_test))
    return {"n_train": len(y_fit), "n_test": len(y_test), **scores}


def _estimator(model: str, classify: bool, features: list[_Feature], seed: int, max_iter: int,
               y_fit: np.ndarray) -> object:
    if classify and len(np.unique(y_fit)) < 2:
        return _Constant()
    if model == "hist_gradient_boosting":
        mask = [f.categorical for f in features]
        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return cls(random_state=seed, max_iter=max_iter, categorical_features=mask if any(mask) else None)
    return LogisticRegression(max_iter=1000) if classify else Ridge()


class _Constant:
    """The only class of a one-class training set, predicted with probability 1."""

    def fit(self, x: object, y: np.ndarray) -> _Constant:
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, x: np.ndarray | sparse.spmatrix) -> np.ndarray:
        return np.ones((x.shape[0], 1))


def _tree_matrix(features: list[_Feature], t: int, rows: np.ndarray) -> np.ndarray:
    return np.column_stack([f.parts[t][rows].astype(float) for f in features])


def _linear_matrices(features: list[_Feature], t: int, fit_rows: np.ndarray,
                     test_rows: np.ndarray) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Numbers imputed with the training median and standardised; categories one-hot."""
    fit_blocks, test_blocks = [], []
    for f in features:
        a, b = f.parts[t][fit_rows], f.parts[_HOLD][test_rows]
        if f.categorical:
            fit_blocks.append(_one_hot(a, f.n_codes))
            test_blocks.append(_one_hot(b, f.n_codes))
            continue
        present = a[~np.isnan(a)]
        median = float(np.median(present)) if len(present) else 0.0
        a, b = np.where(np.isnan(a), median, a), np.where(np.isnan(b), median, b)
        mean, std = float(a.mean()), float(a.std())
        std = std if std > 0 and np.isfinite(std) else 1.0
        fit_blocks.append(sparse.csr_matrix(((a - mean) / std)[:, None]))
        test_blocks.append(sparse.csr_matrix(((b - mean) / std)[:, None]))
    return sparse.hstack(fit_blocks, format="csr"), sparse.hstack(test_blocks, format="csr")


def _one_hot(codes: np.ndarray, n_codes: int) -> sparse.csr_matrix:
    n = len(codes)
    return sparse.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, n_codes))


def _classification_scores(y: np.ndarray, proba: np.ndarray, classes: np.ndarray, target: _Target) -> dict:
    n_all = max(int(max(target.parts[i].max(initial=-1) for i in range(3))) + 1, target.n_real_classes)
    full = np.zeros((len(y), n_all))
    full[:, classes] = proba  # classes the model never saw keep probability 0
    predicted = classes[np.argmax(proba, axis=1)]
    m = target.n_real_classes

    def auc(c: int) -> float:
        positive = y == c
        return float(roc_auc_score(positive, full[:, c])) if 0 < positive.sum() < len(y) else np.nan

    if m == 2:
        roc = auc(1)
    elif m > 2:
        per_class = np.array([auc(c) for c in range(m)])
        roc = float(np.nanmean(per_class)) if (~np.isnan(per_class)).any() else np.nan
    else:
        roc = np.nan
    return {"accuracy": float(np.mean(predicted == y)),
            "macro_f1": float(f1_score(y, predicted, average="macro", zero_division=0)), "roc_auc": roc}


def _regression_scores(y: np.ndarray, predicted: np.ndarray) -> dict:
    r2 = float(r2_score(y, predicted)) if len(y) > 1 else np.nan
    nonzero = y != 0
    mre = float(np.mean(np.abs(y - predicted)[nonzero] / np.abs(y[nonzero]))) if nonzero.any() else np.nan
    return {"r2": r2, "mean_relative_error": mre}
