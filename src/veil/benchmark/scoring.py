"""The benchmark's scores of one synthetic table, on the protocol of the independent judge
(``../shared/bench/judge.py``), so that the leaderboard can be checked against it:

- **quality**: the SDMetrics-compatible quality score (:func:`veil.metrics.fidelity.quality_score`),
  synthetic vs the real training rows, each sampled to at most 50,000 rows with seed 0;
- **TSTR**: a gradient-boosted model (200 trees of depth 6) trained on the synthetic rows, tested on the
  real holdout; macro-F1 and AUC for classification, R² for regression. Features: numbers as they are
  (datetimes as epoch seconds), categories one-hot (at most 200 per column) as fitted on the real
  training rows. XGBoost with the judge's settings when it is installed, else scikit-learn's
  histogram gradient boosting set to match it (learning rate 0.3, leaves of one row, L2 1);
- **privacy**: the share of (5,000) synthetic rows closer to a training row than to a holdout row, on
  equal-size sets (0.5 is ideal), with the judge's distance (range-scaled numbers, halved one-hot
  categories, L1), and the share of synthetic rows equal to a training row.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

SEED = 0
MAX_QUALITY_ROWS = 50_000
MAX_TSTR_ROWS = 50_000
MAX_DCR_QUERIES = 5_000
MAX_ONE_HOT = 200


@dataclass
class Task:
    """What a dataset asks of a synthetic table."""

    target: str
    kind: str  # classification | regression
    datetimes: dict[str, str] = field(default_factory=dict)  # column -> strftime format


def column_kinds(train: pd.DataFrame, task: Task) -> dict[str, str]:
    """Each column's kind as the judge reads a CSV: datetime (named), boolean, numerical, categorical."""
    out = {}
    for name in train.columns:
        if name in task.datetimes:
            out[name] = "datetime"
        elif pd.api.types.is_bool_dtype(train[name]):
            out[name] = "boolean"
        elif pd.api.types.is_numeric_dtype(train[name]):
            out[name] = "numerical"
        else:
            out[name] = "categorical"
    return out


def conform(synthetic: pd.DataFrame, train: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """The synthetic table in the training table's columns and types (unreadable cells missing)."""
    out = synthetic.reindex(columns=train.columns)
    for name, kind in kinds.items():
        if kind == "numerical":
            out[name] = pd.to_numeric(out[name], errors="coerce")
        elif kind == "categorical":
            values = out[name].astype(object).where(out[name].notna(), np.nan)
            out[name] = values if pd.api.types.is_numeric_dtype(train[name]) else values.map(
                lambda v: v if pd.isna(v) else str(v))
    return out


def score(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, task: Task, *,
          trtr: bool = True) -> dict[str, Any]:
    """Quality, TSTR (and, with ``trtr``, the same model trained on the real rows) and privacy."""
    warnings.filterwarnings("ignore", category=UserWarning)
    kinds = column_kinds(train, task)
    synthetic = conform(synthetic, train, kinds)
    features = _Features(train, kinds, task.target)
    out = {"quality": quality(train, synthetic, kinds, task), "tstr": utility(synthetic, holdout, features, task),
           "privacy": privacy(train, holdout, synthetic, kinds)}
    if trtr:
        out["trtr"] = utility(train, holdout, features, task)
    return out


# ------------------------------------------------------------------------------------------ quality
def quality(train: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str], task: Task) -> dict[str, float]:
    from ..metadata import Column, Metadata
    from ..metrics.fidelity import quality_score

    metadata = Metadata(columns=[Column(name, kind, datetime_format=task.datetimes.get(name))
                                 for name, kind in kinds.items()])
    real = train.sample(n=min(len(train), MAX_QUALITY_ROWS), random_state=SEED)
    fake = synthetic.sample(n=min(len(synthetic), MAX_QUALITY_ROWS), random_state=SEED)
    return quality_score(real, fake, metadata, max_rows=MAX_QUALITY_ROWS, seed=SEED)


# ------------------------------------------------------------------------------------------ utility
class _Features:
    """Numbers as floats (datetimes as epoch seconds), categories one-hot, fitted on the real train rows."""

    def __init__(self, train: pd.DataFrame, kinds: dict[str, str], target: str):
        from sklearn.preprocessing import OneHotEncoder

        self.kinds = kinds
        self.numbers = [c for c, k in kinds.items() if c != target and k in ("numerical", "datetime", "boolean")]
        self.categories = [c for c, k in kinds.items() if c != target and k == "categorical"]
        self.encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float32,
                                     max_categories=MAX_ONE_HOT).fit(self._text(train))

    def _text(self, table: pd.DataFrame) -> pd.DataFrame:
        part = table[self.categories].astype(object)
        return part.where(part.notna(), "__nan__").astype(str)

    def numbers_of(self, table: pd.DataFrame, dtype: Any = np.float32) -> np.ndarray:
        columns = []
        for name in self.numbers:
            if self.kinds[name] == "datetime":
                stamps = pd.to_datetime(table[name], errors="coerce", utc=True)
                columns.append((stamps - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy(dtype))
            else:
                columns.append(pd.to_numeric(table[name], errors="coerce").to_numpy(dtype))
        return np.column_stack(columns) if columns else np.zeros((len(table), 0), dtype)

    def __call__(self, table: pd.DataFrame) -> np.ndarray:
        return np.hstack([self.numbers_of(table), self.encoder.transform(self._text(table))])


def _booster(classify: bool) -> Any:
    try:
        from xgboost import XGBClassifier, XGBRegressor

        cls = XGBClassifier if classify else XGBRegressor
        return cls(n_estimators=200, max_depth=6, random_state=SEED, n_jobs=2, tree_method="hist")
    except ImportError:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return cls(max_iter=200, max_depth=6, learning_rate=0.3, min_samples_leaf=1, l2_regularization=1.0,
                   max_leaf_nodes=None, early_stopping=False, random_state=SEED)


def booster_name() -> str:
    try:
        import xgboost

        return f"xgboost {xgboost.__version__}"
    except ImportError:
        import sklearn

        return f"scikit-learn {sklearn.__version__} HistGradientBoosting"


def utility(fit_rows: pd.DataFrame, holdout: pd.DataFrame, features: _Features, task: Task) -> dict[str, Any]:
    from sklearn import metrics

    fit_rows = fit_rows[fit_rows[task.target].notna()]
    fit_rows = fit_rows.sample(n=min(len(fit_rows), MAX_TSTR_ROWS), random_state=SEED)
    holdout = holdout[holdout[task.target].notna()]
    x, x_hold = features(fit_rows), features(holdout)
    if task.kind == "regression":
        y = pd.to_numeric(fit_rows[task.target], errors="coerce").to_numpy(float)
        y_hold = pd.to_numeric(holdout[task.target], errors="coerce").to_numpy(float)
        ok = np.isfinite(y)
        if ok.sum() < 2:
            return {"r2": None, "note": "too few rows with a target"}
        predicted = _booster(False).fit(x[ok], y[ok]).predict(x_hold)
        return {"r2": float(metrics.r2_score(y_hold, predicted))}
    classes = sorted(holdout[task.target].astype(str).unique())
    index = {c: i for i, c in enumerate(classes)}
    y = fit_rows[task.target].astype(str).map(index)
    keep = y.notna().to_numpy()
    y = y[keep].astype(int).to_numpy()
    y_hold = holdout[task.target].astype(str).map(index).astype(int).to_numpy()
    if len(np.unique(y)) < 2:
        return {"macro_f1": None, "auc": None, "note": "one class only"}
    present = np.unique(y)
    relabel = {c: i for i, c in enumerate(present)}
    model = _booster(True).fit(x[keep], np.vectorize(relabel.get)(y))
    proba = np.zeros((len(x_hold), len(classes)))
    proba[:, present] = model.predict_proba(x_hold)
    predicted = proba.argmax(1)
    if len(classes) == 2:
        auc = metrics.roc_auc_score(y_hold, proba[:, 1])
    else:
        seen = np.isin(np.arange(len(classes)), np.unique(y_hold))
        p = proba[:, seen] / np.clip(proba[:, seen].sum(1, keepdims=True), 1e-12, None)
        auc = metrics.roc_auc_score(np.searchsorted(np.flatnonzero(seen), y_hold), p, multi_class="ovr")
    return {"macro_f1": float(metrics.f1_score(y_hold, predicted, average="macro")), "auc": float(auc),
            "accuracy": float(metrics.accuracy_score(y_hold, predicted))}


# ------------------------------------------------------------------------------------------ privacy
class _Distance:
    """The judge's distance: per column |a - b| / range for numbers and datetimes (a missing number is -1,
    far from all), and for categories 1 when they differ (0.5 when one of them was never seen in the
    training rows, as a one-hot row of zeros would give); summed, then divided by the number of columns.

    Categories are compared as codes rather than one-hot vectors: the same distances, without a
    dimension per category (a column of 4,000 tail numbers would otherwise make every comparison
    4,000 wide)."""

    def __init__(self, train: pd.DataFrame, kinds: dict[str, str]):
        self.numbers = _Features(train, {c: k for c, k in kinds.items() if k in ("numerical", "datetime")}, "")
        self.categories = [c for c, k in kinds.items() if k in ("categorical", "boolean")]
        raw = self.numbers.numbers_of(train, np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.low = np.nanmin(raw, 0) if raw.shape[1] else np.zeros(0)
            span = np.nanmax(raw, 0) - self.low if raw.shape[1] else np.zeros(0)
        self.span = np.where(span > 0, span, 1.0)
        self.codes = {c: {v: i for i, v in enumerate(sorted(set(self._text(train, c))))} for c in self.categories}
        self.width = len(self.numbers.numbers) + len(self.categories)

    @staticmethod
    def _text(table: pd.DataFrame, column: str) -> pd.Series:
        part = table[column].astype(object)
        return part.where(part.notna(), "__nan__").astype(str)

    def __call__(self, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        x = (self.numbers.numbers_of(table, np.float64) - self.low) / self.span
        x = np.where(np.isnan(x), -1.0, x).astype(np.float32)
        codes = np.column_stack([self._text(table, c).map(self.codes[c]).fillna(-1).to_numpy(np.int64)
                                 for c in self.categories]) if self.categories else np.zeros((len(table), 0), int)
        return x, codes


def _nearest(query: tuple[np.ndarray, np.ndarray], base: tuple[np.ndarray, np.ndarray],
             block: int = 512) -> np.ndarray:
    """Each query row's L1 distance to its nearest base row (categories: 0, 0.5 or 1 per column)."""
    qx, qc = query
    bx, bc = base
    unseen_base = bc < 0
    out = np.empty(len(qx), dtype=np.float64)
    for start in range(0, len(qx), block):
        stop = min(start + block, len(qx))
        d = np.zeros((stop - start, len(bx)), dtype=np.float64)
        for j in range(qx.shape[1]):  # a column at a time: no [queries x base x columns] array
            d += np.abs(qx[start:stop, j, None] - bx[None, :, j])
        for j in range(qc.shape[1]):
            a = qc[start:stop, j, None]
            differ = a != bc[None, :, j]
            d += np.where(differ & ((a < 0) | unseen_base[None, :, j]), 0.5, differ)
        out[start:stop] = d.min(1)
    return out


def privacy(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame,
            kinds: dict[str, str]) -> dict[str, float]:
    rng = np.random.default_rng(SEED)
    distance = _Distance(train, kinds)
    train_part = train.iloc[rng.choice(len(train), size=min(len(train), len(holdout)), replace=False)]
    query = distance(synthetic.sample(n=min(len(synthetic), MAX_DCR_QUERIES), random_state=SEED))
    to_train = _nearest(query, distance(train_part)) / distance.width
    to_holdout = _nearest(query, distance(holdout)) / distance.width
    share = float(np.mean(to_train < to_holdout) + 0.5 * np.mean(to_train == to_holdout))

    def keys(table: pd.DataFrame) -> pd.Series:
        return pd.util.hash_pandas_object(table[train.columns].astype(str), index=False)

    return {"dcr_share": share, "exact_match": float(keys(synthetic).isin(set(keys(train).tolist())).mean())}
