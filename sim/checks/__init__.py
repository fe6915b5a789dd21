"""Checkers: safety properties checked online after every event, liveness properties checked at the end.

Importing this package registers every property checker (one module per property family); `deterministic`
is not an event checker but a function, `check_deterministic`.
"""

from sim.checks import (
    concurrency,
    deprovision,
    history,
    leaks,
    liveness,
    monitors,
    phase,
    recording,
)
from sim.checks.base import Checker, CheckRun, Violation, new_checkers, property_ids, register_checker
from sim.checks.determinism import check_deterministic
from sim.checks.report import explain_events, format_violation

# Every property id of the product, in the order the issue lists them (stable: scenario files name them).
ALL_PROPERTY_IDS: tuple[str, ...] = (
    "one-active-provision",
    "one-deprovision",
    "jobs-recorded",
    "no-deprovision-during-provision",
    "no-leak-on-removal",
    "job-state-recorded",
    "history-preserved",
    "phase-consistent",
    "legal-job-transition",
    "legal-phase-transition",
    "deletion-completes",
    "provisioning-converges",
    "deterministic",
)

__all__ = [
    "ALL_PROPERTY_IDS", "CheckRun", "Checker", "Violation", "check_deterministic", "concurrency", "deprovision",
    "explain_events", "format_violation", "history", "leaks", "liveness", "monitors", "new_checkers", "phase",
    "property_ids", "recording", "register_checker",
]
