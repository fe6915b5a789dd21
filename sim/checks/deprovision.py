"""At most one deprovision (delete-playbook) job per deletion, and per lifetime, of a ComputeInstance object."""

from __future__ import annotations

from sim.checks.base import register_checker
from sim.checks.common import at, subject
from sim.checks.launches import LaunchChecker
from sim.checks.tracking import BackendJob
from sim.checks.unlearnable import Knowledge, unlearnable


@register_checker
class OneDeprovision(LaunchChecker):
    """§17 item 1: a deletion launches one delete playbook; a second one races the first on the VM and finalizer.

    A delete job is counted against the lifetime of the object its payload names: the live object of that
    name, or — for a job launched after the object was removed (e.g. a duplicated EDA delivery that fires
    late) — the object most recently removed under that name. An object's lifetime holds at most one
    deletion (deletionTimestamp is never unset), so "per deletion" and "per lifetime" coincide.
    """

    property_id = "one-deprovision"
    description = "At most one deprovision (delete-playbook) job is launched per deletion (lifetime) of an instance."

    def __init__(self) -> None:
        super().__init__()
        self._per_life: dict[tuple[str, str, int], list[BackendJob]] = {}
        self.known = Knowledge.new()
        self.follow(*self.known.trackers)

    def judge(self, job: BackendJob) -> None:
        if job.playbook != "delete":
            return
        life = self.instances.current(job.key)
        if life is None:
            return  # no such instance ever existed: nothing the operator could have recorded or prevented
        launched = self._per_life.setdefault(life.id, [])
        launched.append(job)
        if len(launched) < 2:
            return
        first = launched[0]
        if life.deletion_t is not None:
            deletion = f"whose deletion was requested at {at(life.deletion_t)}"
        else:
            deletion = "whose deletion was never requested"
        removed = f", removed at {at(life.removed_t)}," if life.removed_t is not None else ""
        cause, shown = self.relaunch_cause(first, job)
        lost = unlearnable(self.known, first, job.launch_t)
        text = (f"{job.describe()} is deprovision job number {len(launched)} for {subject(job.key)}{removed} "
                f"{deletion}; the first was {first.describe()}. Two delete playbooks run against the same "
                f"VirtualMachine and the same computeinstance-aap finalizer, and the operator follows at most one "
                f"of them. {cause}" + (f" {lost[0]}" if lost is not None else ""))
        events = [first.launch_seq, *([life.deletion_seq] if life.deletion_seq is not None else []),
                  *job.decisive()[:2], *shown]
        self.violate(job.launch_t, subject(job.key), text, events, environment_causes=None if lost is None else lost[1])
