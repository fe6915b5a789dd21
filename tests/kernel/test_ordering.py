"""Events due at the same instant are ordered by the choice source, not always first-in-first-out."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from sim.kernel.choice import SeededChoiceSource
from sim.kernel.ordering import STRATEGIES, OrderedEnvironment, Strategy


def _race(env: simpy.Environment, n: int = 4) -> list[str]:
    """n processes that all wake at t=1; returns who went first, second, ..."""
    order: list[str] = []

    def proc(name: str) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(1.0)
        order.append(name)

    for i in range(n):
        env.process(proc(f"p{i}"))
    env.run()
    return order


def test_plain_simpy_always_resolves_a_tie_first_in_first_out() -> None:
    assert _race(simpy.Environment()) == ["p0", "p1", "p2", "p3"]
    assert _race(OrderedEnvironment(SeededChoiceSource(1), "fifo")) == ["p0", "p1", "p2", "p3"]


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_ordering_strategies_reach_other_interleavings_across_seeds(strategy: Strategy) -> None:
    seen = {tuple(_race(OrderedEnvironment(SeededChoiceSource(seed), strategy))) for seed in range(40)}
    assert len(seen) > 1
    assert all(sorted(order) == ["p0", "p1", "p2", "p3"] for order in seen)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_same_seed_gives_the_same_interleaving(strategy: Strategy) -> None:
    first = _race(OrderedEnvironment(SeededChoiceSource(9), strategy))
    assert _race(OrderedEnvironment(SeededChoiceSource(9), strategy)) == first


def test_every_tie_decision_is_a_logged_choice() -> None:
    choices = SeededChoiceSource(3)
    env = OrderedEnvironment(choices, "random")
    _race(env)
    assert env.decisions >= 1
    assert any(c.stream == "order" for c in choices.tape)
