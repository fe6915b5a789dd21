"""The run API: one seed, one log; overrides change the world; saved logs replay and re-execute to the same verdict."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from models.events import RunFinished, RunStarted
from sim import load_scenario, run_scenario
from sim.kernel.errors import SimError
from sim.kernel.logfile import read_log
from sim.operator.reconciler import ComputeInstanceReconciler
from sim.operator.registry import register_controller
from sim.runner import replay_log, rerun_log
from sim.scenarios.loader import parse_scenario
from sim.scenarios.schema import ActionSpec


class _SameAsReference(ComputeInstanceReconciler):
    """A plug-in controller that changes nothing: a rerun against it is lenient but ends the same."""

    name = "same-as-reference"


register_controller("same-as-reference-for-tests", _SameAsReference)


def test_a_run_starts_and_ends_with_run_events_and_judges_the_expectations() -> None:
    result = run_scenario("lifecycle-aap", seed=3)
    assert isinstance(result.events[0], RunStarted) and result.events[0].seed == 3
    assert isinstance(result.events[-1], RunFinished)
    assert result.passed and result.instances["vm-1"]["final"] == "gone"
    assert result.reproduce == "python -m sim scenario lifecycle-aap --seed 3"
    assert set(result.final_state) >= {"kube", "aap", "cloud", "instances"}


def test_the_same_seed_gives_the_same_digest_and_another_seed_another() -> None:
    a, b, c = (run_scenario("delete-during-provision-aap", seed=s) for s in (1, 1, 2))
    assert a.digest == b.digest and [x.to_list() for x in a.choices] == [x.to_list() for x in b.choices]
    assert a.digest != c.digest


def test_not_keeping_events_changes_nothing_but_the_event_list() -> None:
    kept, dropped = run_scenario("provision-aap"), run_scenario("provision-aap", keep_events=False)
    assert dropped.events == [] and dropped.digest == kept.digest
    assert dropped.instances == kept.instances and dropped.violations == kept.violations


def test_overrides_change_world_knobs_and_appear_in_the_reproduce_line() -> None:
    result = run_scenario("provision-eda", provider="aap")
    assert result.options["provider"] == "aap" and result.instances["vm-1"]["backend_jobs"][0]["launched_by"] == "api"
    assert result.reproduce.endswith("--provider aap")
    knobs = run_scenario("provision-aap", max_job_history=3, horizon_s=200)
    assert knobs.options["max_job_history"] == 3 and knobs.events[-1].t == 200.0
    assert "run_scenario('provision-aap', seed=1, horizon_s=200, max_job_history=3)" in knobs.reproduce


@pytest.mark.parametrize(("overrides", "needle"), [
    ({"max_job_histroy": 3}, "unknown override 'max_job_histroy'"),
    ({"provider": "ansible"}, "provider"),
    ({"horizon_s": -1}, "horizon_s"),
    ({"operator.informer_lag": 1}, "[world.operator] has no key 'informer_lag'"),
])
def test_a_bad_override_is_refused_before_the_run(overrides: dict[str, object], needle: str) -> None:
    with pytest.raises(SimError) as info:
        run_scenario("provision-aap", **overrides)
    assert needle in str(info.value)


def test_an_unknown_controller_is_bad_input() -> None:
    with pytest.raises(SimError, match="neither a registered controller"):
        run_scenario("provision-aap", controller="no-such-controller")


def test_a_scenario_built_in_python_runs_too() -> None:
    base = load_scenario("provision-aap")
    scenario = dataclasses.replace(base, actions=(ActionSpec(at_s=150, do="delete", instance="vm-1"),), expect={})
    result = run_scenario(scenario, horizon_s=1100)
    assert result.instances["vm-1"]["final"] == "gone" and result.passed


def test_a_log_is_never_overwritten_unless_asked(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    run_scenario("provision-aap", log_path=str(log))
    with pytest.raises(SimError, match="already exists"):
        run_scenario("provision-aap", log_path=str(log))
    again = run_scenario("provision-aap", log_path=str(log), overwrite=True)
    assert read_log(log).digest == again.digest


def test_replaying_a_log_gives_the_same_violations_state_and_verdict(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    live = run_scenario("restart-after-launch-aap", log_path=str(log))
    replayed = replay_log(log)
    assert replayed.mode == "replay" and replayed.digest == live.digest
    assert replayed.violations == live.violations and replayed.findings == live.findings
    assert replayed.final_state == live.final_state and replayed.passed == live.passed
    assert replayed.expectation_failures == live.expectation_failures


def test_re_executing_a_log_with_its_tape_gives_an_identical_log(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    live = run_scenario("switch-eda-to-aap", seed=7, log_path=str(log))
    rerun = rerun_log(log)
    assert rerun.mode == "rerun" and rerun.digest == live.digest == rerun.recorded_digest and rerun.seed == 7


def test_re_executing_against_another_controller_is_lenient(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    run_scenario("lifecycle-eda", log_path=str(log))
    rerun = rerun_log(log, controller="same-as-reference-for-tests")
    assert rerun.controller == "same-as-reference-for-tests" and rerun.passed
    assert "--controller same-as-reference-for-tests" in rerun.reproduce


def test_a_log_carries_its_scenario_so_a_user_file_can_move(tmp_path: Path) -> None:
    source = tmp_path / "mine.toml"
    source.write_text(load_scenario("provision-aap").source, encoding="utf-8")
    log = tmp_path / "run.jsonl"
    live = run_scenario(source, log_path=str(log))
    source.unlink()
    assert replay_log(log).digest == live.digest
    assert read_log(log).header.config["scenario_hash"] == live.scenario.content_hash


def test_an_explicit_holds_list_tolerates_violations_of_other_properties() -> None:
    source = load_scenario("spec-change-after-running").source
    text = source[:source.index("[expect.")] + '[expect.default]\nholds = ["one-deprovision"]\n'
    result = run_scenario(parse_scenario(text, file="tolerant.toml"))
    assert [v.property for v in result.tolerated] == ["provisioning-converges"]
    assert result.passed and not result.unexpected and not result.findings
