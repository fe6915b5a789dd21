"""The HTML report of a real delete-during-provision run renders in headless Chromium: lanes, marker, no errors, pixels.

Skipped with a reason when no Chromium is installed, except in CI (CI=true), where the browser is required.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from browser_check import dom_attribute, find_browser, png_stats, probe, run_browser
from report_sample import REPORT_TITLE, REPRODUCE, delete_during_provision, example_violation, header

from sim.render.html import LANES, render_html

WINDOW = (1400, 900)


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        reason = ("no Chromium on PATH (looked for chromium, chromium-browser, google-chrome): the HTML report's "
                  "browser test needs it; install it with `apt-get install -y chromium`")
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}. CI=true, where this test is required, not skipped", pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    events = delete_during_provision("aap")
    path = tmp_path_factory.mktemp("report") / "delete-during-provision-aap.html"
    path.write_text(render_html(events, title=REPORT_TITLE, header=header("aap"),
                                violations=[example_violation(events)], reproduce=REPRODUCE), encoding="utf-8")
    return path


def test_the_report_renders_its_lanes_and_violation_marker_without_console_errors(browser: str, report: Path) -> None:
    run = run_browser(browser, report, "--dump-dom")
    assert dom_attribute(run.dom, "data-ready") == "1", "the report's script did not finish its set-up"
    assert not run.console, "the page wrote to the console (errors, CSP refusals):\n" + "\n".join(run.console)
    assert not [line for line in run.console if "Uncaught" in line]
    lanes = set(re.findall(r'data-lane="([^"]+)"', run.dom))
    assert lanes == {lane for lane, _ in LANES if lane != "other"}
    assert len(re.findall(r'class="violation-marker[^"]*"', run.dom)) == 1
    assert 'id="event-details"' in run.dom
    assert "Violation of example-property" in run.dom, "the first violation is shown in the details panel on load"


def test_clicking_an_event_zooming_and_clicking_the_violation_work(browser: str, report: Path) -> None:
    seen = probe(browser, report)
    assert "error" not in seen, seen
    assert seen["event_details"] is True, "clicking a mark shows the event's JSON"
    assert seen["zoom"] == "2", "the + button doubles the zoom"
    assert str(seen["violation_heading"]).startswith("Violation of example-property")
    assert seen["selected_events"] == 2, "the violation's two events are highlighted"
    assert seen["console"] == []


def test_the_screenshot_has_the_window_size_and_is_not_blank(browser: str, report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    run = run_browser(browser, report, f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}")
    assert not run.console, "\n".join(run.console)
    assert shot.stat().st_size > 20_000, "a screenshot of the report is tens of kilobytes at least"
    stats = png_stats(shot)
    assert (stats.width, stats.height) == WINDOW
    assert stats.non_background > 0.10 * stats.width * stats.height, stats
    assert stats.colours > 50, f"a rendered report has many colours, not {stats.colours}"


@pytest.fixture(scope="module")
def finding_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a real finding, written by the CLI: EDA deletes while the create job still runs."""
    from sim.cli import main

    path = tmp_path_factory.mktemp("finding") / "delete-during-provision-eda.html"
    assert main(["scenario", "delete-during-provision-eda", "--seed", "1", "--quiet", "--html", str(path)]) == 0
    return path


def test_the_report_of_a_real_finding_marks_its_violations_in_the_browser(browser: str, finding_report: Path) -> None:
    run = run_browser(browser, finding_report, "--dump-dom")
    assert dom_attribute(run.dom, "data-ready") == "1"
    assert not run.console, "\n".join(run.console)
    assert {lane for lane, _ in LANES if lane != "other"} <= set(re.findall(r'data-lane="([^"]+)"', run.dom))
    assert len(re.findall(r'class="violation-marker[^"]*"', run.dom)) >= 2
    assert "no-deprovision-during-provision" in run.dom and "no-leak-on-removal" in run.dom
