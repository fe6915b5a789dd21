"""The controller manager (one operator process): informer, work queue, workers, and its crash/restart lifecycle.

Each `start` is a new incarnation with an empty process memory: a new reconciler instance from the
factory, a new informer that lists every object, a new queue seeded by replaying the initial list to
the watch handlers. `crash` kills the incarnation at once — informer stopped, queue dropped, the
in-flight reconcile aborted at its next effect — while every effect it already performed stays
performed. `restart` crashes, waits the restart delay and starts again, possibly with another
reconciler factory: that is how the operator's provider is switched.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import simpy

from models.objects import KubeObject
from sim.kernel.choice import Dist
from sim.kernel.effects import Coroutine, ReconcileResult
from sim.kernel.errors import SimError
from sim.kernel.http import HttpNetwork
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiClient, ApiFaults
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.informer import CacheReader, Informer, WatchEvent
from sim.kube.runtime import ControllerRuntime, Outcome, error_text
from sim.kube.runtime_events import (
    ManagerCrashed,
    ManagerStarted,
    ReconcileAborted,
    ReconcileFinished,
    ReconcileStarted,
)
from sim.kube.workqueue import QueueKey, WorkQueue


class Reconciler(Protocol):
    """What a controller is to the manager: `reconcile(namespace, name)` is a coroutine of effects that returns a
    ReconcileResult (or None for an empty one) or raises the reconcile's error."""

    def reconcile(self, namespace: str, name: str) -> Coroutine: ...


ReconcilerFactory = Callable[[], Reconciler]
Mapper = Callable[[KubeObject, CacheReader], Sequence[QueueKey]]


@dataclass(frozen=True, slots=True)
class WatchSpec:
    """One watch of a controller: objects of `kind` passing `predicate` are mapped by `mapper` to queue keys.

    The mapper may read the cache (which already holds the changed object). For an update it is called
    on the old and on the new object, as controller-runtime's handlers are; the predicate sees the new one.
    """

    kind: str
    predicate: Callable[[KubeObject], bool]
    mapper: Mapper


@dataclass(frozen=True, slots=True)
class ManagerOptions:
    """The knobs of one controller manager."""

    max_concurrent_reconciles: int = 1  # worker processes; the reference CI controller runs one
    informer_lag: Dist = field(default_factory=lambda: Dist.uniform(0.005, 0.05))  # watch event → cache
    restart_delay_s: float = 10.0  # crash → new process listing again (pod restart + leader lease)
    error_backoff_base_s: float = 0.005  # per-item exponential back-off after an error starts here ...
    error_backoff_max_s: float = 1000.0  # ... and doubles up to this cap
    queue_qps: float = 10.0  # the rate limiter's token bucket refills this many tokens per second ...
    queue_burst: int = 100  # ... and holds at most this many

    def __post_init__(self) -> None:
        if self.max_concurrent_reconciles < 1:
            raise SimError(f"max_concurrent_reconciles = {self.max_concurrent_reconciles}",
                           rule="a controller has at least one worker", fix="use 1 (the reference value) or more")
        for name in ("restart_delay_s", "error_backoff_base_s", "error_backoff_max_s"):
            value = getattr(self, name)
            if value < 0:
                raise SimError(f"{name} = {value}", rule="durations are >= 0 seconds",
                               fix="use a non-negative number of seconds")
        if self.error_backoff_max_s < self.error_backoff_base_s:
            raise SimError(f"error_backoff_max_s = {self.error_backoff_max_s} < error_backoff_base_s = "
                           f"{self.error_backoff_base_s}", rule="the back-off cap is at least its base",
                           fix="raise error_backoff_max_s (the reference value is 1000)")
        if self.queue_qps <= 0 or self.queue_burst < 1:
            raise SimError(f"queue_qps = {self.queue_qps}, queue_burst = {self.queue_burst}",
                           rule="the token bucket needs a positive rate and a burst of at least 1",
                           fix="use the reference values 10 and 100")

    def describe(self) -> dict[str, Any]:
        """The options as JSON scalars, for ManagerStarted."""
        return {"max_concurrent_reconciles": self.max_concurrent_reconciles,
                "informer_lag": self.informer_lag.describe(), "restart_delay_s": self.restart_delay_s,
                "error_backoff_base_s": self.error_backoff_base_s, "error_backoff_max_s": self.error_backoff_max_s,
                "queue_qps": self.queue_qps, "queue_burst": self.queue_burst}


class _Incarnation:
    """One run of the manager process; `alive` turns False, once, when it crashes."""

    __slots__ = ("alive", "informer", "number", "queue", "reconciler", "runtime")

    def __init__(self, number: int, informer: Informer, queue: WorkQueue, reconciler: Reconciler,
                 make_runtime: Callable[[Callable[[], bool]], ControllerRuntime]) -> None:
        self.number, self.informer, self.queue, self.reconciler = number, informer, queue, reconciler
        self.alive = True
        self.runtime = make_runtime(lambda: self.alive)  # the runtime asks before every effect


def controller_name(reconciler: object) -> str:
    """`module:Class` of a reconciler, as `--controller` names it."""
    cls = type(reconciler)
    return f"{cls.__module__}:{cls.__qualname__}"


OPERATOR = "operator"  # the default manager name: the actor of the operator's events and writes


class ControllerManager:
    """One operator process running one controller; `watches[0]` is its primary kind (`For`)."""

    def __init__(self, kernel: Kernel, server: ApiServer, faults: ApiFaults, network: HttpNetwork | None = None, *,
                 name: str = OPERATOR, reconciler_factory: ReconcilerFactory, watches: Sequence[WatchSpec],
                 options: ManagerOptions | None = None) -> None:
        if not watches:
            raise SimError(f"manager {name} was given no watches", rule="a controller watches at least its own kind",
                           fix="pass compute_instance_watches(namespace) or a list of WatchSpec")
        self.kernel, self.server, self.network, self.name = kernel, server, network, name
        self.reconciler_factory = reconciler_factory
        self.watches = list(watches)
        self.options = options or ManagerOptions()
        self.client = ApiClient(kernel, server, name, faults)  # one connection stream for every incarnation
        self.incarnations = 0
        self._current: _Incarnation | None = None
        self._restart_token = 0
        self._spike: tuple[float, Dist] | None = None
        kernel.log.subscribe(self._observe, ObjectStored, ObjectRemoved)

    # -- what tests and fault injectors look at --------------------------------------------------
    @property
    def running(self) -> bool:
        return self._current is not None

    @property
    def informer(self) -> Informer:
        assert self._current is not None, f"manager {self.name} is not running"
        return self._current.informer

    @property
    def queue(self) -> WorkQueue:
        assert self._current is not None, f"manager {self.name} is not running"
        return self._current.queue

    @property
    def reconciler(self) -> Reconciler:
        assert self._current is not None, f"manager {self.name} is not running"
        return self._current.reconciler

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start a new incarnation: fresh reconciler, informer (initial list) and queue, then the workers."""
        assert self._current is None, f"manager {self.name} is already running"
        k, opts = self.kernel, self.options
        self.incarnations += 1
        reconciler = self.reconciler_factory()
        config = opts.describe()
        describe = getattr(reconciler, "describe", None)
        if callable(describe):
            config.update({f"reconciler.{key}": value for key, value in sorted(describe().items())})
        k.record(ManagerStarted, self.name, manager=self.name, incarnation=self.incarnations,
                 controller=controller_name(reconciler), config=config)
        informer = Informer(k, self.server, self.name, opts.informer_lag, incarnation=self.incarnations)
        if self._spike is not None and self._spike[0] > k.now:
            informer.lag_spike(*self._spike)
        queue = WorkQueue(k, self.name, base_delay_s=opts.error_backoff_base_s, max_delay_s=opts.error_backoff_max_s,
                          qps=opts.queue_qps, burst=opts.queue_burst)
        inc = _Incarnation(self.incarnations, informer, queue, reconciler,
                           lambda alive: ControllerRuntime(k, self.name, informer, self.client, self.network, alive))
        self._current = inc
        for watch in self.watches:
            informer.add_handler(watch.kind, self._handler(watch, inc))
        informer.start(subscribe=False)
        for worker in range(opts.max_concurrent_reconciles):
            k.env.process(self._worker(inc, worker))

    def crash(self) -> None:
        """The process dies now; a no-op if it is not running."""
        inc = self._current
        if inc is None:
            return
        inc.alive = False
        self._current = None
        inc.informer.stop()
        inc.queue.shut_down()
        self.kernel.record(ManagerCrashed, self.name, manager=self.name, incarnation=inc.number)

    def restart(self, reconciler_factory: ReconcilerFactory | None = None,
                delay_s: float | None = None) -> simpy.Process:
        """Crash, wait the restart delay, start (with `reconciler_factory` from now on, if given).

        A later restart supersedes one still waiting. Returns the process, which a caller may wait for.
        """
        self.crash()
        if reconciler_factory is not None:
            self.reconciler_factory = reconciler_factory
        self._restart_token += 1
        delay = self.options.restart_delay_s if delay_s is None else delay_s
        if delay < 0:
            raise SimError(f"restart delay {delay} s", rule="durations are >= 0 seconds", fix="use 0 or more")
        return self.kernel.env.process(self._start_after(delay, self._restart_token))

    def lag_spike(self, until_t: float, extra_lag: Dist) -> None:
        """Until `until_t`, this manager's watch deliveries take an extra lag (kept across a restart)."""
        self._spike = (until_t, extra_lag)
        if self._current is not None:
            self._current.informer.lag_spike(until_t, extra_lag)

    def _start_after(self, delay_s: float, token: int) -> Generator[simpy.Event, Any, None]:
        yield self.kernel.env.timeout(delay_s)
        if token == self._restart_token and self._current is None:
            self.start()

    # -- watches ---------------------------------------------------------------------------------
    def _observe(self, event: ObjectStored | ObjectRemoved) -> None:
        if self._current is not None:
            self._current.informer.observe(event)

    def _handler(self, watch: WatchSpec, inc: _Incarnation) -> Callable[[WatchEvent], None]:
        def handle(event: WatchEvent) -> None:
            if not watch.predicate(event.obj):
                return
            reason = "initial" if event.initial else "watch"
            # controller-runtime maps the old object, then the new one, and enqueues each request once.
            old = watch.mapper(event.old, inc.informer) if event.old is not None and not event.deleted else ()
            new = watch.mapper(event.obj, inc.informer)
            # old's keys first, then new's not among them: when old's are the start of new's, that is new's
            same_start = len(old) <= len(new) and tuple(new[:len(old)]) == tuple(old)
            inc.queue.add_all(dict.fromkeys(new if same_start else [*old, *new]), reason)
        return handle

    # -- workers ---------------------------------------------------------------------------------
    def _worker(self, inc: _Incarnation, worker: int) -> Generator[simpy.Event, Any, None]:
        k, queue = self.kernel, inc.queue
        while inc.alive:
            key = yield queue.get()
            if key is None or not inc.alive:
                return
            namespace, name = key
            k.record(ReconcileStarted, self.name, manager=self.name, incarnation=inc.number,
                     namespace=namespace, name=name)
            outcome = yield from inc.runtime.run(inc.reconciler.reconcile(namespace, name), namespace, name)
            if outcome.aborted:
                k.record(ReconcileAborted, self.name, manager=self.name, incarnation=inc.number,
                         namespace=namespace, name=name, effect=outcome.aborted_at)
                return
            self._finish(inc, key, outcome)

    def _finish(self, inc: _Incarnation, key: QueueKey, outcome: Outcome) -> None:
        """controller-runtime's reconcileHandler: error ⇒ rate-limited; RequeueAfter ⇒ forget + delayed add;
        Requeue ⇒ rate-limited; else forget. Then Done."""
        queue = inc.queue
        result = outcome.result if outcome.error is None else None
        result = result or ReconcileResult()
        self.kernel.record(ReconcileFinished, self.name, manager=self.name, incarnation=inc.number,
                           namespace=key[0], name=key[1], requeue_after_s=result.requeue_after_s,
                           requeue=result.requeue, error="" if outcome.error is None else error_text(outcome.error))
        if outcome.error is not None:
            queue.add_rate_limited(key)
        elif result.requeue_after_s > 0:
            queue.forget(key)
            queue.add_after(key, result.requeue_after_s)
        elif result.requeue:
            queue.add_rate_limited(key, reason="requeue")
        else:
            queue.forget(key)
        queue.done(key)

