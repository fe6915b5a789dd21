"""Bounded exhaustive exploration: the enumerator visits every branch of the first D choice points once, and
exploring a tiny scenario terminates having covered more than one execution."""

from __future__ import annotations

from sim.explore.exhaustive import ExhaustiveChoiceSource, explore, options_for
from sim.kernel.choice import Domain
from sim.scenarios.loader import load_scenario


def _leaves(depth: int) -> list[tuple[object, ...]]:
    """Enumerate a toy program: a bool, an int in [0, 2], an int in [0, 9], a float — depth-first."""
    seen: list[tuple[object, ...]] = []
    prefix: list[int] | None = []
    while prefix is not None:
        src = ExhaustiveChoiceSource(prefix, depth)
        seen.append((src.chance("s", "fault", 0.1), src.integer("s", "tie", 0, 2), src.integer("s", "big", 0, 9),
                     src.uniform("s", "wait", 1.0, 5.0)))
        prefix = src.next_prefix()
    return seen


def test_the_abstraction_of_each_domain() -> None:
    assert options_for(Domain("bool", 0.3)) == [False, True]
    assert options_for(Domain("int", 0, 3)) == [0, 1, 2, 3]
    assert options_for(Domain("int", 0, 4)) == [0, 4]
    assert options_for(Domain("float", 0.5, 2.0)) == [0.5, 2.0]


def test_every_branch_within_the_depth_is_visited_once_and_deeper_points_take_the_first_value() -> None:
    full = _leaves(4)
    assert len(full) == 2 * 3 * 2 * 2 and len(set(full)) == len(full)
    assert full[0] == (False, 0, 0, 1.0) and full[-1] == (True, 2, 9, 5.0)
    shallow = _leaves(2)
    assert len(shallow) == 6 and all(leaf[2:] == (0, 1.0) for leaf in shallow)


def test_exploring_a_tiny_scenario_terminates_and_counts_executions_and_states() -> None:
    found = explore(load_scenario("delete-during-provision-eda"), depth=4, streams=["eda", "aap", "playbook"])
    assert found.complete and 1 < found.executions <= 2 ** 4
    assert len(found.states) >= 1 and found.signatures
    assert found.lines()[0].startswith("explore delete-during-provision-eda: depth 4, explored the whole tree")


def test_a_run_budget_stops_the_exploration_early() -> None:
    found = explore(load_scenario("provision-aap"), depth=10, max_runs=3)
    assert found.executions == 3 and not found.complete
