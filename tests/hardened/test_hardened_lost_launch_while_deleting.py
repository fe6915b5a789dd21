"""A create webhook's answer is lost and the user deletes the CR before its job shows: `hardened` gives up on the
launch and records it Failed — saying it is not sent again, since the CR is on its way out — then deletes.

(The entry used to say "sent again", the words of the managed path, where the create webhook does go out again;
swarm seed 29 showed it on a CR deleted 33 s earlier.)
"""

from __future__ import annotations

from hardened_world import VM, create_then_delete, healed_after, run_story

from models.jobs import JobState, JobType
from models.objects import ComputeInstance
from sim.backends.config import BackendConfig
from sim.operator.hardened_waits import ABANDONED_DELETING_MESSAGE, ABANDONED_MESSAGE

LOST_WEBHOOK_ANSWERS = BackendConfig(eda_timeout_rate=1.0)  # no answer in time, and no job launched


def test_a_lost_create_launch_given_up_during_deletion_is_not_said_to_be_sent_again() -> None:
    world, violations = run_story(healed_after(create_then_delete(30.0), 60.0), "hardened", provider="eda",
                                  backends=LOST_WEBHOOK_ANSWERS)
    recorded = {(job.type, job.state, job.message) for e in world.kernel.log.events
                if isinstance(obj := getattr(e, "obj", None), ComputeInstance) and obj.metadata.name == VM
                for job in obj.status.jobs}
    assert (JobType.PROVISION, JobState.FAILED, ABANDONED_DELETING_MESSAGE) in recorded
    assert not any(message == ABANDONED_MESSAGE for _, _, message in recorded)
    assert violations == []
    assert world.server.peek("ComputeInstance", world.config.operator.namespace, VM) is None
