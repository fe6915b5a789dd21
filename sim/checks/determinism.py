"""The `deterministic` self-check: the same run twice must give the same log digest."""

from __future__ import annotations

from collections.abc import Callable

from sim.checks.base import Violation

PROPERTY_ID = "deterministic"


def check_deterministic(run_twice: Callable[[], tuple[str, str]]) -> Violation | None:
    """Run the same seed twice through `run_twice` (it returns both log digests); a difference is a violation.

    Not an event checker: one log cannot tell whether another run of it would differ. The violation has
    no subject and no events; its time is 0.
    """
    first, second = run_twice()
    if first == second:
        return None
    return Violation(PROPERTY_ID, 0.0, "", (
        f"The same scenario, seed and choices gave two different event logs (digest {first[:16]}… then "
        f"{second[:16]}…): something in the simulator or the controller depends on the wall clock, on unseeded "
        "randomness, or on the iteration order of a set or dict of strings, so no failure it shows can be "
        "replayed. Compare the two logs line by line to find the first event that differs."))
