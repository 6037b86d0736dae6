"""The HTML report in a real headless Chromium: it renders, the screenshot is not blank, and the page
logs nothing to the console. Skipped where no Chromium is installed (``apt-get install chromium``)."""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import veil

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium or Chrome on PATH")


def _png_rows(path: Path) -> np.ndarray:
    """The filtered scanlines of a PNG (one row per line, filter byte dropped): enough to tell a blank
    page (every line constant) from a drawn one without an image library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour]
            assert depth == 8
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + width * channels)
    return raw[:, 1:]


def test_report_renders_in_headless_chromium(tmp_path):
    browser = _browser()
    rng = np.random.default_rng(0)
    n = 800
    real = pd.DataFrame({"age": rng.integers(18, 80, n), "city": rng.choice(["Lyon", "Nantes", "Lille"], n),
                         "hours": rng.normal(40, 8, n).round(1), "member": rng.random(n) < 0.3})
    fresh = pd.DataFrame({"age": rng.integers(18, 80, n), "city": rng.choice(["Lyon", "Nantes", "Lille"], n),
                          "hours": rng.normal(40, 8, n).round(1), "member": rng.random(n) < 0.3})
    holdout = real.sample(200, random_state=1)
    report = veil.evaluate(real, fresh, holdout=holdout, target="member").to_html(tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    done = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--window-size=1280,2400", f"--screenshot={shot}", "--enable-logging=stderr", "--v=0",
                           report.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]
    assert console == [], console  # no script errors, no failed resource loads
    rows = _png_rows(shot)
    drawn = (rows.max(axis=1) != rows.min(axis=1)).mean()
    assert drawn > 0.2, f"only {drawn:.0%} of the screenshot's lines have anything on them"
