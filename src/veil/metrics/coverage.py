"""Coverage and the other fidelity extras: table-GAN's per-attribute comparison, mutual information
between columns, and how easily a classifier tells synthetic rows from real ones.

* :func:`column_statistics` - per column: missing rates, summary statistics of numbers, how much of
  the real range and of the real categories the synthetic table covers, and how many synthetic
  values are unseen in the real table.
* :func:`mutual_information` - normalised mutual information between every pair of columns, in each
  table, and the absolute difference.
* :func:`detection_auc` - the cross-validated ROC AUC of a classifier telling real rows from
  synthetic ones (0.5: indistinguishable; 1.0: told apart every time).

As in :mod:`veil.metrics.fidelity`, only columns the model learns that both tables hold are scored,
and of those only numerical, datetime, categorical and boolean ones; datetimes are numbers (days
since 1970). Sampling uses a fresh generator seeded with ``seed`` for each table, so that equal
tables give equal samples.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from ..errors import InvalidDataError
from ..metadata import Column, Metadata
from ._checks import check_common, check_int, check_tables
from .fidelity import _NUMERIC, _as_number, _categories, scored_columns
from .utility import category_codes

N_BINS = 10
DETECTION_FOLDS = 3


# -------------------------------------------------------------------------------------- public API
def column_statistics(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata) -> pd.DataFrame:
    """One row per scored column: ``column``, ``sdtype`` (as modelled), ``missing_real`` /
    ``missing_synthetic`` (shares of missing values), for numbers ``mean``, ``std`` (ddof=1), ``min``,
    ``median`` and ``max`` of each table (suffixes ``_real`` and ``_synthetic``) and ``range_coverage``
    (the share of the real [min, max] that the synthetic [min, max] covers, in [0, 1]); for
    categories ``category_coverage`` (the share of the real categories present in the synthetic
    table) and ``unseen_share`` (the share of synthetic values, missing ones left out, that are not
    real categories). Statistics that do not apply to a column, or cannot be computed, are NaN."""
    rows = [_column_row(col, r, s) for col, r, s in _columns(real, synthetic, metadata)]
    names = ["column", "sdtype", "missing_real", "missing_synthetic"]
    names += [f"{stat}_{side}" for stat in ("mean", "std", "min", "median", "max") for side in ("real", "synthetic")]
    names += ["range_coverage", "category_coverage", "unseen_share"]
    return pd.DataFrame(rows, columns=names)


def mutual_information(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata, *, bins: int = N_BINS,
                       max_rows: int = 50_000, seed: int = 0) -> dict[str, object]:
    """Normalised mutual information (arithmetic mean of the entropies, as scikit-learn's
    ``normalized_mutual_info_score``) between every pair of scored columns.

    Numbers are cut into ``bins`` quantile bins fitted on the real column and applied to both tables;
    missing values are a category of their own. Returns ``real`` and ``synthetic`` (square DataFrames
    with 1 on the diagonal), ``difference`` (their absolute difference) and ``mean_abs_difference``
    (its mean over the pairs of distinct columns; NaN with fewer than two columns)."""
    check_int("bins", bins, 2)
    columns = _columns(real, synthetic, metadata, max_rows, seed)
    names = [col.name for col, _, _ in columns]
    coded = [_codes(col, r, s, bins) for col, r, s in columns]
    out = {}
    for side in (0, 1):
        matrix = np.eye(len(coded))
        for i in range(len(coded)):
            for j in range(i + 1, len(coded)):
                matrix[i, j] = matrix[j, i] = normalized_mutual_information(coded[i][side], coded[j][side])
        out["real" if side == 0 else "synthetic"] = pd.DataFrame(matrix, index=names, columns=names)
    difference = (out["real"] - out["synthetic"]).abs()
    upper = difference.to_numpy()[np.triu_indices(len(names), k=1)]
    return {**out, "difference": difference, "mean_abs_difference": float(upper.mean()) if len(upper) else np.nan}


def detection_auc(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata, *, max_rows: int = 20_000,
                  seed: int = 0) -> float:
    """Cross-validated ROC AUC of gradient boosting telling real rows (0) from synthetic rows (1).

    Both tables are sampled to the same number of rows (at most ``max_rows`` each); the AUC is the
    mean over 3 seeded folds. Equal rows (a synthetic row copying a real one) are kept in the same
    fold: otherwise the model would learn a held-out row from its twin of the other label and score
    below 0.5; copies are the business of the privacy metrics. 0.5 is best: the classifier cannot
    tell the tables apart; 1.0 means every synthetic row is recognised. The AUC itself is reported,
    not max(AUC, 1 - AUC): a value a little below 0.5 is noise, not a better synthetic table."""
    _check(real, synthetic, metadata, max_rows, seed)
    n = min(len(real), len(synthetic), int(max_rows))
    if n < DETECTION_FOLDS:
        raise InvalidDataError(f"detection needs at least {DETECTION_FOLDS} rows in each table; "
                               f"got {len(real)} real and {len(synthetic)} synthetic rows")
    columns = _columns(real, synthetic, metadata, n, seed)
    if not columns:
        raise InvalidDataError("the real and synthetic tables share no learned column to score; "
                               "check that both have the columns the metadata describes")
    blocks, mask = [], []
    for col, r, s in columns:
        if col.modelled_as in _NUMERIC:
            blocks.append(np.concatenate([_as_number(r, col), _as_number(s, col)]))
            mask.append(False)
        else:
            codes, _ = category_codes([r, s])
            blocks.append(np.concatenate(codes).astype(float))
            mask.append(True)
    x = np.column_stack(blocks)
    y = np.repeat([0, 1], n)
    folds = _folds(x, seed)
    scores = []
    for k in range(DETECTION_FOLDS):
        test = folds == k
        if len(np.unique(y[test])) < 2 or len(np.unique(y[~test])) < 2:
            continue
        model = HistGradientBoostingClassifier(random_state=seed, categorical_features=mask if any(mask) else None)
        model.fit(x[~test], y[~test])
        scores.append(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
    return float(np.mean(scores)) if scores else np.nan


def normalized_mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """Mutual information of two integer codings over the arithmetic mean of their entropies (1.0 when
    both are constant, as scikit-learn's ``normalized_mutual_info_score``)."""
    if len(a) == 0:
        return np.nan
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    if ka == kb == 1:
        return 1.0
    joint = np.bincount(a.astype(np.int64) * kb + b, minlength=ka * kb).astype(float)
    joint = joint[joint > 0] / len(a)
    pa, pb = np.bincount(a) / len(a), np.bincount(b) / len(b)
    ha, hb = -np.sum(pa * np.log(pa)), -np.sum(pb * np.log(pb))
    mi = max(float(np.sum(joint * np.log(joint))) + ha + hb, 0.0)
    denom = (ha + hb) / 2.0
    return float(min(mi / denom, 1.0)) if denom > 0 else 0.0


# ---------------------------------------------------------------------------------------- helpers
def _check(real: object, synthetic: object, metadata: object, max_rows: object, seed: object) -> None:
    check_tables({"real": real, "synthetic": synthetic})
    check_common(metadata, seed=seed, max_rows=max_rows)


def _columns(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata, max_rows: int | None = None,
             seed: int = 0) -> list[tuple[Column, pd.Series, pd.Series]]:
    """The scored columns and their values in each (sampled) table."""
    _check(real, synthetic, metadata, max_rows or 1, seed)
    if max_rows is not None:
        real, synthetic = _sample(real, max_rows, seed), _sample(synthetic, max_rows, seed)
    out = []
    for col in scored_columns(metadata, real, synthetic):
        r, s = real[col.name], synthetic[col.name]
        if isinstance(r, pd.DataFrame) or isinstance(s, pd.DataFrame):
            raise InvalidDataError(f"column {col.name!r} appears more than once in a table")
        out.append((col, r, s))
    return out


def _folds(x: np.ndarray, seed: int) -> np.ndarray:
    """A fold number per row; equal rows share a fold, groups of equal rows dealt out in a seeded order."""
    hashes = pd.util.hash_pandas_object(pd.DataFrame(x), index=False).to_numpy()
    _, group = np.unique(hashes, return_inverse=True)
    order = np.random.default_rng(seed).permutation(int(group.max()) + 1)
    return order[group.reshape(-1)] % DETECTION_FOLDS


def _sample(table: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    if len(table) <= max_rows:
        return table
    rng = np.random.default_rng(seed)
    return table.iloc[np.sort(rng.choice(len(table), size=int(max_rows), replace=False))]


def _column_row(col: Column, real: pd.Series, synthetic: pd.Series) -> dict[str, object]:
    row: dict[str, object] = {"column": col.name, "sdtype": col.modelled_as,
                              "missing_real": _share(real.isna().to_numpy()),
                              "missing_synthetic": _share(synthetic.isna().to_numpy())}
    if col.modelled_as in _NUMERIC:
        r, s = _as_number(real, col), _as_number(synthetic, col)
        row["missing_real"], row["missing_synthetic"] = _share(np.isnan(r)), _share(np.isnan(s))
        r, s = r[~np.isnan(r)], s[~np.isnan(s)]
        for side, values in (("real", r), ("synthetic", s)):
            row.update({f"{name}_{side}": value for name, value in _summary(values).items()})
        row["range_coverage"] = _range_coverage(r, s)
    else:
        real_codes, syn_codes, k = _categories(real, synthetic)  # code k - 1 is 'missing'
        in_real = np.bincount(real_codes, minlength=k)[: k - 1] > 0
        in_syn = np.bincount(syn_codes, minlength=k)[: k - 1] > 0
        row["category_coverage"] = float((in_real & in_syn).sum() / in_real.sum()) if in_real.any() else np.nan
        present = syn_codes[syn_codes != k - 1]
        row["unseen_share"] = float(np.mean(~in_real[present])) if len(present) else np.nan
    return row


def _share(flags: np.ndarray) -> float:
    return float(flags.mean()) if len(flags) else np.nan


def _summary(values: np.ndarray) -> dict[str, float]:
    if len(values) == 0:
        return dict.fromkeys(("mean", "std", "min", "median", "max"), np.nan)
    return {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else np.nan,
            "min": float(values.min()), "median": float(np.median(values)), "max": float(values.max())}


def _range_coverage(real: np.ndarray, synthetic: np.ndarray) -> float:
    """The share of the real [min, max] inside the synthetic [min, max]; for a constant real column,
    1 if the synthetic range holds its value, else 0."""
    if len(real) == 0:
        return np.nan
    if len(synthetic) == 0:
        return 0.0
    lo, hi = real.min(), real.max()
    s_lo, s_hi = synthetic.min(), synthetic.max()
    if hi == lo:
        return float(s_lo <= lo <= s_hi)
    return float(np.clip((min(hi, s_hi) - max(lo, s_lo)) / (hi - lo), 0.0, 1.0))


def _codes(col: Column, real: pd.Series, synthetic: pd.Series, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of both tables: quantile bins of the real column for numbers (missing: one more
    code), shared category codes otherwise."""
    if col.modelled_as not in _NUMERIC:
        real_codes, syn_codes, _ = _categories(real, synthetic)
        return real_codes, syn_codes
    r, s = _as_number(real, col), _as_number(synthetic, col)
    present = r[~np.isnan(r)]
    inner = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])) if len(present) else np.array([])

    def cut(x: np.ndarray) -> np.ndarray:
        codes = np.searchsorted(inner, x, side="right").astype(np.int64)
        codes[np.isnan(x)] = len(inner) + 1
        return codes

    return cut(r), cut(s)
