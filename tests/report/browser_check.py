"""Open an HTML report in headless Chromium as a person would: read its DOM and console, click it, screenshot it.

Used by the browser test, and runnable by hand:
    python tests/report/browser_check.py REPORT.html [--screenshot OUT.png] [--window-size 1400,900]
    python tests/report/browser_check.py --sample --screenshot docs/report-screenshot.png
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Headless, as root, with every feature that phones home switched off: the machine has no network.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0")
TIMEOUT_S = 120

# Appended after the report's own script: clicks an event, zooms in, clicks a violation marker, and writes
# what it saw into <body data-probe>, where --dump-dom shows it.
PROBE = """<script>
(function () {
  const r = {};
  try {
    document.querySelector(".lane .ev").click();
    r.event_details = document.querySelector("#event-details pre").textContent.indexOf('"seq"') >= 0;
    document.querySelector('[data-zoom="in"]').click();
    r.zoom = document.getElementById("timeline-inner").style.getPropertyValue("--zoom");
    document.querySelector(".violation-marker").click();
    r.violation_heading = document.querySelector("#event-details h3").textContent;
    r.selected_events = document.querySelectorAll(".ev.selected").length;
  } catch (e) { r.error = String(e); }
  document.body.dataset.probe = JSON.stringify(r);
})();
</script>"""


def find_browser() -> str | None:
    """The first Chromium-like browser on PATH, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


@dataclass(frozen=True)
class BrowserRun:
    """What one headless run left: the DOM after the scripts ran, and the page's console lines."""

    dom: str
    console: tuple[str, ...]


def run_browser(browser: str, page: Path, *extra: str) -> BrowserRun:
    """Open `page` once with a fresh profile; `extra` adds --dump-dom, --screenshot=... and so on."""
    with tempfile.TemporaryDirectory(prefix="report-browser-") as profile:
        proc = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert proc.returncode == 0, f"{browser} exited {proc.returncode}: {proc.stderr[-2000:]}"
    console = tuple(line for line in proc.stderr.splitlines() if ":CONSOLE" in line)
    return BrowserRun(proc.stdout, console)


def dom_attribute(dom: str, name: str) -> str | None:
    """The value of attribute `name` on <body> in a dumped DOM (unescaped), or None."""
    body = re.search(r"<body\b[^>]*>", dom)
    found = re.search(rf'\s{re.escape(name)}="([^"]*)"', body.group(0)) if body else None
    return html.unescape(found.group(1)) if found else None


def probe(browser: str, report: Path) -> dict[str, object]:
    """Click through a copy of the report (event, zoom, violation) and return what the page showed."""
    with tempfile.TemporaryDirectory(prefix="report-probe-") as tmp:
        page = Path(tmp) / "probed.html"
        page.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
        run = run_browser(browser, page, "--dump-dom")
    value = dom_attribute(run.dom, "data-probe")
    assert value is not None, f"the probe script did not run; console: {run.console}"
    result: dict[str, object] = json.loads(value)
    result["console"] = list(run.console)
    return result


@dataclass(frozen=True)
class PngStats:
    """Size of a PNG and how many of its pixels differ from the most common (background) colour."""

    width: int
    height: int
    non_background: int
    colours: int


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytearray]:
    stride = width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1: pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                corner = prev[i - bpp] if i >= bpp else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(line)
        prev = line
    return rows


def png_stats(path: Path) -> PngStats:
    """Decode an 8-bit RGB/RGBA PNG with the standard library and count its non-background pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, width, height, bpp = 8, bytearray(), 0, 0, 0
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour_type in (2, 6) and interlace == 0, (
                f"{path}: only 8-bit non-interlaced RGB/RGBA is read here (depth {depth}, type {colour_type})")
            bpp = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    rows = _unfilter(zlib.decompress(bytes(idat)), width, height, bpp)
    pixels = Counter(bytes(row[i:i + bpp]) for row in rows for i in range(0, len(row), bpp))
    background = pixels.most_common(1)[0][1]
    return PngStats(width, height, width * height - background, len(pixels))


def _sample_report(out: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from report_sample import REPORT_TITLE, REPRODUCE, delete_during_provision, example_violation, header

    from sim.render.html import render_html

    events = delete_during_provision("aap")
    out.write_text(render_html(events, title=REPORT_TITLE, header=header("aap"),
                               violations=[example_violation(events)], reproduce=REPRODUCE), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("report", nargs="?", type=Path, help="the HTML report (omit with --sample)")
    parser.add_argument("--sample", action="store_true", help="render the delete-during-provision-aap sample first")
    parser.add_argument("--screenshot", type=Path, help="where to save a PNG screenshot")
    parser.add_argument("--window-size", default="1400,900", help="WIDTH,HEIGHT of the screenshot")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("no Chromium found: install it (apt-get install -y chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        report = _sample_report(Path(tmp) / "report.html") if args.sample else args.report
        if report is None:
            parser.error("name a report or pass --sample")
        run = run_browser(browser, report, "--dump-dom")
        lanes = sorted(set(re.findall(r'data-lane="([^"]+)"', run.dom)))
        markers = len(re.findall(r'class="violation-marker[^"]*"', run.dom))
        print(f"ready: {dom_attribute(run.dom, 'data-ready')}  lanes: {', '.join(lanes)}  "
              f"violation markers: {markers}  console lines: {len(run.console)}")
        for line in run.console:
            print("  console:", line)
        print("probe:", json.dumps(probe(browser, report), sort_keys=True))
        if args.screenshot:
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            run_browser(browser, report, f"--screenshot={args.screenshot.resolve()}",
                        f"--window-size={args.window_size}", "--hide-scrollbars")
            stats = png_stats(args.screenshot)
            print(f"screenshot {args.screenshot}: {stats.width}x{stats.height}, "
                  f"{stats.non_background} non-background pixels, {stats.colours} colours")
    return 1 if run.console else 0


if __name__ == "__main__":
    sys.exit(main())
