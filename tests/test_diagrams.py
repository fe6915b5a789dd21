"""The checked-in diagrams are generated from the machine definitions and never drift from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.machines import ALL_MACHINES, machine_dot
from sim.cli import main
from sim.render import diagrams

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("machine", ALL_MACHINES, ids=lambda m: m.name)
def test_checked_in_dot_matches_the_machine_definition(machine: object) -> None:
    from models.machines import MachineDef

    assert isinstance(machine, MachineDef)
    path = REPO / "diagrams" / f"{machine.name}.dot"
    assert path.exists(), f"{path} is missing: run `python -m sim diagrams` and commit diagrams/"
    assert path.read_text(encoding="utf-8") == machine_dot(machine), (
        f"{path} drifted from the definition of {machine.name}: run `python -m sim diagrams` and commit diagrams/"
    )


def test_every_machine_has_a_checked_in_svg() -> None:
    missing = [m.name for m in ALL_MACHINES if not (REPO / "diagrams" / f"{m.name}.svg").exists()]
    assert not missing, f"no SVG for {missing}: run `python -m sim diagrams` (needs Graphviz dot) and commit"


def test_diagrams_command_writes_dot_for_every_machine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagrams", "--out", str(tmp_path), "--format", "dot"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{m.name}.dot" for m in ALL_MACHINES)
    assert "wrote" in capsys.readouterr().out


def test_without_graphviz_dot_is_still_written_and_the_message_says_how_to_get_svg(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(diagrams, "dot_program", lambda: None)
    assert main(["diagrams", "--out", str(tmp_path), "--format", "dot,svg"]) == 0
    assert not list(tmp_path.glob("*.svg"))
    assert len(list(tmp_path.glob("*.dot"))) == len(ALL_MACHINES)
    assert "apt-get install graphviz" in capsys.readouterr().err


def test_an_unknown_format_is_bad_input_with_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagrams", "--out", str(tmp_path), "--format", "bmp"]) == 2
    err = capsys.readouterr().err
    assert "--format 'bmp'" in err and "fix:" in err and "Traceback" not in err


def test_a_campaign_coverage_overlay_colours_taken_transitions_and_dashes_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sim.checks.coverage import Coverage

    coverage = Coverage()
    coverage.hit("aap_job", "new", "enqueue")
    coverage.runs = 1
    path = tmp_path / "coverage.json"
    import json

    path.write_text(json.dumps(coverage.to_json()), encoding="utf-8")
    assert main(["diagrams", "--coverage", str(path), "--format", "dot"]) == 0
    dot = (tmp_path / "aap_job-coverage.dot").read_text(encoding="utf-8")
    assert "enqueue (1)" in dot and "dashed" in dot and "never taken" in dot


def test_a_coverage_file_that_is_not_a_campaign_is_bad_input(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"machines": {"no_such_machine": {"pairs": []}}}', encoding="utf-8")
    assert main(["diagrams", "--coverage", str(path)]) == 2
    assert "unknown machine 'no_such_machine'" in capsys.readouterr().err
