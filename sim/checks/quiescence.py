"""When a liveness property may be judged: the world and the instance have been quiet long enough.

A liveness checker judges an instance only once it had its chance to converge. Its chance starts at the
latest of: the last user action (`UserActed`, `heal` included; a conflict storm or lag spike counts until
it ends), the last operator start (`ManagerStarted`), the moment an error back-off of the instance's
work-queue key comes due, the instance's own relevant change (passed by the checker), and the end of the
last AAP job of the instance. From there the run must go on for `quiet_s` = 3 × the status poll interval
+ 30 s (120 s with the reference's 30-s interval): one poll to notice a job's end, one to launch what
follows, one lost requeue, and 30 s for an EDA launch delay, a webhook or AAP request timeout, or an
operator restart.

While an AAP job of the instance is still active, the instance is not quiet; a job active for longer than
`job_bound_s` (900 s: a create playbook's 600-s wait for VM Ready, which a cancel cannot interrupt, plus
300 s for queueing, the other steps and a whole delete playbook) counts as stuck, and the instance is
judged `quiet_s` after that bound. Nothing is judged while the operator process is down at the end of the
run. A run that injects faults must call `heal` when its fault phase ends; a run that never heals is
judged as if it had been healthy after its last user action.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from models.events import Event, UserActed
from models.jobs import DEFAULT_MAX_JOB_HISTORY
from sim.checks.common import Handler, Key, Routed
from sim.checks.tracking import BackendJob
from sim.kube.runtime_events import KeyEnqueued, ManagerCrashed, ManagerStarted

DEFAULT_POLL_INTERVAL_S = 30.0  # the reference StatusPollInterval (§12)
JOB_BOUND_S = 900.0  # an AAP job active longer than this is stuck (see the module docstring)
POLLS_NEEDED = 3
SLACK_S = 30.0  # EDA launch delay, request timeouts, an operator restart
_BACKOFF_REASONS = frozenset({"rate_limited", "requeue"})


def _setting(config: Mapping[str, Any], name: str) -> Any:
    """A reconciler setting from ManagerStarted's config: `reconciler.<name>` or `<name>`, else None."""
    value = config.get(f"reconciler.{name}", config.get(name))
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


class Quiescence(Routed):
    """Folds the events that decide whether the world had time to converge, and the operator's settings."""

    def __init__(self, job_bound_s: float = JOB_BOUND_S) -> None:
        self.job_bound_s = job_bound_s
        self.settle_t = 0.0
        self.heal_t: float | None = None
        self.poll_interval_s = DEFAULT_POLL_INTERVAL_S
        self.max_job_history = DEFAULT_MAX_JOB_HISTORY
        self.running: dict[str, bool] = {}  # manager name -> alive
        self.down: list[tuple[float, float, int]] = []  # (crashed, started again, crash seq) per outage, oldest first
        self.backoff_due: dict[Key, float] = {}

    def routes(self) -> Iterable[tuple[type[Event], Handler]]:
        return ((UserActed, self.acted), (ManagerStarted, self.started), (ManagerCrashed, self.crashed),
                (KeyEnqueued, self.enqueued))

    # -- folding -----------------------------------------------------------------------------------
    def acted(self, e: UserActed) -> None:
        duration = e.params.get("duration_s", 0.0) if isinstance(e.params, Mapping) else 0.0
        extra = float(duration) if isinstance(duration, int | float) and not isinstance(duration, bool) else 0.0
        self.settle_t = max(self.settle_t, e.t + max(extra, 0.0))
        if e.verb == "heal":
            self.heal_t = e.t

    def started(self, e: ManagerStarted) -> None:
        if self.running.get(e.manager) is False:
            self.down[-1] = (self.down[-1][0], e.t, self.down[-1][2])
        self.running[e.manager] = True
        self.settle_t = max(self.settle_t, e.t)
        self.backoff_due.clear()  # a new process has a new, empty queue
        poll = _setting(e.config, "status_poll_interval_s")
        if poll is not None:
            self.poll_interval_s = float(poll) if poll > 0 else DEFAULT_POLL_INTERVAL_S
        history = _setting(e.config, "max_job_history")
        if history is not None and int(history) >= 1:
            self.max_job_history = int(history)

    def crashed(self, e: ManagerCrashed) -> None:
        self.running[e.manager] = False
        self.down.append((e.t, math.inf, e.seq))

    def enqueued(self, e: KeyEnqueued) -> None:
        if e.reason in _BACKOFF_REASONS:
            key = (e.namespace, e.name)
            due = e.t + e.delay_s
            if due > self.backoff_due.get(key, 0.0):
                self.backoff_due[key] = due

    # -- judging -----------------------------------------------------------------------------------
    @property
    def quiet_s(self) -> float:
        return POLLS_NEEDED * self.poll_interval_s + SLACK_S

    @property
    def operator_running(self) -> bool:
        """True unless an operator process is down (a log without ManagerStarted counts as running)."""
        return all(self.running.values())

    def chance_t(self, key: Key, *times: float | None, jobs: Sequence[BackendJob] = ()) -> float:
        """The moment from which `key` had its chance: settled, back-off due, `times` and its AAP jobs over."""
        chance = max(self.settle_t, self.backoff_due.get(key, 0.0), *(t for t in times if t is not None))
        for job in jobs:
            if job.end_t is not None:
                chance = max(chance, job.end_t)
            elif job.active:
                chance = max(chance, job.launch_t + self.job_bound_s)
        return chance

    def judged(self, key: Key, end_t: float, *times: float | None, jobs: Sequence[BackendJob] = ()) -> bool:
        """Whether a run ending at `end_t` gave `key` its chance and `quiet_s` more."""
        return self.operator_running and end_t >= self.chance_t(key, *times, jobs=jobs) + self.quiet_s

    def up_time(self, start_t: float, end_t: float, off: Iterable[tuple[float, float]] = ()) -> float:
        """How long an operator process ran between two times, outages and the `off` spans (which may overlap them)
        subtracted."""
        spans = sorted([*((down_t, up_t) for down_t, up_t, _ in self.down), *off])
        blocked, reach = 0.0, start_t  # `reach`: where the blocked time counted so far ends
        for span_start, span_end in spans:
            begin, end = max(span_start, reach), min(span_end, end_t)
            if end > begin:
                blocked += end - begin
                reach = end
        return max(0.0, end_t - start_t - blocked)

    def crash_after(self, t: float) -> tuple[float, int] | None:
        """The first operator crash at or after `t`: its time and seq."""
        return next(((down_t, seq) for down_t, _, seq in self.down if down_t >= t), None)

    def since(self) -> str:
        """How violations name the judging bound."""
        healed = f"healed at t={self.heal_t:.2f}, " if self.heal_t is not None else ""
        return f"{healed}quiet for at least {self.quiet_s:g} s"
