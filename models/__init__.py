"""The pure domain of the simulator: object records, job rules, config versions, state machines, event base.

No simpy, no I/O, no randomness, no clock. Everything a user of the reference Go code recognises is
re-exported here under its snake_case name.
"""

from models.config_version import desired_config_version, fnv1a_64, spec_json, tenant_cr_name
from models.events import EVENT_TYPES, Event, event_from_dict, event_to_dict
from models.jobs import (
    DEFAULT_MAX_JOB_HISTORY,
    EDA_JOB_ID_PREFIX,
    JobRecord,
    JobState,
    JobType,
    append_job,
    find_job_by_id,
    find_latest_job_by_type,
    generate_eda_job_id,
    is_eda_job_id,
    is_successful,
    is_terminal,
    map_aap_status,
    update_job,
)
from models.machines import (
    AAP_JOB,
    ALL_MACHINES,
    CR_OBJECT,
    INSTANCE_PHASE,
    JOB_RECORD,
    VM,
    CompiledMachine,
    IllegalTransition,
    MachineDef,
    TransitionDef,
    build_machine,
    compiled,
    machine_dot,
)
from models.objects import (
    ComputeInstance,
    ComputeInstanceSpec,
    ComputeInstanceStatus,
    Condition,
    GenericObject,
    KubeObject,
    ObjectMeta,
    OwnerReference,
    Phase,
    object_from_dict,
    object_key,
)
from models.simtime import SIM_EPOCH, persist_time, rfc3339

__all__ = [
    "AAP_JOB", "ALL_MACHINES", "CR_OBJECT", "DEFAULT_MAX_JOB_HISTORY", "EDA_JOB_ID_PREFIX", "EVENT_TYPES",
    "INSTANCE_PHASE", "JOB_RECORD", "SIM_EPOCH", "VM", "CompiledMachine", "ComputeInstance",
    "ComputeInstanceSpec", "ComputeInstanceStatus", "Condition", "Event", "GenericObject", "IllegalTransition",
    "JobRecord", "JobState", "JobType", "KubeObject", "MachineDef", "ObjectMeta", "OwnerReference", "Phase",
    "TransitionDef", "append_job", "build_machine", "compiled", "desired_config_version", "event_from_dict",
    "event_to_dict", "find_job_by_id", "find_latest_job_by_type", "fnv1a_64", "generate_eda_job_id",
    "is_eda_job_id", "is_successful", "is_terminal", "machine_dot", "map_aap_status", "object_from_dict",
    "object_key", "persist_time", "rfc3339", "spec_json", "tenant_cr_name", "update_job",
]
