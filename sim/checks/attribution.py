"""Environment attribution: violations caused by an EDA fault, or by AAP destroying information, not by the controller.

EDA may act twice on one accepted POST (a duplicated delivery: `EdaRuleFired` with `copy > 1`) or never
(a lost delivery: `WebhookLost` after the POST was answered 200). The operator sent one webhook and can
see neither: a second job it never heard of, or no job at all. Whatever the controller does, such a
delivery can break `one-active-provision`, `one-deprovision`, `jobs-recorded` (the copy's job) and the
liveness properties (nothing ever ran). The property is still reported; the violation is marked
`environment=True` so a campaign can tell it from a controller bug.

A violation is attributed to the environment when

- its triggering events include a duplicated rule firing, or the launch of a job that a duplicated
  firing started (the firing is then added to its events, so its signature names it); or
- it is a `provisioning-converges` or `deletion-completes` violation (what a delivery that never acted
  leaves: nothing ran) of an instance whose latest EDA delivery before it was lost (the loss is added to
  its events: those checkers report what is still pending, not the delivery that never acted); or
- its checker reported it as the environment's (`Checker.violate(..., environment_causes=...)`), having seen
  that AAP destroyed what any controller needed to know before it could reach one
  (`sim.checks.unlearnable`): `jobs-recorded` for a job whose existence was lost (the answer to its API
  launch, or to the webhook POST whose delivery launched it, was lost, or the process that learned of it
  crashed before any status write went through) and that was purged, or whose instance was removed, before it
  could be looked up again, while the operator asked in vain or could not ask (its process was down, or the
  instance was left `manual` or `unmanaged`); `one-deprovision` for a second delete launch after such a first
  one; `job-state-recorded` for a job purged before any answer showed its end, or whose end was shown only to
  processes that crashed before any status write of the instance went through (see `sim.checks.recording`).
  The checker adds the events that show it (the lost answer, the purge or removal) and says in its
  explanation why no controller could have known.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from models.events import Event
from sim.backends.aap import AapJobLaunched
from sim.backends.eda import EdaRuleFired, WebhookLost, WebhookReceived
from sim.checks.base import EventHandler, Violation

__all__ = ["ENVIRONMENT_EVENTS", "LOST_DELIVERY_PROPERTIES", "EnvironmentFaults"]

ENVIRONMENT_EVENTS: tuple[type[Event], ...] = (AapJobLaunched, EdaRuleFired, WebhookReceived, WebhookLost)
LOST_DELIVERY_PROPERTIES = frozenset({"provisioning-converges", "deletion-completes"})
DUPLICATED_OUTCOME = "duplicated"  # a `WebhookReceived` outcome naming a delivery the network duplicated


class EnvironmentFaults:
    """Sees the EDA deliveries and the jobs they launched; marks violations the environment caused."""

    def __init__(self, lost_delivery_properties: Iterable[str] = LOST_DELIVERY_PROPERTIES) -> None:
        self.lost_delivery_properties = frozenset(lost_delivery_properties)
        self._launch_seq: dict[int, int] = {}  # AAP job id → its AapJobLaunched seq
        self._duplicated: dict[int, int] = {}  # seq of a duplicated job's launch (or firing) → the firing's seq
        self._delivery_subject: dict[int, str] = {}  # delivery → "namespace/name"
        self._deliveries: dict[str, list[tuple[float, int, int | None]]] = {}  # subject → (t, delivery, lost seq)

    def handlers_for(self, cls: type[Event]) -> tuple[EventHandler, ...]:
        handlers: dict[type[Event], EventHandler] = {AapJobLaunched: self.launched, EdaRuleFired: self.fired,
                                                      WebhookReceived: self.received, WebhookLost: self.lost}
        handler = handlers.get(cls)
        return () if handler is None else (handler,)

    def launched(self, e: AapJobLaunched) -> None:
        self._launch_seq[e.job_id] = e.seq

    def fired(self, e: EdaRuleFired) -> None:
        if e.copy > 1:
            self._duplicated[e.seq] = e.seq
            launch = self._launch_seq.get(e.job_id)
            if launch is not None:
                self._duplicated[launch] = e.seq

    def received(self, e: WebhookReceived) -> None:
        subject = f"{e.instance_namespace}/{e.instance_name}"
        self._delivery_subject[e.delivery] = subject
        if e.outcome == DUPLICATED_OUTCOME:
            self._duplicated[e.seq] = e.seq
        if e.outcome in ("accepted", "timeout_accepted"):
            self._deliveries.setdefault(subject, []).append((e.t, e.delivery, None))

    def lost(self, e: WebhookLost) -> None:
        subject = self._delivery_subject.get(e.delivery)
        deliveries = self._deliveries.get(subject or "", [])
        for i, (t, delivery, _) in enumerate(deliveries):
            if delivery == e.delivery:
                deliveries[i] = (t, delivery, e.seq)

    def attribute(self, v: Violation) -> Violation:
        """`v`, marked (and its events completed) if an EDA delivery fault caused it; else `v` unchanged."""
        causes = {self._duplicated[seq] for seq in v.events if seq in self._duplicated}
        if not causes and v.property in self.lost_delivery_properties:
            before = [lost for t, _, lost in self._deliveries.get(v.subject, []) if t <= v.t]
            if before and before[-1] is not None:
                causes.add(before[-1])
        if not causes:
            return v
        return dataclasses.replace(v, events=tuple(sorted(set(v.events) | causes)), environment=True)
