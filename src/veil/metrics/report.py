"""The evaluation report: one standalone HTML file (inline CSS and SVG; no script, no network)."""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from . import svg

if TYPE_CHECKING:
    from .evaluation import Evaluation

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1180px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.7rem 1rem; min-width: 200px; }
.card .value { font-size: 1.5rem; font-weight: 600; } .card .verdict { font-size: 0.85rem; color: #555; }
.good { border-left: 5px solid #389826; } .fair { border-left: 5px solid #d9a400; }
.bad { border-left: 5px solid #cb3c33; } .info { border-left: 5px solid #888; }
.wide { overflow-x: auto; max-width: 100%; }
.grid { display: flex; flex-wrap: wrap; gap: 0.6rem; } .note { color: #555; font-size: 0.85rem; }
"""


def render(evaluation: Evaluation) -> str:
    """The whole report as one HTML string."""
    ev = evaluation
    sections = [
        "<h1>Synthetic data evaluation</h1>",
        f'<p class="note">veil {escape(ev.version)} · {ev.rows["train"]:,} training rows · '
        f'{ev.rows["synthetic"]:,} synthetic rows'
        + (f' · {ev.rows["holdout"]:,} holdout rows' if ev.rows.get("holdout") else " · no holdout") + "</p>",
        _cards(ev),
        _fidelity(ev),
        _utility(ev),
        _privacy(ev),
        _notes(ev),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>veil evaluation</title><style>{_CSS}</style></head><body>"
            + "".join(sections) + "</body></html>\n")


def _cards(ev: Evaluation) -> str:
    cards = []
    for item in ev.headline():
        cards.append(f'<div class="card {item["level"]}"><div>{escape(item["label"])}</div>'
                     f'<div class="value">{escape(item["value"])}</div>'
                     f'<div class="verdict">{escape(item["verdict"])}</div></div>')
    return '<h2>At a glance</h2><div class="cards">' + "".join(cards) + "</div>"


def _fidelity(ev: Evaluation) -> str:
    out = ["<h2>Fidelity</h2>"]
    shapes = ev.details.get("column_shapes")
    if shapes is not None and len(shapes):
        out.append("<h3>Column shapes</h3>" + _table(shapes))
    stats = ev.details.get("column_statistics")
    if stats is not None and len(stats):
        out.append("<h3>Per-column statistics</h3>" + _table(stats))
    plots = []
    for name, dist in ev.distributions.items():
        if dist["kind"] == "numeric":
            real, syn = np.asarray(dist["real"], dtype=float), np.asarray(dist["synthetic"], dtype=float)
            plots.append(svg.histograms([("real", svg.REAL_COLOUR, real), ("synthetic", svg.SYNTHETIC_COLOUR, syn)],
                                        title=name))
        else:
            plots.append(svg.bars(dist["categories"], [("real", svg.REAL_COLOUR, np.asarray(dist["real"])),
                                                       ("synthetic", svg.SYNTHETIC_COLOUR,
                                                        np.asarray(dist["synthetic"]))], title=name))
    if plots:
        out.append("<h3>Real and synthetic, column by column</h3><div class=\"grid\">" + "".join(plots) + "</div>")
    pairs = ev.matrices.get("pair_trends")
    if pairs:
        out.append("<h3>Associations between columns (|r| or Cramér's V)</h3><div class=\"grid\">"
                   + svg.heatmap(pairs["labels"], np.asarray(pairs["real"]), title="real")
                   + svg.heatmap(pairs["labels"], np.asarray(pairs["synthetic"]), title="synthetic")
                   + svg.heatmap(pairs["labels"], np.abs(np.asarray(pairs["real"]) - np.asarray(pairs["synthetic"])),
                                 title="difference") + "</div>")
    mi = ev.matrices.get("mutual_information")
    if mi:
        out.append("<h3>Normalised mutual information</h3><div class=\"grid\">"
                   + svg.heatmap(mi["labels"], np.asarray(mi["real"]), title="real")
                   + svg.heatmap(mi["labels"], np.asarray(mi["synthetic"]), title="synthetic")
                   + svg.heatmap(mi["labels"], np.asarray(mi["difference"]), title="difference") + "</div>")
    return "".join(out)


def _utility(ev: Evaluation) -> str:
    table = ev.details.get("utility")
    if table is None or not len(table):
        return "<h2>Utility</h2><p class=\"note\">" + escape(ev.skipped.get("utility", "not measured")) + "</p>"
    out = ["<h2>Utility: train on synthetic, test on real</h2>", _table(table)]
    compat = ev.details.get("model_compatibility")
    if compat is not None and len(compat):
        out.append("<h3>Each column predicted from the others</h3>" + _table(compat))
    return "".join(out)


def _privacy(ev: Evaluation) -> str:
    out = ["<h2>Privacy</h2>"]
    if not ev.privacy:
        out.append("<p class=\"note\">" + escape(ev.skipped.get("privacy", "not measured")) + "</p>")
        return "".join(out)
    rows = [(k, v) for k, v in ev.privacy.items() if isinstance(v, (int, float, str)) or v is None]
    if rows:
        out.append("<table><tr><th>measure</th><th>value</th></tr>" + "".join(
            f"<tr><td>{escape(k)}</td><td class=\"num\">{escape(_value(v))}</td></tr>" for k, v in rows) + "</table>")
    dcr = ev.matrices.get("dcr")
    if dcr:
        out.append("<h3>Distance to the closest training row</h3>"
                   "<p class=\"note\">Synthetic rows should be no closer to the training rows than new real rows "
                   "(the holdout) are.</p>"
                   + svg.histograms([("synthetic", svg.SYNTHETIC_COLOUR, np.asarray(dcr["synthetic"], dtype=float)),
                                     ("holdout", svg.HOLDOUT_COLOUR, np.asarray(dcr["holdout"], dtype=float))],
                                    width=560, height=220, title="distance to closest record"))
    risks = ev.details.get("risks")
    if risks is not None and len(risks):
        out.append("<h3>Attacks (Giomi et al. 2022)</h3>" + _table(risks))
    return "".join(out)


def _notes(ev: Evaluation) -> str:
    if not ev.notes:
        return ""
    return "<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in ev.notes) + "</ul>"


def _value(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if not np.isfinite(v) else f"{v:.4g}"
    return str(v)


def _table(frame) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for v in row:
            numeric = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            text = _value(float(v)) if isinstance(v, (float, np.floating)) else str(v)
            cells.append(f'<td class="num">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class=\"wide\"><table><tr>{head}</tr>{''.join(body)}</table></div>"
