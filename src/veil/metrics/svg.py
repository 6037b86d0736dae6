"""Small inline SVG charts for the evaluation report: no plotting library, no network, no script.

Every function returns an ``<svg>`` element as a string. Text that comes from the data (column and
category names) is escaped; numbers are formatted here.
"""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np

REAL_COLOUR = "#4063d8"
SYNTHETIC_COLOUR = "#e6862d"
HOLDOUT_COLOUR = "#389826"


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.2e}"
    return f"{x:.3g}"


def _legend(labels: Sequence[tuple[str, str]], x: float, y: float) -> str:
    parts = []
    for i, (label, colour) in enumerate(labels):
        dx = x + i * 110
        parts.append(f'<rect x="{dx:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{dx + 14:.1f}" y="{y:.1f}" font-size="11">{escape(label)}</text>')
    return "".join(parts)


def histograms(series: Sequence[tuple[str, str, np.ndarray]], *, bins: int = 20, width: int = 360,
               height: int = 180, title: str = "") -> str:
    """Overlaid histograms (as step outlines with light fill) of numeric samples on one shared range.

    ``series``: (label, colour, values) triples; NaN values are left out. Heights are shares of each
    sample, so samples of different sizes compare."""
    finite = [v[np.isfinite(v)] for _, _, v in series]
    pooled = np.concatenate([v for v in finite if v.size]) if any(v.size for v in finite) else np.zeros(0)
    if pooled.size == 0:
        return _empty(width, height, title, "no values")
    lo, hi = float(pooled.min()), float(pooled.max())
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    shares = [np.histogram(v, bins=edges)[0] / max(v.size, 1) for v in finite]
    top = max(float(s.max()) for s in shares) or 1.0
    left, right, upper, lower = 40, 10, 22, 34
    plot_w, plot_h = width - left - right, height - upper - lower
    parts = [_frame(width, height, title)]
    for (_, colour, _), share in zip(series, shares):
        points = []
        for i, s in enumerate(share):
            x0 = left + plot_w * i / bins
            x1 = left + plot_w * (i + 1) / bins
            y = upper + plot_h * (1 - s / top)
            points += [f"{x0:.1f},{y:.1f}", f"{x1:.1f},{y:.1f}"]
        base = upper + plot_h
        path = f"{left:.1f},{base:.1f} " + " ".join(points) + f" {left + plot_w:.1f},{base:.1f}"
        parts.append(f'<polygon points="{path}" fill="{colour}" fill-opacity="0.18" stroke="{colour}" '
                     f'stroke-width="1.5"/>')
    parts.append(_axis_labels(left, upper + plot_h, plot_w, _fmt(lo), _fmt(hi)))
    parts.append(_legend([(label, colour) for label, colour, _ in series], left, height - 6))
    parts.append("</svg>")
    return "".join(parts)


def bars(categories: Sequence[str], series: Sequence[tuple[str, str, np.ndarray]], *, width: int = 360,
         height: int = 200, title: str = "") -> str:
    """Grouped bars: the share of each category (rows) in each sample (series of shares, same order)."""
    if not categories:
        return _empty(width, height, title, "no values")
    left, right, upper, lower = 40, 10, 22, 70
    plot_w, plot_h = width - left - right, height - upper - lower
    top = max(float(np.max(s)) for _, _, s in series) or 1.0
    slot = plot_w / len(categories)
    bar_w = slot * 0.8 / len(series)
    parts = [_frame(width, height, title)]
    for j, (_, colour, shares) in enumerate(series):
        for i, s in enumerate(shares):
            h = plot_h * float(s) / top
            x = left + slot * i + slot * 0.1 + bar_w * j
            parts.append(f'<rect x="{x:.1f}" y="{upper + plot_h - h:.1f}" width="{max(bar_w, 0.5):.1f}" '
                         f'height="{h:.1f}" fill="{colour}"/>')
    step = max(1, len(categories) // 8)
    for i in range(0, len(categories), step):
        x = left + slot * (i + 0.5)
        label = categories[i] if len(categories[i]) <= 12 else categories[i][:11] + "…"
        parts.append(f'<text x="{x:.1f}" y="{upper + plot_h + 12:.1f}" font-size="9" text-anchor="end" '
                     f'transform="rotate(-30 {x:.1f} {upper + plot_h + 12:.1f})">{escape(label)}</text>')
    parts.append(f'<text x="{left - 4}" y="{upper + 8}" font-size="9" text-anchor="end">{top:.0%}</text>')
    parts.append(_legend([(label, colour) for label, colour, _ in series], left, height - 4))
    parts.append("</svg>")
    return "".join(parts)


def heatmap(labels: Sequence[str], matrix: np.ndarray, *, size: int = 320, title: str = "",
            low: float = 0.0, high: float = 1.0) -> str:
    """A square heatmap of ``matrix`` (values in [low, high]; NaN drawn grey), labels on the left."""
    n = len(labels)
    if n == 0:
        return _empty(size, size, title, "no columns")
    left, upper = 90, 22
    cell = (size - left - 8) / n
    height = int(upper + cell * n + 8)
    parts = [_frame(size, height, title)]
    for i in range(n):
        for j in range(n):
            v = float(matrix[i, j])
            fill = "#cccccc" if not np.isfinite(v) else _blue(np.clip((v - low) / ((high - low) or 1.0), 0, 1))
            tip = f"{labels[i]} / {labels[j]}: {_fmt(v)}"
            parts.append(f'<rect x="{left + cell * j:.1f}" y="{upper + cell * i:.1f}" width="{cell:.1f}" '
                         f'height="{cell:.1f}" fill="{fill}"><title>{escape(tip)}</title></rect>')
        label = labels[i] if len(labels[i]) <= 14 else labels[i][:13] + "…"
        parts.append(f'<text x="{left - 4}" y="{upper + cell * (i + 0.5) + 3:.1f}" font-size="9" '
                     f'text-anchor="end">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _blue(t: float) -> str:
    """White (0) to dark blue (1)."""
    r, g, b = (int(round(255 + (c - 255) * t)) for c in (16, 52, 166))
    return f"#{r:02x}{g:02x}{b:02x}"


def _frame(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
            f'font-family="system-ui, sans-serif">'
            f'<text x="4" y="14" font-size="12" font-weight="600">{escape(title)}</text>')


def _axis_labels(left: float, base: float, plot_w: float, lo: str, hi: str) -> str:
    return (f'<line x1="{left}" y1="{base:.1f}" x2="{left + plot_w:.1f}" y2="{base:.1f}" stroke="#888"/>'
            f'<text x="{left}" y="{base + 12:.1f}" font-size="9">{lo}</text>'
            f'<text x="{left + plot_w:.1f}" y="{base + 12:.1f}" font-size="9" text-anchor="end">{hi}</text>')


def _empty(width: int, height: int, title: str, message: str) -> str:
    return (_frame(width, height, title) + f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" font-size="11" '
            f'text-anchor="middle" fill="#888">{escape(message)}</text></svg>')


def scatter(points: Sequence[tuple[str, float, float, str]], *, x_label: str, y_label: str, log_x: bool = False,
            width: int = 520, height: int = 320, title: str = "") -> str:
    """Labelled points ``(label, x, y, colour)``; ``log_x`` for quantities such as seconds."""
    shown = [(label, x, y, colour) for label, x, y, colour in points
             if np.isfinite(x) and np.isfinite(y) and (x > 0 or not log_x)]
    if not shown:
        return _empty(width, height, title, "nothing to plot")
    left, right, top, bottom = 48, 110, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = np.array([p[1] for p in shown], dtype=float)
    ys = np.array([p[2] for p in shown], dtype=float)
    tx = np.log10(xs) if log_x else xs
    x_lo, x_hi = float(tx.min()), float(tx.max())
    y_lo, y_hi = float(ys.min()), float(ys.max())
    x_pad = (x_hi - x_lo) * 0.05 or 0.5
    y_pad = (y_hi - y_lo) * 0.08 or 0.05
    x_lo, x_hi, y_lo, y_hi = x_lo - x_pad, x_hi + x_pad, y_lo - y_pad, y_hi + y_pad
    base = top + plot_h
    parts = [_frame(width, height, title),
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#888"/>',
             f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#888"/>']
    for value in (y_lo, (y_lo + y_hi) / 2, y_hi):
        y = base - (value - y_lo) / (y_hi - y_lo) * plot_h
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="9" text-anchor="end">{_fmt(value)}</text>')
    for value in (x_lo, (x_lo + x_hi) / 2, x_hi):
        x = left + (value - x_lo) / (x_hi - x_lo) * plot_w
        shown_value = 10 ** value if log_x else value
        parts.append(f'<text x="{x:.1f}" y="{base + 12}" font-size="9" text-anchor="middle">{_fmt(shown_value)}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="10" text-anchor="middle">'
                 f'{escape(x_label)}{" (log scale)" if log_x else ""}</text>')
    parts.append(f'<text x="10" y="{top + plot_h / 2:.1f}" font-size="10" text-anchor="middle" '
                 f'transform="rotate(-90 10 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    for (label, _, _, colour), vx, vy in zip(shown, tx, ys):
        x = left + (vx - x_lo) / (x_hi - x_lo) * plot_w
        y = base - (vy - y_lo) / (y_hi - y_lo) * plot_h
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>{escape(label)}</title></circle>'
                     f'<text x="{x + 6:.1f}" y="{y + 3:.1f}" font-size="9">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
