"""The campaign summary a developer reads: a table of groups (signature, property, count, first found, rate, minimum),
coverage, and the runs-per-second figure; and the same as JSON (``summary.json``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sim.explore.campaign import CampaignResult
from sim.explore.execute import RunSpec
from sim.explore.groups import Group
from sim.explore.shrink import ShrinkResult
from sim.explore.signature import Signature

__all__ = ["minimum_text", "rate_line", "summary_json", "summary_lines"]


def _faults(spec: RunSpec) -> int:
    w = spec.scenario.world
    rates = [getattr(w.api, f.name) for f in dataclasses.fields(w.api) if f.name.endswith("_rate")]
    rates += [getattr(w.backends, f.name) for f in dataclasses.fields(w.backends) if f.name.endswith("_rate")]
    return sum(1 for r in rates if r) + (w.backends.aap_purge_age_s is not None)


def minimum_facts(res: ShrinkResult) -> dict[str, Any]:
    """The size of a minimal reproduction, as data."""
    s = res.spec.scenario
    return {"instances": len(s.instances), "actions": len(s.actions), "fault_kinds": _faults(res.spec),
            "heal_at_s": s.heal_at_s, "horizon_s": s.horizon_s, "seed": res.spec.seed,
            "tape_given": None if res.spec.tape is None else len(res.spec.tape),
            "seed_reproducible": res.seed_spec is not None, "ordering": res.spec.ordering,
            "shrink_runs": res.runs, "budget_spent": res.exhausted, "steps": list(res.steps)}


def minimum_text(res: ShrinkResult | None) -> str:
    if res is None:
        return "not shrunk"
    if not res.reproduced:
        return "did not reproduce"
    f = minimum_facts(res)
    text = (f"{f['instances']} inst, {f['actions']} actions, {f['fault_kinds']} faults, "
            f"horizon {f['horizon_s']:g} s")
    return text + ("" if f["seed_reproducible"] else " (tape only)")


def rate_line(result: CampaignResult) -> str:
    """The runs-per-second figure every campaign ends with."""
    return f"{result.runs_per_s:.1f} runs/s ({result.runs} runs in {result.search_s:.1f} s)"


def summary_lines(result: CampaignResult, saved_to: str | None = None) -> list[str]:
    """The printed summary: header, the table of groups, coverage, where it was saved, runs/s."""
    r = result
    head = [f"fuzz: {r.plan.describe()}; budget {r.budget.describe()}; shard {r.shard.k}/{r.shard.n}",
            f"ran {r.runs} runs ({r.events} events) in {r.search_s:.1f} s"
            + (f"; shrinking took {r.shrink_s:.1f} s" if r.shrinks else "")
            + ("; interrupted (Ctrl-C): partial results" if r.interrupted else "")]
    if r.unmet_runs:
        head.append(f"{r.unmet_runs} runs did not meet their scenario's final-state expectations (not grouped)")
    counts = f"{len(r.unexpected)} unexpected" + (f", {len(r.environment)} environment" if r.environment else "")
    head.append(f"found {len(r.groups)} groups ({counts})" + (":" if r.groups else ""))
    lines = head + (_table(r) if r.groups else [])
    lines.append(r.coverage.summary_line())
    if saved_to:
        lines.append(f"saved to {saved_to}/ (summary.json, coverage.json, groups/)")
    lines.append(rate_line(r))
    return lines


def _table(r: CampaignResult) -> list[str]:
    width = max(len(g.property) for g in r.groups)
    rows = [f"  {'#':>3}  {'group':8}  {'property':{width}}  {'status':11}  {'runs':>5}  {'rate':>6}  "
            f"{'first found':24}  minimal reproduction"]
    for i, g in enumerate(r.groups, 1):
        first = f"run {g.first_index} seed {g.first_seed} {g.first_wall_s:.1f}s"
        rows.append(f"  {i:>3}  {g.short:8}  {g.property:{width}}  {g.status:11}  {g.count:>5}  "
                    f"{_rate(g, r.runs):>6}  {first:24}  {minimum_text(r.shrinks.get(g.signature))}")
        tokens = " > ".join(Signature.parse(g.signature).tokens) or "(no triggering events)"
        rows.append(f"       {tokens[:150]}{'…' if len(tokens) > 150 else ''}")
    return rows


def _rate(g: Group, runs: int) -> str:
    return f"{100.0 * g.count / runs:.1f}%" if runs else "-"


def group_json(g: Group, runs: int, res: ShrinkResult | None, folder: str | None) -> dict[str, Any]:
    return {"id": g.short, "signature": g.signature, "property": g.property, "status": g.status, "runs": g.count,
            "rate": g.count / runs if runs else 0.0, "first_run": g.first_index, "first_seed": g.first_seed,
            "first_scenario": g.first_scenario, "first_found_s": round(g.first_wall_s, 3),
            "example": {"t": g.example.t, "subject": g.example.subject, "explanation": g.example.explanation},
            "minimal": minimum_facts(res) if res is not None and res.reproduced else None,
            "notes": list(g.notes), "folder": folder}


def summary_json(result: CampaignResult, folders: dict[str, str] | None = None) -> dict[str, Any]:
    """The campaign as data (summary.json); wall-clock figures are informative, never part of a run."""
    r, folders = result, folders or {}
    campaign = {"strategy": r.plan.strategy, "family": None if r.plan.scenario else r.plan.family,
                "scenario": r.plan.scenario.name if r.plan.scenario else None, "controller": r.plan.controller,
                "seed": r.plan.seed, "pct_depth": r.plan.pct_depth, "budget": dataclasses.asdict(r.budget),
                "shard": f"{r.shard.k}/{r.shard.n}", "runs": r.runs, "events": r.events,
                "search_s": round(r.search_s, 3), "shrink_s": round(r.shrink_s, 3),
                "runs_per_s": round(r.runs_per_s, 2), "interrupted": r.interrupted, "unmet_runs": r.unmet_runs}
    return {"campaign": campaign, "groups": [group_json(g, r.runs, r.shrinks.get(g.signature),
                                                        folders.get(g.signature)) for g in r.groups],
            "unexpected": len(r.unexpected), "environment": len(r.environment), "coverage": r.coverage.summary_line()}
