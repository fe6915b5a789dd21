"""The event log: append-only and sequence-numbered, typed subscribers first, and the kernel stamps every event."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from models.events import Event, Note, RunFinished, RunStarted
from sim.kernel.choice import SeededChoiceSource
from sim.kernel.kernel import Kernel
from sim.kernel.log import EventLog


def test_subscribers_for_an_event_type_run_before_catch_all_subscribers() -> None:
    log = EventLog()
    calls: list[str] = []
    log.subscribe(lambda e: calls.append(f"all-1 {e.type_name}"))
    log.subscribe(lambda e: calls.append(f"note-1 {e.type_name}"), Note)
    log.subscribe(lambda e: calls.append(f"all-2 {e.type_name}"))
    log.subscribe(lambda e: calls.append(f"note-2 {e.type_name}"), Note)
    log.subscribe(lambda e: calls.append(f"started {e.type_name}"), RunStarted)

    log.append(Note(0, 0.0, "driver", text="hello"))

    assert calls == ["note-1 Note", "note-2 Note", "all-1 Note", "all-2 Note"]


class _NotesOnly:
    """A router: two handlers for Note, none for anything else."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def handlers_for(self, cls: type[Event]) -> tuple[Any, ...]:
        if cls is not Note:
            return ()
        return (lambda e: self.calls.append("router-a"), lambda e: self.calls.append("router-b"))


def test_a_router_s_handlers_run_in_its_place_among_the_catch_all_subscribers() -> None:
    log = EventLog()
    calls: list[str] = []
    log.subscribe(lambda e: calls.append("all-1"))
    log.subscribe_router(_NotesOnly(calls))
    log.subscribe(lambda e: calls.append("all-2"))
    log.subscribe(lambda e: calls.append("note"), Note)

    log.append(Note(0, 0.0, "driver", text="hello"))
    log.append(RunFinished(1, 0.0, "driver", reason="done"))

    assert calls == ["note", "all-1", "router-a", "router-b", "all-2", "all-1", "all-2"]


def test_a_subscriber_for_several_types_sees_each_of_them_and_nothing_else() -> None:
    log = EventLog()
    seen: list[Event] = []
    log.subscribe(seen.append, RunStarted, RunFinished)
    started = log.append(RunStarted(0, 0.0, "driver", scenario="s", seed=1))
    log.append(Note(1, 0.0, "driver", text="ignored"))
    finished = log.append(RunFinished(2, 9.0, "driver", reason="horizon reached"))
    assert seen == [started, finished]
    assert log.of_type(Note) == [Note(1, 0.0, "driver", text="ignored")]


def test_appending_an_event_with_a_wrong_seq_is_an_assertion_error() -> None:
    log = EventLog()
    seen: list[Event] = []
    log.subscribe(seen.append)
    log.append(Note(0, 0.0, "driver", text="first"))
    with pytest.raises(AssertionError, match="seq 5 but the log is at 1"):
        log.append(Note(5, 0.0, "driver", text="skipped ahead"))
    with pytest.raises(AssertionError, match="seq 0 but the log is at 1"):
        log.append(Note(0, 0.0, "driver", text="repeated"))
    assert len(log) == 1
    assert [e.seq for e in log] == [0]
    assert len(seen) == 1


def test_a_log_that_does_not_keep_events_counts_and_dispatches_them_only() -> None:
    log = EventLog(keep=False)
    seen: list[Event] = []
    log.subscribe(seen.append)
    for seq in range(3):
        log.append(Note(log.next_seq(), 0.0, "driver", text=f"n{seq}"))
    assert len(log) == 3 and log.next_seq() == 3
    assert log.events == [] and list(log) == []
    assert [e.seq for e in seen] == [0, 1, 2]


def test_kernel_record_stamps_seq_simulated_time_and_actor() -> None:
    kernel = Kernel(SeededChoiceSource(7))

    def driver() -> Generator[simpy.Event, Any, None]:
        kernel.record(RunStarted, "driver", scenario="s", seed=7)
        yield kernel.env.timeout(2.5)
        kernel.record(Note, "aap", text="job launched")
        yield kernel.env.timeout(1.25)
        kernel.record(RunFinished, "driver", reason="queue drained")

    kernel.env.process(driver())
    kernel.env.run()

    assert [(e.seq, e.t, e.actor, e.type_name) for e in kernel.log] == [
        (0, 0.0, "driver", "RunStarted"),
        (1, 2.5, "aap", "Note"),
        (2, 3.75, "driver", "RunFinished"),
    ]
    assert kernel.log.of_type(Note)[0].text == "job launched"
    assert kernel.now == 3.75


def test_kernel_record_counts_events_it_does_not_keep() -> None:
    kernel = Kernel(SeededChoiceSource(7), keep_events=False)
    first = kernel.record(Note, "driver", text="a")
    second = kernel.record(Note, "driver", text="b")
    assert (first.seq, second.seq) == (0, 1)
    assert len(kernel.log) == 2 and kernel.log.events == []


def test_kernel_record_stamps_time_as_float_seconds() -> None:
    kernel = Kernel(SeededChoiceSource(7))

    def driver() -> Generator[simpy.Event, Any, None]:
        kernel.record(Note, "driver", text="at the start")
        yield kernel.env.timeout(3)
        kernel.record(Note, "driver", text="after an int delay")

    kernel.env.process(driver())
    kernel.env.run()
    assert [type(e.t) for e in kernel.log] == [float, float]
