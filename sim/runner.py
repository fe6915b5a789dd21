"""Run a scenario: build the world, watch it with the checkers, play the timeline, heal, judge, save the log.

`run_scenario` executes a scenario with a seed (or a given choice source); `replay_log` reads a saved log,
verifies it and re-runs the checkers over its events; `rerun_log` executes the scenario again with the
log's recorded choices, strictly with the same controller or leniently with another.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simpy

import sim.checks  # registers the property checkers
import sim.scenarios.facts  # noqa: F401  (registers the `instances` projection)
from models.events import Event, Note, RunFinished, RunStarted
from models.jobs import JobType
from sim.checks.base import CheckRun, Violation
from sim.kernel.choice import Choice, ChoiceSource, RecordedChoiceSource, SeededChoiceSource
from sim.kernel.errors import SimError
from sim.kernel.logfile import Digest, LogHeader, LogWriter, read_log, refuse_overwrite
from sim.kernel.projection import fold, new_projections, snapshot, subscribe_projections
from sim.operator.registry import DEFAULT_CONTROLLER, resolve_controller
from sim.scenarios.expectations import judge
from sim.scenarios.loader import load_scenario, parse_scenario
from sim.scenarios.overrides import apply_overrides, decode_overrides, encode_overrides
from sim.scenarios.schema import ActionSpec, Scenario
from sim.world import World

DRIVER = "driver"


@dataclass
class RunResult:
    """Everything a run produced and how it was judged."""

    scenario: Scenario
    seed: int
    controller: str
    events: list[Event]
    digest: str
    choices: list[Choice]
    violations: list[Violation]
    findings: list[Violation]  # violations the scenario expects of this controller: reported, not failures
    unexpected: list[Violation]  # violations of properties that must hold
    expectation_failures: list[str]  # unmet expectations, one sentence each
    final_state: dict[str, Any]  # snapshot of every projection at the end
    reproduce: str  # the command that runs this again
    tolerated: list[Violation] = field(default_factory=list)  # outside an explicit `holds`, not in `violates`
    overrides: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # the knobs a reader wants in the header
    mode: str = "run"  # run | replay | rerun
    log_path: str | None = None
    recorded_digest: str | None = None  # replay/rerun: the digest in the saved log
    diverged: list[str] = field(default_factory=list)  # lenient rerun: choice streams that left the tape

    @property
    def passed(self) -> bool:
        """No unexpected violation and every expectation met (findings the scenario expects are fine)."""
        return not self.unexpected and not self.expectation_failures

    @property
    def instances(self) -> dict[str, Any]:
        """Per instance: final phase or gone, jobs recorded and launched, VMs left (the `instances` projection)."""
        found: dict[str, Any] = self.final_state.get("instances", {})
        return found


def run_scenario(name_or_path_or_scenario: str | os.PathLike[str] | Scenario, *, seed: int | None = None,
                 controller: str | None = None, choices: ChoiceSource | None = None, log_path: str | None = None,
                 overwrite: bool = False, keep_events: bool = True, **overrides: Any) -> RunResult:
    """Run one scenario once and judge it; `overrides` change world knobs (e.g. provider="aap", horizon_s=300)."""
    base = name_or_path_or_scenario if isinstance(name_or_path_or_scenario, Scenario) \
        else load_scenario(name_or_path_or_scenario)
    scenario = apply_overrides(base, overrides)
    config = scenario.world
    spec = (controller or config.controller).strip() or DEFAULT_CONTROLLER
    cls = resolve_controller(spec)
    config = dataclasses.replace(config, controller=spec)
    seed = scenario.seed if seed is None else seed
    if log_path is not None:
        refuse_overwrite(Path(log_path), overwrite=overwrite)
    source = choices if choices is not None else SeededChoiceSource(seed)
    world = World(config, source, controller=cls, keep_events=keep_events)
    checks, projections = CheckRun(), new_projections()
    log = world.kernel.log
    subscribe_projections(log, projections)
    log.subscribe_router(checks)  # the checkers' handlers are called by the log directly
    writer = _writer(log_path, scenario, seed, spec, overrides, overwrite)
    digest = Digest()
    log.subscribe(writer.write if writer is not None else digest.add)
    try:
        _play(world, scenario, seed)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    digest_hex = writer.close(source.tape) if writer is not None else digest.hexdigest()
    violations = checks.finish(scenario.horizon_s)
    result = _judged(scenario, seed, spec, list(log.events), digest_hex, list(source.tape), violations,
                     snapshot(projections), overrides)
    result.log_path = log_path
    if isinstance(source, RecordedChoiceSource):
        result.diverged = list(source.diverged)
    return result


def _writer(log_path: str | None, scenario: Scenario, seed: int, controller: str, overrides: Mapping[str, Any],
            overwrite: bool) -> LogWriter | None:
    if log_path is None:
        return None
    config = {"scenario": scenario.name, "scenario_path": scenario.path, "scenario_hash": scenario.content_hash,
              "scenario_source": scenario.source, "controller": controller,
              "overrides": encode_overrides(overrides), "horizon_s": scenario.horizon_s,
              "heal_at_s": scenario.heal_at_s, "world": scenario.world.describe()}
    return LogWriter(log_path, LogHeader(seed=seed, config=config), overwrite=overwrite)


def _play(world: World, scenario: Scenario, seed: int) -> None:
    """RunStarted, operator start, the timeline, heal, the horizon, RunFinished."""
    world.kernel.record(RunStarted, DRIVER, scenario=scenario.name, seed=seed)
    world.start()
    for inst in scenario.instances:
        world.spawn(_at(world, inst.create_at_s, _create(world, scenario, inst.name)))
    for action in scenario.actions:
        world.spawn(_at(world, action.at_s, _perform(world, scenario, action)))
    world.spawn(_at(world, scenario.heal_at_s, _call(world.heal)))
    world.run(scenario.horizon_s)
    world.kernel.record(RunFinished, DRIVER, reason="horizon reached")


Step = Generator[simpy.Event, Any, None]


def _at(world: World, t: float, body: Step) -> Step:
    delay = t - world.now
    if delay > 0:
        yield world.env.timeout(delay)
    yield from body


def _call(fn: Any, *args: Any, **kwargs: Any) -> Step:
    fn(*args, **kwargs)
    yield from ()


def _create(world: World, scenario: Scenario, name: str) -> Step:
    spec = scenario.instance(name)
    yield from world.create_instance(spec.name, tenant=spec.tenant, template_id=spec.template_id,
                                     template_parameters=spec.template_parameters,
                                     management_state=spec.management_state)


def _perform(world: World, scenario: Scenario, a: ActionSpec) -> Step:
    """Carry out one action of the timeline with the World verb it names."""
    name = a.instance or ""
    job_type = JobType(a.job_type) if a.job_type is not None else None
    if a.do == "create":
        yield from _create(world, scenario, name)
    elif a.do == "delete":
        yield from world.delete_instance(name)
    elif a.do == "edit_spec":
        yield from world.edit_spec(name, template_parameters=a.template_parameters)
    elif a.do == "request_restart":
        yield from world.edit_spec(name, restart=True)
    elif a.do in ("set_management_state", "clear_management_state"):
        yield from world.set_management_state(name, a.state)
    elif a.do == "start_operator" and world.manager.running:
        world.kernel.record(Note, DRIVER, text="start_operator: the operator is already running; nothing to do")
    else:
        _OPERATOR_VERBS[a.do](world, a, job_type)

_OPERATOR_VERBS: dict[str, Any] = {
    "switch_provider": lambda w, a, _: w.switch_provider(a.provider, delay_s=a.delay_s),
    "crash_operator": lambda w, a, _: w.crash_operator(),
    "restart_operator": lambda w, a, _: w.restart_operator(a.delay_s),
    "start_operator": lambda w, a, _: w.start_operator(),
    "purge_job": lambda w, a, jt: w.purge_job(a.instance, jt or JobType.PROVISION),
    "fail_next_job": lambda w, a, jt: w.fail_next_job(jt, a.step),
    "lag_spike": lambda w, a, _: w.lag_spike(a.duration_s, a.extra_lag_s),
    "conflict_storm": lambda w, a, _: w.conflict_storm(a.duration_s, a.rate),
    "heal": lambda w, a, _: w.heal(),
}


def _judged(scenario: Scenario, seed: int, controller: str, events: list[Event], digest: str,
            choices: list[Choice], violations: list[Violation], final_state: dict[str, Any],
            overrides: Mapping[str, Any]) -> RunResult:
    verdict = judge(scenario.expectation_for(controller), controller, violations, final_state.get("instances", {}))
    return RunResult(
        scenario=scenario, seed=seed, controller=controller, events=events, digest=digest, choices=choices,
        violations=violations, findings=verdict.findings, unexpected=verdict.unexpected,
        expectation_failures=verdict.failures, final_state=final_state, tolerated=verdict.tolerated,
        reproduce=reproduce_command(scenario, seed, controller, overrides), overrides=dict(overrides),
        options=describe_options(scenario, controller))


def describe_options(scenario: Scenario, controller: str) -> dict[str, Any]:
    """The knobs printed in a run's header."""
    w = scenario.world
    return {"controller": controller, "provider": w.operator.provider, "horizon_s": scenario.horizon_s,
            "heal_at_s": scenario.heal_at_s, "status_poll_interval_s": w.operator.status_poll_interval_s,
            "max_job_history": w.operator.max_job_history, "workers": w.manager.max_concurrent_reconciles,
            "minimum_request_interval_s": w.operator.minimum_request_interval_s}


def reproduce_command(scenario: Scenario, seed: int, controller: str, overrides: Mapping[str, Any]) -> str:
    """`python -m sim scenario NAME --seed N ...`; overrides the CLI cannot express make it a Python call."""
    if not scenario.is_builtin and (not scenario.path or ":" in scenario.path):
        # Built in Python (e.g. a swarm scenario `swarm:all/17`): there is no file the CLI could run.
        return (f"save the scenario to a file first (sim.explore.scenario_toml.to_toml), then: "
                f"python -m sim scenario FILE.toml --seed {seed}"
                + (f" --controller {controller}" if controller != DEFAULT_CONTROLLER else ""))
    target = scenario.name if scenario.is_builtin else scenario.path
    rest = {k: v for k, v in overrides.items() if k != "provider"}
    if rest:
        args = ", ".join([repr(target), f"seed={seed}", *(f"{k}={v!r}" for k, v in sorted(overrides.items())),
                          *([f"controller={controller!r}"] if controller != DEFAULT_CONTROLLER else [])])
        return f"python -c \"from sim import run_scenario; print(run_scenario({args}).passed)\""
    cmd = f"python -m sim scenario {target} --seed {seed}"
    if "provider" in overrides:
        cmd += f" --provider {overrides['provider']}"
    if controller != DEFAULT_CONTROLLER:
        cmd += f" --controller {controller}"
    return cmd


# -- saved logs ------------------------------------------------------------------------------------
def _from_header(config: Mapping[str, Any], path: str) -> tuple[Scenario, str, dict[str, Any]]:
    """The scenario (from the source text the header carries), the controller and the overrides of a log."""
    source = config.get("scenario_source")
    if not isinstance(source, str) or not source:
        raise SimError("the log's header carries no scenario", where=path,
                       rule="a log written by `python -m sim scenario --log` carries its scenario's text",
                       fix="re-create the log with `python -m sim scenario NAME --log FILE`")
    origin = str(config.get("scenario_path") or path)
    scenario = parse_scenario(source, file=origin, default_name=str(config.get("scenario", "")))
    if scenario.content_hash != config.get("scenario_hash"):
        raise SimError("the scenario text in the header does not match its hash", where=path,
                       rule="a log's header names its scenario by a SHA-256 of the text",
                       fix="the file was edited; re-create it from its seed")
    controller = str(config.get("controller") or DEFAULT_CONTROLLER)
    return scenario, controller, decode_overrides(config.get("overrides") or {})


def replay_log(path: str | os.PathLike[str]) -> RunResult:
    """Read and verify a saved log, fold it, re-run the checkers over its events and judge them again."""
    saved = read_log(path)
    base, controller, overrides = _from_header(saved.header.config, str(path))
    scenario = apply_overrides(base, overrides)
    checks = CheckRun()
    checks.feed(saved.events)
    violations = checks.finish(scenario.horizon_s)
    final_state = snapshot(fold(saved.events))
    result = _judged(scenario, saved.header.seed, controller, saved.events, saved.digest, saved.choices,
                     violations, final_state, overrides)
    result.mode, result.log_path, result.recorded_digest = "replay", os.fspath(path), saved.digest
    return result


def rerun_log(path: str | os.PathLike[str], controller: str | None = None) -> RunResult:
    """Execute the logged scenario again with its recorded choices (strict if the controller is the same)."""
    saved = read_log(path)
    scenario, logged_controller, overrides = _from_header(saved.header.config, str(path))
    chosen = (controller or logged_controller).strip() or DEFAULT_CONTROLLER
    same = chosen == logged_controller
    tape = RecordedChoiceSource(saved.choices, strict=same,
                                fallback=SeededChoiceSource(saved.header.seed, record=False))
    result = run_scenario(scenario, seed=saved.header.seed, controller=chosen, choices=tape, **overrides)
    result.mode, result.recorded_digest = "rerun", saved.digest
    return result
