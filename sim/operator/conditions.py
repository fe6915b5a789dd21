"""Status conditions as apimachinery's `meta.SetStatusCondition` / `RemoveStatusCondition` handle them."""

from __future__ import annotations

from typing import Final

from models.frozen import builder
from models.objects import ComputeInstanceStatus, Condition

__all__ = [
    "REASON_AS_EXPECTED",
    "REASON_INITIALIZED",
    "REASON_NO_VM_REFERENCE",
    "REASON_RESTART_INITIATED",
    "REASON_VMI_DELETION_FAILED",
    "REASON_WAITING_FOR_VMI",
    "find_condition",
    "needs_transition_time",
    "remove_condition",
    "set_condition",
]

TRUE: Final = "True"
FALSE: Final = "False"

REASON_INITIALIZED: Final = "Initialized"
REASON_AS_EXPECTED: Final = "AsExpected"
REASON_NO_VM_REFERENCE: Final = "NoVMReference"
REASON_VMI_DELETION_FAILED: Final = "VMIDeletionFailed"
# Not named by the semantics document (§15 step 4 gives only the messages); chosen here.
REASON_WAITING_FOR_VMI: Final = "WaitingForVMI"
REASON_RESTART_INITIATED: Final = "RestartInitiated"


def find_condition(status: ComputeInstanceStatus, type_: str) -> Condition | None:
    """meta.FindStatusCondition."""
    return status.condition(type_)


def needs_transition_time(status: ComputeInstanceStatus, type_: str, value: str) -> bool:
    """True when setting `type_` to `value` stamps a transition time (new condition or changed status)."""
    existing = status.condition(type_)
    return existing is None or existing.status != value


def set_condition(status: ComputeInstanceStatus, type_: str, value: str, message: str, reason: str,
                  now: float) -> bool:
    """meta.SetStatusCondition: add, or replace the (frozen) entry; the transition time moves only when status
    changes."""
    conditions = status.conditions
    index = next((i for i, c in enumerate(conditions) if c.type == type_), -1)
    if index < 0:
        conditions.append(builder(Condition)(type_, value, reason, message, now))
        return True
    existing = conditions[index]
    # Condition is frozen (status copies share them): a changed condition is replaced in the list.
    if existing.status != value:
        conditions[index] = builder(Condition)(type_, value, reason, message, now)
        return True
    if existing.reason != reason or existing.message != message:
        conditions[index] = builder(Condition)(type_, value, reason, message, existing.last_transition_time)
        return True
    return False


def remove_condition(status: ComputeInstanceStatus, type_: str) -> bool:
    """meta.RemoveStatusCondition: drop every condition of that type; report whether one was present."""
    kept = [c for c in status.conditions if c.type != type_]
    removed = len(kept) != len(status.conditions)
    status.conditions = kept
    return removed
