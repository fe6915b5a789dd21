"""Same seed, same log: a world exercising every backend actor and fault, run twice, gives byte-identical logs."""

from __future__ import annotations

from backend_world import AAP, CREATE, DELETE, NS, World

from models.names import KIND_TENANT, KIND_VIRTUAL_MACHINE_INSTANCE
from sim.backends.aap import AapJobs
from sim.backends.config import BackendConfig
from sim.backends.kubevirt import CloudLedger
from sim.kernel.logfile import digest_of
from sim.kernel.projection import fold
from sim.kube.client import ApiFaultRates

EDA_CREATE = "http://eda.example/create-compute-instance"
EDA_DELETE = "http://eda.example/delete-compute-instance"
FAULTY = BackendConfig(
    aap_server_error_rate=0.1, aap_timeout_applied_rate=0.05, aap_error_rate=0.1, aap_purge_age_s=900.0,
    eda_lost_rate=0.2, eda_duplicate_rate=0.2, eda_timeout_accepted_rate=0.05, playbook_step_failure_rate=0.03,
)


def extra_vars(world: World, name: str) -> dict[str, object]:
    return {"extra_vars": {"ansible_eda": {"event": {"payload": world.payload(name)}}}}


def exercise(seed: int) -> World:
    """Tenants, EDA and AAP-direct creates, a cancel, an armed failure, deletes, a restart, a purge, a tenant delete."""
    world = World(seed, FAULTY)
    world.faults.rates = ApiFaultRates(conflict=0.05, server_error=0.02, timeout_applied=0.01)
    names = [f"vm-{i}" for i in range(6)]
    for i, name in enumerate(names):
        world.create_instance(name, tenant="acme" if i % 2 else "globex")
    world.backends.aap.fail_next(template=CREATE)
    for i, name in enumerate(names):
        if i % 2:
            world.try_call("POST", f"{AAP}/v2/job_templates/{CREATE}/launch/", extra_vars(world, name))
        else:
            world.try_call("POST", EDA_CREATE, world.payload(name), timeout_s=10.0)
    world.advance(1.0)
    world.try_call("POST", f"{AAP}/v2/jobs/9001/cancel/")
    world.advance(300.0)
    for vmi in world.server.select(KIND_VIRTUAL_MACHINE_INSTANCE)[:1]:  # a restart (§15)
        world.server.delete(vmi.kind, vmi.metadata.namespace, vmi.metadata.name, actor="operator")
    world.advance(120.0)
    for i, name in enumerate(names):
        if i % 2:
            world.try_call("POST", f"{AAP}/v2/job_templates/{DELETE}/launch/", extra_vars(world, name))
        else:
            world.try_call("POST", EDA_DELETE, world.payload(name), timeout_s=10.0)
    world.advance(400.0)
    for job_id in sorted(world.backends.aap.jobs.jobs)[:3]:
        world.backends.aap.purge(job_id)
        world.try_call("GET", f"{AAP}/v2/jobs/{job_id}/")
    world.server.delete(KIND_TENANT, NS, world.create_tenant("globex"), actor="test")
    world.advance(1200.0)
    return world


def test_the_same_seed_gives_the_same_log() -> None:
    first, second = exercise(7), exercise(7)
    assert len(first.kernel.log.events) > 400
    assert digest_of(first.kernel.log.events) == digest_of(second.kernel.log.events)
    assert first.kernel.choices.tape == second.kernel.choices.tape


def test_a_different_seed_gives_a_different_log() -> None:
    assert digest_of(exercise(7).kernel.log.events) != digest_of(exercise(8).kernel.log.events)


def test_the_exercise_reaches_every_kind_of_outcome_it_is_meant_to_show() -> None:
    world = exercise(7)
    types = {type(e).__name__ for e in world.kernel.log.events}
    expected = {"AapJobLaunched", "AapJobTransitioned", "AapCancelRequested", "AapCancelSignalled", "AapJobPurged",
                "AapFailureArmed", "WebhookReceived", "EdaRuleFired", "PlaybookStepStarted", "PlaybookStepFinished",
                "VmProvisioned", "VmBecameReady", "VmRestarted", "VmReleased", "HttpRequested", "HttpAnswered"}
    assert expected <= types, sorted(expected - types)
    statuses = {j.status for j in world.backends.aap.jobs.jobs.values()}
    assert "active" not in statuses and not any(j.active for j in world.backends.aap.jobs.jobs.values())


def test_folding_the_log_rebuilds_the_job_table_and_the_ledger() -> None:
    world = exercise(7)
    folded = fold(world.kernel.log.events, {"aap": AapJobs(), "cloud": CloudLedger()})
    assert folded["aap"].snapshot() == world.backends.aap.jobs.snapshot()
    assert folded["cloud"].snapshot() == world.backends.kubevirt.ledger.snapshot()
