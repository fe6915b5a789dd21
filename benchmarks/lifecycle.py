"""Lifecycle throughput: complete single-instance lifecycles (create → Running → delete → gone) per second per core.

Two variants for each provider (AAP and EDA), each N independent worlds run one after the other:

- ``world``: the simulator alone (a `World`, no checkers, no digest), stopped when the instance is gone;
- ``scenario``: `run_scenario` of the built-in `lifecycle-<provider>` scenario — projections, the twelve
  checkers, the log digest and the verdict, i.e. what every run of a campaign costs.

Each figure is compared with the bare simpy loop performing the same number of engine events.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from benchmarks.common import (
    Report,
    Settings,
    Target,
    bare_rate,
    counting_engine_events,
    figure,
    ratio_figure,
    timed,
)
from benchmarks.workload import one_lifecycle
from sim.runner import run_scenario
from sim.scenarios.loader import load_scenario

NAME = "lifecycle"
TARGET_PER_S = 1000.0
TARGET_RATIO = 4.0


def _units(provider: str) -> dict[str, Callable[[int], int]]:
    scenario = load_scenario(f"lifecycle-{provider}")

    def full(seed: int) -> int:
        return len(run_scenario(scenario, seed=seed).events)

    return {"world": lambda seed: one_lifecycle(provider, seed), "scenario": full}


def run(settings: Settings, out: TextIO = sys.stdout) -> Report:
    """Measure every provider and variant; print and return the report."""
    n = 3 if settings.quick else 100
    repeats = 2 if settings.quick else settings.repeats
    report = Report(NAME, f"complete single-instance lifecycles per second on one core ({n} worlds per run, "
                    f"median of {repeats} runs)")
    for provider in ("aap", "eda"):
        for variant, unit in _units(provider).items():
            unit(10_000)  # warm caches and imports outside the measurement
            seeds = range(1, n + 1)
            with counting_engine_events() as counted:
                log_events = sum(unit(s) for s in seeds)
            engine = counted[0]
            seconds, _ = timed(lambda unit=unit, seeds=seeds: [unit(s) for s in seeds], repeats)  # type: ignore[misc]
            bare = bare_rate(engine, 1, repeats)
            rate = seconds.rate(n)
            label = f"{provider} {variant}"
            report.add(figure(f"{label}: lifecycles/s", rate, "/s",
                              target=Target(f">= {TARGET_PER_S:,.0f}/s", rate.median >= TARGET_PER_S)))
            report.add(figure(f"{label}: log events/s", seconds.rate(log_events), "/s"))
            report.add(ratio_figure(f"{label}: time vs bare simpy", seconds, engine, bare, TARGET_RATIO))
            report.notes.append(f"{label}: {engine / n:,.0f} engine events and {log_events / n:,.0f} log events per "
                                f"lifecycle; bare simpy (1 process) {bare.median:,.0f} events/s")
    report.write(out)
    return report


if __name__ == "__main__":
    run(Settings(quick="--quick" in sys.argv))
