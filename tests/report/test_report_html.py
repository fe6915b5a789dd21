"""The HTML run report is one self-contained, deterministic file with every lane, the job bands and the violations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from report_sample import REPORT_TITLE, REPRODUCE, delete_during_provision, example_violation, header

from models.events import Event, Note
from models.machines import ALL_MACHINES
from sim.checks.base import Violation
from sim.render.diagrams import dot_program
from sim.render.html import LANES, job_bands, lane_of, render_html, run_paths

FAKE_SVGS = {m.name: f'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><g id="graph0"><title>{m.name}'
                     "</title></g></svg>" for m in ALL_MACHINES}


@dataclass(frozen=True, slots=True)
class _Unheard(Event):
    """An event of a type and actor the report does not know."""


URL_ATTRIBUTES = {"src", "href", "xlink:href", "action", "formaction", "data", "poster", "srcset", "background"}


def _render(events: tuple[Event, ...], violations: tuple[Violation, ...] = ()) -> str:
    return render_html(events, title=REPORT_TITLE, header=header("aap"), violations=violations,
                       reproduce=REPRODUCE, machines_svg=FAKE_SVGS)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <style> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _tags(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def _lane_track(page: str, lane: str) -> str:
    start = page.index(f'data-lane="{lane}"')
    return page[start:page.index('<div class="row', start)]


def test_the_report_loads_nothing_from_the_network() -> None:
    events = delete_during_provision("aap")
    page = _render(events, (example_violation(events),))
    parsed = _tags(page)
    for tag, attrs in parsed.tags:
        assert not (tag == "script" and "src" in attrs), "a <script src> would load code from outside the file"
        assert tag not in ("link", "iframe", "img", "object", "embed"), f"<{tag}> may fetch an external resource"
        for name, value in attrs.items():
            if name in URL_ATTRIBUTES:
                assert not re.match(r"\s*(https?:)?//", value), f"<{tag} {name}={value!r}> points outside the file"
            assert "url(" not in value or "url(data:" in value, f"<{tag} {name}> loads a CSS url()"
    assert all("url(" not in css and "@import" not in css for css in parsed.styles), "the stylesheet loads a url"
    assert any(tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
               and "default-src 'none'" in attrs.get("content", "") for tag, attrs in parsed.tags)
    # URLs do occur, but only as text: the operator's HTTP calls in the event details.
    assert "http://aap.example" in page


def test_every_lane_is_in_the_page_and_each_real_event_sits_in_a_named_lane() -> None:
    events = delete_during_provision("aap")
    page = _render(events)
    for lane, _title in LANES:
        if lane != "other":
            assert f'data-lane="{lane}"' in page, f"lane {lane} is missing"
    assert 'data-lane="other"' not in page, "every event of a real run belongs to a named lane"
    assert {lane_of(e) for e in events} >= {"user", "apiserver", "cache", "controller", "aap", "playbooks", "cloud",
                                           "tenants", "gc"}
    assert page.count('class="ev ') == len(events)
    assert 'id="event-details"' in page and "document.body.dataset.ready" in page


def test_events_are_assigned_to_the_lane_of_whoever_acted() -> None:
    events = delete_during_provision("aap")
    lanes = {(type(e).__name__, e.actor): lane_of(e) for e in events}
    assert lanes[("UserActed", "user")] == "user"
    assert lanes[("ObjectStored", "user")] == "apiserver"
    assert lanes[("ObjectStored", "operator")] == "apiserver"
    assert lanes[("CacheUpdated", "operator")] == "cache"
    assert lanes[("HttpRequested", "operator")] == "controller"
    assert lanes[("AapJobTransitioned", "aap")] == "aap"
    assert lanes[("PlaybookStepStarted", "playbook/9000")] == "playbooks"
    assert lanes[("ObjectStored", "playbook/9000")] == "playbooks"
    assert lanes[("VmProvisioned", "kubevirt")] == "cloud"
    assert lanes[("ObjectStored", "tenant-controller")] == "tenants"
    assert lanes[("OwnersGone", "garbage-collector")] == "gc"
    eda = delete_during_provision("eda")
    assert {lane_of(e) for e in eda if type(e).__name__ in ("WebhookReceived", "EdaRuleFired")} == {"eda"}
    assert lane_of(Note(0, 0.0, "driver", "hello")) == "user"
    assert lane_of(_Unheard(0, 0.0, "someone")) == "other"


def test_a_violation_is_marked_in_the_lanes_of_its_events_and_listed_with_its_explanation() -> None:
    events = delete_during_provision("aap")
    violation = example_violation(events)
    page = _render(events, (violation,))
    assert page.count('class="violation-marker"') == 1  # both events are AAP's
    assert 'class="violation-marker"' in _lane_track(page, "aap")
    assert 'class="violation-marker"' not in _lane_track(page, "user")
    for seq in violation.events:
        assert re.search(rf'class="ev [^"]* violating" data-i="\d+" data-seq="{seq}"', page)
    assert "1 violation: example-property" in page
    assert "hand-made example: deprovision job 9001 was launched" in page


def test_a_violation_the_environment_caused_is_listed_as_such() -> None:
    events = delete_during_provision("aap")
    caused = Violation("one-active-provision", 50.0, "ns/vm-1", "EDA delivered one webhook twice", environment=True)
    page = _render(events, (example_violation(events), caused))
    assert page.count("caused by the environment: no controller could have prevented it") == 1


def test_a_violation_that_names_no_event_is_marked_in_every_lane() -> None:
    events = delete_during_provision("aap")
    page = _render(events, (Violation("world-wide", 50.0, "", "something about everything"),))
    used = [lane for lane, _ in LANES if f'data-lane="{lane}"' in page]
    assert page.count('class="violation-marker"') == len(used)


def test_without_violations_the_verdict_says_so() -> None:
    page = _render(delete_during_provision("aap"))
    assert "no violations" in page and 'class="violation-marker"' not in page


def test_the_same_run_renders_to_the_same_bytes() -> None:
    events = delete_during_provision("aap")
    violation = example_violation(events)
    first = _render(events, (violation,))
    delete_during_provision.cache_clear()
    again = delete_during_provision("aap")
    assert _render(again, (example_violation(again),)) == first


def test_job_bands_follow_the_aap_job_and_the_recorded_job() -> None:
    events = delete_during_provision("aap")
    bands = {b.key: [s.state for s in b.segments] for b in job_bands(events, 200.0)}
    assert bands["aap/9000"] == ["new", "pending", "waiting", "running", "canceled"]
    assert bands["aap/9001"] == ["new", "pending", "waiting", "running", "successful"]
    assert bands["ci/cloudkit-computeinstance/vm-1/job/provision/9000"] == ["Pending", "Running", "Canceled"]
    assert bands["ci/cloudkit-computeinstance/vm-1/phase"] == ["Starting", "Deleting"]
    page = _render(events)
    assert 'data-band="aap/9000"' in page and ">canceled</span>" in page


def test_the_machine_paths_are_the_transitions_the_run_took() -> None:
    paths = run_paths(delete_during_provision("aap"))
    assert paths.counts["aap_job"][("running", "cancel")] == 1
    assert paths.counts["aap_job"][("running", "succeed")] == 1
    assert ("running", "fail") not in paths.counts["aap_job"]
    assert paths.counts["cr_object"][("live", "delete")] == 1
    assert paths.counts["cr_object"][("terminating", "finalizers_emptied")] == 1
    assert paths.counts["job_record"][("Running", "record_Canceled")] == 1
    assert paths.counts["instance_phase"][("Deleting", "remove")] == 1
    assert paths.counts["vm"][("deleting", "vanish")] == 1
    assert all(not odd for odd in paths.unexpected.values())


def test_machine_diagrams_are_inlined_svg_without_prolog_and_with_unique_ids() -> None:
    page = _render(delete_during_provision("aap"))
    assert "<?xml" not in page and "xmlns=" not in page
    for machine in ALL_MACHINES:
        assert f'data-machine="{machine.name}"' in page
        assert f'id="{machine.name}-graph0"' in page


def test_without_graphviz_the_dot_source_is_shown_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sim.render.html.dot_program", lambda: None)
    page = render_html(delete_during_provision("aap"), title="t", header={})
    assert page.count("Graphviz <code>dot</code> is not installed") == len(ALL_MACHINES)
    assert "digraph aap_job {" in page
    assert "enqueue (2)" in page  # the DOT carries this run's counts


@pytest.mark.skipif(dot_program() is None, reason="Graphviz dot is not installed")
def test_with_graphviz_the_diagrams_are_drawn_by_dot() -> None:
    page = render_html(delete_during_provision("aap"), title="t", header={})
    assert page.count("<svg") == len(ALL_MACHINES) and "digraph" not in page


def test_event_text_cannot_end_the_embedded_data_script() -> None:
    sneaky = (Note(0, 1.0, "scenario", "</script><script>alert(1)</script><!--"),)
    page = render_html(sneaky, title="<b>title</b>", header={"note": "</script>"}, machines_svg=FAKE_SVGS)
    assert "alert(1)</script>" not in page and "<b>title</b>" not in page
    assert page.count("<script") == page.count("</script>") == 3


def test_an_empty_run_still_renders() -> None:
    page = render_html((), title="empty", header={"seed": 0}, machines_svg=FAKE_SVGS)
    assert "All 0 events" in page and 'data-lane="user"' in page
