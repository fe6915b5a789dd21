"""`python -m sim list | scenario | replay | experiment`: what a person reads, what a machine reads, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenarios.loader import builtin_names, load_scenario

Capture = pytest.CaptureFixture[str]


def test_list_names_every_built_in_scenario_with_one_line_each(capsys: Capture) -> None:
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == builtin_names()
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_a_scenario_prints_header_timeline_instances_verdict_and_reproduce(capsys: Capture) -> None:
    assert main(["scenario", "delete-during-provision-aap", "--seed", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("seed 1 · scenario delete-during-provision-aap · controller reference · provider aap")
    assert out[1].startswith("options: horizon")
    text = "\n".join(out)
    assert "timeline:" in text and "instances:" in text and "verdict: PASSED" in text
    assert out[-1] == "reproduce: python -m sim scenario delete-during-provision-aap --seed 1"


def test_findings_the_scenario_expects_exit_0_and_are_printed_as_findings(capsys: Capture) -> None:
    assert main(["scenario", "spec-change-after-running"]) == 0
    text = capsys.readouterr().out
    assert "FINDING provisioning-converges" in text and "verdict: PASSED" in text and "1 finding" in text


def test_an_unmet_expectation_exits_1_and_says_what_was_expected(tmp_path: Path, capsys: Capture) -> None:
    path = tmp_path / "wrong.toml"
    path.write_text('[scenario]\nhorizon_s = 900\n[[instances]]\nname = "vm-1"\n'
                    '[expect.default]\nfinal = { "vm-1" = "gone" }\n', encoding="utf-8")
    assert main(["scenario", str(path)]) == 1
    out = capsys.readouterr().out
    assert "vm-1 was expected to end gone, but it ended in phase Running" in out
    assert out.splitlines()[-1] == f"reproduce: python -m sim scenario {path} --seed 1"


def test_an_unexpected_violation_exits_1(tmp_path: Path, capsys: Capture) -> None:
    source = load_scenario("spec-change-after-running").source
    path = tmp_path / "no-expectations.toml"
    path.write_text(source[:source.index("[expect.")], encoding="utf-8")
    assert main(["scenario", str(path)]) == 1
    out = capsys.readouterr().out
    assert "VIOLATION provisioning-converges" in out and "verdict: FAILED: 1 unexpected violation" in out


def test_quiet_skips_the_timeline_and_verbose_shows_every_event(capsys: Capture) -> None:
    main(["scenario", "provision-aap", "--quiet"])
    quiet = capsys.readouterr().out
    main(["scenario", "provision-aap", "--verbose"])
    verbose = capsys.readouterr().out
    assert "timeline:" not in quiet and "verdict: PASSED" in quiet
    assert len(verbose.splitlines()) > 3 * len(quiet.splitlines())


def test_json_output_parses_and_carries_the_same_content(capsys: Capture) -> None:
    assert main(["scenario", "cancel-after-finish-aap", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["seed"] == 1 and doc["passed"] is True and doc["scenario"]["name"] == "cancel-after-finish-aap"
    assert {v["kind"] for v in doc["violations"]} == {"finding"}
    assert doc["instances"]["vm-1"]["final"] == "gone" and doc["timeline"]
    assert doc["reproduce"] == "python -m sim scenario cancel-after-finish-aap --seed 1"


def test_the_same_seed_twice_writes_identical_log_files(tmp_path: Path, capsys: Capture) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert main(["scenario", "delete-during-provision-aap", "--seed", "1", "--log", str(a)]) == 0
    assert main(["scenario", "delete-during-provision-aap", "--seed", "1", "--log", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    capsys.readouterr()


def test_replay_reproduces_the_verdict_of_the_run(tmp_path: Path, capsys: Capture) -> None:
    log = tmp_path / "a.jsonl"
    assert main(["scenario", "restart-after-launch-aap", "--log", str(log)]) == 0
    run_out = capsys.readouterr().out
    assert main(["replay", str(log)]) == 0
    replay_out = capsys.readouterr().out
    assert "digest verified" in replay_out
    verdict = [line for line in run_out.splitlines() if line.startswith("verdict:")]
    assert verdict == [line for line in replay_out.splitlines() if line.startswith("verdict:")]
    assert "FINDING one-active-provision" in replay_out


def test_replay_rerun_re_executes_to_an_identical_log(tmp_path: Path, capsys: Capture) -> None:
    log = tmp_path / "a.jsonl"
    main(["scenario", "lifecycle-eda", "--log", str(log)])
    capsys.readouterr()
    assert main(["replay", str(log), "--rerun"]) == 0
    assert "identical log (same digest)" in capsys.readouterr().out


def test_an_existing_log_needs_force(tmp_path: Path, capsys: Capture) -> None:
    log = tmp_path / "a.jsonl"
    log.write_text("precious", encoding="utf-8")
    assert main(["scenario", "provision-aap", "--log", str(log)]) == 2
    assert "already exists" in capsys.readouterr().err and log.read_text(encoding="utf-8") == "precious"
    assert main(["scenario", "provision-aap", "--log", str(log), "--force"]) == 0


def test_the_provider_experiment_prints_a_deterministic_table_with_its_latencies(capsys: Capture) -> None:
    assert main(["experiment", "providers", "--runs", "3", "--seed", "1"]) == 0
    first = capsys.readouterr().out
    assert main(["experiment", "providers", "--runs", "3", "--seed", "1"]) == 0
    assert capsys.readouterr().out == first
    for needle in ("provision", "deprovision", "total", "AAP faster", "reported", "EDA webhook → job launch",
                   "6 VMs"):
        assert needle in first
    assert main(["experiment", "providers", "--runs", "2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["providers"]) == {"eda", "aap"} and len(doc["providers"]["aap"]["provision_s"]) == 2


def test_scenario_writes_an_html_report_and_a_mermaid_diagram_of_the_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html, mmd = tmp_path / "run.html", tmp_path / "run.mmd"
    assert main(["scenario", "delete-during-provision-aap", "--quiet", "--html", str(html),
                 "--mermaid", str(mmd)]) == 0
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'data-lane="controller"' in page
    assert mmd.read_text(encoding="utf-8").startswith("sequenceDiagram")
    assert main(["scenario", "delete-during-provision-aap", "--quiet", "--html", str(html)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert main(["scenario", "delete-during-provision-aap", "--quiet", "--html", str(html), "--force"]) == 0


def test_replay_writes_the_report_of_a_saved_finding(tmp_path: Path) -> None:
    log, html = tmp_path / "a.jsonl", tmp_path / "a.html"
    assert main(["scenario", "delete-during-provision-eda", "--quiet", "--log", str(log)]) == 0
    assert main(["replay", str(log), "--quiet", "--html", str(html)]) == 0
    assert "violation-marker" in html.read_text(encoding="utf-8")


def test_a_violation_the_environment_caused_is_named_so_in_the_report_and_the_verdict(
        tmp_path: Path, capsys: Capture) -> None:
    path = tmp_path / "duplicated.toml"
    path.write_text('[scenario]\ndescription = "EDA delivers every create webhook twice"\n'
                    'horizon_s = 600\nheal_at_s = 100\n[world.operator]\nprovider = "eda"\n'
                    '[world.backends]\neda_duplicate_rate = 1.0\n[[instances]]\nname = "vm-1"\n')
    assert main(["scenario", str(path), "--seed", "1"]) == 1
    text = capsys.readouterr().out
    assert "VIOLATION one-active-provision" in text
    assert "[environment: no controller could have prevented it]" in text
    assert "caused by the environment)" in text.splitlines()[-2]
