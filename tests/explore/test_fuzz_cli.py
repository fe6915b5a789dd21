"""The `fuzz` and `explore` subcommands: conflicting flags are bad input (exit 2) before anything runs, a campaign
against the reference exits 1 with its findings, and `explore --exhaustive` prints what it covered."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from sim.explore import campaign, exhaustive, plan, swarm
from sim.explore.cli import (
    FAMILY_NAMES,
    STRATEGY_NAMES,
    add_explore_parser,
    add_fuzz_parser,
    cmd_explore,
    cmd_fuzz,
    main,
)


def _never_run(*args: object, **kwargs: object) -> object:
    raise AssertionError("a campaign started although the flags were rejected")


@pytest.mark.parametrize(("argv", "complaint"), [
    (["fuzz", "--runs", "3", "--seconds", "2"], "not allowed with argument --runs"),
    (["fuzz", "--family", "eda", "--scenario", "provision-aap"], "not allowed with argument --family"),
    (["fuzz", "--force"], "--force without --out"),
    (["fuzz", "--scenario", "provision-aap", "--strategy", "swarm"], "swarm"),
    (["fuzz", "--strategy", "hypothesis", "--workers", "2"], "hypothesis"),
    (["fuzz", "--shard", "3/2"], "--shard 3/2"),
    (["fuzz", "--pct-depth", "2"], "--pct-depth without --strategy pct"),
    (["fuzz", "--family", "nope"], "unknown scenario family"),
    (["fuzz", "--controller", "nope"], "nope"),
    (["fuzz", "--runs", "0"], "--runs 0"),
    (["fuzz", "--no-shrink", "--shrink-runs", "5"], "--no-shrink"),
    (["explore", "provision-aap", "--depth", "3"], "--exhaustive"),
    (["explore", "provision-aap", "--exhaustive"], "--depth"),
    (["explore", "no-such-scenario", "--exhaustive", "--depth", "2"], "unknown scenario"),
])
def test_bad_flags_exit_2_before_anything_runs(argv: list[str], complaint: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(campaign, "run_campaign", _never_run)
    monkeypatch.setattr(exhaustive, "explore", _never_run)
    assert main(argv) == 2
    assert complaint in capsys.readouterr().err


def test_a_non_empty_out_folder_is_refused_before_anything_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    monkeypatch.setattr(campaign, "run_campaign", _never_run)
    assert main(["fuzz", "--out", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_fuzz_against_the_reference_reports_groups_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "--family", "eda", "--runs", "6", "--seed", "7", "--no-shrink"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("fuzz: swarm over family eda, controller reference, seed 7; budget 6 runs")
    assert "one-active-provision" in out and out.rstrip().endswith("s)") and "runs/s" in out.splitlines()[-1]


def test_fuzz_json_is_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    main(["fuzz", "--scenario", "provision-aap", "--runs", "2", "--json", "--no-shrink"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["campaign"]["strategy"] == "seeds" and doc["campaign"]["runs"] == 2


def test_explore_prints_executions_and_states(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explore", "provision-aap", "--exhaustive", "--depth", "3"])
    out = capsys.readouterr().out
    assert code == 0 and "executions: 8; distinct final states: 1" in out


def test_the_functions_plug_into_any_subparsers() -> None:
    parser = argparse.ArgumentParser(prog="python -m sim")
    sub = parser.add_subparsers(dest="command")
    add_fuzz_parser(sub)
    add_explore_parser(sub)
    args = parser.parse_args(["explore", "provision-eda", "--exhaustive", "--depth", "2", "--json"])
    assert args.command == "explore" and cmd_explore(args) == 0
    assert callable(cmd_fuzz)


def test_the_parsers_offer_every_strategy_and_family() -> None:
    assert STRATEGY_NAMES == plan.STRATEGIES
    assert tuple(swarm.FAMILIES) == FAMILY_NAMES
