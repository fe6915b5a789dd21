"""What the log recorded stays as it was: no reader of a stored object changes it afterwards.

The API server hands out the stored object itself to callers that promise only to read it (`read_only` on
reads and on writes whose answer is dropped), the informer cache holds it, the owner mapper remembers it,
and the `ObjectStored` event carries it. The run's digest is taken as each event is recorded; hashing the
same events again after the whole run gives the same digest only if none of them (nor any object they carry)
changed since.
"""

from __future__ import annotations

import pytest

from sim.explore.swarm import generate
from sim.kernel.logfile import digest_of
from sim.runner import run_scenario
from sim.scenarios.loader import builtin_names


@pytest.mark.parametrize("controller", ["reference", "hardened"])
@pytest.mark.parametrize("name", builtin_names())
def test_every_event_of_a_built_in_scenario_is_as_it_was_recorded(name: str, controller: str) -> None:
    result = run_scenario(name, seed=1, controller=controller)
    assert digest_of(result.events) == result.digest


@pytest.mark.parametrize("seed", range(1, 9))
def test_every_event_of_a_swarm_run_is_as_it_was_recorded(seed: int) -> None:
    result = run_scenario(generate(seed, "all"), seed=seed, controller="reference")
    assert digest_of(result.events) == result.digest
