"""Judge a finished run against a scenario's expectations: findings, unexpected violations and unmet facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.checks.base import Violation
from sim.scenarios.schema import Expectation

_COUNT_WORDS = {"provision_jobs": ("provision job", "launched in the backend"),
                "deprovision_jobs": ("deprovision job", "launched in the backend"),
                "recorded_jobs": ("job", "recorded in status.jobs[]")}


@dataclass
class Verdict:
    """Violations sorted by what the scenario expects of them, and every unmet expectation as a sentence."""

    findings: list[Violation] = field(default_factory=list)  # expected (`violates`): reported, not a failure
    unexpected: list[Violation] = field(default_factory=list)  # a property that must hold was violated
    tolerated: list[Violation] = field(default_factory=list)  # property in neither list of an explicit `holds`
    failures: list[str] = field(default_factory=list)  # unmet expectations, one sentence each

    @property
    def passed(self) -> bool:
        return not self.unexpected and not self.failures


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def judge(expectation: Expectation, controller: str, violations: Sequence[Violation],
          instances: Mapping[str, Mapping[str, Any]]) -> Verdict:
    """Sort `violations` and check the final-state facts against `instances` (the `instances` projection)."""
    verdict = Verdict()
    expected = set(expectation.violates)
    for v in violations:
        if v.property in expected:
            verdict.findings.append(v)
        elif expectation.holds is None or v.property in expectation.holds:
            verdict.unexpected.append(v)
        else:
            verdict.tolerated.append(v)
    seen = {v.property for v in violations}
    for pid in expectation.violates:
        if pid not in seen:
            verdict.failures.append(f"the {controller} controller was expected to violate {pid} "
                                    f"(a known finding this scenario reproduces), but it did not")
    for name, want in sorted(expectation.final.items()):
        got = _final(instances.get(name))
        if not _final_matches(want, got):
            verdict.failures.append(f"{name} was expected to end {_describe_final(want)}, "
                                    f"but it ended {_describe_final(got)}")
    for key, table in expectation.counts().items():
        noun, where = _COUNT_WORDS[key]
        for name, want_n in sorted(table.items()):
            got_n = int(instances.get(name, {}).get(key, 0)) if key != "recorded_jobs" else \
                len(instances.get(name, {}).get("recorded_jobs", []))
            if got_n != want_n:
                verdict.failures.append(f"{name} was expected to have {_plural(want_n, noun)} {where}, "
                                        f"but it has {got_n}")
    return verdict


def _final(facts: Mapping[str, Any] | None) -> str:
    if facts is None:
        return "never created"
    return str(facts.get("final", "gone"))


def _final_matches(want: str, got: str) -> bool:
    if want == "present":
        return got not in ("gone", "never created")
    return want == got


def _describe_final(state: str) -> str:
    if state in ("gone", "present", "never created"):
        return state
    return f"in phase {state}" if state else "with no phase written"
