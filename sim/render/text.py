"""Shared pieces of the terminal output: the description record, the reader's memory of a run, and text helpers."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.jobs import JobRecord
from models.names import API_GROUP
from models.objects import KubeObject

QUIET, DEFAULT, VERBOSE = 0, 1, 2  # verbosity levels: a line shows when its level <= the chosen verbosity
ACTOR_WIDTH = 17  # "tenant-controller", the longest regular actor name
SHOWN_JOBS = 4  # status writes list at most this many (the newest) jobs
ACTOR_ALIASES = {"garbage-collector": "gc"}

# Tones a description may carry; only used when colour is asked for.
BAD, GOOD, WARN, USER, PLAIN = "bad", "good", "warn", "user", ""
_ANSI = {BAD: "31", GOOD: "32", WARN: "33", USER: "1;35"}
_ACTOR_ANSI = {"user": "1;35", "operator": "36", "aap": "34", "eda": "34", "kubevirt": "32"}
Key = tuple[str, str, str]  # (kind, namespace, name) as the API server keys objects


@dataclass(frozen=True, slots=True)
class Described:
    """What one event means: the lowest verbosity that shows it, the sentence, and an optional tone."""

    level: int
    text: str
    tone: str = PLAIN


@dataclass
class Context:
    """What a reader remembers while going through a log: it turns events into differences and pairs.

    Describers read the state left by earlier events and then record what their own event changed, so
    a status write can say "finalizer added" and an HTTP answer can name the request it answers.
    """

    objects: dict[Key, KubeObject] = field(default_factory=dict)  # last stored version of every object
    requests: dict[int, tuple[str, str]] = field(default_factory=dict)  # request id -> (method, short url)
    step_started: dict[tuple[int, str], float] = field(default_factory=dict)  # (job id, step) -> start time
    playbooks: dict[int, str] = field(default_factory=dict)  # AAP job id -> playbook (create | delete)


def fmt_time(t: float) -> str:
    """Simulated seconds as the timeline's first column, e.g. `  12.40s`."""
    return f"{t:7.2f}s"


def fmt_seconds(s: float) -> str:
    """A duration or instant in prose: `62.72s`, `30s`."""
    return f"{s:g}s" if float(s).is_integer() else f"{s:.2f}s"


def actor_name(actor: str) -> str:
    return ACTOR_ALIASES.get(actor, actor)


def short(name: str) -> str:
    """A finalizer or annotation without the operator's API group prefix (other prefixes stay)."""
    prefix = f"{API_GROUP}/"
    return name[len(prefix):] if name.startswith(prefix) else name


def short_url(url: str) -> str:
    """A URL without its scheme, and the AAP controller's `/api/controller` folded to `…`."""
    for scheme in ("http://", "https://"):
        if url.startswith(scheme):
            url = url[len(scheme):]
    return url.replace("/api/controller/", "/…/")


def listing(items: Iterable[str], empty: str = "none") -> str:
    text = ", ".join(items)
    return text or empty


def fields_text(pairs: Iterable[tuple[str, Any]]) -> str:
    """`k=v, k=v` for the non-empty values."""
    return ", ".join(f"{k}={v}" for k, v in pairs if v not in ("", None))


def job_summary(job: JobRecord) -> str:
    return f"{job.job_id} {job.type.value} {job.state.value}"


def jobs_summary(jobs: Sequence[JobRecord]) -> str:
    """`[9000 provision Canceled, 9001 deprovision Running]`, the newest SHOWN_JOBS only."""
    shown = [job_summary(j) for j in jobs[-SHOWN_JOBS:]]
    if len(jobs) > SHOWN_JOBS:
        shown.insert(0, f"+{len(jobs) - SHOWN_JOBS} earlier")
    return "[" + ", ".join(shown) + "]"


def paint(text: str, tone: str, color: bool) -> str:
    code = _ANSI.get(tone)
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


def timeline_line(t: float, actor: str, described: Described, *, color: bool = False, seq: int | None = None) -> str:
    """One timeline row: `[#seq] time  actor  text`, the actor padded so the texts line up."""
    name = actor_name(actor)
    padded = name.ljust(ACTOR_WIDTH)
    actor_code = _ACTOR_ANSI.get(name.split("/")[0])
    if color and actor_code:
        padded = f"\x1b[{actor_code}m{name}\x1b[0m" + " " * (len(padded) - len(name))
    prefix = "" if seq is None else f"#{seq:<5} "
    return f"{prefix}{fmt_time(t)}  {padded}  {paint(one_line(described.text), described.tone, color)}"


def one_line(text: str) -> str:
    """Text that may hold line breaks (tracebacks, error bodies) as one line, the parts joined by ` | `."""
    if "\n" not in text:
        return text
    return " | ".join(part.strip() for part in text.splitlines() if part.strip())


def wrap(text: str, width: int = 100, indent: str = "  ") -> list[str]:
    """A paragraph wrapped to `width` columns (indent included), keeping explicit line breaks."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, width=width, initial_indent=indent, subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False) or [indent.rstrip()])
    return lines


def traceback_reason(traceback: str, limit: int = 120) -> str:
    """The message of a failed Ansible task (`"msg": "..."`), else the traceback's first line, shortened."""
    marker = '"msg": '
    at = traceback.find(marker)
    if at >= 0:
        try:
            reason, _ = json.JSONDecoder().raw_decode(traceback[at + len(marker):])
        except ValueError:
            reason = None
        if isinstance(reason, str):
            return _clip(reason, limit)
    first = traceback.strip().splitlines()[0] if traceback.strip() else ""
    return _clip(first, limit)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
