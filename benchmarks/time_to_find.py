"""Time to find: for each broken controller and each finding group, wall time and runs until it is first found.

For every built-in ``broken-*`` controller and every strategy (plain random seeds, swarm, and the
same-instant orderings ``random-order`` and ``pct``), several campaigns with different base seeds run
with a budget of runs; a group's "time to find" in one campaign is the wall seconds and the number of runs
until its first run. The median over the campaigns is printed per group, with the fastest strategy per
controller. A group not found within the budget counts as not found (the count of campaigns that found
it is printed). If the fuzz engine or the broken controllers do not exist yet, the benchmark says so.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from benchmarks.common import Figure, Report, Settings, Target

NAME = "time_to_find"
STRATEGIES = ("seeds", "swarm", "random-order", "pct")
TARGET_S = 10.0


@dataclass
class Finds:
    """Per finding group: the wall seconds and runs to its first run, one entry per campaign that found it."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    runs: dict[str, list[int]] = field(default_factory=dict)

    def add(self, group: str, seconds: float, runs: int) -> None:
        self.seconds.setdefault(group, []).append(seconds)
        self.runs.setdefault(group, []).append(runs)


def broken_controllers() -> list[str]:
    """The registered controllers named broken-*, those that resolve (their module may not exist yet)."""
    from sim.operator.registry import registered_controllers, resolve_controller

    found = []
    for name in registered_controllers():
        if not name.startswith("broken-"):
            continue
        try:
            resolve_controller(name)
        except Exception:  # a controller being written may not import yet: leave it out
            continue
        found.append(name)
    return found


def finds(controller: str, strategy: str, campaigns: int, runs: int,
          campaign: Callable[..., Any] | None = None) -> Finds:
    """Run `campaigns` campaigns of `runs` runs each; collect when every group was first found."""
    from sim.explore.campaign import Budget, run_campaign
    from sim.explore.plan import CampaignPlan

    run = campaign or run_campaign
    out = Finds()
    for c in range(campaigns):
        plan = CampaignPlan(strategy=strategy, controller=controller, seed=1 + 10_000 * c)  # type: ignore[arg-type]
        result = run(plan, Budget(runs=runs))
        for group in result.groups:
            if group.status == "unexpected":
                out.add(f"{group.property} {group.short}", float(group.first_wall_s), int(group.first_index) + 1)
    return out


def run(settings: Settings, out: TextIO = sys.stdout) -> Report:
    """Measure every broken controller with every strategy; print and return the report."""
    report = Report(NAME, "wall time and runs until each finding group of each broken controller is first found")
    try:
        controllers = broken_controllers()
    except ImportError as exc:
        report.notes.append(f"not yet available: the controller registry cannot be imported: {exc}")
        report.write(out)
        return report
    if not controllers:
        report.notes.append("not yet available: no broken-* controller can be loaded yet (sim/operator/broken.py)")
        report.write(out)
        return report
    campaigns = 1 if settings.quick else 3
    runs = 3 if settings.quick else 40
    chosen = controllers[:1] if settings.quick else controllers
    strategies = STRATEGIES[:1] if settings.quick else STRATEGIES
    try:
        for controller in chosen:
            best: tuple[float, str] | None = None
            for strategy in strategies:
                found = finds(controller, strategy, campaigns, runs)
                for group in sorted(found.seconds):
                    secs, made = found.seconds[group], found.runs[group]
                    median_s = statistics.median(secs)
                    report.add(Figure(f"{controller} / {strategy} / {group}", median_s,
                                      f"s, {statistics.median(made):g} runs, found in {len(secs)}/{campaigns} "
                                      "campaigns", digits=2,
                                      target=Target(f"< {TARGET_S:g} s", median_s < TARGET_S)))
                    if best is None or median_s < best[0]:
                        best = (median_s, strategy)
                if not found.seconds:
                    report.notes.append(f"{controller} / {strategy}: nothing found in {runs} runs x {campaigns}")
            if best is not None:
                report.notes.append(f"{controller}: fastest strategy {best[1]} ({best[0]:.2f} s to its first group)")
    except (ImportError, AttributeError, TypeError) as exc:  # the fuzz engine is being written
        report.notes.append(f"not yet available: the fuzz engine's interface is not the expected one: {exc}")
    report.notes.append(f"{runs} runs per campaign, {campaigns} campaign(s) per strategy with different base seeds")
    report.write(out)
    return report


if __name__ == "__main__":
    run(Settings(quick="--quick" in sys.argv))
