"""How long the operator could act: its process ran, and the user did not keep its hands off the instance."""

from __future__ import annotations

from check_stories import Log

from sim.checks.quiescence import Quiescence


def test_time_hands_off_while_the_operator_was_down_is_not_subtracted_twice() -> None:
    """Down from 1 to 30, vm-1 unmanaged from 10 to 30: between 0 and 65 the operator could act for 36 s."""
    log = Log()
    quiet = Quiescence()
    for event in (log.manager_started(t=0.0), log.manager_crashed(t=1.0), log.manager_started(t=30.0)):
        for cls, handler in quiet.routes():
            if isinstance(event, cls):
                handler(event)
    assert quiet.up_time(0.0, 65.0) == 36.0
    assert quiet.up_time(0.0, 65.0, [(10.0, 30.0)]) == 36.0
    assert quiet.up_time(0.0, 65.0, [(10.0, 40.0), (35.0, 50.0)]) == 16.0
    assert quiet.up_time(40.0, 65.0, [(50.0, float("inf"))]) == 10.0
