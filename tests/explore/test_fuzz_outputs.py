"""Outputs: a saved group reproduces with the runner (scenario file + seed, replayed log, re-executed tape), the
summary and coverage are JSON, and a non-empty folder is never written into unless forced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.explore.campaign import MIN_SHRINK_SHARE_S, Budget, CampaignResult, fair_share, run_campaign
from sim.explore.outputs import prepare_out, save_campaign
from sim.explore.plan import CampaignPlan
from sim.explore.report import summary_lines
from sim.explore.shrink import ShrinkBudget
from sim.explore.signature import hits_of
from sim.kernel.errors import SimError
from sim.runner import RunResult, replay_log, rerun_log, run_scenario


def _signatures(result: RunResult) -> set[str]:
    return {h.signature for h in hits_of(result.violations, result.events)}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[CampaignResult, Path]:
    out = tmp_path_factory.mktemp("findings")
    result = run_campaign(CampaignPlan("swarm", "delete", seed=3), Budget(runs=4),
                          shrink_budget=ShrinkBudget(max_runs=40, max_seconds=30))
    save_campaign(result, out)
    return result, out


def test_each_group_gets_a_folder_with_scenario_log_stub_and_readme(saved: tuple[CampaignResult, Path]) -> None:
    result, out = saved
    folders = sorted((out / "groups").iterdir())
    assert len(folders) == len(result.groups) > 0
    for folder in folders:
        names = {p.name for p in folder.iterdir()}
        assert {"scenario.toml", "replay.jsonl", "README.md"} <= names
        assert any(n.startswith("test_") and n.endswith(".py") for n in names)


def test_a_saved_group_reproduces_with_the_runners_replay_rerun_and_scenario(
        saved: tuple[CampaignResult, Path]) -> None:
    _, out = saved
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    group = summary["groups"][0]
    folder = Path(group["folder"])
    assert group["signature"] in _signatures(replay_log(folder / "replay.jsonl"))
    assert group["signature"] in _signatures(rerun_log(folder / "replay.jsonl"))
    seed = group["minimal"]["seed"]
    assert group["signature"] in _signatures(run_scenario(folder / "scenario.toml", seed=seed))
    assert group["reproduces"] == {"scenario": True, "replay": True, "rerun": True}


def test_the_summary_and_coverage_are_json_for_the_report_and_the_diagrams(
        saved: tuple[CampaignResult, Path]) -> None:
    result, out = saved
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["campaign"]["runs"] == 4 and summary["campaign"]["runs_per_s"] > 0
    assert [g["signature"] for g in summary["groups"]] == [g.signature for g in result.groups]
    coverage = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    assert set(coverage["machines"]) == {"aap_job", "cr_object", "vm", "job_record", "instance_phase"}
    assert coverage["actions"]["delete"] >= 1


def test_the_printed_summary_has_a_row_per_group_and_ends_with_runs_per_second(
        saved: tuple[CampaignResult, Path]) -> None:
    result, out = saved
    lines = summary_lines(result, str(out))
    assert lines[-1].endswith(f"({result.runs} runs in {result.search_s:.1f} s)") and "runs/s" in lines[-1]
    for g in result.groups:
        assert any(g.short in line and g.property in line for line in lines)


def test_a_non_empty_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(SimError, match="not empty"):
        prepare_out(str(tmp_path), force=False)
    assert prepare_out(str(tmp_path), force=True) == tmp_path
    assert prepare_out(str(tmp_path / "new"), force=False) == tmp_path / "new"



def test_the_total_shrink_time_is_shared_fairly_among_the_groups() -> None:
    """159 groups and 120 s of shrinking: each gets 0.75 s, not 10 s for the first twelve and nothing for the rest."""
    budget = ShrinkBudget(max_runs=100, max_seconds=10, total_seconds=120)
    assert fair_share(budget, 159, 1).max_seconds == pytest.approx(120 / 159)
    assert fair_share(budget, 159, 2).max_seconds == pytest.approx(240 / 159)  # two processes shrink at once
    assert fair_share(budget, 3, 1).max_seconds == 10  # never more than the per-group budget
    assert fair_share(budget, 10_000, 1).max_seconds == MIN_SHRINK_SHARE_S
    assert fair_share(ShrinkBudget(max_seconds=10), 159, 1).max_seconds == 10  # no total: no sharing
