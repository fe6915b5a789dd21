"""Kubernetes object records held by the simulated API server: metadata, the ComputeInstance, and plain kinds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from models.frozen import builder
from models.jobs import JobRecord
from models.names import KIND_COMPUTE_INSTANCE
from models.simtime import persist_time

JsonDict = dict[str, Any]


class Phase(StrEnum):
    """`status.phase` of a ComputeInstance (§2.3); NONE is the empty string of a fresh object."""

    NONE = ""
    STARTING = "Starting"
    RUNNING = "Running"
    FAILED = "Failed"
    DELETING = "Deleting"


@dataclass(frozen=True, slots=True)
class OwnerReference:
    """A metadata.ownerReferences entry; `controller` is False for the CI → Tenant references (§2.8).

    Frozen, so copies of an object share its references: a Tenant owned by thousands of instances is
    copied on every cached read, and copying each reference made that the cost of a reconcile at scale.
    """

    kind: str
    name: str
    uid: str
    api_version: str = ""
    controller: bool = False

    def to_dict(self) -> JsonDict:
        return {"apiVersion": self.api_version, "kind": self.kind, "name": self.name, "uid": self.uid,
                "controller": self.controller}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OwnerReference:
        return _owner_references_from_dicts((d,))[0]


def appended_reference(old: Sequence[OwnerReference], new: Sequence[OwnerReference]) -> OwnerReference | None:
    """The reference `new` adds at its end when it is otherwise `old` (a Tenant gaining an owner), else None.

    References are frozen and shared between an object's versions, so the comparison is mostly identity checks."""
    if len(new) == len(old) + 1 and new[:-1] == old:
        return new[-1]
    return None


def _owner_references_from_dicts(items: Iterable[Mapping[str, Any]]) -> list[OwnerReference]:
    """`[OwnerReference.from_dict(d) for d in items]` with the builder looked up once per list, not per entry:
    a replayed Tenant version carries one reference per instance it serves (~40 % of a replay's decoding calls)."""
    new = builder(OwnerReference)
    return [new(d["kind"], d["name"], d["uid"], d.get("apiVersion", ""), bool(d.get("controller", False)))
            for d in items]


@dataclass(slots=True)
class ObjectMeta:
    """metadata of any object; resource_version is the API server's global counter (0 = never stored)."""

    name: str
    namespace: str = ""
    uid: str = ""
    resource_version: int = 0
    generation: int = 0
    creation_timestamp: float = 0.0
    deletion_timestamp: float | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    finalizers: list[str] = field(default_factory=list)
    owner_references: list[OwnerReference] = field(default_factory=list)

    def copy(self) -> ObjectMeta:
        # Positional, in field order (every cached read copies metadata; keywords cost a third more).
        return ObjectMeta(self.name, self.namespace, self.uid, self.resource_version, self.generation,
                          self.creation_timestamp, self.deletion_timestamp, dict(self.labels),
                          dict(self.annotations), list(self.finalizers),
                          list(self.owner_references))  # the entries are frozen: shared, not copied

    @property
    def terminating(self) -> bool:
        return self.deletion_timestamp is not None

    def to_dict(self) -> JsonDict:
        d: JsonDict = {"name": self.name, "namespace": self.namespace, "uid": self.uid,
                       "resourceVersion": self.resource_version, "generation": self.generation,
                       "creationTimestamp": self.creation_timestamp}
        if self.deletion_timestamp is not None:
            d["deletionTimestamp"] = self.deletion_timestamp
        if self.labels:
            d["labels"] = dict(sorted(self.labels.items()))
        if self.annotations:
            d["annotations"] = dict(sorted(self.annotations.items()))
        if self.finalizers:
            d["finalizers"] = list(self.finalizers)
        if self.owner_references:
            d["ownerReferences"] = [o.to_dict() for o in self.owner_references]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ObjectMeta:
        return cls(
            name=d["name"], namespace=d.get("namespace", ""), uid=d.get("uid", ""),
            resource_version=int(d.get("resourceVersion", 0)), generation=int(d.get("generation", 0)),
            creation_timestamp=float(d.get("creationTimestamp", 0.0)),
            deletion_timestamp=d.get("deletionTimestamp"), labels=dict(d.get("labels", {})),
            annotations=dict(d.get("annotations", {})), finalizers=list(d.get("finalizers", [])),
            owner_references=_owner_references_from_dicts(d.get("ownerReferences", ())),
        )


class KubeObject(Protocol):
    """What the API server needs of a stored object."""

    kind: str
    metadata: ObjectMeta

    def deepcopy(self) -> KubeObject: ...
    def to_dict(self) -> JsonDict: ...
    def spec_dict(self) -> JsonDict: ...
    def status_dict(self) -> JsonDict: ...
    def with_status_of(self, other: KubeObject) -> KubeObject: ...
    def with_persisted_status_of(self, other: KubeObject) -> KubeObject: ...
    def persisted(self) -> KubeObject: ...
    def persisted_in_place(self) -> KubeObject: ...
    def without_status(self) -> KubeObject: ...


@dataclass(frozen=True, slots=True)
class Condition:
    """A status condition; last_transition_time is simulated seconds (persisted whole seconds).

    Frozen, so a status copy shares its conditions: `set_condition` replaces an entry instead of changing it.
    """

    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str = ""
    message: str = ""
    last_transition_time: float = 0.0

    def to_dict(self) -> JsonDict:
        return {"type": self.type, "status": self.status, "reason": self.reason, "message": self.message,
                "lastTransitionTime": self.last_transition_time}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Condition:
        # frozen: built through the slot setters (a replayed log decodes four per ComputeInstance version)
        return _new_condition(d["type"], d["status"], d.get("reason", ""), d.get("message", ""),
                              float(d.get("lastTransitionTime", 0.0)))


_new_condition = builder(Condition)  # frozen: built through the slot setters (four per ComputeInstance version)


@dataclass(slots=True)
class ComputeInstanceSpec:
    """The spec fields that matter (§2.1); restart_requested_at is simulated seconds or None."""

    template_id: str
    template_parameters: str = ""
    restart_requested_at: float | None = None

    def copy(self) -> ComputeInstanceSpec:
        return ComputeInstanceSpec(self.template_id, self.template_parameters, self.restart_requested_at)

    def to_dict(self) -> JsonDict:
        d: JsonDict = {"templateID": self.template_id}
        if self.template_parameters:
            d["templateParameters"] = self.template_parameters
        if self.restart_requested_at is not None:
            d["restartRequestedAt"] = self.restart_requested_at
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ComputeInstanceSpec:
        return cls(d.get("templateID", ""), d.get("templateParameters", ""), d.get("restartRequestedAt"))


@dataclass(slots=True)
class ComputeInstanceStatus:
    """`status` of a ComputeInstance (§2.2); equality is the controller's semantic deep-equal (§3 step 5)."""

    phase: Phase = Phase.NONE
    conditions: list[Condition] = field(default_factory=list)
    virtual_machine_reference: dict[str, str] | None = None  # {namespace, kubeVirtVirtualMachineName}
    tenant_reference: dict[str, str] | None = None  # {name, namespace}
    desired_config_version: str = ""
    reconciled_config_version: str = ""
    last_restarted_at: float | None = None
    jobs: list[JobRecord] = field(default_factory=list)

    def copy(self) -> ComputeInstanceStatus:
        vm, tenant = self.virtual_machine_reference, self.tenant_reference
        return ComputeInstanceStatus(  # positional, in field order
            self.phase,
            list(self.conditions),  # Condition is frozen: sharing entries is safe
            dict(vm) if vm is not None else None,
            dict(tenant) if tenant is not None else None,
            self.desired_config_version,
            self.reconciled_config_version,
            self.last_restarted_at,
            list(self.jobs),  # JobRecord is frozen: sharing entries is safe
        )

    def condition(self, type_: str) -> Condition | None:
        for c in self.conditions:
            if c.type == type_:
                return c
        return None

    def persisted(self) -> ComputeInstanceStatus:
        """The status as the API server stores it: metav1.Time fields truncated to whole seconds (§1)."""
        s = self.copy()
        s.jobs = [j if j.timestamp == persist_time(j.timestamp) else j.with_changes(timestamp=persist_time(j.timestamp))
                  for j in s.jobs]
        s.conditions = [c if type(c.last_transition_time) is float
                        and c.last_transition_time == persist_time(c.last_transition_time)
                        else _new_condition(c.type, c.status, c.reason, c.message,
                                            persist_time(c.last_transition_time))
                        for c in s.conditions]
        if s.last_restarted_at is not None:
            s.last_restarted_at = persist_time(s.last_restarted_at)
        return s

    def to_dict(self) -> JsonDict:
        d: JsonDict = {"phase": str(self.phase)}
        if self.conditions:
            d["conditions"] = [c.to_dict() for c in self.conditions]
        if self.virtual_machine_reference is not None:
            d["virtualMachineReference"] = dict(self.virtual_machine_reference)
        if self.tenant_reference is not None:
            d["tenantReference"] = dict(self.tenant_reference)
        if self.desired_config_version:
            d["desiredConfigVersion"] = self.desired_config_version
        if self.reconciled_config_version:
            d["reconciledConfigVersion"] = self.reconciled_config_version
        if self.last_restarted_at is not None:
            d["lastRestartedAt"] = self.last_restarted_at
        if self.jobs:
            d["jobs"] = [j.to_dict() for j in self.jobs]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ComputeInstanceStatus:
        return cls(
            phase=Phase(d.get("phase", "")),
            conditions=[Condition.from_dict(c) for c in d.get("conditions", [])],
            virtual_machine_reference=d.get("virtualMachineReference"),
            tenant_reference=d.get("tenantReference"),
            desired_config_version=d.get("desiredConfigVersion", ""),
            reconciled_config_version=d.get("reconciledConfigVersion", ""),
            last_restarted_at=d.get("lastRestartedAt"),
            jobs=[JobRecord.from_dict(j) for j in d.get("jobs", [])],
        )


@dataclass(slots=True)
class ComputeInstance:
    """The ComputeInstance custom resource: metadata, spec, status."""

    metadata: ObjectMeta
    spec: ComputeInstanceSpec
    status: ComputeInstanceStatus = field(default_factory=ComputeInstanceStatus)
    kind: str = KIND_COMPUTE_INSTANCE

    def deepcopy(self) -> ComputeInstance:
        return ComputeInstance(self.metadata.copy(), self.spec.copy(), self.status.copy(), self.kind)

    def spec_dict(self) -> JsonDict:
        return self.spec.to_dict()

    def status_dict(self) -> JsonDict:
        return self.status.to_dict()

    def with_status_of(self, other: KubeObject) -> ComputeInstance:
        assert isinstance(other, ComputeInstance), "status can only be taken from an object of the same kind"
        return ComputeInstance(self.metadata.copy(), self.spec.copy(), other.status.copy(), self.kind)

    def with_persisted_status_of(self, other: KubeObject) -> ComputeInstance:
        """`with_status_of(other).persisted()` with one copy of each part instead of two."""
        assert isinstance(other, ComputeInstance), "status can only be taken from an object of the same kind"
        return ComputeInstance(self.metadata.copy(), self.spec.copy(), other.status, self.kind).persisted_in_place()

    def persisted(self) -> ComputeInstance:
        return ComputeInstance(self.metadata.copy(), self.spec.copy(), self.status, self.kind).persisted_in_place()

    def persisted_in_place(self) -> ComputeInstance:
        """`persisted()` of an object nobody else holds (the API server's own `new`): its status is replaced by
        the stored form (a new status: the one it held is not changed) and its spec's time truncated (metav1.Time:
        whole seconds once stored), without copying the metadata and spec first."""
        self.status = self.status.persisted()
        if self.spec.restart_requested_at is not None:
            self.spec.restart_requested_at = persist_time(self.spec.restart_requested_at)
        return self

    def without_status(self) -> ComputeInstance:
        return ComputeInstance(self.metadata.copy(), self.spec.copy(), ComputeInstanceStatus(), self.kind)

    def to_dict(self) -> JsonDict:
        return {"apiVersion": "cloudkit.openshift.io/v1alpha1", "kind": self.kind,
                "metadata": self.metadata.to_dict(), "spec": self.spec.to_dict(), "status": self.status.to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ComputeInstance:
        return cls(ObjectMeta.from_dict(d["metadata"]), ComputeInstanceSpec.from_dict(d.get("spec", {})),
                   ComputeInstanceStatus.from_dict(d.get("status", {})))


_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})  # `_json_copy` returns them as they are


def _json_copy(value: Any) -> Any:
    """Deep copy of JSON-like data (dicts, lists, scalars), much cheaper than copy.deepcopy."""
    scalars = _SCALARS
    if isinstance(value, dict):
        return {k: v if type(v) in scalars else _json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in scalars else _json_copy(v) for v in value]
    return value


@dataclass(slots=True)
class GenericObject:
    """Any other kind (Tenant, Namespace, VirtualMachine, VirtualMachineInstance, ...) with JSON spec and status."""

    kind: str
    metadata: ObjectMeta
    spec: JsonDict = field(default_factory=dict)
    status: JsonDict = field(default_factory=dict)

    def deepcopy(self) -> GenericObject:
        return GenericObject(self.kind, self.metadata.copy(), _json_copy(self.spec), _json_copy(self.status))

    def spec_dict(self) -> JsonDict:
        return self.spec

    def status_dict(self) -> JsonDict:
        return self.status

    def with_status_of(self, other: KubeObject) -> GenericObject:
        return GenericObject(self.kind, self.metadata.copy(), _json_copy(self.spec), _json_copy(other.status_dict()))

    def with_persisted_status_of(self, other: KubeObject) -> GenericObject:
        """`with_status_of(other).persisted()`: a generic object is stored as it is, so one copy is enough."""
        return self.with_status_of(other)

    def persisted(self) -> GenericObject:
        return self.deepcopy()

    def persisted_in_place(self) -> GenericObject:
        """`persisted()` of an object nobody else holds: a generic object is stored as it is, so no copy."""
        return self

    def without_status(self) -> GenericObject:
        return GenericObject(self.kind, self.metadata.copy(), _json_copy(self.spec), {})

    def to_dict(self) -> JsonDict:
        return {"kind": self.kind, "metadata": self.metadata.to_dict(), "spec": _json_copy(self.spec),
                "status": _json_copy(self.status)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GenericObject:
        return cls(d["kind"], ObjectMeta.from_dict(d["metadata"]), _json_copy(d.get("spec", {})),
                   _json_copy(d.get("status", {})))


_DECODERS: dict[str, Callable[[Mapping[str, Any]], KubeObject]] = {
    KIND_COMPUTE_INSTANCE: ComputeInstance.from_dict,
}


def object_from_dict(d: Mapping[str, Any]) -> KubeObject:
    """Rebuild a stored object from its `to_dict()` form, dispatching on `kind`."""
    decoder = _DECODERS.get(d.get("kind", ""), GenericObject.from_dict)
    return decoder(d)


def object_key(obj: KubeObject) -> tuple[str, str, str]:
    """(kind, namespace, name): how the API server and caches key an object."""
    return (obj.kind, obj.metadata.namespace, obj.metadata.name)

