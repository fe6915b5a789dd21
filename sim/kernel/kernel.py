"""The kernel of one run: the simpy environment (the only clock), the event log and the choice source."""

from __future__ import annotations

from typing import Any, TypeVar

import simpy

from models.events import Event
from models.frozen import builder
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
        event = builder(cls)(self.log.count, float(self.env.now), actor, **fields)
        self.log.append(event)
        return event
