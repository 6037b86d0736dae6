"""``veil.evaluate``: fidelity, utility and privacy of a synthetic table in one call, and its report."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import InvalidDataError, InvalidParameterError
from ..metadata import Metadata
from . import coverage, fidelity, privacy, utility
from ._checks import check_int

#: rows of each table used by the metrics that sample (stated in the report)
MAX_ROWS = 50_000
#: categories shown per column in the report's bar charts
TOP_CATEGORIES = 15


@dataclass
class Evaluation:
    """Scores and details, as data. ``scores`` holds the headline numbers; ``details`` the tables behind
    them; ``privacy`` the privacy figures; ``notes`` says what was sampled or skipped, and why."""

    scores: dict[str, float] = field(default_factory=dict)
    details: dict[str, pd.DataFrame] = field(default_factory=dict)
    privacy: dict[str, Any] = field(default_factory=dict)
    matrices: dict[str, dict[str, Any]] = field(default_factory=dict)
    distributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    version: str = __version__

    # ------------------------------------------------------------------ views
    def headline(self) -> list[dict[str, str]]:
        """The figures a reader looks at first, each with a plain-language verdict and a level
        (good / fair / bad / info)."""
        s, out = self.scores, []
        if "quality" in s:
            q = s["quality"]
            out.append(_item("Fidelity (quality score)", f"{q:.1%}", *_band(q, (0.9, "very close to the real data"),
                                                                       (0.8, "close to the real data"),
                                                                       (0.7, "roughly similar"),
                                                                       (0.0, "far from the real data"))))
        if "detection_auc" in s:
            a = s["detection_auc"]
            out.append(_item("Real-vs-synthetic detection AUC", f"{a:.3f}",
                             *_band(-a, (-0.6, "hard to tell apart (0.5 is ideal)"),
                                    (-0.75, "partly distinguishable"), (-1.01, "easy to tell apart"))))
        if "tstr_ratio" in s:
            r = s["tstr_ratio"]
            out.append(_item("Utility (synthetic-trained / real-trained)", f"{r:.1%}",
                             *_band(r, (0.95, "as useful as the real data"), (0.85, "nearly as useful"),
                                    (0.0, "clearly less useful"))))
        if "dcr_share" in s:
            d = s["dcr_share"]
            out.append(_item("DCR share", f"{d:.3f}",
                             *_band(-d, (-0.55, "no sign of copying (0.5 is ideal)"),
                                    (-0.6, "slightly closer to training rows than new rows are"),
                                    (-1.01, "closer to training rows: possible memorisation"))))
        if "membership_auc" in s:
            m = s["membership_auc"]
            out.append(_item("Membership-inference AUC", f"{m:.3f}",
                             *_band(-m, (-0.55, "membership not inferable (0.5 is ideal)"), (-0.6, "a weak signal"),
                                    (-1.01, "membership can be inferred"))))
        for key, label in (("singling_out_risk", "Singling-out risk"), ("linkability_risk", "Linkability risk"),
                           ("inference_risk", "Attribute-inference risk")):
            if key in s:
                low = self.privacy.get(f"{key}_ci_low", np.nan)
                level, verdict = ("good", "no measurable risk") if not low > 0 else ("bad", "a measurable risk")
                out.append(_item(label, f"{s[key]:.1%}", level, verdict))
        if "k_anonymity" in s:
            k = s["k_anonymity"]
            out.append(_item("k-anonymity of the synthetic table", f"{k:g}",
                             *_band(k, (5, "every quasi-identifier group has 5 rows or more"),
                                    (2, "small groups exist"), (0, "some rows are unique on the quasi-identifiers"))))
        if "singling_out_share" in self.privacy:
            share = self.privacy["singling_out_share"]
            out.append(_item("Synthetic rows that single out one real person", f"{share:.2%}",
                             *_band(-share, (-0.001, "almost none point at one person"),
                                    (-0.02, "a few point at one person on the quasi-identifiers"),
                                    (-1.01, "many point at one person on the quasi-identifiers"))))
        return out

    def summary(self) -> str:
        """A plain-text summary: one line per headline figure, then the notes."""
        lines = [f"{h['label']:<46} {h['value']:>9}  {h['verdict']}" for h in self.headline()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "veil_version": self.version, "rows": self.rows, "scores": _jsonable(self.scores),
            "privacy": _jsonable(self.privacy), "details": {k: _jsonable(v.to_dict(orient="records"))
                                                              for k, v in self.details.items()},
            "notes": self.notes, "skipped": self.skipped, "timings": _jsonable(self.timings),
        }

    def to_json(self, path: str | Path | None = None) -> str:
        """The evaluation as JSON (scores, details, privacy, notes); written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_html(self, path: str | Path) -> Path:
        """Write the standalone HTML report (no network needed to view it) and return its path."""
        from .report import render

        path = Path(path)
        path.write_text(render(self), encoding="utf-8")
        return path


def evaluate(train: pd.DataFrame, synthetic: pd.DataFrame, *, holdout: pd.DataFrame | None = None,
             metadata: Metadata | None = None, target: str | None = None,
             quasi_identifiers: list[str] | None = None, sensitive: str | None = None,
             model_compatibility: bool = False, max_rows: int = MAX_ROWS, seed: int = 0) -> Evaluation:
    """Measure a synthetic table against the real one it was made from.

    ``train``: the real rows the generator learned from. ``holdout``: real rows it never saw; without
    it, utility and the privacy attacks cannot be measured (they compare with it) and are skipped.
    ``target``: a column to predict for train-on-synthetic-test-on-real. ``quasi_identifiers`` (and
    ``sensitive``): columns for k-anonymity, l-diversity and unique matches; the attribute-inference
    attack guesses ``sensitive`` (else ``target``). ``model_compatibility``: also predict every column
    from the others, trained on synthetic and on real rows (table-GAN's test; slower: about 25 s on Adult).
    """
    _check_inputs(train, synthetic, holdout, metadata, target, quasi_identifiers, sensitive, model_compatibility,
                  max_rows, seed)
    meta = metadata if metadata is not None else Metadata.detect(train, seed=seed)
    ev = Evaluation(rows={"train": len(train), "synthetic": len(synthetic),
                          "holdout": 0 if holdout is None else len(holdout)})
    for name, table in (("train", train), ("synthetic", synthetic), ("holdout", holdout)):
        if table is not None and len(table) > max_rows:
            ev.notes.append(f"sampled metrics use {max_rows:,} of the {len(table):,} {name} rows (seeded)")

    with _timed(ev, "fidelity"):
        _fidelity(ev, train, synthetic, meta, max_rows, seed)
    if holdout is None:
        ev.skipped["utility"] = ev.skipped["privacy"] = "needs a holdout: real rows the generator never saw"
    else:
        if target is not None:
            with _timed(ev, "utility"):
                _utility(ev, train, synthetic, holdout, meta, target, max_rows, seed)
        else:
            ev.skipped["utility"] = "name a target column to measure train-on-synthetic, test-on-real"
        if model_compatibility:
            with _timed(ev, "model_compatibility"):
                ev.details["model_compatibility"] = utility.model_compatibility(train, synthetic, holdout, meta,
                                                                               seed=seed)
        with _timed(ev, "privacy"):
            _privacy(ev, train, synthetic, holdout, meta, sensitive or target, seed)
    if quasi_identifiers:
        with _timed(ev, "anonymity"):
            _anonymity(ev, train, synthetic, quasi_identifiers, sensitive)
    return ev


# ---------------------------------------------------------------------------------------- sections
def _fidelity(ev: Evaluation, train, synthetic, meta, max_rows, seed) -> None:
    quality, shapes, pairs = fidelity.quality_report(train, synthetic, meta, max_rows=max_rows, seed=seed)
    ev.scores.update(quality=quality["overall"], column_shapes=quality["column_shapes"],
                     column_pair_trends=quality["column_pair_trends"])
    ev.details["column_shapes"] = shapes
    ev.details["column_pair_trends"] = pairs
    ev.matrices["pair_trends"] = _pair_matrices(pairs, list(ev.details["column_shapes"]["column"]))
    ev.details["column_statistics"] = coverage.column_statistics(train, synthetic, meta)
    mi = coverage.mutual_information(train, synthetic, meta, max_rows=max_rows, seed=seed)
    ev.matrices["mutual_information"] = {"labels": list(mi["real"].columns), "real": mi["real"].to_numpy(),
                                         "synthetic": mi["synthetic"].to_numpy(),
                                         "difference": mi["difference"].to_numpy()}
    ev.scores["mutual_information_difference"] = float(mi["mean_abs_difference"])
    ev.scores["detection_auc"] = float(coverage.detection_auc(train, synthetic, meta, seed=seed))
    ev.distributions = _distributions(train, synthetic, meta, max_rows, seed)


def _utility(ev: Evaluation, train, synthetic, holdout, meta, target, max_rows, seed) -> None:
    table = utility.train_synthetic_test_real(train, synthetic, holdout, meta, target=target, max_rows=max_rows,
                                              seed=seed)
    ev.details["utility"] = table
    main = "macro_f1" if "macro_f1" in table.columns else "r2"
    first = table["model"].iloc[0]
    by = table[table["model"] == first].set_index("trained_on")[main]
    ev.scores[f"tstr_{main}"] = float(by.get("synthetic", np.nan))
    ev.scores[f"trtr_{main}"] = float(by.get("real", np.nan))
    if np.isfinite(by.get("real", np.nan)) and by.get("real") > 0:
        ev.scores["tstr_ratio"] = float(by.get("synthetic", np.nan) / by["real"])


def _privacy(ev: Evaluation, train, synthetic, holdout, meta, secret, seed) -> None:
    dcr = privacy.distance_to_closest_record(train, synthetic, holdout, meta, seed=seed)
    ev.scores["dcr_share"] = float(dcr["dcr_share"])
    ev.matrices["dcr"] = {"synthetic": np.asarray(dcr["dcr_synthetic"]), "holdout": np.asarray(dcr["dcr_holdout"])}
    for key in ("dcr_share", "dcr_share_equal_size", "median_nndr", "exact_match_rate", "holdout_exact_match_rate",
                "median_dcr_synthetic", "median_dcr_holdout"):
        if key in dcr:
            ev.privacy[key] = float(dcr[key])
    mia = privacy.membership_inference(train, synthetic, holdout, meta, seed=seed)
    ev.scores["membership_auc"] = float(mia["auc"])
    ev.privacy["membership_auc"] = float(mia["auc"])
    ev.privacy["membership_tpr_at_1pct_fpr"] = float(mia["tpr_at_1pct_fpr"])
    rows = []
    attacks = [("singling_out_risk", lambda: privacy.singling_out_risk(train, synthetic, holdout, meta, seed=seed))]
    if secret is not None:
        attacks.append(("inference_risk", lambda: privacy.inference_risk(train, synthetic, holdout, meta,
                                                                          secret=secret, seed=seed)))
    columns = [c for c in ev.details["column_shapes"]["column"] if c != secret]
    if len(columns) >= 2:
        half = len(columns) // 2
        attacks.append(("linkability_risk", lambda: privacy.linkability_risk(
            train, synthetic, holdout, meta, aux_columns=(columns[:half], columns[half:]), seed=seed)))
    for key, run in attacks:
        try:
            result = run()
        except InvalidDataError as exc:  # e.g. no synthetic row is unique, so nothing can be singled out
            ev.notes.append(f"{key.replace('_', ' ')} not measured: {exc}")
            continue
        ev.scores[key] = float(result["risk"])
        low, high = result["risk_ci"]
        ev.privacy[f"{key}_ci_low"], ev.privacy[f"{key}_ci_high"] = float(low), float(high)
        rows.append({"attack": key.removesuffix("_risk").replace("_", " "), "risk": float(result["risk"]),
                     "ci_low": float(low), "ci_high": float(high), "main_rate": float(result["main_rate"]),
                     "control_rate": float(result["control_rate"]), "baseline_rate": float(result["baseline_rate"]),
                     "attacks": int(result["n_attacks"])})
    ev.details["risks"] = pd.DataFrame(rows)


def _anonymity(ev: Evaluation, train, synthetic, quasi_identifiers, sensitive) -> None:
    ev.scores["k_anonymity"] = float(privacy.k_anonymity(synthetic, quasi_identifiers))
    ev.privacy["k_anonymity"] = ev.scores["k_anonymity"]
    if sensitive is not None:
        ev.privacy["l_diversity"] = float(privacy.l_diversity(synthetic, quasi_identifiers, sensitive))
        ev.privacy["entropy_l_diversity"] = privacy.entropy_l_diversity(synthetic, quasi_identifiers, sensitive)
        ev.privacy["t_closeness"] = privacy.t_closeness(synthetic, quasi_identifiers, sensitive)
    ev.privacy["unique_matches"] = int(privacy.unique_matches(train, synthetic, quasi_identifiers))
    ev.privacy["singling_out_share"] = ev.privacy["unique_matches"] / max(len(synthetic), 1)


# ---------------------------------------------------------------------------------------- helpers
def _pair_matrices(pairs: pd.DataFrame, labels: list[str]) -> dict[str, Any]:
    """|r| (two numbers) or Cramer's V (otherwise) of every pair, real and synthetic, as square matrices."""
    index = {name: i for i, name in enumerate(labels)}
    real = np.eye(len(labels))
    syn = np.eye(len(labels))
    for row in pairs.itertuples(index=False):
        i, j = index.get(row.column_1), index.get(row.column_2)
        if i is None or j is None:
            continue
        real[i, j] = real[j, i] = abs(row.real_value)
        syn[i, j] = syn[j, i] = abs(row.synthetic_value)
    return {"labels": labels, "real": real, "synthetic": syn}


def _distributions(train, synthetic, meta, max_rows, seed) -> dict[str, dict[str, Any]]:
    """Per scored column, what the report plots: numbers (sampled) or the top categories' shares."""
    rng = np.random.default_rng(seed)
    real = fidelity._sample(train, min(max_rows, 20_000), rng)
    syn = fidelity._sample(synthetic, min(max_rows, 20_000), rng)
    out: dict[str, dict[str, Any]] = {}
    for col in fidelity.scored_columns(meta, real, syn):
        if col.modelled_as in fidelity._NUMERIC:
            out[col.name] = {"kind": "numeric", "real": fidelity._as_number(real[col.name], col),
                             "synthetic": fidelity._as_number(syn[col.name], col)}
        else:
            r = real[col.name].astype(object).where(real[col.name].notna(), "(missing)").astype(str)
            s = syn[col.name].astype(object).where(syn[col.name].notna(), "(missing)").astype(str)
            top = r.value_counts().index[:TOP_CATEGORIES].tolist()
            out[col.name] = {"kind": "categorical", "categories": top,
                             "real": (r.value_counts(normalize=True).reindex(top).fillna(0)).to_numpy(),
                             "synthetic": (s.value_counts(normalize=True).reindex(top).fillna(0)).to_numpy()}
    return out


class _timed:
    def __init__(self, ev: Evaluation, name: str):
        self.ev, self.name = ev, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.ev.timings[self.name] = time.perf_counter() - self.start


def _item(label: str, value: str, level: str, verdict: str) -> dict[str, str]:
    return {"label": label, "value": value, "level": level, "verdict": verdict}


def _band(x: float, *bands: tuple[float, str]) -> tuple[str, str]:
    """The first band whose threshold ``x`` reaches: levels good, fair, then bad for the rest."""
    if not np.isfinite(x):
        return "info", "could not be computed"
    levels = ["good", "fair"] + ["bad"] * len(bands)
    for (threshold, verdict), level in zip(bands, levels):
        if x >= threshold:
            return level, verdict
    return "bad", bands[-1][1]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _check_inputs(train, synthetic, holdout, metadata, target, quasi_identifiers, sensitive, model_compatibility,
                  max_rows, seed) -> None:
    for name, table in (("train", train), ("synthetic", synthetic), ("holdout", holdout)):
        if table is None and name == "holdout":
            continue
        if not isinstance(table, pd.DataFrame):
            raise InvalidDataError(f"the {name} table must be a pandas DataFrame, got {type(table).__name__}")
        if len(table) == 0:
            raise InvalidDataError(f"the {name} table has no rows")
    if metadata is not None and not isinstance(metadata, Metadata):
        raise InvalidParameterError(f"metadata must be a veil Metadata or None, got {type(metadata).__name__}")
    if not isinstance(model_compatibility, (bool, np.bool_)):
        raise InvalidParameterError(f"The 'model_compatibility' parameter must be a bool. Got {model_compatibility!r} "
                                    "instead.")
    named = {"target": [target] if target is not None else [], "sensitive": [sensitive] if sensitive else [],
             "quasi_identifiers": list(quasi_identifiers or [])}
    for what, columns in named.items():
        for column in columns:
            missing = [n for n, t in (("train", train), ("synthetic", synthetic), ("holdout", holdout))
                       if t is not None and column not in t.columns]
            if missing:
                raise InvalidDataError(f"{what} column {column!r} is not in the {' and '.join(missing)} table; "
                                       f"the train table has {list(train.columns)}")
    check_int("max_rows", max_rows, 100)
    check_int("seed", seed, 0)
