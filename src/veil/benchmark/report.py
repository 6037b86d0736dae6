"""The benchmark's outputs from its finished cells: a tidy results table, a markdown leaderboard, and an
HTML page with plots (quality against fit time among them)."""
from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from ..metrics import svg
from .runner import cell_name

#: one colour per synthesizer family: veil's own, and the incumbents
VEIL_COLOUR, INCUMBENT_COLOUR = "#4063d8", "#e6862d"
COLUMNS = ["dataset", "synthesizer", "repeat", "status", "quality", "column_shapes", "column_pair_trends",
           "tstr_metric", "tstr", "trtr", "tstr_auc", "dcr_share", "exact_match", "fit_s", "sample_s",
           "peak_rss_mb", "fit_rows", "synthetic_rows", "options", "message"]


def results_table(out: Path, cells: set[str] | None = None) -> pd.DataFrame:
    """Every finished cell (of ``cells``, names without ``.json``, when given), one row each."""
    rows = []
    for path in sorted((out / "cells").glob("*.json")):
        if cells is not None and path.stem not in cells:
            continue
        cell = json.loads(path.read_text())
        scores = cell.get("scores") or {}
        tstr, trtr = scores.get("tstr") or {}, cell.get("trtr") or {}
        metric = "r2" if "r2" in trtr else "macro_f1"
        rows.append({
            "dataset": cell["dataset"], "synthesizer": cell["synthesizer"], "repeat": cell["repeat"],
            "status": cell["status"], "quality": (scores.get("quality") or {}).get("overall"),
            "column_shapes": (scores.get("quality") or {}).get("column_shapes"),
            "column_pair_trends": (scores.get("quality") or {}).get("column_pair_trends"),
            "tstr_metric": metric, "tstr": tstr.get(metric), "trtr": trtr.get(metric), "tstr_auc": tstr.get("auc"),
            "dcr_share": (scores.get("privacy") or {}).get("dcr_share"),
            "exact_match": (scores.get("privacy") or {}).get("exact_match"),
            "fit_s": cell.get("fit_s"), "sample_s": cell.get("sample_s"), "peak_rss_mb": cell.get("peak_rss_mb"),
            "fit_rows": cell.get("fit_rows"), "synthetic_rows": cell.get("synthetic_rows"),
            "options": json.dumps(cell.get("options") or {}, sort_keys=True), "message": cell.get("message", "")})
    return pd.DataFrame(rows, columns=COLUMNS)


def write_reports(out: Path, plan: Any, environment: dict[str, Any]) -> pd.DataFrame:
    """results.csv, leaderboard.md and report.html in ``out``; returns the results."""
    cells = {cell_name(d.name, s, r) for d in plan.datasets for s in plan.synthesizers for r in range(plan.repeats)}
    results = results_table(out, cells)
    results.to_csv(out / "results.csv", index=False)
    (out / "leaderboard.md").write_text(leaderboard(results, environment), encoding="utf-8")
    (out / "report.html").write_text(html_page(results, environment), encoding="utf-8")
    return results


def _summary(results: pd.DataFrame) -> pd.DataFrame:
    """Mean over repeats per dataset and synthesizer (cells that did not finish stay, marked)."""
    ok = results[results.status == "ok"]
    numbers = ["quality", "tstr", "trtr", "tstr_auc", "dcr_share", "fit_s", "sample_s", "peak_rss_mb"]
    summary = ok.groupby(["dataset", "synthesizer"], sort=False)[numbers].mean().reset_index()
    failed = results[results.status != "ok"].groupby(["dataset", "synthesizer"], sort=False)["status"].first()
    for dataset, synth in failed.index:
        if not ((summary.dataset == dataset) & (summary.synthesizer == synth)).any():
            summary.loc[len(summary)] = {"dataset": dataset, "synthesizer": synth, **{n: math.nan for n in numbers}}
    summary["status"] = [failed.get((d, s), "ok") if pd.isna(q) else "ok"
                         for d, s, q in zip(summary.dataset, summary.synthesizer, summary.quality)]
    return summary


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def _seconds(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def leaderboard(results: pd.DataFrame, environment: dict[str, Any]) -> str:
    """The markdown leaderboard: an overall ranking, then one table per dataset."""
    lines = ["# veil benchmark leaderboard", ""]
    if environment.get("command"):
        lines += ["Command:", "", "```bash", environment["command"], "```", ""]
    versions = environment.get("versions", {})
    lines += [f"Machine: {environment.get('cpu')}, {environment.get('cores')} cores; threads "
              f"{environment.get('threads')}. Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
              ""]
    if environment.get("options"):
        lines += ["Settings that differ from each synthesizer's defaults (reduced to fit the time budget): "
                  + "; ".join(f"`{s}`: " + ", ".join(f"{k}={v}" for k, v in o.items())
                              for s, o in environment["options"].items()) + ".", ""]
    if environment.get("max_train_rows"):
        lines += [f"Each synthesizer fits on a seeded sample of at most {environment['max_train_rows']:,} training "
                  "rows; scores compare with all of them.", ""]
    summary = _summary(results)
    if summary.empty:
        return "\n".join(lines + ["No finished cell yet."]) + "\n"
    ranks = summary.assign(rank=summary.groupby("dataset").quality.rank(ascending=False, method="min"))
    overall = ranks.groupby("synthesizer").agg(mean_rank=("rank", "mean"), quality=("quality", "mean"),
                                               tstr_gap=("tstr", "mean"), fit_s=("fit_s", "mean"),
                                               datasets=("quality", "count")).reset_index()
    gaps = summary.assign(gap=summary.trtr - summary.tstr).groupby("synthesizer").gap.mean()
    overall["tstr_gap"] = overall.synthesizer.map(gaps)
    overall = overall.sort_values(["mean_rank", "quality"], ascending=[True, False])
    lines += ["## Overall", "", "Mean rank by quality across datasets (1 is best), mean quality, mean gap between "
              "training on real and on synthetic rows (TRTR - TSTR; 0 is best), mean fit seconds.", "",
              "| synthesizer | mean rank | quality | TSTR gap | fit s | datasets |", "|---|---|---|---|---|---|"]
    for row in overall.itertuples():
        lines.append(f"| {row.synthesizer} | {_fmt(row.mean_rank, 2)} | {_fmt(row.quality)} | {_fmt(row.tstr_gap)} | "
                     f"{_seconds(row.fit_s)} | {row.datasets} |")
    lines.append("")
    for dataset, part in summary.groupby("dataset", sort=False):
        metric = results[results.dataset == dataset].tstr_metric.iloc[0]
        name = "macro-F1" if metric == "macro_f1" else "R²"
        trtr = part.trtr.dropna()
        lines += [f"## {dataset}", "", f"TSTR: {name} on the real holdout of a model trained on the synthetic rows "
                  f"(trained on the real rows: {_fmt(trtr.iloc[0]) if len(trtr) else '–'}). DCR share: 0.5 is ideal.",
                  "", "| synthesizer | quality | TSTR | DCR share | fit s | sample s | peak MB | status |",
                  "|---|---|---|---|---|---|---|---|"]
        for row in part.sort_values("quality", ascending=False, na_position="last").itertuples():
            lines.append(f"| {row.synthesizer} | {_fmt(row.quality)} | {_fmt(row.tstr)} | {_fmt(row.dcr_share)} | "
                         f"{_seconds(row.fit_s)} | {_seconds(row.sample_s)} | {_fmt(row.peak_rss_mb, 0)} | "
                         f"{row.status} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def html_page(results: pd.DataFrame, environment: dict[str, Any]) -> str:
    """A self-contained page: per dataset, quality against fit time and a table; the markdown's text."""
    summary = _summary(results)
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>veil benchmark</title>",
             "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:"
             "collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,"
             "th:first-child{text-align:left}figure{display:inline-block;margin:0 1em 1em 0}</style></head><body>",
             "<h1>veil benchmark</h1>",
             f"<p>{escape(environment.get('cpu') or '')}, {environment.get('cores')} cores. "
             + escape(", ".join(f"{k} {v}" for k, v in environment.get("versions", {}).items())) + "</p>"]
    if environment.get("command"):
        parts.append(f"<pre>{escape(environment['command'])}</pre>")
    for dataset, part in summary.groupby("dataset", sort=False):
        ok = part[part.status == "ok"]
        points = [(s, f, q, INCUMBENT_COLOUR if s.startswith("sdv:") else VEIL_COLOUR)
                  for s, f, q in zip(ok.synthesizer, ok.fit_s, ok.quality)]
        privacy = [(s, f, d, INCUMBENT_COLOUR if s.startswith("sdv:") else VEIL_COLOUR)
                   for s, f, d in zip(ok.synthesizer, ok.quality, ok.dcr_share)]
        parts.append(f"<h2>{escape(str(dataset))}</h2>")
        parts.append("<figure>" + svg.scatter(points, x_label="fit seconds", y_label="quality", log_x=True,
                                              title=f"{dataset}: quality against fit time") + "</figure>")
        parts.append("<figure>" + svg.scatter(privacy, x_label="quality", y_label="DCR share (0.5 ideal)",
                                              title=f"{dataset}: privacy against quality") + "</figure>")
        parts.append("<table><tr><th>synthesizer</th><th>quality</th><th>TSTR</th><th>TRTR</th><th>DCR share</th>"
                     "<th>fit s</th><th>sample s</th><th>peak MB</th><th>status</th></tr>")
        for row in part.sort_values("quality", ascending=False, na_position="last").itertuples():
            parts.append(f"<tr><td>{escape(row.synthesizer)}</td><td>{_fmt(row.quality)}</td><td>{_fmt(row.tstr)}</td>"
                         f"<td>{_fmt(row.trtr)}</td><td>{_fmt(row.dcr_share)}</td><td>{_seconds(row.fit_s)}</td>"
                         f"<td>{_seconds(row.sample_s)}</td><td>{_fmt(row.peak_rss_mb, 0)}</td>"
                         f"<td>{escape(row.status)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
