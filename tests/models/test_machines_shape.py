"""Shape tests for the state-machine definitions, their compiled tables and their DOT rendering."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import pytest
from transitions import MachineError  # type: ignore[import-untyped, unused-ignore]

from models.machines import (
    AAP_JOB,
    ALL_MACHINES,
    CR_OBJECT,
    INSTANCE_PHASE,
    JOB_RECORD,
    VM,
    CompiledMachine,
    IllegalTransition,
    MachineDef,
    TransitionDef,
    build_machine,
    compiled,
    machine_dot,
)

# Number of (state, trigger) pairs per machine: an edit to a machine must show up here.
PINNED_PAIR_COUNTS = {
    "aap_job": 16,
    "cr_object": 6,
    "vm": 6,
    "job_record": 31,
    "instance_phase": 18,
}

# Triggers allowed to leave a terminal state, per machine (documented in AAP_JOB.doc).
TERMINAL_EXITS = {"aap_job": {"purge"}}

machines = pytest.mark.parametrize("defn", ALL_MACHINES, ids=[m.name for m in ALL_MACHINES])


def _reachable(cm: CompiledMachine, start: str) -> set[str]:
    seen = {start}
    todo = deque([start])
    while todo:
        state = todo.popleft()
        for trigger in cm.exits[state]:
            dest = cm.table[(state, trigger)]
            if dest not in seen:
                seen.add(dest)
                todo.append(dest)
    return seen


def test_every_machine_has_a_pinned_pair_count() -> None:
    assert sorted(PINNED_PAIR_COUNTS) == sorted(m.name for m in ALL_MACHINES)


@machines
def test_pair_count_is_pinned(defn: MachineDef) -> None:
    count = len(compiled(defn).pairs())
    assert count == PINNED_PAIR_COUNTS[defn.name], (
        f"machine {defn.name} has {count} (state, trigger) pairs, pinned "
        f"{PINNED_PAIR_COUNTS[defn.name]}: update the pinned count if the change to the machine was intended"
    )


@machines
def test_every_state_is_reachable_from_initial(defn: MachineDef) -> None:
    cm = compiled(defn)
    unreachable = [s for s in defn.states if s not in _reachable(cm, defn.initial)]
    assert unreachable == [], f"{defn.name}: unreachable states {unreachable}"


@machines
def test_terminal_states_have_no_exits_but_the_documented_ones(defn: MachineDef) -> None:
    cm = compiled(defn)
    allowed = TERMINAL_EXITS.get(defn.name, set())
    for state in defn.terminals:
        assert set(cm.exits[state]) <= allowed, f"{defn.name}: terminal {state} exits via {cm.exits[state]}"


@machines
def test_there_is_an_absorbing_terminal_and_every_absorbing_state_is_terminal(defn: MachineDef) -> None:
    cm = compiled(defn)
    assert cm.absorbing, f"{defn.name} has no absorbing state"
    assert set(cm.absorbing) <= set(defn.terminals)


def test_aap_job_terminals_leave_only_by_purge_into_absorbing_purged() -> None:
    cm = compiled(AAP_JOB)
    for state in ("successful", "failed", "error", "canceled"):
        assert cm.exits[state] == ("purge",)
        assert cm.fire(state, "purge") == "purged"
    assert cm.absorbing == ("purged",)
    for state in ("new", "pending", "waiting", "running"):
        assert "purge" not in cm.exits[state]


@machines
def test_every_non_absorbing_state_can_reach_an_end(defn: MachineDef) -> None:
    cm = compiled(defn)
    ends = set(defn.terminals) | set(cm.absorbing)
    for state in defn.states:
        assert _reachable(cm, state) & ends, f"{defn.name}: {state} cannot reach a terminal state"


@machines
def test_fire_raises_illegal_transition_naming_the_machine(defn: MachineDef) -> None:
    cm = compiled(defn)
    state = cm.absorbing[0]
    trigger = defn.transitions[0].trigger
    with pytest.raises(IllegalTransition, match=defn.name) as info:
        cm.fire(state, trigger)
    assert info.value.state == state
    assert info.value.trigger == trigger
    assert info.value.allowed == ()
    with pytest.raises(IllegalTransition, match="triggers allowed there: cancel, enqueue"):
        compiled(AAP_JOB).fire("new", "start")


@machines
def test_compiled_table_agrees_with_transitions_for_every_state_and_trigger(defn: MachineDef) -> None:
    machine = build_machine(defn)
    cm = compiled(defn)
    triggers = sorted({t.trigger for t in defn.transitions})
    for state in defn.states:
        for trigger in triggers:
            model = SimpleNamespace()
            machine.add_model(model, initial=state)
            try:
                try:
                    model.trigger(trigger)
                except MachineError:
                    expected: str | None = None
                else:
                    expected = model.state
            finally:
                machine.remove_model(model)
            actual = cm.table.get((state, trigger))
            assert actual == expected, (
                f"{defn.name}: ({state}, {trigger}) -> {actual}, transitions says {expected}"
            )
            if expected is None:
                with pytest.raises(IllegalTransition):
                    cm.fire(state, trigger)
            else:
                assert cm.fire(state, trigger) == expected
                assert cm.trigger_for(state, expected) == trigger
                assert cm.allows(state, expected)
    assert machine.models == []


def test_machine_is_built_once_per_definition_and_compiled_by_name_or_definition() -> None:
    assert build_machine(VM) is build_machine(VM)
    assert compiled("vm") is compiled(VM)
    with pytest.raises(KeyError, match="known machines"):
        compiled("no_such_machine")


def test_definitions_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown state"):
        MachineDef("x", "X", "monitor", ("a",), "a", (), (TransitionDef("go", "a", "b"),), "")
    with pytest.raises(ValueError, match="must be a function"):
        MachineDef(
            "x", "X", "monitor", ("a", "b", "c"), "a", (),
            (TransitionDef("go", "a", "b"), TransitionDef("go", "a", "c")), "",
        )  # fmt: skip


def test_job_record_monitor_edges_follow_the_semantics() -> None:
    cm = compiled(JOB_RECORD)
    assert not cm.allows("Succeeded", "Unknown")  # §8: terminal states are absorbing
    assert not cm.allows("Canceled", "Running")
    assert not cm.allows("Failed", "Succeeded")
    assert not cm.allows("Succeeded", "Succeeded")  # unchanged writes are skipped, not transitions
    assert cm.allows("none", "Failed")  # a failed trigger is recorded Failed from the start (§5)
    assert cm.allows("none", "Running")  # EDA jobs start Running (§10.3)
    assert cm.allows("Running", "Unknown")  # provider switch to EDA (§12.1)
    assert cm.allows("Unknown", "Canceled")
    assert cm.trigger_for("Running", "Canceled") == "record_Canceled"
    assert cm.trigger_for("Canceled", "Running") is None


def test_instance_phase_monitor_edges_follow_the_semantics() -> None:
    cm = compiled(INSTANCE_PHASE)
    assert not cm.allows("Deleting", "Running")  # §6: deletionTimestamp is never unset
    assert not cm.allows("Deleting", "Starting")
    assert not cm.allows("Gone", "Starting")
    assert cm.allows("Failed", "Starting")  # §2.3: every update-reconcile starts with Starting
    assert cm.allows("Running", "Failed")  # spec change, old terminal job polled in one reconcile
    assert cm.allows("none", "Running")
    assert cm.allows("Running", "Gone")  # removed before Deleting was persisted (§6 step 4)
    assert cm.exits["Deleting"] == ("remove",)


def test_cr_object_follows_the_finalizer_rules() -> None:
    cm = compiled(CR_OBJECT)
    assert cm.fire("live", "delete") == "terminating"
    assert cm.fire("live", "delete_without_finalizers") == "gone"
    assert cm.fire("terminating", "finalizers_emptied") == "gone"
    assert cm.fire("terminating", "update") == "terminating"
    with pytest.raises(IllegalTransition):
        cm.fire("terminating", "delete_without_finalizers")


@machines
def test_dot_mentions_every_state_and_trigger_and_marks_ends(defn: MachineDef) -> None:
    dot = machine_dot(defn)
    assert dot == machine_dot(defn)
    assert dot.startswith(f"digraph {defn.name} {{")
    assert "rankdir=LR" in dot
    assert f'label="{defn.title}"' in dot
    assert f'__start__ -> "{defn.initial}";' in dot
    for state in defn.states:
        assert f'"{state}" [shape=' in dot
    for state in defn.terminals:
        assert f'"{state}" [shape=doublecircle];' in dot
    for t in defn.transitions:
        assert f'"{t.source}" -> "{t.dest}" [label="{t.trigger}"];' in dot
    assert "cluster_legend" not in dot


def test_dot_with_coverage_has_legend_buckets_and_dashes_uncovered_edges() -> None:
    coverage = {
        ("new", "enqueue"): 1,
        ("pending", "wait"): 5,
        ("waiting", "start"): 50,
        ("running", "succeed"): 500,
    }
    dot = machine_dot(AAP_JOB, coverage)
    assert "subgraph cluster_legend" in dot
    assert "never taken" in dot
    assert '"running" -> "failed" [label="fail (0)", color="grey60", fontcolor="grey60", style=dashed' in dot
    assert '"new" -> "pending" [label="enqueue (1)", color="#9ecae1"' in dot
    assert '"pending" -> "waiting" [label="wait (5)", color="#4292c6"' in dot
    assert '"waiting" -> "running" [label="start (50)", color="#2171b5"' in dot
    assert '"running" -> "successful" [label="succeed (500)", color="#08306b"' in dot
    assert machine_dot(AAP_JOB, dict(reversed(list(coverage.items())))) == dot
    with pytest.raises(ValueError, match="lacks"):
        machine_dot(AAP_JOB, {("purged", "purge"): 1})


def test_dot_is_identical_in_a_fresh_process() -> None:
    code = (
        "import sys; from models.machines import ALL_MACHINES, machine_dot, compiled\n"
        "sys.stdout.write(''.join(machine_dot(m) + machine_dot(m, {p: 3 for p in compiled(m).pairs()[::2]})"
        " for m in ALL_MACHINES))\n"
    )
    here = "".join(
        machine_dot(m) + machine_dot(m, {p: 3 for p in compiled(m).pairs()[::2]}) for m in ALL_MACHINES
    )
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONHASHSEED": "123", "PYTHONPATH": root}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=root
    ).stdout
    assert other == here
