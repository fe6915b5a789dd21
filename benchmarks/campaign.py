"""Campaign throughput: seeded swarm runs per second with 1 and 2 worker processes, and Hypothesis-driven runs/s.

Uses the fuzz engine's `run_campaign` (`sim.explore.campaign`). Each run is a whole generated scenario
with checkers, so its engine events are counted in a separate single-worker pass and compared with the
bare simpy loop as the other benchmarks are. If the fuzz engine is not importable (it is being written
in `sim/explore/`), the benchmark says so and prints no figures.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from benchmarks.common import Figure, Report, Samples, Settings, Target, bare_rate, counting_engine_events, figure

NAME = "campaign"
TARGET_SPEEDUP = 1.6


def _engine() -> tuple[Any, Any, Any]:
    """(run_campaign, Budget, CampaignPlan) from the fuzz engine; ImportError while it does not exist."""
    from sim.explore.campaign import Budget, run_campaign
    from sim.explore.plan import CampaignPlan

    return run_campaign, Budget, CampaignPlan


def unavailable(report: Report, out: TextIO, why: str) -> Report:
    report.notes.append(f"not yet available: {why}")
    report.write(out)
    return report


def run(settings: Settings, out: TextIO = sys.stdout) -> Report:
    """Measure swarm with 1 and 2 workers and a Hypothesis search; print and return the report."""
    report = Report(NAME, "campaign runs per second (seeded swarm with 1 and 2 workers; Hypothesis)")
    try:
        run_campaign, budget_cls, plan_cls = _engine()
    except ImportError as exc:
        return unavailable(report, out, f"the fuzz engine (sim.explore.campaign) cannot be imported: {exc}")
    runs = 2 if settings.quick else 60
    repeats = 1 if settings.quick else 3

    def campaign(strategy: str, workers: int, seed: int = 1) -> tuple[float, int]:
        start = time.perf_counter()
        result = run_campaign(plan_cls(strategy=strategy, seed=seed), budget_cls(runs=runs), workers=workers)
        return time.perf_counter() - start, int(result.runs)

    try:
        with counting_engine_events() as counted:
            _, made = campaign("swarm", 1)
        engine = counted[0]
        rates: dict[int, Samples] = {}
        for workers in (1, 2):
            measured = [campaign("swarm", workers) for _ in range(repeats)]
            rates[workers] = Samples(tuple(n / s for s, n in measured))
            report.add(figure(f"swarm, {workers} worker{'s' if workers > 1 else ''}: runs/s", rates[workers], "/s",
                              digits=1))
        speedup = rates[2].median / rates[1].median
        report.add(Figure("swarm speed-up, 2 workers over 1", speedup, "x", digits=2,
                          target=Target(f">= {TARGET_SPEEDUP:g}x", speedup >= TARGET_SPEEDUP)))
        if settings.quick:  # a Hypothesis round shrinks past its run budget: too long for a smoke run
            report.notes.append("hypothesis: skipped with --quick")
        else:
            hypo = [campaign("hypothesis", 1) for _ in range(repeats)]
            report.add(figure("hypothesis, 1 worker: runs/s (shrinking runs included)",
                              Samples(tuple(n / s for s, n in hypo)), "/s", digits=1))
    except (AttributeError, TypeError) as exc:  # the engine's interface changed under us
        return unavailable(report, out, f"the fuzz engine's interface is not the expected one: {exc}")
    bare = bare_rate(engine, 1, 3)
    one_worker_s = made / rates[1].median
    report.add(Figure("swarm, 1 worker: time vs bare simpy", one_worker_s / (engine / bare.median),
                      "x the bare engine", digits=1))
    report.notes.append(f"{runs} runs per campaign, median of {repeats}; {engine / max(made, 1):,.0f} engine events "
                        f"per swarm run; the 2-worker figure includes starting the process pool")
    report.write(out)
    return report


if __name__ == "__main__":
    run(Settings(quick="--quick" in sys.argv))
