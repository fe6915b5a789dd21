"""The reconciler's tenant dependency (§2.8): find the Tenant CR by reference, or create/update it and own it."""

from __future__ import annotations

import operator

from models.config_version import tenant_cr_name
from models.names import (
    ANNOTATION_TENANT,
    API_VERSION,
    APP_NAME,
    KIND_TENANT,
    LABEL_APP_NAME,
)
from models.objects import ComputeInstance, GenericObject, ObjectMeta, OwnerReference
from sim.kernel.effects import CachedGet, Create, Update
from sim.kernel.errors import NotFound
from sim.operator.base import ReconcilerBase, log
from sim.operator.errors import GoError
from sim.operator.types import Co

__all__ = ["TENANT_PHASE_READY", "TenantSteps", "set_owner_reference"]

TENANT_PHASE_READY = "Ready"


_name = operator.attrgetter("name")


def _api_group(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else ""


def set_owner_reference(owner: ComputeInstance, obj: GenericObject) -> None:
    """controllerutil.SetOwnerReference: upsert a non-controller reference matched by group, kind and name."""
    ref = OwnerReference(kind=owner.kind, name=owner.metadata.name, uid=owner.metadata.uid,
                         api_version=API_VERSION, controller=False)
    refs = obj.metadata.owner_references
    group = _api_group(ref.api_version)
    # A Tenant of many instances has as many references: only those with this name are compared further
    # (found by `list.index` over their names), the first that also matches kind and group is replaced.
    names = list(map(_name, refs))
    index = -1
    while True:
        try:
            index = names.index(ref.name, index + 1)
        except ValueError:
            break
        existing = refs[index]
        if existing.kind == ref.kind and _api_group(existing.api_version) == group:
            refs[index] = ref
            return
    refs.append(ref)


class TenantSteps(ReconcilerBase):
    """getTenant and createOrUpdateTenant."""

    def get_tenant(self, instance: ComputeInstance) -> Co[GenericObject]:
        """Cached Get by status.tenantReference (an absent reference looks up ""/"", which is NotFound).

        The reconcile only reads the Tenant (its phase, name and namespace): it gets the cached object, no copy."""
        ref = instance.status.tenant_reference or {}
        tenant: GenericObject = yield CachedGet(KIND_TENANT, ref.get("namespace", ""), ref.get("name", ""),
                                                read_only=True)
        return tenant

    def create_or_update_tenant(self, instance: ComputeInstance) -> Co[GenericObject]:
        """controllerutil.CreateOrUpdate: cached Get, mutate, then Create (absent) or Update (changed)."""
        tenant_name = instance.metadata.annotations.get(ANNOTATION_TENANT)
        if tenant_name is None:
            raise GoError("tenant name not found")
        key = (tenant_cr_name(tenant_name), instance.metadata.namespace)
        try:
            existing: GenericObject = yield CachedGet(KIND_TENANT, key[1], key[0])
        except NotFound:
            tenant = GenericObject(KIND_TENANT, ObjectMeta(name=key[0], namespace=key[1]))
            self.mutate_tenant(tenant, instance, tenant_name)
            yield log("Creating tenant", tenant=key[0])
            created: GenericObject = yield Create(tenant.deepcopy())
            return created
        mutated = existing.deepcopy()
        self.mutate_tenant(mutated, instance, tenant_name)
        if mutated == existing:  # dataclass equality: what comparing their to_dict() forms would answer
            return existing
        yield log("Updating tenant", tenant=key[0])
        updated: GenericObject = yield Update(mutated)
        return updated

    def mutate_tenant(self, tenant: GenericObject, instance: ComputeInstance, tenant_name: str) -> None:
        """The CreateOrUpdate mutate function: label, spec.name, and this CI's owner reference."""
        tenant.metadata.labels[LABEL_APP_NAME] = APP_NAME
        tenant.spec["name"] = tenant_name
        set_owner_reference(instance, tenant)
