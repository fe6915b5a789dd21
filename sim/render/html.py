"""Render one run as a single self-contained HTML file: swimlanes over simulated time, job bands, violations, paths."""

from __future__ import annotations

import html
import json
import math
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from models.events import Event, event_to_dict
from models.machines import (
    ALL_MACHINES,
    MachineDef,
    compiled,
    machine_dot,
)
from models.names import KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance
from sim.backends.aap import AapJobLaunched, AapJobTransitioned
from sim.backends.playbooks import PlaybookStepFinished
from sim.checks.base import Violation
from sim.checks.coverage import coverage_of
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.runtime_events import ReconcileFinished
from sim.render.diagrams import dot_program, render_with_dot
from sim.render.report_assets import CATEGORIES, CSS, JS, LEGEND, MINOR, STATE_COLOURS
from sim.render.text import Context
from sim.render.timeline import VERBOSE, describe_event

__all__ = ["LANES", "Band", "RunPaths", "Segment", "category_of", "describe_all", "job_bands", "lane_of", "render_html",
           "run_paths"]

# Forbids every fetch: the report must work from a file with the network unplugged.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
_DOT_MISSING = ("Graphviz <code>dot</code> is not installed, so this diagram is shown as its DOT source "
                "(install it with <code>apt-get install graphviz</code> to see it drawn).")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# --- what the page shows: lanes, mark colours, job bands, machine paths --------------------------

LANES: tuple[tuple[str, str], ...] = (
    ("user", "User"), ("apiserver", "API server"), ("cache", "Cache"), ("controller", "Controller (operator)"),
    ("aap", "AAP"), ("eda", "EDA"), ("playbooks", "Playbooks"), ("cloud", "Cloud (KubeVirt)"),
    ("tenants", "Tenants"), ("gc", "GC"), ("other", "Other"),
)
_API_FACTS = frozenset({"ObjectStored", "ObjectRemoved", "ObjectUnchanged", "ApiCallRejected", "ApiCallTimedOut",
                        "ObjectRead"})
_TYPE_LANES = {
    "UserActed": "user", "CacheListed": "cache", "CacheUpdated": "cache", "CacheRead": "cache",
    "KeyEnqueued": "controller", "ControllerLogged": "controller", "ManagerStarted": "controller",
    "ManagerCrashed": "controller", "ReconcileStarted": "controller", "ReconcileFinished": "controller",
    "ReconcileAborted": "controller", "OwnersGone": "gc",
    "PlaybookStepStarted": "playbooks", "PlaybookStepFinished": "playbooks",
    "RunStarted": "user", "RunFinished": "user", "Note": "user",  # the scenario driver's own marks
}
_PREFIX_LANES = (("Aap", "aap"), ("Webhook", "eda"), ("Eda", "eda"), ("Vm", "cloud"))
_ACTOR_LANES = {"user": "user", "driver": "user", "operator": "controller", "aap": "aap", "eda": "eda",
                "kubevirt": "cloud", "tenant-controller": "tenants", "garbage-collector": "gc"}


def _actor_lane(actor: str) -> str | None:
    return "playbooks" if actor.startswith("playbook") else _ACTOR_LANES.get(actor)


def lane_of(event: Event) -> str:
    """The swimlane of an event: API-server facts of the user and operator in `apiserver`, the rest by type or actor."""
    name = type(event).__name__
    if name in _API_FACTS:
        lane = _actor_lane(event.actor)
        return "apiserver" if lane in (None, "user", "controller") else lane
    if name in _TYPE_LANES:
        return _TYPE_LANES[name]
    if name.startswith("Http"):
        return _actor_lane(event.actor) or "controller"
    for prefix, lane in _PREFIX_LANES:
        if name.startswith(prefix):
            return lane
    return _actor_lane(event.actor) or "other"


def category_of(event: Event) -> str:
    """The CSS class that colours an event's mark (writes, reads, HTTP, jobs, VMs, errors, ...)."""
    name = type(event).__name__
    if isinstance(event, PlaybookStepFinished) and not event.ok:
        return "c-error"
    if isinstance(event, ReconcileFinished) and event.error:
        return "c-error"
    if name in CATEGORIES:
        return CATEGORIES[name]
    if name.startswith(("Aap", "Eda", "Playbook")):
        return "c-job"
    return "c-cloud" if name.startswith("Vm") else "c-other"


def is_minor(event: Event) -> bool:
    """Reads, cache deliveries, queue and log lines: drawn smaller so that writes and jobs stand out."""
    return type(event).__name__ in MINOR and category_of(event) != "c-error"


def _own_summary(event: Event) -> str:
    fields = (f"{k}={json.dumps(v, sort_keys=True, default=str)[:80]}" for k, v in event.payload().items()
              if k not in ("obj", "body", "config") and v not in ("", None, (), {}))
    return " ".join((type(event).__name__, *fields))


def describe_all(events: Sequence[Event]) -> list[str]:
    """One line per event, in order: the terminal timeline's words when it is there, else the type and fields.

    The timeline is read through one `Context` for the whole log, so writes read as differences
    ("finalizer added") and answers name their requests.
    """
    context = Context()
    return [describe_event(e, VERBOSE, context) or _own_summary(e) for e in events]


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of a band: `state` held from `start` to `end` (simulated seconds), set by event `seq`."""

    state: str
    start: float
    end: float
    seq: int


@dataclass(frozen=True, slots=True)
class Band:
    """The states of one job (or one instance's phase) over time; `group` is `aap` or `ci`."""

    key: str
    group: str
    label: str
    segments: tuple[Segment, ...]


class _Bands:
    def __init__(self) -> None:
        self.open: dict[str, tuple[str, float, int]] = {}  # key -> (state, since, seq of the event that set it)
        self.done: dict[str, list[Segment]] = {}
        self.meta: dict[str, tuple[str, str]] = {}  # key -> (group, label), in order of first appearance

    def set(self, key: str, group: str, label: str, state: str, event: Event) -> None:
        self.meta.setdefault(key, (group, label))
        current = self.open.get(key)
        if current is not None and current[0] == state:
            return
        self.close(key, event.t)
        self.open[key] = (state, event.t, event.seq)

    def close(self, key: str, t: float) -> None:
        current = self.open.pop(key, None)
        if current is not None:
            self.done.setdefault(key, []).append(Segment(current[0], current[1], t, current[2]))

    def bands(self, end: float) -> list[Band]:
        for key in list(self.open):
            self.close(key, end)
        return [Band(key, group, label, tuple(self.done.get(key, ()))) for key, (group, label) in self.meta.items()]


def job_bands(events: Iterable[Event], end: float) -> list[Band]:
    """Bands per AAP job (its controller status) and per instance (its phase and each recorded job's state)."""
    bands = _Bands()
    for e in events:
        if isinstance(e, AapJobLaunched):
            bands.set(f"aap/{e.job_id}", "aap", f"job {e.job_id} · {e.playbook or e.template}", "new", e)
        elif isinstance(e, AapJobTransitioned):
            bands.set(f"aap/{e.job_id}", "aap", f"job {e.job_id}", e.dest, e)
        elif isinstance(e, ObjectStored) and isinstance(e.obj, ComputeInstance):
            inst, status = f"{e.namespace}/{e.name}", e.obj.status
            if status.phase:
                bands.set(f"ci/{inst}/phase", "ci", f"{e.name} · phase", str(status.phase), e)
            present: set[str] = set()
            for job in status.jobs:
                key = f"ci/{inst}/job/{job.type}/{job.job_id}"
                present.add(key)
                label = f"{e.name} · {job.type} job {job.job_id or '(no id)'}"
                bands.set(key, "ci", label, str(job.state), e)
            for key in sorted(k for k in bands.open if k.startswith(f"ci/{inst}/job/") and k not in present):
                bands.close(key, e.t)
        elif isinstance(e, ObjectRemoved) and e.kind == KIND_COMPUTE_INSTANCE:
            for key in sorted(k for k in bands.open if k.startswith(f"ci/{e.namespace}/{e.name}/")):
                bands.close(key, e.t)
    return bands.bands(end)


@dataclass
class RunPaths:
    """Per machine: how often the run took each (state, trigger) pair, and the changes the machine does not allow."""

    counts: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    unexpected: dict[str, dict[str, int]] = field(default_factory=dict)


def run_paths(events: Iterable[Event]) -> RunPaths:
    """Which transitions of every machine this run exercised — the campaigns' coverage reader, for one run."""
    cov = coverage_of(events)
    counts = {m.name: dict(sorted(cov.machines.get(m.name, {}).items())) for m in ALL_MACHINES}
    unexpected = {m.name: {f"{a} → {b}": n for (a, b), n in sorted(cov.illegal.get(m.name, {}).items())}
                  for m in ALL_MACHINES}
    return RunPaths(counts, unexpected)


class _Scale:
    """Maps simulated seconds to a left offset in percent of the track, with a 1% margin on both sides."""

    def __init__(self, end: float) -> None:
        self.end = end if end > 0 else 1.0

    def pos(self, t: float) -> float:
        return 1.0 + 98.0 * min(max(t, 0.0), self.end) / self.end

    def left(self, t: float) -> str:
        return f"left:{self.pos(t):.4f}%"

    def span(self, start: float, end: float) -> str:
        return f"left:{self.pos(start):.4f}%;width:{max(self.pos(end) - self.pos(start), 0.05):.4f}%"


def _ticks(end: float) -> list[float]:
    raw = end / 8
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1.0, 2.0, 5.0, 10.0) if m * magnitude >= raw)
    return [i * step for i in range(int(end / step + 1e-9) + 1)]


def _tick_text(t: float) -> str:
    return f"{round(t, 6):g} s"


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element (no `</script>`, no HTML comment openers)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    for raw, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _fact(key: str, value: object) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        text = "" if value is None else str(value)
    else:
        text = json.dumps(value, sort_keys=True, default=str)
    if len(text) <= 80:
        return f"<div><dt>{_e(key)}</dt><dd>{_e(text)}</dd></div>"
    pretty = text if isinstance(value, str) else json.dumps(value, sort_keys=True, indent=2, default=str)
    return f"<details><summary>{_e(key)}</summary><pre>{_e(pretty)}</pre></details>"


def _header(title: str, header: Mapping[str, object], violations: Sequence[Violation], reproduce: str) -> str:
    if violations:
        names = ", ".join(sorted({v.property for v in violations}))
        plural = "s" if len(violations) > 1 else ""
        verdict = f'<span class="verdict bad">{len(violations)} violation{plural}: {_e(names)}</span>'
    else:
        verdict = '<span class="verdict ok">no violations</span>'
    facts = "".join(_fact(str(k), v) for k, v in header.items())
    repro = (f'<div class="reproduce">reproduce: <code>{_e(reproduce)}</code></div>' if reproduce else "")
    return f"<header><h1>{_e(title)}</h1>{verdict}<dl class=\"facts\">{facts}</dl>{repro}</header>"


def _toolbar() -> str:
    legend = "".join(f'<span><span class="sw {cls}"></span>{_e(text)}</span>' for cls, text in LEGEND)
    return ('<div class="toolbar"><button type="button" data-zoom="out" title="zoom out">−</button>'
            '<span id="zoom-level">1×</span><button type="button" data-zoom="in" title="zoom in">+</button>'
            '<button type="button" data-zoom="fit" title="whole run">fit</button>'
            '<span class="none">(ctrl+wheel zooms; click a mark for its details)</span>'
            f'<span class="legend">{legend}<span><span class="sw" style="background:#e53935"></span>'
            "violation</span></span></div>")


def _row(classes: str, label: str, track: str, attrs: str = "", label_title: str = "") -> str:
    title = f' title="{_e(label_title)}"' if label_title else ""
    return (f'<div class="row {classes}"{attrs}><div class="label"{title}>{_e(label)}</div>'
            f'<div class="track">{track}</div></div>')


def _violation_marker(k: int, v: Violation, scale: _Scale) -> str:
    tip = f"{v.t:.3f} s · violation of {v.property}: {v.explanation}"
    return f'<span class="violation-marker" data-v="{k}" style="{scale.left(v.t)}" title="{_e(tip)}"></span>'


def _segment(band: Band, seg: Segment, scale: _Scale, index: Mapping[int, int]) -> str:
    tip = f"{band.label}: {seg.state} from {seg.start:.3f} s to {seg.end:.3f} s (set by event #{seg.seq})"
    colour = STATE_COLOURS.get(seg.state, "#dddddd")
    return (f'<span class="seg" data-i="{index[seg.seq]}" style="{scale.span(seg.start, seg.end)};'
            f'background:{colour}" title="{_e(tip)}"><span>{_e(seg.state)}</span></span>')


# The lane labels' tooltips: what each lane holds.
_LANE_HELP = {
    "user": "what the user did, and the scenario driver's start, end and notes",
    "apiserver": "API-server calls of the user and the operator (writes, removals, rejections, uncached reads); "
                 "the calls of playbooks, KubeVirt, tenants and GC sit in their own lanes",
    "cache": "the operator's informer cache: lists, watch deliveries, cached reads",
    "controller": "the operator: work queue, reconciles, log lines, manager lifecycle, its HTTP calls to AAP/EDA",
    "aap": "the AAP controller: job launches, status transitions, cancels, purges, injected faults",
    "eda": "EDA: webhook deliveries and the rules they fire",
    "playbooks": "the playbooks' steps and their API calls",
    "cloud": "KubeVirt and the cloud ledger: VMs provisioned, ready, deleted, released",
    "tenants": "the tenant controller's API calls",
    "gc": "the owner-reference garbage collector",
    "other": "events of no known actor",
}


def _timeline(events: Sequence[Event], texts: Sequence[str], lanes: Sequence[str],
              violations: Sequence[Violation], bands: Sequence[Band], scale: _Scale) -> str:
    seq_lane = {e.seq: lane_of(e) for e in events}
    index = {e.seq: i for i, e in enumerate(events)}
    implicated = {seq for v in violations for seq in v.events}
    marks: dict[str, list[tuple[bool, int, str]]] = {lane: [] for lane in lanes}
    for i, e in enumerate(events):
        minor = is_minor(e)
        classes = f"ev {category_of(e)}" + (" minor" if minor else "") + (" violating" if e.seq in implicated else "")
        tip = f"{e.t:.3f} s · #{e.seq} · {e.actor} · {texts[i]}"
        marks[seq_lane[e.seq]].append(
            (not minor, i, f'<span class="{classes}" data-i="{i}" data-seq="{e.seq}" style="{scale.left(e.t)}" '
                           f'title="{_e(tip)}"></span>'))
    for k, v in enumerate(violations):
        hit = sorted({seq_lane[s] for s in v.events if s in seq_lane}) or list(lanes)
        for lane in hit:
            marks[lane].append((True, len(events) + k, _violation_marker(k, v, scale)))
    ticks = _ticks(scale.end)
    grid = "".join(f'<span style="{scale.left(t)}"></span>' for t in ticks)
    axis = "".join(f'<span class="tick" style="{scale.left(t)}">{_e(_tick_text(t))}</span>' for t in ticks)
    rows = [f'<div class="grid">{grid}</div>', _row("axis", "simulated time", axis)]
    titles = dict(LANES)
    for lane in lanes:
        track = "".join(html_ for _, _, html_ in sorted(marks[lane], key=lambda m: (m[0], m[1])))
        rows.append(_row("lane", titles.get(lane, lane), track, f' data-lane="{lane}"', _LANE_HELP.get(lane, "")))
    for group, label in (("aap", "AAP jobs (ground truth)"), ("ci", "CI status (persisted)")):
        members = [b for b in bands if b.group == group]
        if members:
            rows.append(_row("group-title", label, ""))
        rows.extend(_row("band-row", b.label, "".join(_segment(b, s, scale, index) for s in b.segments),
                         f' data-band="{_e(b.key)}"', b.label) for b in members)
    rows.append(_row("axis", "simulated time", axis))
    return f'<div id="timeline"><div id="timeline-inner" data-end="{scale.end!r}">{"".join(rows)}</div></div>'


def _violation_list(violations: Sequence[Violation]) -> str:
    if not violations:
        return '<section id="violations"><h2>Violations</h2><p class="none">none</p></section>'
    items = []
    for k, v in enumerate(violations):
        subject = f" · {_e(v.subject)}" if v.subject else ""
        refs = f" · events {', '.join(f'#{s}' for s in v.events)}" if v.events else ""
        cause = " · caused by the environment: no controller could have prevented it" if v.environment else ""
        items.append(f'<li data-v="{k}"><span class="prop">{_e(v.property)}</span> at {v.t:.3f} s{subject}'
                     f"{refs}{cause}<br>{_e(v.explanation)}</li>")
    return f'<section id="violations"><h2>Violations</h2><ol>{"".join(items)}</ol></section>'


def _svg_of(name: str, dot_text: str) -> str | None:
    if dot_program() is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.svg"
        render_with_dot(dot_text, "svg", out)
        return out.read_text(encoding="utf-8")


def _inline_svg(name: str, svg: str) -> str:
    """The <svg> element alone, without XML prolog, doctype, comments or namespaces, its ids made unique."""
    svg = svg[svg.find("<svg"):] if "<svg" in svg else svg
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\sxmlns(?::\w+)?="[^"]*"', "", svg)
    return re.sub(r'\bid="([^"]*)"', lambda m: f'id="{name}-{m.group(1)}"', svg).strip()


def _machine(defn: MachineDef, paths: RunPaths, machines_svg: Mapping[str, str] | None) -> str:
    counts = paths.counts[defn.name]
    dot_text = machine_dot(defn, counts)
    svg = machines_svg.get(defn.name) if machines_svg is not None else _svg_of(defn.name, dot_text)
    taken = sorted(counts, key=lambda p: (defn.states.index(p[0]), p[1]))
    summary = (f"this run took {len(taken)} of {len(compiled(defn).table)} transitions: "
               + (", ".join(f"{s} —{t}→ ({counts[(s, t)]}×)" for s, t in taken) if taken else "none"))
    odd = paths.unexpected[defn.name]
    unexpected = (f'<p class="unexpected">changes the machine does not allow: '
                  f'{_e(", ".join(f"{k} ({n}×)" for k, n in sorted(odd.items())))}</p>' if odd else "")
    if svg is not None:
        drawing = _inline_svg(defn.name, svg)
    else:
        note = _DOT_MISSING if machines_svg is None else "No SVG was supplied for this machine; its DOT source:"
        drawing = f"<p>{note}</p><pre>{_e(dot_text)}</pre>"
    return (f'<div class="machine" data-machine="{_e(defn.name)}"><h3>{_e(defn.title)}</h3>'
            f"<p>{_e(summary)}</p>{unexpected}{drawing}</div>")


_VIOLATING = ' class="violating"'


def _event_list(events: Sequence[Event], texts: Sequence[str], violations: Sequence[Violation]) -> str:
    implicated = {seq for v in violations for seq in v.events}
    rows = "".join(
        f'<tr data-i="{i}"{_VIOLATING if e.seq in implicated else ""}><td>{e.seq}</td>'
        f"<td>{e.t:.3f}</td><td>{_e(lane_of(e))}</td><td>{_e(e.actor)}</td><td>{_e(type(e).__name__)}</td>"
        f"<td>{_e(texts[i])}</td></tr>"
        for i, e in enumerate(events))
    return (f'<details id="event-list"><summary>All {len(events)} events</summary><table><thead><tr><th>seq</th>'
            f"<th>t (s)</th><th>lane</th><th>actor</th><th>type</th><th>what</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></details>")


def render_html(events: Iterable[Event], *, title: str, header: Mapping[str, object],
                violations: Sequence[Violation] = (), reproduce: str = "",
                machines_svg: Mapping[str, str] | None = None) -> str:
    """One self-contained HTML page for a run; `machines_svg` replaces rendering with `dot` (name -> SVG text)."""
    evs = list(events)
    scale = _Scale(max([e.t for e in evs] + [v.t for v in violations] + [0.0]))
    used = {lane_of(e) for e in evs}
    lanes = [lane for lane, _ in LANES if lane != "other" or "other" in used]
    paths = run_paths(evs)
    texts = describe_all(evs)
    machines = "".join(_machine(m, paths, machines_svg) for m in ALL_MACHINES)
    details = ('<aside id="event-details"><h3>Details</h3><pre>Click an event mark, a job band or a violation '
               "to see it here.</pre></aside>")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        _header(title, header, violations, reproduce), _toolbar(),
        _timeline(evs, texts, lanes, violations, job_bands(evs, scale.end), scale),
        f'<div id="details-wrap">{_violation_list(violations)}{details}</div>',
        f'<h2>State machines, with the path this run took</h2><div class="machines">{machines}</div>',
        _event_list(evs, texts, violations),
        f'<script type="application/json" id="report-events">{_script_json([event_to_dict(e) for e in evs])}'
        "</script>",
        f'<script type="application/json" id="report-violations">{_script_json([v.to_dict() for v in violations])}'
        "</script>",
        f"<script>{JS}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"

