"""Saved logs: JSONL with a header line, one line per event, and a footer with the SHA-256 digest and the choice tape.

Layout (every line one JSON object)::

    {"log": "osac-provisioning-sim", "schema_version": 1, "tool_version": ..., "python": "3.11",
     "seed": ..., "config": {...}}
    {"seq": 0, "t": 0.0, "actor": "driver", "type": "RunStarted", ...}
    ...
    {"footer": true, "events": N, "digest": "<sha256 of the event lines, each followed by \\n>",
     "choices": [[stream, name, value], ...]}

The digest covers the event lines exactly as written, so two runs with the same seed give the same
digest and a changed byte is detected. Every problem with a log file is reported as a `LogFileError`
naming the file and line; nothing is ever written over an existing file unless the caller asks.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from models.events import EVENT_DECODERS, EVENT_TYPES, Event, EventDecodeError, event_from_dict
from sim.kernel.choice import Choice, new_choice
from sim.kernel.encoding import encode_event as encode_event
from sim.kernel.encoding import encoder_for
from sim.kernel.errors import SimError
from sim.kernel.gc_tuning import fewer_collections
from sim.kernel.registered import register_everything

LOG_MAGIC = "osac-provisioning-sim"
SCHEMA_VERSION = 1
TOOL_VERSION = "0.1.0"


class LogFileError(SimError):
    """A saved log that cannot be read: missing, truncated, corrupted, tampered with, or from another schema."""


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


class Digest:
    """Running SHA-256 over canonical event lines; the same run always gives the same hex digest."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.count = 0

    def add_line(self, line: str) -> None:
        self._h.update((line + "\n").encode("utf-8"))
        self.count += 1

    def raw_hasher(self) -> Callable[[bytes], None]:
        """The hash's own update, for a reader that hashes each line read from a file (newline still on) itself:
        the same digest as `add_line` of the line without its newline. `count` is not kept."""
        update: Callable[[bytes], None] = self._h.update
        return update

    def add(self, event: Event) -> None:
        """`add_line(encode_event(event))`, in one call: every event of a run passes here."""
        self._h.update((encoder_for(type(event))(event) + "\n").encode("utf-8"))
        self.count += 1

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def digest_of(events: Iterable[Event]) -> str:
    d = Digest()
    for e in events:
        d.add(e)
    return d.hexdigest()


@dataclass
class LogHeader:
    """The first line: what produced the log and how to run it again."""

    seed: int
    config: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    tool_version: str = TOOL_VERSION
    python: str = field(default_factory=python_version)

    def to_dict(self) -> dict[str, Any]:
        return {"log": LOG_MAGIC, "schema_version": self.schema_version, "tool_version": self.tool_version,
                "python": self.python, "seed": self.seed, "config": self.config}


@dataclass
class SavedLog:
    """A log read back from disk and verified."""

    path: Path
    header: LogHeader
    events: list[Event]
    digest: str
    choices: list[Choice]


def refuse_overwrite(path: Path, *, overwrite: bool, what: str = "log") -> None:
    """Raise SimError if `path` exists and the user did not ask to overwrite it."""
    if path.exists() and not overwrite:
        raise SimError(f"{path} already exists", where=str(path),
                       rule=f"a {what} the user saved is never overwritten without being asked to",
                       fix="choose another path, delete the file, or pass --force")


class LogWriter:
    """Streams a log to disk: header at open, one line per event, footer (digest + tape) at close."""

    def __init__(self, path: str | os.PathLike[str], header: LogHeader, *, overwrite: bool = False) -> None:
        self.path = Path(path)
        refuse_overwrite(self.path, overwrite=overwrite)
        self._digest = Digest()
        self._tmp = self.path.with_name(self.path.name + ".partial")
        try:
            self._fh: TextIO = open(self._tmp, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        except OSError as exc:
            raise SimError(f"cannot write {self.path}: {exc.strerror}", where=str(self.path),
                           rule="the log path must be writable", fix="choose a writable path") from exc
        self._fh.write(json.dumps(header.to_dict(), separators=(",", ":"), sort_keys=True) + "\n")

    def write(self, event: Event) -> None:
        try:
            line = encode_event(event)
        except (TypeError, ValueError):
            self.abort()
            raise

        self._digest.add_line(line)
        self._fh.write(line)
        self._fh.write("\n")

    def abort(self) -> None:
        """Give up: close and remove the partial file (the target path is never created)."""
        self._fh.close()
        self._tmp.unlink(missing_ok=True)

    def close(self, choices: Iterable[Choice] = ()) -> str:
        digest = self._digest.hexdigest()
        footer = {"footer": True, "events": self._digest.count, "digest": digest,
                  "choices": [c.to_list() for c in choices]}
        self._fh.write(json.dumps(footer, separators=(",", ":")) + "\n")
        self._fh.close()
        os.replace(self._tmp, self.path)  # the file appears whole or not at all
        return digest


def write_log(path: str | os.PathLike[str], header: LogHeader, events: Iterable[Event],
              choices: Iterable[Choice] = (), *, overwrite: bool = False) -> str:
    """Write a whole log; returns the digest."""
    w = LogWriter(path, header, overwrite=overwrite)
    for e in events:
        w.write(e)
    return w.close(choices)


def _err(path: Path, lineno: int | None, what: str, fix: str, rule: str = "") -> LogFileError:
    where = f"{path}:{lineno}" if lineno is not None else str(path)
    return LogFileError(what, where=where, rule=rule or "a log is a header line, event lines, and a footer line",
                        fix=fix)


def _parse_header(path: Path, line: str) -> LogHeader:
    try:
        h = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _err(path, 1, f"the header line is not JSON ({exc.msg})",
                   "pass a log written by `python -m sim`") from exc
    if not isinstance(h, dict) or h.get("log") != LOG_MAGIC:
        raise _err(path, 1, "this is not a simulator log (the header does not name osac-provisioning-sim)",
                   "pass a log written by `python -m sim ... --log FILE`")
    if h.get("schema_version") != SCHEMA_VERSION:
        raise _err(path, 1, f"unknown schema version {h.get('schema_version')!r}",
                   f"this simulator reads schema version {SCHEMA_VERSION}; use the simulator version "
                   f"{h.get('tool_version', '?')} that wrote it",
                   rule="a log is read only by a simulator that knows its schema version")
    seed = h.get("seed")
    if not isinstance(seed, int):
        raise _err(path, 1, f"the header's seed is {seed!r}, not an integer", "re-create the log")
    return LogHeader(seed=seed, config=dict(h.get("config") or {}), schema_version=SCHEMA_VERSION,
                     tool_version=str(h.get("tool_version", "")), python=str(h.get("python", "")))


def _open_log(p: Path) -> TextIO:
    """The log file open for reading, or LogFileError for a missing or unreadable file."""
    try:
        return open(p, encoding="utf-8")
    except FileNotFoundError as exc:
        raise _err(p, None, "no such file", "check the path (a log is written with --log FILE)") from exc
    except OSError as exc:
        raise _err(p, None, f"cannot read the file: {exc.strerror}", "check the path and its permissions") from exc


def _not_utf8(p: Path, exc: UnicodeDecodeError) -> LogFileError:
    return _err(p, None, "the file is not UTF-8 text", "pass a log written by `python -m sim`")


def iter_log(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) of a log file, raising LogFileError for a missing or unreadable file."""
    p = Path(path)
    with _open_log(p) as fh:
        try:
            yield from enumerate(fh, start=1)
        except UnicodeDecodeError as exc:
            raise _not_utf8(p, exc) from exc


def _make_loads() -> Callable[[str], Any]:
    """`json.loads` of a line read from a log, its newline still on (`raw`), of which it parses `raw[:-1]`.

    The C scanner is called directly on the common case (the line is exactly one JSON value, then the
    newline), without copying the line; anything else — whitespace around the value, a BOM, invalid JSON —
    goes through `json.loads` of the line without its newline, which gives the usual result or error."""
    decoder = json.JSONDecoder()
    scan: Callable[[str, int], tuple[Any, int]] = decoder.scan_once  # type: ignore[attr-defined]  # set in __init__
    slow = json.loads

    def loads(raw: str) -> Any:
        try:
            value, end = scan(raw, 0)
        except StopIteration:
            return slow(raw[:-1])
        if end != len(raw) - 1:
            return slow(raw[:-1])
        return value

    return loads


_loads = _make_loads()


class LogReader:
    """Reads a saved log one event at a time, verifying it as it goes: memory does not grow with the log.

    `events()` yields each event; once it is exhausted the whole file has been checked (header, sequence
    numbers, footer, event count, digest) and `header`, `digest`, `choices` and `count` are set. A problem
    raises `LogFileError` where it is found — for a bad footer or digest, after every event was yielded, so
    a consumer that must not act on an unverified log collects first (as `read_log` does) or discards
    what it folded when the error comes.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.header: LogHeader | None = None
        self.digest = ""
        self.choices: list[Choice] = []
        self.count = 0

    def events(self) -> Iterator[Event]:
        register_everything()
        p = self.path
        header: LogHeader | None = None
        digest = Digest()
        footer: dict[str, Any] | None = None
        footer_line = 0
        lineno = 0
        count = 0
        loads = _loads
        # Per line, the common case without a call of its own: the digest's hash updated directly
        # (`Digest.raw_hasher`; the reader counts the lines) and a known event decoded by its class's decoder
        # (`event_from_dict`, which any other dict still goes through, for the same event or error).
        hash_raw = digest.raw_hasher()
        types, decoders = EVENT_TYPES, EVENT_DECODERS
        # The file is read here rather than through `iter_log`: one generator less for every line.
        with _open_log(p) as fh:
            try:
                for lineno, raw in enumerate(fh, start=1):
                    if footer is not None:
                        raise _err(p, lineno, "there is data after the footer line",
                                   "remove the extra lines or re-create the log")
                    if not raw.endswith("\n"):
                        raise _err(p, lineno, "the last line is truncated (no newline at its end)",
                                   "the run that wrote it was interrupted; re-run it to get a whole log",
                                   rule="every line of a log ends with a newline")
                    if header is None:
                        header = self.header = _parse_header(p, raw[:-1])
                        continue
                    try:
                        d = loads(raw)  # raw[:-1], the line without its newline
                    except json.JSONDecodeError as exc:
                        raise _err(p, lineno, f"the line is not valid JSON ({exc.msg} at column {exc.colno})",
                                   "the file was edited or damaged; re-create it from its seed") from exc
                    # The common case first: an event of a known class with as many keys as its decoder reads
                    # (each one read, so a missing key raises and no other key can be there). Anything else —
                    # the footer, a dict that is not an event, a missing key — takes the checked path below.
                    try:
                        dec = decoders.get(types.get(d["type"]))  # type: ignore[arg-type]
                        event = dec.decode(d) if dec is not None and len(d) == dec.size else None
                    except (TypeError, ValueError, KeyError, AttributeError, EventDecodeError):
                        event = None
                    if event is None:
                        if not isinstance(d, dict):
                            raise _err(p, lineno, "the line is not a JSON object", "re-create the log from its seed")
                        if d.get("footer") is True:
                            footer, footer_line = d, lineno
                            continue
                        try:
                            event = event_from_dict(d)
                        except (EventDecodeError, TypeError, ValueError, KeyError) as exc:
                            raise _err(p, lineno, f"the line is not a valid event: {exc}", "the file was edited or "
                                       "written by another simulator version; re-create it") from exc
                    if event.seq != count:
                        raise _err(p, lineno, f"event seq {event.seq} where {count} was expected",
                                   "the file was edited (lines removed or reordered); re-create it from its seed")
                    hash_raw(raw.encode("utf-8"))  # = digest.add_line(raw[:-1])
                    count += 1
                    self.count = count
                    yield event
            except UnicodeDecodeError as exc:
                raise _not_utf8(p, exc) from exc
        if header is None:
            raise _err(p, 1, "the file is empty", "pass a log written by `python -m sim ... --log FILE`")
        if footer is None:
            raise _err(p, lineno + 1, "the footer line (event count and digest) is missing: the log is truncated",
                       "the run that wrote it was interrupted; re-run it to get a whole log")
        if footer.get("events") != count:
            raise _err(p, footer_line, f"the footer counts {footer.get('events')} events but the file has {count}",
                       "the file was edited; re-create it from its seed")
        if footer.get("digest") != digest.hexdigest():
            raise _err(p, footer_line, "digest mismatch: the event lines do not hash to the digest in the footer",
                       "the file was edited or damaged; re-create it from its seed",
                       rule="a log's SHA-256 digest covers every event line exactly as written")
        try:
            self.choices = _choices_from_lists(footer.get("choices", []))
        except (ValueError, TypeError) as exc:
            raise _err(p, footer_line, f"the choice tape is malformed: {exc}",
                       "re-create the log from its seed") from exc
        self.digest = digest.hexdigest()


_CHOICE_VALUES = frozenset({float, int, bool})


def _choices_from_lists(items: Iterable[Any]) -> list[Choice]:
    """`[Choice.from_list(c) for c in items]`: a footer's tape holds one entry per draw of the run (260k in
    the replay benchmark's log), so an entry of exactly [str, str, number] from JSON is built directly and
    anything else goes through `from_list`, which takes or rejects it as before."""
    new = new_choice
    values = _CHOICE_VALUES
    out: list[Choice] = []
    append = out.append
    for c in items:
        if type(c) is list and len(c) == 3 and type(c[0]) is str and type(c[1]) is str and type(c[2]) in values:
            append(new(c[0], c[1], c[2]))
        else:
            append(Choice.from_list(c))
    return out


def iter_events(path: str | os.PathLike[str]) -> Iterator[Event]:
    """The events of a saved log one by one (streaming, bounded memory), verified as `LogReader` says."""
    return LogReader(path).events()


def read_log(path: str | os.PathLike[str]) -> SavedLog:
    """Read and verify a saved log: header, every event, footer, digest."""
    reader = LogReader(path)
    with fewer_collections():  # decoding allocates as a run does: see sim.kernel.gc_tuning
        events = list(reader.events())
    assert reader.header is not None, "a verified log has a header"
    return SavedLog(path=reader.path, header=reader.header, events=events, digest=reader.digest,
                    choices=reader.choices)
