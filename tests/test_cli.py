"""The command line answers bad input with a clear message and exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.cli import main


def test_an_unknown_subcommand_exits_2_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bogus"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err and "--help" in err


def test_no_subcommand_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().out


def test_python_dash_m_sim_runs_as_a_program() -> None:
    proc = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "diagrams" in proc.stdout
