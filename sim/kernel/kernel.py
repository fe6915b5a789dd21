"""The kernel of one run: the simpy environment (the only clock), the event log and the choice source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import simpy

from models.events import Event
from models.frozen import _BUILDERS, builder
from sim.kernel.choice import ChoiceSource
from sim.kernel.log import EventLog

E = TypeVar("E", bound=Event)


class Kernel:
    """What every actor of a run shares: `env` (simulated time), `log` (what happened), `choices` (what varies)."""

    def __init__(self, choices: ChoiceSource, *, keep_events: bool = True,
                 env: simpy.Environment | None = None) -> None:
        self.env = env if env is not None else simpy.Environment()
        self.log = EventLog(keep=keep_events)
        self.choices = choices

    @property
    def now(self) -> float:
        return float(self.env.now)

    def record(self, cls: type[E], actor: str, **fields: Any) -> E:
        """Build the event `cls` stamped with the next sequence number, now and `actor`, and append it."""
        # `EventLog.append` inlined (every event of a run passes here): the sequence number is the log's
        # count, so the event is built with it and the log advanced without the check `append` makes.
        log = self.log
        build: Callable[..., E] = _BUILDERS.get(cls) or builder(cls)
        seq = log.count
        event = build(seq, float(self.env._now), actor, **fields)
        log.count = seq + 1
        if log.keep:
            log.events.append(event)
        handlers = log._dispatch.get(cls)
        if handlers is None:
            handlers = log._handlers(cls)
        for h in handlers:
            h(event)
        return event
