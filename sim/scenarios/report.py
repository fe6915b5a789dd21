"""What a person (text) or a machine (JSON) reads about one run: header, timeline, instances, violations, verdict.

The timeline, the per-instance summary and the violation paragraphs come from `sim.render.timeline`
when it is installed; otherwise a minimal line per event stands in, so a run can always be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from models.events import Event
from sim.checks.base import Violation
from sim.scenarios.overrides import encode_overrides

if TYPE_CHECKING:
    from sim.runner import RunResult

QUIET, DEFAULT, VERBOSE = 0, 1, 2
_SHOWN = frozenset({"UserActed", "ManagerStarted", "ManagerCrashed", "AapJobLaunched", "AapJobTransitioned",
                    "AapCancelRequested", "WebhookReceived", "EdaRuleFired", "PlaybookStepFinished",
                    "VmProvisioned", "VmReleased", "ObjectRemoved", "ApiCallRejected", "RunStarted", "RunFinished"})


# -- the parts -------------------------------------------------------------------------------------
def header_lines(result: RunResult) -> list[str]:
    """First the seed and every option, then the scenario's description; replays say what they checked."""
    o = result.options
    s = result.scenario
    lines = [f"seed {result.seed} · scenario {s.name} · controller {result.controller} · provider {o['provider']}",
             f"options: horizon {o['horizon_s']:g} s · heal at {o['heal_at_s']:g} s · status poll "
             f"{o['status_poll_interval_s']:g} s · job history {o['max_job_history']} · workers {o['workers']} · "
             f"webhook interval {o['minimum_request_interval_s']:g} s"
             + (f" · overrides {_overrides(result.overrides)}" if result.overrides else "")]
    if s.description:
        lines.append(f"  {s.description}")
    if result.mode == "replay":
        lines.append(f"replayed {result.log_path}: {len(result.events)} events, digest verified "
                     f"({result.digest[:16]}…); checkers re-run over the saved events")
    elif result.mode == "rerun":
        same = result.digest == result.recorded_digest
        lines.append("re-executed with the log's recorded choices: "
                     + ("identical log (same digest)" if same else "the log differs from the saved one")
                     + (f"; streams that left the tape: {', '.join(result.diverged)}" if result.diverged else ""))
    return lines


def _overrides(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(overrides.items()))


def timeline_lines(events: Sequence[Event], verbosity: int) -> list[str]:
    try:
        from sim.render.timeline import render_timeline
    except ImportError:
        return [_fallback_line(e) for e in events if verbosity >= VERBOSE or type(e).__name__ in _SHOWN]
    return render_timeline(events, verbosity=verbosity)


def _fallback_line(e: Event) -> str:
    fields = ", ".join(f"{k}={v}" for k, v in e.payload().items() if isinstance(v, str | int | float | bool))
    return f"{e.t:9.2f}s  {e.actor:<17} {e.type_name} {fields}".rstrip()


def instance_lines(result: RunResult) -> list[str]:
    if result.events:
        try:
            from sim.render.timeline import render_summary
        except ImportError:
            pass
        else:
            return render_summary(result.events)
    lines = ["instances:"]
    for name, f in sorted(result.instances.items()):
        jobs = ", ".join(f"{j['jobID'] or '(no id)'} {j['type']} {j['state']}" for j in f["recorded_jobs"]) or "none"
        launched = ", ".join(f"{j['id']} {j['playbook']} {j['status']}" for j in f["backend_jobs"]) or "none"
        lines += [f"  {name}: {f['final']}", f"    recorded: {jobs}", f"    launched in AAP: {launched}",
                  f"    VMs left in the cloud: {len(f['live_vms'])}"]
    return lines


def violation_lines(v: Violation, events: Sequence[Event], label: str) -> list[str]:
    try:
        from sim.render.timeline import render_violation
    except ImportError:
        cause = " [environment: no controller could have prevented it]" if v.environment else ""
        lines = [f"VIOLATION {v.property} at {v.t:g}s: {v.subject or 'world-wide'}{cause}", f"  {v.explanation}"]
        by_seq = {e.seq: e for e in events}
        lines += [f"    {_fallback_line(by_seq[s])}" for s in v.events if s in by_seq]
    else:
        lines = render_violation(v, events)
    if lines and lines[0].startswith("VIOLATION"):
        lines[0] = label + lines[0][len("VIOLATION"):]
    return lines


def verdict_line(result: RunResult) -> str:
    if result.passed:
        found = f" — {_count(len(result.findings), 'finding')} the scenario expects of {result.controller}" \
            if result.findings else ""
        return f"verdict: PASSED: expectations met{found}"
    parts = []
    if result.unexpected:
        caused = sum(1 for v in result.unexpected if v.environment)
        by_environment = f" ({caused} caused by the environment)" if caused else ""
        parts.append(_count(len(result.unexpected), "unexpected violation") + by_environment)
    if result.expectation_failures:
        parts.append(_count(len(result.expectation_failures), "unmet expectation"))
    return f"verdict: FAILED: {', '.join(parts)}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# -- whole reports ---------------------------------------------------------------------------------
def text_report(result: RunResult, verbosity: int = DEFAULT) -> list[str]:
    """The lines the CLI prints for a run, ending with the reproduce command."""
    lines = header_lines(result)
    if verbosity > QUIET:
        lines += ["", "timeline:", *timeline_lines(result.events, verbosity), "", *instance_lines(result)]
    lines += ["", *_judgement(result, verbosity), "", verdict_line(result), f"reproduce: {result.reproduce}"]
    return lines


def _judgement(result: RunResult, verbosity: int) -> list[str]:
    lines: list[str] = []
    groups = (("FINDING", result.findings, f"expected of {result.controller}: a known weakness, not a failure"),
              ("VIOLATION", result.unexpected, "must not happen"),
              ("TOLERATED", result.tolerated, "outside this scenario's `holds`"))
    for label, items, meaning in groups:
        if not items:
            continue
        lines.append(f"{_count(len(items), label.lower())} ({meaning}):")
        for v in items:
            if verbosity > QUIET:
                lines += [f"  {line}" for line in violation_lines(v, result.events, label)]
            else:
                lines.append(f"  {label} {v.property} at {v.t:g}s on {v.subject or 'the world'}")
    if not result.violations:
        lines.append("violations: none")
    if result.expectation_failures:
        lines.append("unmet expectations:")
        lines += [f"  - {sentence}" for sentence in result.expectation_failures]
    return lines


def json_report(result: RunResult) -> dict[str, Any]:
    """The same content as `text_report`, as one JSON-ready document."""
    s = result.scenario

    def tagged(v: Violation, kind: str) -> dict[str, Any]:
        return {**v.to_dict(), "kind": kind}

    return {
        "seed": result.seed, "controller": result.controller, "mode": result.mode,
        "scenario": {"name": s.name, "description": s.description, "path": s.path, "hash": s.content_hash},
        "options": result.options, "overrides": encode_overrides(result.overrides),
        "timeline": timeline_lines(result.events, DEFAULT), "instances": result.instances,
        "violations": [tagged(v, "finding") for v in result.findings]
        + [tagged(v, "unexpected") for v in result.unexpected] + [tagged(v, "tolerated") for v in result.tolerated],
        "expectation_failures": list(result.expectation_failures), "passed": result.passed,
        "verdict": verdict_line(result).removeprefix("verdict: "), "events": len(result.events),
        "digest": result.digest, "log": result.log_path, "recorded_digest": result.recorded_digest,
        "reproduce": result.reproduce,
    }
