"""Every kind of bad input exits 2 with a message naming what is wrong, where, the rule and the fix; no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

Capture = pytest.CaptureFixture[str]

SCENARIO = """
[scenario]
horizon_s = 300

[[instances]]
name = "vm-1"

[[actions]]
at_s = 100
do = "delete"
instance = "vm-1"
"""


def _bad(argv: list[str], capsys: Capture, *needles: str) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert "Traceback" not in err + captured.out
    assert err.startswith("error: ")
    for needle in needles:
        assert needle in err, f"{needle!r} not in:\n{err}"
    return err


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_an_unknown_scenario_name(capsys: Capture) -> None:
    _bad(["scenario", "delete-during-provisioning-aap"], capsys, "unknown scenario", "python -m sim list",
         "did you mean 'delete-during-provision-aap'")


def test_a_missing_scenario_file(tmp_path: Path, capsys: Capture) -> None:
    _bad(["scenario", str(tmp_path / "nope.toml")], capsys, "no such file", "nope.toml")


def test_an_unknown_key(tmp_path: Path, capsys: Capture) -> None:
    err = _bad(["scenario", _file(tmp_path, SCENARIO.replace("horizon_s = 300", "horizon_s = 300\nseeds = 3"))],
               capsys, "unknown key 'seeds'", "bad.toml", "[scenario]", "rule:", "fix:")
    assert "did you mean 'seed'" in err


def test_a_wrong_type(tmp_path: Path, capsys: Capture) -> None:
    _bad(["scenario", _file(tmp_path, SCENARIO.replace("at_s = 100", 'at_s = "soon"'))], capsys,
         "at_s = 'soon' has the wrong type", "[[actions]] #1", "a number")


def test_a_negative_time(tmp_path: Path, capsys: Capture) -> None:
    _bad(["scenario", _file(tmp_path, SCENARIO.replace("at_s = 100", "at_s = -1"))], capsys,
         "at_s = -1 is negative", ">= 0 seconds")


def test_an_unknown_action_verb(tmp_path: Path, capsys: Capture) -> None:
    _bad(["scenario", _file(tmp_path, SCENARIO.replace('do = "delete"', 'do = "remove"'))], capsys,
         "unknown action verb do = 'remove'", "do is one of: create, delete")


def test_missing_action_parameters(tmp_path: Path, capsys: Capture) -> None:
    _bad(["scenario", _file(tmp_path, SCENARIO.replace('do = "delete"\ninstance = "vm-1"',
                                                       'do = "switch_provider"'))], capsys,
         "do = 'switch_provider' is missing provider", "fix: add provider")


def test_a_toml_syntax_error(tmp_path: Path, capsys: Capture) -> None:
    _bad(["scenario", _file(tmp_path, SCENARIO + "\n[[actions]\n")], capsys, "not valid TOML", "line 13")


def test_an_unknown_controller(capsys: Capture) -> None:
    _bad(["scenario", "provision-aap", "--controller", "nosuch.module:Thing"], capsys,
         "module 'nosuch.module' cannot be imported", "--controller")
    _bad(["scenario", "provision-aap", "--controller", "fixed"], capsys, "neither a registered controller")


def test_a_bad_flag_value(capsys: Capture) -> None:
    _bad(["scenario", "provision-aap", "--seed", "one"], capsys, "invalid int value")
    _bad(["scenario", "provision-aap", "--provider", "ansible"], capsys, "invalid choice")
    _bad(["experiment", "providers", "--runs", "0"], capsys, "--runs 0")


@pytest.mark.parametrize(("flags", "needle"), [
    (["--quiet", "--verbose"], "--quiet and --verbose cannot be used together"),
    (["--json", "--verbose"], "--json and --verbose cannot be used together"),
    (["--json", "--quiet"], "--json and --quiet cannot be used together"),
    (["--force"], "--force without an output file"),
])
def test_conflicting_flags_are_refused_before_anything_runs(tmp_path: Path, capsys: Capture, flags: list[str],
                                                            needle: str) -> None:
    _bad(["scenario", "provision-aap", *flags], capsys, needle)
    assert list(tmp_path.iterdir()) == []


def test_replay_controller_needs_rerun(tmp_path: Path, capsys: Capture) -> None:
    _bad(["replay", str(tmp_path / "a.jsonl"), "--controller", "reference"], capsys, "--controller without --rerun")


def test_an_unreadable_log(tmp_path: Path, capsys: Capture) -> None:
    _bad(["replay", str(tmp_path / "absent.jsonl")], capsys, "no such file")
    not_a_log = tmp_path / "notes.jsonl"
    not_a_log.write_text('{"hello": 1}\n', encoding="utf-8")
    _bad(["replay", str(not_a_log)], capsys, "not a simulator log")
    binary = tmp_path / "blob.jsonl"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    _bad(["replay", str(binary)], capsys, "not UTF-8")


def test_a_tampered_log_is_refused_with_a_clear_message(tmp_path: Path, capsys: Capture) -> None:
    log = tmp_path / "a.jsonl"
    assert main(["scenario", "delete-during-provision-aap", "--seed", "1", "--log", str(log)]) == 0
    capsys.readouterr()
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    victim = next(i for i, line in enumerate(lines) if '"type":"AapCancelRequested"' in line)
    lines[victim] = lines[victim].replace('"answered":202', '"answered":405')
    log.write_text("".join(lines), encoding="utf-8")
    _bad(["replay", str(log)], capsys, "digest mismatch", "a.jsonl:", "re-create it from its seed")
    _bad(["replay", str(log), "--rerun"], capsys, "digest mismatch")


def test_a_truncated_log_is_refused(tmp_path: Path, capsys: Capture) -> None:
    log = tmp_path / "a.jsonl"
    assert main(["scenario", "provision-aap", "--log", str(log)]) == 0
    capsys.readouterr()
    log.write_text("".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    _bad(["replay", str(log)], capsys, "footer line", "truncated")


def test_python_dash_m_sim_reports_bad_input_without_a_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "sim", "scenario", "no-such-scenario"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "unknown scenario" in proc.stderr



def test_a_reader_that_closes_the_pipe_early_gets_no_traceback() -> None:
    """`python -m sim list | head -1` where head has gone: the listing stops quietly, as Unix tools do."""
    proc = subprocess.Popen([sys.executable, "-m", "sim", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the first line is written (the child is still importing)
    _, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr.decode(), stderr.decode()
    assert proc.returncode == 141  # 128 + SIGPIPE
