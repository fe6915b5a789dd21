"""A saved log reads back byte for byte, and a damaged log is refused with the file, the line and what is wrong."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import simpy

from models.events import Event, Note, RunFinished, RunStarted, event_to_dict
from models.jobs import JobRecord, JobState, JobType
from models.objects import ComputeInstance, ComputeInstanceSpec, ComputeInstanceStatus, Condition, ObjectMeta, Phase
from sim.kernel.choice import Dist, SeededChoiceSource
from sim.kernel.errors import SimError
from sim.kernel.kernel import Kernel
from sim.kernel.logfile import LogFileError, LogHeader, digest_of, read_log, write_log
from sim.kernel.projection import fold, replay, snapshot
from sim.runner import run_scenario


@dataclass(frozen=True, slots=True)
class LogfileTestObjectSeen(Event):
    """The informer saw an object (test-local: a tuple field and an API object in OBJECT_FIELDS)."""

    OBJECT_FIELDS: ClassVar[tuple[str, ...]] = ("obj",)

    keys: tuple[str, ...]
    obj: ComputeInstance


@dataclass(frozen=True, slots=True)
class LogfileTestUnwritable(Event):
    """An event whose payload cannot be encoded (a NaN is not JSON)."""

    value: float


@dataclass(frozen=True, slots=True)
class LogfileTestJobsMapped(Event):
    """Job ids per instance: a dict whose values are tuples."""

    jobs: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class LogfileTestJobStateSeen(Event):
    """A job state as an enum field."""

    state: JobState


HEADER = LogHeader(seed=7, config={"scenario": "logfile-roundtrip", "workers": 1})
# Layout of the saved run: line 1 header, lines 2..5 the four events, line 6 the footer.
EVENT_LINES = 4
FOOTER_LINE = 6


def an_instance() -> ComputeInstance:
    meta = ObjectMeta(name="vm-1", namespace="tenant-a", uid="uid-1", resource_version=12, generation=2,
                      creation_timestamp=1.5, deletion_timestamp=40.0, labels={"b": "2", "a": "1"},
                      finalizers=["osac.openshift.io/computeinstance"])
    status = ComputeInstanceStatus(
        phase=Phase.DELETING,
        conditions=[Condition("Provisioned", "True", "JobSucceeded", "done", 30.0)],
        jobs=[JobRecord(job_id="9001", type=JobType.PROVISION, timestamp=3.0, state=JobState.RUNNING)],
    )
    return ComputeInstance(meta, ComputeInstanceSpec("tmpl-small", "{\"cpu\": 2}"), status)


def a_small_run() -> Kernel:
    """Four events and a handful of choices across three streams, with simulated time moving."""
    kernel = Kernel(SeededChoiceSource(7))

    def driver() -> Generator[simpy.Event, Any, None]:
        kernel.record(RunStarted, "driver", scenario="logfile-roundtrip", seed=7)
        yield kernel.env.timeout(kernel.choices.uniform("driver", "first_delay_s", 1.0, 5.0))
        kernel.record(Note, "driver", text="créé ✓ after a delay")
        kernel.choices.chance("kube", "watch/dropped", 0.5)
        kernel.record(LogfileTestObjectSeen, "kube", keys=("tenant-a", "vm-1"), obj=an_instance())
        job_id = kernel.choices.integer("aap", "job/id", 9000, 9999)
        yield kernel.env.timeout(kernel.choices.duration("aap", f"job/{job_id}/running_s", Dist.uniform(2, 4)))
        kernel.record(RunFinished, "driver", reason="horizon reached")

    kernel.env.process(driver())
    kernel.env.run()
    return kernel


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Kernel, Path, str]:
    kernel = a_small_run()
    path = tmp_path / "run.jsonl"
    digest = write_log(path, HEADER, kernel.log.events, kernel.choices.tape)
    return kernel, path, digest


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines), encoding="utf-8", newline="")


def expect_log_error(path: Path, *fragments: str) -> LogFileError:
    """Reading `path` fails with a LogFileError containing every fragment, and the file is not touched."""
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(LogFileError) as info:
        read_log(path)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in the error message:\n{message}"
    after = path.read_bytes() if path.exists() else None
    assert after == before, "reading a bad log changed the file"
    return info.value


# --- round trip -----------------------------------------------------------------------------------------

def test_a_saved_log_reads_back_with_the_same_digest_events_and_choices(saved: tuple[Kernel, Path, str]) -> None:
    kernel, path, digest = saved
    log = read_log(path)
    assert digest == digest_of(kernel.log.events) == log.digest
    assert [event_to_dict(e) for e in log.events] == [event_to_dict(e) for e in kernel.log.events]
    assert log.events == kernel.log.events
    assert len(kernel.choices.tape) == 4
    assert log.choices == kernel.choices.tape
    assert log.header == HEADER
    assert len(lines_of(path)) == FOOTER_LINE


def test_an_object_event_reads_back_with_a_compute_instance_and_a_tuple(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    (seen,) = [e for e in read_log(path).events if isinstance(e, LogfileTestObjectSeen)]
    assert seen.keys == ("tenant-a", "vm-1")
    assert isinstance(seen.obj, ComputeInstance)
    assert seen.obj == an_instance()


def test_replaying_a_saved_log_rebuilds_the_state_of_the_original_run(saved: tuple[Kernel, Path, str]) -> None:
    kernel, path, _ = saved
    state = replay(path).state
    assert state == snapshot(fold(kernel.log.events))
    assert state["run"]["events"] == EVENT_LINES


def test_two_runs_from_the_same_seed_write_identical_bytes(tmp_path: Path) -> None:
    first, second = a_small_run(), a_small_run()
    write_log(tmp_path / "a.jsonl", HEADER, first.log.events, first.choices.tape)
    write_log(tmp_path / "b.jsonl", HEADER, second.log.events, second.choices.tape)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_an_event_holding_a_dict_of_tuples_reads_back_equal(tmp_path: Path) -> None:
    event = LogfileTestJobsMapped(0, 0.0, "driver", jobs={"vm-1": ("9001", "9002")})
    write_log(tmp_path / "run.jsonl", HEADER, [event])
    assert read_log(tmp_path / "run.jsonl").events == [event]


def test_an_enum_field_reads_back_as_its_enum(tmp_path: Path) -> None:
    event = LogfileTestJobStateSeen(0, 0.0, "aap", state=JobState.RUNNING)
    write_log(tmp_path / "run.jsonl", HEADER, [event])
    (back,) = read_log(tmp_path / "run.jsonl").events
    assert isinstance(back, LogfileTestJobStateSeen)
    assert back.state is JobState.RUNNING


# --- bad logs -------------------------------------------------------------------------------------------

def test_a_missing_log_is_reported_by_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    expect_log_error(path, str(path), "no such file")
    assert not path.exists()


def test_an_empty_file_is_reported_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    expect_log_error(path, f"{path}:1", "empty")


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ('{"hello": "world"}\n', "not a simulator log"),
        ("name,seed\nvm-1,7\n", "not JSON"),
    ],
    ids=["json-without-magic", "csv"],
)
def test_a_file_that_is_not_a_simulator_log_is_refused_at_line_1(tmp_path: Path, content: str,
                                                                   complaint: str) -> None:
    path = tmp_path / "other.jsonl"
    path.write_text(content, encoding="utf-8")
    expect_log_error(path, f"{path}:1", complaint)


def test_a_log_cut_in_the_middle_of_its_last_line_is_truncated(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    lines = lines_of(path)
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    write_lines(path, lines)
    expect_log_error(path, f"{path}:{FOOTER_LINE}", "truncated")


def test_a_log_without_its_footer_is_reported_as_truncated(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    write_lines(path, lines_of(path)[:-1])
    expect_log_error(path, str(path), "footer", "missing", "truncated")


def test_a_log_without_its_footer_names_the_line_where_the_footer_was_expected(
        saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    write_lines(path, lines_of(path)[:-1])
    error = expect_log_error(path)
    assert re.search(rf"{re.escape(str(path))}:\d+", str(error)), str(error)


def test_a_corrupted_line_is_named_by_its_line_number(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    lines = lines_of(path)
    lines[2] = lines[2][:20] + "\n"
    write_lines(path, lines)
    expect_log_error(path, f"{path}:3", "not valid JSON")


def test_one_changed_character_in_an_event_is_a_digest_mismatch(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    lines = lines_of(path)
    assert "after a delay" in lines[2]
    lines[2] = lines[2].replace("after a delay", "after a delaY")
    json.loads(lines[2])  # still valid JSON: only the digest can tell
    write_lines(path, lines)
    expect_log_error(path, f"{path}:{FOOTER_LINE}", "digest mismatch")


def test_a_footer_that_miscounts_the_events_is_refused(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    lines = lines_of(path)
    footer = json.loads(lines[-1])
    footer["events"] = EVENT_LINES + 1
    lines[-1] = json.dumps(footer, separators=(",", ":")) + "\n"
    write_lines(path, lines)
    expect_log_error(path, f"{path}:{FOOTER_LINE}", f"counts {EVENT_LINES + 1} events",
                     f"has {EVENT_LINES}")


def test_a_log_with_an_unknown_schema_version_is_refused(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    lines = lines_of(path)
    header = json.loads(lines[0])
    header["schema_version"] = 99
    lines[0] = json.dumps(header) + "\n"
    write_lines(path, lines)
    expect_log_error(path, f"{path}:1", "unknown schema version 99")


def test_an_event_of_an_unknown_type_is_named_with_its_line(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    lines = lines_of(path)
    lines[2] = lines[2].replace('"type":"Note"', '"type":"NoSuchEventHappened"')
    write_lines(path, lines)
    expect_log_error(path, f"{path}:3", "unknown event type 'NoSuchEventHappened'")


def test_events_out_of_sequence_are_refused_at_the_first_misplaced_line(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    lines = lines_of(path)
    lines[2], lines[3] = lines[3], lines[2]
    write_lines(path, lines)
    expect_log_error(path, f"{path}:3", "seq 2 where 1 was expected")


def test_data_after_the_footer_is_refused(saved: tuple[Kernel, Path, str]) -> None:
    _, path, _ = saved
    write_lines(path, [*lines_of(path), '{"seq":4}\n'])
    expect_log_error(path, f"{path}:{FOOTER_LINE + 1}", "after the footer")


# --- writing --------------------------------------------------------------------------------------------

def test_write_log_refuses_to_overwrite_an_existing_file_and_leaves_it_untouched(tmp_path: Path) -> None:
    path = tmp_path / "precious.jsonl"
    path.write_bytes(b"the user's own notes\n")
    kernel = a_small_run()
    with pytest.raises(SimError, match="--force") as info:
        write_log(path, HEADER, kernel.log.events, kernel.choices.tape)
    assert str(path) in str(info.value)
    assert path.read_bytes() == b"the user's own notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.jsonl"]


def test_write_log_overwrites_an_existing_file_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_bytes(b"stale\n")
    kernel = a_small_run()
    digest = write_log(path, HEADER, kernel.log.events, kernel.choices.tape, overwrite=True)
    assert read_log(path).digest == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.jsonl"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the leaked handle, until fixed
def test_a_write_that_fails_midway_leaves_no_partial_file_behind(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    events = [RunStarted(0, 0.0, "driver", scenario="x", seed=1), LogfileTestUnwritable(1, 0.0, "driver",
                                                                                       value=float("nan"))]
    with pytest.raises(ValueError):
        write_log(path, HEADER, events)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_log_file_error_is_a_sim_error() -> None:
    assert issubclass(LogFileError, SimError)


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (lambda line: line.replace('"text":', '"txt":'),
         "event Note: missing fields ['text'], unexpected fields ['txt']"),
        (lambda line: line.replace('"type":"Note"', '"type":["Note"]'), "unknown event type ['Note']"),
        (lambda line: '["seq", 1]' + line[len(line.rstrip("\n")):], "not a JSON object"),
        (lambda line: line.replace('"type":"Note"', '"type":"Note","footer":false'), "unexpected fields ['footer']"),
    ],
    ids=["a-field-renamed", "a-type-that-is-a-list", "an-array", "one-key-too-many"],
)
def test_an_edited_event_line_is_refused_with_what_is_wrong_in_it(saved: tuple[Kernel, Path, str],
                                                                   edit: Callable[[str], str], complaint: str) -> None:
    """The reader decodes a well-formed event without checking its keys first: every other line still gets the
    message that names what is wrong, at its line."""
    _, path, _ = saved
    lines = lines_of(path)
    lines[2] = edit(lines[2])
    write_lines(path, lines)
    expect_log_error(path, f"{path}:3", complaint)


def test_a_fresh_process_reads_and_replays_a_saved_run_into_every_projection(tmp_path: Path) -> None:
    """A library user reads a saved log in a new interpreter, without going through the CLI or the runner:
    every event type is known and every projection is folded. (It used to refuse the log the same version
    wrote — "unknown event type 'ManagerStarted'" — because only the runner's imports registered them.)"""
    path = tmp_path / "lifecycle-aap.jsonl"
    result = run_scenario("lifecycle-aap", seed=1, log_path=str(path))
    code = ("import sys\n"
            "from sim.kernel.logfile import read_log\n"
            "from sim.kernel.projection import replay_stream\n"
            "saved = read_log(sys.argv[1])\n"
            "streamed = replay_stream(sys.argv[1])\n"
            "print(len(saved.events), streamed.events, ' '.join(sorted(streamed.projections)))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])  # this checkout's `sim`, not another install
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(len(result.events))] * 2 + ["aap", "cloud", "instances", "kube", "run"]
