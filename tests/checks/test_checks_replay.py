"""Checkers read nothing but events: a saved log gives the live verdicts; plus the registry, determinism and reports."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import simpy
from check_stories import run_world

from models.events import Note
from models.jobs import JobType
from sim.backends.config import BackendConfig
from sim.checks import ALL_PROPERTY_IDS, CheckRun, check_deterministic, explain_events, format_violation, property_ids
from sim.kernel.choice import SeededChoiceSource
from sim.kernel.logfile import LogHeader, digest_of, read_log, write_log
from sim.world import World, WorldConfig


def busy_eda_story(w: World) -> Generator[simpy.Event, Any, None]:
    """Duplicated deliveries (one of the two delete playbooks fails), a spec edit: several properties broken."""
    w.fail_next_job(JobType.DEPROVISION)
    yield from w.create_instance("vm-1")
    yield from w.create_instance("vm-2")
    yield w.env.timeout(150)
    yield from w.edit_spec("vm-2", template_parameters='{"cpu": 2}')
    yield w.env.timeout(50)
    yield from w.delete_instance("vm-1")


def test_every_property_id_is_registered_except_the_determinism_self_check() -> None:
    assert len(ALL_PROPERTY_IDS) == 13 == len(set(ALL_PROPERTY_IDS))
    assert sorted(ALL_PROPERTY_IDS) == sorted([*property_ids(), "deterministic"])


def test_a_saved_log_replays_to_the_same_verdicts(tmp_path: Path) -> None:
    world, live = run_world(busy_eda_story, provider="eda", until=1500.0,
                            backends=BackendConfig(eda_duplicate_rate=1.0))
    assert {v.property for v in live} == {"one-active-provision", "one-deprovision", "jobs-recorded",
                                          "provisioning-converges"}
    path = tmp_path / "run.jsonl"
    write_log(path, LogHeader(seed=1), world.kernel.log.events)
    saved = read_log(path)
    replayed = CheckRun()
    replayed.feed(saved.events)
    assert replayed.finish(1500.0) == live


def test_the_determinism_self_check_compares_digests() -> None:
    assert check_deterministic(lambda: ("abc", "abc")) is None
    v = check_deterministic(lambda: ("a" * 64, "b" * 64))
    assert v is not None and v.property == "deterministic" and v.subject == "" and "aaaaaaaaaaaaaaaa" in v.explanation


def test_the_same_seed_twice_gives_the_same_digest() -> None:
    def once() -> str:
        world = World(WorldConfig(), SeededChoiceSource(3))
        world.start()
        world.spawn(busy_eda_story(world))
        world.run(400.0)
        return digest_of(world.kernel.log.events)

    assert check_deterministic(lambda: (once(), once())) is None


def test_a_violation_explains_itself_with_its_decisive_events() -> None:
    world, violations = run_world(busy_eda_story, provider="eda", until=1500.0, ids=["one-active-provision"],
                                  backends=BackendConfig(eda_duplicate_rate=1.0))
    v = violations[0]
    events = explain_events(v, world.kernel.log.events)
    assert [e.seq for e in events] == list(v.events)
    assert {type(e).__name__ for e in events} == {"AapJobLaunched", "EdaRuleFired"}
    assert explain_events(v, list(reversed(world.kernel.log.events))) == events  # also without seq indexing
    text = format_violation(v, world.kernel.log.events)
    assert text.startswith(f"[one-active-provision] t={v.t:.2f} cloudkit-computeinstance/vm-")
    assert text.count("AapJobLaunched(job_id=") == 2


def test_events_no_checker_follows_change_nothing() -> None:
    run = CheckRun()
    run.feed([Note(0, 0.0, "test", "hello"), Note(1, 1.0, "test", "again")])
    assert run.finish(5000.0) == []
