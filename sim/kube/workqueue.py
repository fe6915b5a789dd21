"""A controller's work queue with client-go semantics: dedup, dirty/processing sets, delayed and rate-limited adds.

- `add` de-duplicates: a key waiting in the queue is not queued twice; a key being processed is marked
  dirty and queued again exactly once, when the worker calls `done`.
- `add_after` is a timer (client-go's delaying queue): it never cancels an immediate add and still fires
  later; of several timers for one key only the earliest is kept.
- `add_rate_limited` waits the larger of a per-item exponential back-off (base × 2^failures, capped)
  and a token bucket's reservation delay (golang.org/x/time/rate); `forget` resets the item's failures.
- `get` returns a simpy event that fires with the next key (None once the queue is shut down).
Ordered sets are dicts (insertion ordered): no Python set of keys is ever iterated.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import simpy

from models.frozen import builder
from sim.kernel.kernel import Kernel
from sim.kube.runtime_events import KeyEnqueued

QueueKey = tuple[str, str]  # (namespace, name)
REASONS = ("watch", "initial", "requeue_after", "rate_limited", "requeue")


class ItemExponentialBackoff:
    """client-go ItemExponentialFailureRateLimiter: base × 2^failures per item, capped at `max_delay_s`."""

    def __init__(self, base_delay_s: float = 0.005, max_delay_s: float = 1000.0) -> None:
        self.base_delay_s, self.max_delay_s = base_delay_s, max_delay_s
        self._failures: dict[QueueKey, int] = {}

    def when(self, key: QueueKey) -> float:
        exp = self._failures.get(key, 0)
        self._failures[key] = exp + 1
        if exp > 62:  # Go compares against MaxInt64 nanoseconds; 2.0 ** 1024 would overflow a float
            return self.max_delay_s
        return min(self.base_delay_s * 2.0 ** exp, self.max_delay_s)

    def forget(self, key: QueueKey) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: QueueKey) -> int:
        return self._failures.get(key, 0)


class TokenBucket:
    """golang.org/x/time/rate Limiter used through Reserve().Delay(): starts full, tokens may go negative."""

    def __init__(self, qps: float = 10.0, burst: int = 100, now: float = 0.0) -> None:
        self.qps, self.burst = qps, burst
        self._tokens = float(burst)
        self._last = now

    def reserve(self, now: float) -> float:
        """Take one token at `now`; return how long the caller must wait for it."""
        last = min(self._last, now)
        tokens = min(float(self.burst), self._tokens + (now - last) * self.qps) - 1.0
        self._tokens, self._last = tokens, now
        return -tokens / self.qps if tokens < 0 else 0.0


class WorkQueue:
    """One controller's rate-limited delaying FIFO queue; every add request is recorded as `KeyEnqueued`."""

    def __init__(self, kernel: Kernel, manager: str, *, base_delay_s: float = 0.005, max_delay_s: float = 1000.0,
                 qps: float = 10.0, burst: int = 100) -> None:
        self.kernel, self.manager = kernel, manager
        self._env = kernel.env
        self._queue: deque[QueueKey] = deque()
        self._dirty: dict[QueueKey, None] = {}
        self._processing: dict[QueueKey, None] = {}
        self._waiting: dict[QueueKey, tuple[float, int]] = {}  # key → (ready at, timer id) of its delayed add
        self._timer_ids = 0
        self._getters: deque[simpy.Event] = deque()
        self._backoff = ItemExponentialBackoff(base_delay_s, max_delay_s)
        self._bucket = TokenBucket(qps, burst, kernel.now)
        self.shutting_down = False

    # -- adds --------------------------------------------------------------------------------------
    def add(self, key: QueueKey, reason: str = "watch") -> None:
        """Queue `key` now (no-op if it is already queued; re-run once after `done` if it is being processed)."""
        self.add_all((key,), reason)

    def add_all(self, keys: Iterable[QueueKey], reason: str = "watch") -> None:
        """`add` each key in turn, each recorded as `KeyEnqueued` (one watch delivery may map to many keys: a
        Tenant's change to every one of its owners, 1,000 at scale, so each record is built positionally)."""
        assert reason in REASONS, f"unknown enqueue reason {reason!r}"
        manager, dirty, log, build = self.manager, self._dirty, self.kernel.log, builder(KeyEnqueued)
        now = float(self._env._now)
        for key in keys:
            if self.shutting_down:  # a handler of an earlier record may have crashed the manager
                return
            log.append(build(log.count, now, manager, manager, key[0], key[1], reason, 0.0))
            if key not in dirty:
                self._add(key)

    def add_after(self, key: QueueKey, delay_s: float, reason: str = "requeue_after") -> None:
        """Queue `key` after `delay_s` (at once if <= 0); an earlier pending timer for the key wins over a later one."""
        if self.shutting_down:
            return
        self._record(key, reason, max(0.0, delay_s))
        self._add_after(key, delay_s)

    def add_rate_limited(self, key: QueueKey, reason: str = "rate_limited") -> None:
        """Queue `key` after max(per-item exponential back-off, token-bucket delay)."""
        if self.shutting_down:
            return
        delay = max(self._backoff.when(key), self._bucket.reserve(self.kernel.now))
        self._record(key, reason, delay)
        self._add_after(key, delay)

    def forget(self, key: QueueKey) -> None:
        """Stop tracking the key's failures (called on success): its next back-off starts at the base delay."""
        self._backoff.forget(key)

    def num_requeues(self, key: QueueKey) -> int:
        return self._backoff.num_requeues(key)

    # -- consumption -------------------------------------------------------------------------------
    def get(self) -> simpy.Event:
        """An event that fires with the next key, now marked processing; with None once the queue is shut down."""
        event = self._env.event()
        if self._queue:
            event.succeed(self._take())
        elif self.shutting_down:
            event.succeed(None)
        else:
            self._getters.append(event)
        return event

    def done(self, key: QueueKey) -> None:
        """The worker finished `key`; if it was added meanwhile, queue it again (once)."""
        self._processing.pop(key, None)
        if key in self._dirty and not self.shutting_down:
            self._push(key)

    def shut_down(self) -> None:
        """The process died: drop every queued, dirty and waiting key and release blocked workers with None."""
        self.shutting_down = True
        self._queue.clear()
        self._dirty.clear()
        self._waiting.clear()
        while self._getters:
            self._getters.popleft().succeed(None)

    # -- views -------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._queue)

    def queued(self) -> list[QueueKey]:
        return list(self._queue)

    def processing(self) -> list[QueueKey]:
        return list(self._processing)

    def waiting(self) -> list[QueueKey]:
        """Keys with a pending delayed add, soonest first."""
        return sorted(self._waiting, key=lambda k: (self._waiting[k], k))

    # -- internals ---------------------------------------------------------------------------------
    def _record(self, key: QueueKey, reason: str, delay_s: float) -> None:
        assert reason in REASONS, f"unknown enqueue reason {reason!r}"
        self.kernel.record(KeyEnqueued, self.manager, manager=self.manager, namespace=key[0], name=key[1],
                           reason=reason, delay_s=delay_s)

    def _add(self, key: QueueKey) -> None:
        if key in self._dirty:
            return
        self._dirty[key] = None
        if key in self._processing:
            return
        self._push(key)

    def _push(self, key: QueueKey) -> None:
        self._queue.append(key)
        if self._getters:
            self._getters.popleft().succeed(self._take())

    def _take(self) -> QueueKey:
        key = self._queue.popleft()
        self._processing[key] = None
        self._dirty.pop(key, None)
        return key

    def _add_after(self, key: QueueKey, delay_s: float) -> None:
        if delay_s <= 0:
            self._add(key)
            return
        ready = self.kernel.now + delay_s
        current = self._waiting.get(key)
        if current is not None and current[0] <= ready:
            return
        self._timer_ids += 1
        timer_id = self._timer_ids
        self._waiting[key] = (ready, timer_id)
        timer = self._env.timeout(delay_s)
        timer.callbacks.append(lambda _t: self._fire(key, timer_id))

    def _fire(self, key: QueueKey, timer_id: int) -> None:
        current = self._waiting.get(key)
        if self.shutting_down or current is None or current[1] != timer_id:
            return  # superseded by an earlier timer, or the queue is gone
        del self._waiting[key]
        self._add(key)
