"""The Mermaid export is a valid sequence diagram of the run's key messages, cut with a note when it grows long."""

from __future__ import annotations

import re

from report_sample import delete_during_provision, example_violation

from models.events import Note
from sim.checks.base import Violation
from sim.render.mermaid import PARTICIPANTS, render_mermaid

ARROW = re.compile(r"^    (\w+)(->>|-->>|--x|-x)(\w+): (.+)$")
NOTE = re.compile(r"^    Note over (\w+)(?:,(\w+))?: (.+)$")
PARTICIPANT = re.compile(r"^    participant (\w+) as [\w ]+$")


def _check_syntax(diagram: str) -> list[str]:
    """Every line is a header, a participant, a message or a note between known participants; returns the texts."""
    lines = diagram.splitlines()
    assert lines[0] == "sequenceDiagram"
    known = {pid for pid, _ in PARTICIPANTS}
    texts = []
    for line in lines[1:]:
        if PARTICIPANT.match(line):
            continue
        arrow, note = ARROW.match(line), NOTE.match(line)
        if arrow:
            ends, text = {arrow.group(1), arrow.group(3)}, arrow.group(4)
        else:
            assert note, f"not a Mermaid sequence line: {line!r}"
            ends, text = {note.group(1), note.group(2) or note.group(1)}, note.group(3)
        assert ends <= known, f"unknown participant in {line!r}"
        texts.append(text)
    for text in texts:
        bare = re.sub(r"#(\d+|lt|gt);", "", text)
        assert not set(bare) & set("#;<>\n"), f"text Mermaid would misread: {text!r}"
    return texts


def test_the_diagram_names_the_participants_and_the_key_messages_of_an_aap_run() -> None:
    diagram = render_mermaid(delete_during_provision("aap"), max_messages=1000)
    _check_syntax(diagram)
    assert diagram.startswith("sequenceDiagram\n")
    for pid, name in PARTICIPANTS:
        assert f"participant {pid} as {name}\n" in diagram
    for expected in ("User->>API: 0.00s create vm-1", "User->>API: 20.01s delete vm-1",
                     "Operator->>AAP: 2.39s POST /api/controller/v2/job_templates/cloudkit-create-compute-instance/",
                     "AAP-->>Operator: 2.48s 201 9000 pending", "AAP->>AAP: 2.47s launch job 9000",
                     "AAP->>Playbook: 8.82s run job 9000", "POST /api/controller/v2/jobs/9000/cancel/",
                     "AAP->>AAP: 78.69s job 9000 running to canceled", "Playbook->>API:",
                     "Operator->>API: 2.49s update_status ComputeInstance vm-1 (phase Starting, jobs 9000 Pending)",
                     "Cloud->>Cloud: 13.60s VM vm-1 provisioned",
                     "Note over API: 126.50s ComputeInstance vm-1 removed"):
        assert expected in diagram, f"missing {expected!r}"


def test_an_eda_run_shows_the_webhook_and_the_rule_that_launched_the_job() -> None:
    diagram = render_mermaid(delete_during_provision("eda"), max_messages=1000)
    _check_syntax(diagram)
    assert "Operator->>EDA: 2.32s POST /create-compute-instance" in diagram
    assert "EDA->>AAP:" in diagram and "rule fired: run cloudkit-create-compute-instance as job 9000" in diagram


def test_a_violation_is_a_note_after_its_last_event_with_awkward_characters_escaped() -> None:
    events = delete_during_provision("aap")
    violation = example_violation(events)
    odd = Violation("odd", 1.0, "ns/vm-1", "a; b #2 <i>x</i>\nsecond line")
    diagram = render_mermaid(events, violations=(violation, odd), max_messages=1000)
    texts = _check_syntax(diagram)
    lines = diagram.splitlines()
    note = next(i for i, line in enumerate(lines) if "VIOLATION example-property" in line)
    assert "launch job 9001" in lines[note - 1], "the note follows the last event it names"
    assert any("a#59; b #35;2 #lt;i#gt;x#lt;/i#gt; second line" in text for text in texts)


def test_a_long_run_is_cut_at_max_messages_with_a_final_note_and_keeps_its_violations() -> None:
    events = delete_during_provision("aap")
    diagram = render_mermaid(events, violations=(example_violation(events),), max_messages=10)
    _check_syntax(diagram)
    lines = diagram.splitlines()
    cut = next(i for i, line in enumerate(lines) if "more messages left out (limit 10)" in line)
    shown = [line for line in lines[:cut] if ARROW.match(line) or NOTE.match(line)]
    assert len(shown) == 10, "notes for events (a manager starting, an object removed) count as messages"
    assert all(not ARROW.match(line) for line in lines[cut:])
    assert "VIOLATION example-property" in lines[-1]


def test_the_same_run_gives_the_same_diagram_and_an_empty_run_a_valid_one() -> None:
    events = delete_during_provision("aap")
    assert render_mermaid(events) == render_mermaid(events)
    assert _check_syntax(render_mermaid(())) == []
    assert _check_syntax(render_mermaid((Note(0, 0.0, "driver", "x; y"),))) == ["0.00s x#59; y"]
