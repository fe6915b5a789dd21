"""What the Kubernetes substrate's events mean to an operator developer: API writes, rejections, reconciles, caches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.events import Event
from models.names import KIND_COMPUTE_INSTANCE, KIND_TENANT, KIND_VIRTUAL_MACHINE
from models.objects import ComputeInstance, KubeObject
from sim.kube.events import (
    ApiCallRejected,
    ApiCallTimedOut,
    ObjectRead,
    ObjectRemoved,
    ObjectStored,
    ObjectUnchanged,
)
from sim.kube.runtime_events import (
    CacheListed,
    CacheRead,
    CacheUpdated,
    ControllerLogged,
    KeyEnqueued,
    ManagerCrashed,
    ManagerStarted,
    OwnersGone,
    ReconcileAborted,
    ReconcileFinished,
    ReconcileStarted,
)
from sim.render.text import (
    BAD,
    DEFAULT,
    GOOD,
    QUIET,
    VERBOSE,
    WARN,
    Context,
    Described,
    fields_text,
    fmt_seconds,
    jobs_summary,
    listing,
    short,
)

Describer = Callable[[Any, Context], Described]

# Controller log lines that only repeat what the next API line shows; they appear at verbosity 2.
ECHO_MESSAGES = frozenset({"Status requires update", "Status update conflict, retrying"})
_VERB_WORDS = {"create": "created", "update": "updated", "update_status": "status written", "patch": "patched",
               "delete": "deletion requested"}
# Kinds whose writes matter at the default verbosity besides the ComputeInstance: (kind, verb).
_NOTABLE_WRITES = frozenset({(KIND_VIRTUAL_MACHINE, "create"), (KIND_VIRTUAL_MACHINE, "delete"),
                             (KIND_TENANT, "create"), (KIND_TENANT, "delete")})


def subject(kind: str, name: str) -> str:
    """How the timeline names an object: a ComputeInstance by its name alone, anything else with its kind."""
    return name if kind == KIND_COMPUTE_INSTANCE else f"{kind} {name}"


# -- API server ------------------------------------------------------------------------------------
def _ci_changes(prev: ComputeInstance, obj: ComputeInstance) -> list[str]:
    """The metadata and spec differences between two versions of a ComputeInstance, in words."""
    changes: list[str] = []
    old_meta, new_meta = prev.metadata, obj.metadata
    changes += [f"finalizer {short(f)} added" for f in new_meta.finalizers if f not in old_meta.finalizers]
    changes += [f"finalizer {short(f)} removed" for f in old_meta.finalizers if f not in new_meta.finalizers]
    for key in sorted(set(old_meta.annotations) | set(new_meta.annotations)):
        old, new = old_meta.annotations.get(key), new_meta.annotations.get(key)
        if new is None:
            changes.append(f"annotation {short(key)} removed")
        elif old != new:
            changes.append(f"annotation {short(key)}={new}")
    if old_meta.deletion_timestamp is None and new_meta.deletion_timestamp is not None:
        changes.append("deletion requested")
    if prev.spec != obj.spec:
        changes.append(f"spec changed (generation {new_meta.generation})")
    return changes


def _ci_stored(e: ObjectStored, obj: ComputeInstance, prev: KubeObject | None) -> Described:
    if e.verb == "update_status":
        phase = obj.status.phase.value or "(none)"
        return Described(DEFAULT, f"status write: {e.name} phase {phase}, jobs {jobs_summary(obj.status.jobs)}")
    if e.verb == "create":
        return Described(DEFAULT, f"{e.name} created (rv {e.resource_version})")
    if e.verb == "delete":
        finalizers = listing(short(f) for f in obj.metadata.finalizers)
        return Described(DEFAULT, f"deletion requested: {e.name} (finalizers: {finalizers})", WARN)
    if not isinstance(prev, ComputeInstance):  # described on its own: the state it left, not what it changed
        finalizers = listing(short(f) for f in obj.metadata.finalizers)
        return Described(DEFAULT, f"{e.verb} {e.name} (rv {e.resource_version}): finalizers {finalizers}")
    changes = _ci_changes(prev, obj)
    if not changes:
        return Described(VERBOSE, f"{e.verb} {e.name}: no visible change (rv {e.resource_version})")
    return Described(DEFAULT, f"{e.verb} {e.name}: {'; '.join(changes)}")


def _other_stored(e: ObjectStored, prev: KubeObject | None) -> Described:
    text = f"{e.kind} {e.name} {_VERB_WORDS.get(e.verb, e.verb)}"
    if e.kind == KIND_TENANT and e.verb == "update_status":
        phase = e.obj.status_dict().get("phase", "")
        old_phase = prev.status_dict().get("phase", "") if prev is not None else ""
        if phase != old_phase:
            namespace = e.obj.status_dict().get("namespace", "")
            return Described(DEFAULT, f"Tenant {e.name} phase {phase}" + (f" (namespace {namespace})"
                                                                            if namespace else ""))
    return Described(DEFAULT if (e.kind, e.verb) in _NOTABLE_WRITES else VERBOSE, text)


def _stored(e: ObjectStored, ctx: Context) -> Described:
    key = (e.kind, e.namespace, e.name)
    prev = ctx.objects.get(key)
    ctx.objects[key] = e.obj
    if isinstance(e.obj, ComputeInstance):
        return _ci_stored(e, e.obj, prev)
    return _other_stored(e, prev)


def _removed(e: ObjectRemoved, ctx: Context) -> Described:
    ctx.objects.pop((e.kind, e.namespace, e.name), None)
    if e.kind == KIND_COMPUTE_INSTANCE:
        return Described(QUIET, f"{e.name} removed: the ComputeInstance is gone from the API server", GOOD)
    return Described(DEFAULT if e.kind == KIND_VIRTUAL_MACHINE else VERBOSE, f"{e.kind} {e.name} gone")


def _unchanged(e: ObjectUnchanged, ctx: Context) -> Described:
    return Described(VERBOSE, f"{e.verb} {subject(e.kind, e.name)}: nothing changed (rv {e.resource_version})")


def _rejected(e: ApiCallRejected, ctx: Context) -> Described:
    level = DEFAULT if e.kind == KIND_COMPUTE_INSTANCE or e.injected else VERBOSE
    injected = " (injected fault)" if e.injected else ""
    return Described(level, f"{e.verb} {subject(e.kind, e.name)} rejected: {e.code} {e.reason}{injected}", WARN)


def _timed_out(e: ApiCallTimedOut, ctx: Context) -> Described:
    applied = "the server applied it anyway" if e.applied else "not applied"
    return Described(DEFAULT, f"{e.verb} {subject(e.kind, e.name)} timed out ({applied})", WARN)


def _read(e: ObjectRead, ctx: Context) -> Described:
    if e.verb == "list":
        return Described(VERBOSE, f"list {e.kind}: {e.found} found")
    return Described(VERBOSE, f"get {subject(e.kind, e.name)}: {'found' if e.found else 'not found'}")


# -- controller machinery --------------------------------------------------------------------------
def _logged(e: ControllerLogged, ctx: Context) -> Described:
    fields = fields_text(e.fields)
    text = f"{e.name}: {e.message}" + (f" ({fields})" if fields else "")
    tone = BAD if "failed" in e.message.lower() else ""
    return Described(VERBOSE if e.message in ECHO_MESSAGES else DEFAULT, text, tone)


def _manager_started(e: ManagerStarted, ctx: Context) -> Described:
    controller = e.controller.rpartition(":")[2] or e.controller
    provider = next((str(v) for k, v in sorted(e.config.items()) if k.endswith("provider")), "")
    extra = f", provider {provider}" if provider else ""
    return Described(QUIET, f"{e.manager} started (incarnation {e.incarnation}, controller {controller}{extra})")


def _manager_crashed(e: ManagerCrashed, ctx: Context) -> Described:
    return Described(QUIET, f"{e.manager} crashed (incarnation {e.incarnation}): cache, queue and in-process "
                            "state lost", BAD)


def _reconcile_started(e: ReconcileStarted, ctx: Context) -> Described:
    return Described(VERBOSE, f"reconcile {e.name} (incarnation {e.incarnation})")


def _reconcile_finished(e: ReconcileFinished, ctx: Context) -> Described:
    if e.error:
        return Described(DEFAULT, f"reconcile {e.name} failed: {e.error} (retried with back-off)", BAD)
    if e.requeue_after_s > 0:
        then = f"requeue after {fmt_seconds(e.requeue_after_s)}"
    else:
        then = "requeue now" if e.requeue else "no requeue"
    return Described(VERBOSE, f"reconcile {e.name} done, {then}")


def _reconcile_aborted(e: ReconcileAborted, ctx: Context) -> Described:
    return Described(DEFAULT, f"reconcile {e.name} aborted by the crash during {e.effect}", BAD)


def _cache_listed(e: CacheListed, ctx: Context) -> Described:
    return Described(VERBOSE, f"cache filled: {e.objects} objects (rv {e.resource_version})")


def _cache_updated(e: CacheUpdated, ctx: Context) -> Described:
    what = "deleted" if e.deleted else f"rv {e.resource_version}"
    return Described(VERBOSE, f"cache now holds {subject(e.kind, e.name)} {what}")


def _cache_read(e: CacheRead, ctx: Context) -> Described:
    versions = ", ".join(str(v) for v in e.resource_versions) or "nothing"
    target = e.kind if e.verb == "list" else subject(e.kind, e.name or "(unnamed)")
    return Described(VERBOSE, f"cache {e.verb} {target}: rv {versions}" if e.resource_versions
                     else f"cache {e.verb} {target}: {versions}")


def _enqueued(e: KeyEnqueued, ctx: Context) -> Described:
    delay = f" in {fmt_seconds(e.delay_s)}" if e.delay_s > 0 else ""
    return Described(VERBOSE, f"enqueue {e.name} ({e.reason}{delay})")


def _owners_gone(e: OwnersGone, ctx: Context) -> Described:
    return Described(DEFAULT, f"{e.kind} {e.name} orphaned ({listing(e.owners)} gone), deleting it")


KUBE_DESCRIBERS: dict[type[Event], Describer] = {
    ObjectStored: _stored,
    ObjectRemoved: _removed,
    ObjectUnchanged: _unchanged,
    ApiCallRejected: _rejected,
    ApiCallTimedOut: _timed_out,
    ObjectRead: _read,
    ControllerLogged: _logged,
    ManagerStarted: _manager_started,
    ManagerCrashed: _manager_crashed,
    ReconcileStarted: _reconcile_started,
    ReconcileFinished: _reconcile_finished,
    ReconcileAborted: _reconcile_aborted,
    CacheListed: _cache_listed,
    CacheUpdated: _cache_updated,
    CacheRead: _cache_read,
    KeyEnqueued: _enqueued,
    OwnersGone: _owners_gone,
}
