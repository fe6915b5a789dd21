"""The look of the HTML run report: its stylesheet, its script, and the colours of event marks and job states."""

from __future__ import annotations

# Colours of the job states in the bands: AAP's lower-case statuses, the recorded JobState values, phases.
STATE_COLOURS: dict[str, str] = {
    "new": "#cfd8dc", "pending": "#ffe082", "waiting": "#ffca28", "running": "#64b5f6",
    "successful": "#81c784", "failed": "#e57373", "error": "#d32f2f", "canceled": "#b0bec5", "purged": "#546e7a",
    "Pending": "#ffe082", "Waiting": "#ffca28", "Running": "#64b5f6", "Unknown": "#ce93d8",
    "Succeeded": "#81c784", "Failed": "#e57373", "Canceled": "#b0bec5",
    "Starting": "#ffe082", "Deleting": "#ffab91", "Gone": "#90a4ae",
}

# The CSS class of an event's mark by event type (see `category_of` for the exceptions), and the legend.
CATEGORIES: dict[str, str] = {
    "UserActed": "c-user", "ObjectStored": "c-write", "ObjectRemoved": "c-write", "ObjectRead": "c-read",
    "ObjectUnchanged": "c-read", "CacheRead": "c-read", "CacheListed": "c-cache", "CacheUpdated": "c-cache",
    "KeyEnqueued": "c-cache", "ControllerLogged": "c-log", "ReconcileStarted": "c-log",
    "ReconcileFinished": "c-log", "ManagerStarted": "c-log", "HttpRequested": "c-http", "HttpAnswered": "c-http",
    "WebhookReceived": "c-http", "ApiCallRejected": "c-error", "ApiCallTimedOut": "c-error",
    "HttpFailed": "c-error", "ReconcileAborted": "c-error", "ManagerCrashed": "c-error", "WebhookLost": "c-error",
    "EdaLaunchFailed": "c-error", "AapRequestFaulted": "c-error", "AapPurgeRefused": "c-error",
}
# Reads, cache deliveries, queue and log lines: drawn smaller so that writes and jobs stand out.
MINOR: frozenset[str] = frozenset({"ObjectRead", "ObjectUnchanged", "CacheRead", "CacheUpdated", "KeyEnqueued",
                                   "ControllerLogged", "ReconcileStarted", "ReconcileFinished"})
LEGEND: tuple[tuple[str, str], ...] = (
    ("c-user", "user action"), ("c-write", "API write / removal"), ("c-read", "read"), ("c-cache", "cache / queue"),
    ("c-log", "reconcile / log"), ("c-http", "HTTP"), ("c-job", "job / playbook"), ("c-cloud", "VM"),
    ("c-error", "error / fault"), ("c-other", "run start / end, note"),
)

CSS = """
:root { --label-w: 180px; --zoom: 1; --lane-h: 28px; --band-h: 20px;
  font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #212121; }
body { margin: 0; padding: 12px 18px 40px; background: #fafafa; font-size: 13px; }
h1 { font-size: 20px; margin: 0 0 6px; }
h2 { font-size: 15px; margin: 22px 0 8px; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
header { display: flex; flex-wrap: wrap; gap: 6px 28px; align-items: baseline; }
header .facts { display: flex; flex-wrap: wrap; gap: 2px 16px; margin: 0; }
header .facts div { white-space: nowrap; } header .facts dt { display: inline; color: #616161; }
header .facts dd { display: inline; margin: 0 0 0 4px; font-weight: 600; }
header details { font-size: 12px; } header details pre { white-space: pre-wrap; max-width: 1100px; }
.verdict { font-weight: 700; padding: 2px 10px; border-radius: 10px; }
.verdict.ok { background: #c8e6c9; color: #1b5e20; } .verdict.bad { background: #ffcdd2; color: #b71c1c; }
.reproduce { flex-basis: 100%; } .reproduce code { background: #eceff1; padding: 2px 6px; border-radius: 3px;
  user-select: all; }
.toolbar { display: flex; gap: 6px; align-items: center; margin: 10px 0 4px; flex-wrap: wrap; }
.toolbar button { font-size: 12px; padding: 1px 8px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; color: #424242; font-size: 12px; }
.legend .sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 3px;
  vertical-align: -1px; }
#timeline { overflow-x: auto; overflow-y: hidden; border: 1px solid #cfd8dc; background: #fff; }
#timeline-inner { position: relative; width: calc(var(--label-w) + (100% - var(--label-w)) * var(--zoom)); }
.row { display: flex; border-bottom: 1px solid #eceff1; }
.row .label { position: sticky; left: 0; z-index: 3; flex: 0 0 var(--label-w); box-sizing: border-box;
  padding: 0 8px; background: #f5f7f8; border-right: 1px solid #cfd8dc; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; display: flex; align-items: center; }
.row .track { position: relative; flex: 1 1 auto; }
.lane .track { height: var(--lane-h); } .lane .label { font-weight: 600; }
.band-row .track { height: var(--band-h); } .band-row .label { font-size: 12px; color: #37474f; }
.group-title .label { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: #78909c;
  background: #eef2f4; } .group-title .track { height: 16px; background: #f7f9fa; }
.axis .track { height: 22px; } .axis .label { color: #78909c; font-size: 11px; }
.tick { position: absolute; top: 0; bottom: 0; border-left: 1px solid #b0bec5; padding-left: 3px;
  font-size: 11px; color: #607d8b; white-space: nowrap; }
.grid { position: absolute; top: 0; bottom: 0; right: 0; left: var(--label-w); pointer-events: none; z-index: 0; }
.grid span { position: absolute; top: 0; bottom: 0; border-left: 1px dashed #eceff1; }
.ev { position: absolute; top: 6px; width: 5px; height: 16px; margin-left: -2px; border-radius: 2px;
  cursor: pointer; z-index: 1; opacity: .85; background: #90a4ae; }
.ev.minor { top: 10px; height: 8px; opacity: .45; }
.ev:hover, .ev.selected { outline: 2px solid #000; z-index: 4; opacity: 1; }
.ev.violating { box-shadow: 0 0 0 2px #e53935; opacity: 1; z-index: 2; }
.c-user { background: #6a1b9a; } .c-write { background: #1565c0; } .c-read { background: #90a4ae; }
.c-error { background: #e65100; } .c-http { background: #00897b; } .c-job { background: #f9a825; }
.c-cloud { background: #2e7d32; } .c-cache { background: #5c6bc0; } .c-log { background: #b0bec5; }
.c-other { background: #795548; }
.violation-marker { position: absolute; top: 0; bottom: 0; width: 0; border-left: 3px solid #e53935;
  margin-left: -1px; z-index: 3; cursor: pointer; }
.violation-marker::before { content: "!"; position: absolute; top: 1px; left: -8px; width: 13px; height: 13px;
  border-radius: 7px; background: #e53935; color: #fff; font: bold 10px/13px sans-serif; text-align: center; }
.violation-marker.selected { border-left-color: #000; }
.seg { position: absolute; top: 2px; bottom: 2px; box-sizing: border-box; border-right: 1px solid #fff;
  font-size: 10px; line-height: 16px; padding-left: 3px; overflow: hidden; overflow: clip; white-space: nowrap;
  color: #263238; }
.seg > span { position: sticky; left: calc(var(--label-w) + 3px); }
.seg { cursor: pointer; } .seg:hover, .seg.selected { outline: 2px solid #000; z-index: 2; }
#details-wrap { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
#event-details { border: 1px solid #cfd8dc; background: #fff; padding: 6px 10px; min-height: 120px; }
#event-details h3 { margin: 2px 0 6px; font-size: 13px; }
#event-details pre { max-height: 320px; overflow: auto; margin: 0; white-space: pre-wrap; word-break: break-word; }
#violations ol { margin: 0; padding-left: 22px; }
#violations li { margin-bottom: 6px; cursor: pointer; } #violations li:hover { background: #fff3f3; }
#violations .prop { font-weight: 700; color: #b71c1c; }
.none { color: #757575; font-style: italic; }
.machines { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 14px; }
.machine { border: 1px solid #cfd8dc; background: #fff; padding: 6px 10px; overflow-x: auto; }
.machine h3 { font-size: 13px; margin: 2px 0 4px; } .machine p { margin: 2px 0 6px; color: #455a64; }
.machine svg { max-width: 100%; height: auto; } .machine .unexpected { color: #b71c1c; }
.machine pre { max-height: 260px; overflow: auto; background: #f5f5f5; padding: 6px; }
#event-list table { border-collapse: collapse; font-size: 12px; width: 100%; }
#event-list td, #event-list th { padding: 1px 6px; border-bottom: 1px solid #eceff1; text-align: left;
  vertical-align: top; } #event-list tr[data-i] { cursor: pointer; }
#event-list tr[data-i]:hover, #event-list tr.selected { background: #e3f2fd; }
#event-list tr.violating td:first-child { border-left: 3px solid #e53935; }
"""

JS = """
(function () {
  "use strict";
  const events = JSON.parse(document.getElementById("report-events").textContent);
  const violations = JSON.parse(document.getElementById("report-violations").textContent);
  const panel = document.getElementById("event-details");
  const heading = panel.querySelector("h3");
  const body = panel.querySelector("pre");
  const inner = document.getElementById("timeline-inner");
  const scroller = document.getElementById("timeline");
  const zoomLabel = document.getElementById("zoom-level");
  const bySeq = new Map();
  events.forEach((e, i) => bySeq.set(e.seq, i));
  let selected = [];
  let zoom = 1;

  function clearSelection() {
    selected.forEach((el) => el.classList.remove("selected"));
    selected = [];
  }
  function select(selector) {
    document.querySelectorAll(selector).forEach((el) => { el.classList.add("selected"); selected.push(el); });
  }
  function showEvent(i) {
    const e = events[i];
    if (!e) { return; }
    clearSelection();
    select('[data-i="' + i + '"]');
    heading.textContent = "#" + e.seq + " " + e.type + " at " + e.t.toFixed(3) + " s by " + e.actor;
    body.textContent = JSON.stringify(e, null, 2);
  }
  function showViolation(k) {
    const v = violations[k];
    if (!v) { return; }
    clearSelection();
    select('[data-v="' + k + '"]');
    const related = [];
    v.events.forEach((seq) => {
      const i = bySeq.get(seq);
      if (i !== undefined) { select('[data-i="' + i + '"]'); related.push(events[i]); }
    });
    heading.textContent = "Violation of " + v.property + " at " + v.t.toFixed(3) + " s";
    body.textContent = JSON.stringify(v, null, 2) + "\\n\\nevents:\\n" + JSON.stringify(related, null, 2);
  }
  const end = Number(inner.dataset.end);
  function drawTicks() {
    const track = inner.querySelector(".lane .track");
    const wanted = Math.max(2, (track ? track.clientWidth : 1000) / 110);
    const raw = end / wanted;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
    const spans = [];
    for (let i = 0; i * step <= end * (1 + 1e-9); i++) {
      spans.push([1 + 98 * (i * step) / end, String(Number((i * step).toFixed(6))) + " s"]);
    }
    inner.querySelectorAll(".axis .track").forEach((axis) => {
      axis.innerHTML = spans.map(([left, text]) =>
        '<span class="tick" style="left:' + left.toFixed(4) + '%">' + text + "</span>").join("");
    });
    inner.querySelector(".grid").innerHTML = spans.map(([left]) =>
      '<span style="left:' + left.toFixed(4) + '%"></span>').join("");
  }
  function setZoom(z, anchorFraction) {
    const track = scroller.clientWidth;
    const before = (scroller.scrollLeft + track * anchorFraction) / Math.max(inner.scrollWidth, 1);
    zoom = Math.min(Math.max(z, 1), 256);
    inner.style.setProperty("--zoom", String(zoom));
    scroller.scrollLeft = before * inner.scrollWidth - track * anchorFraction;
    zoomLabel.textContent = zoom + "\\u00d7";
    drawTicks();
  }
  document.addEventListener("click", (ev) => {
    const target = ev.target instanceof Element ? ev.target.closest("[data-v],[data-i],[data-zoom]") : null;
    if (!target) { return; }
    if (target.dataset.zoom === "in") { setZoom(zoom * 2, 0.5); }
    else if (target.dataset.zoom === "out") { setZoom(zoom / 2, 0.5); }
    else if (target.dataset.zoom === "fit") { setZoom(1, 0); }
    else if (target.dataset.v !== undefined) { showViolation(Number(target.dataset.v)); }
    else if (target.dataset.i !== undefined) { showEvent(Number(target.dataset.i)); }
  });
  scroller.addEventListener("wheel", (ev) => {
    if (!ev.ctrlKey) { return; }
    ev.preventDefault();
    const rect = scroller.getBoundingClientRect();
    setZoom(ev.deltaY < 0 ? zoom * 2 : zoom / 2, (ev.clientX - rect.left) / Math.max(rect.width, 1));
  }, { passive: false });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") { clearSelection(); }
  });
  drawTicks();
  window.addEventListener("resize", drawTicks);
  if (violations.length > 0) { showViolation(0); }
  document.body.dataset.ready = "1";
})();
"""
