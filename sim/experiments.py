"""Experiments built from scenario runs: the EDA-versus-AAP provisioning speed comparison.

The reference team measured three parallel runs per provider (six VMs) and reported AAP about 12%
faster to provision, 2% faster to deprovision and 8.4% faster overall. `compare_providers` runs the
same experiment in the simulator from the modelled latencies (nothing is tuned towards those
figures): N instances created together, deleted together once Running, once per provider with the
same seed; provision = create → phase Running, deprovision = delete → CR gone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from sim.scenarios.schema import ActionSpec, InstanceSpec, Scenario

REPORTED = {"provision": 12.0, "deprovision": 2.0, "total": 8.4}  # % AAP faster, as the reference team reported
DELETE_AT_S = 400.0  # every instance is Running well before this on the modelled latencies
PROVIDERS = ("eda", "aap")


@dataclass(frozen=True)
class ProviderTimes:
    """Per-instance times of one provider's run; None where the run ended before the step completed."""

    provider: str
    provision_s: tuple[float | None, ...]
    deprovision_s: tuple[float | None, ...]

    @property
    def complete(self) -> bool:
        return None not in self.provision_s and None not in self.deprovision_s

    def mean(self, what: str) -> float:
        values = [v for v in (self.provision_s if what == "provision" else self.deprovision_s) if v is not None]
        return fmean(values) if values else float("nan")

    @property
    def total(self) -> float:
        return self.mean("provision") + self.mean("deprovision")


@dataclass(frozen=True)
class Comparison:
    """Both providers' times, the latencies they came from, and the reported figures."""

    runs: int
    seed: int
    times: tuple[ProviderTimes, ...]
    latencies: tuple[tuple[str, str], ...]

    def of(self, provider: str) -> ProviderTimes:
        return next(t for t in self.times if t.provider == provider)

    def aap_faster_pct(self, what: str) -> float:
        """How much faster AAP is than EDA, in % of EDA's time (negative: AAP is slower)."""
        eda, aap = self.of("eda"), self.of("aap")
        e, a = (eda.total, aap.total) if what == "total" else (eda.mean(what), aap.mean(what))
        return 100.0 * (e - a) / e if e else float("nan")


def experiment_scenario(runs: int) -> Scenario:
    """The built-in `provider-comparison` scenario with `runs` instances created at 0 and deleted together."""
    from sim.scenarios.loader import load_scenario

    base = load_scenario("provider-comparison")
    names = [f"vm-{i}" for i in range(1, runs + 1)]
    return dataclasses.replace(
        base, instances=tuple(InstanceSpec(n) for n in names),
        actions=tuple(ActionSpec(at_s=DELETE_AT_S, do="delete", instance=n) for n in names), expect={})


def _times(provider: str, scenario: Scenario, seed: int) -> ProviderTimes:
    from sim.runner import run_scenario

    result = run_scenario(scenario, seed=seed, provider=provider)
    facts = result.instances
    names = [i.name for i in scenario.instances]

    def span(name: str, start: str, end: str) -> float | None:
        f = facts.get(name, {})
        a, b = f.get(start), f.get(end)
        return None if a is None or b is None else float(b) - float(a)

    return ProviderTimes(provider, tuple(span(n, "create_requested_t", "running_t") for n in names),
                         tuple(span(n, "delete_requested_t", "removed_t") for n in names))


def modelled_latencies(scenario: Scenario) -> tuple[tuple[str, str], ...]:
    """The latencies that decide the comparison, as the world config gives them."""
    w = scenario.world
    b, o = w.backends, w.operator
    return (
        ("EDA webhook → job launch", b.eda_launch_delay_s.describe()),
        ("EDA webhook answer", b.eda_response_s.describe()),
        ("AAP request handling", b.aap_response_s.describe()),
        ("AAP job pending / waiting", f"{b.aap_pending_s.describe()} / {b.aap_waiting_s.describe()}"),
        ("status poll interval (AAP requeue)", f"{o.status_poll_interval_s:g} s"),
        ("create playbook: finalizer, VM, annotation",
         f"{b.playbook_add_finalizer_s.describe()}, {b.playbook_create_vm_s.describe()}, "
         f"{b.playbook_set_annotation_s.describe()}"),
        ("VM boot to Ready (playbook re-reads every)", f"{b.kubevirt_boot_s.describe()} "
                                                       f"({b.playbook_poll_interval_s:g} s)"),
        ("delete playbook: VM delete, finalizer", f"{b.playbook_delete_vm_s.describe()}, "
                                                  f"{b.playbook_remove_finalizer_s.describe()}"),
        ("VM release", b.kubevirt_release_s.describe()),
        ("tenant Ready", b.tenant_ready_s.describe()),
        ("informer lag / HTTP one way", f"{w.manager.informer_lag.describe()} / {w.network_latency_s.describe()}"),
    )


def compare_providers(runs: int = 3, seed: int = 1) -> Comparison:
    """Run the experiment once per provider with `runs` parallel instances; deterministic per seed."""
    scenario = experiment_scenario(runs)
    times = tuple(_times(p, scenario, seed) for p in PROVIDERS)
    return Comparison(runs, seed, times, modelled_latencies(scenario))


# -- output ----------------------------------------------------------------------------------------
def _fmt(v: float | None) -> str:
    return "  —  " if v is None or v != v else f"{v:6.1f}"


def comparison_lines(c: Comparison) -> list[str]:
    """The table, the latencies it came from, and how it compares with the reported figures."""
    eda, aap = c.of("eda"), c.of("aap")
    lines = [f"seed {c.seed} · experiment providers · {c.runs} instances in parallel per provider "
             f"({2 * c.runs} VMs) · mean seconds per instance", "",
             f"{'':<12}{'provision':>11}{'deprovision':>13}{'total':>9}",
             *(f"{t.provider.upper():<12}{_fmt(t.mean('provision')):>11}{_fmt(t.mean('deprovision')):>13}"
               f"{_fmt(t.total):>9}" for t in (eda, aap)),
             f"{'AAP faster':<12}" + "".join(f"{c.aap_faster_pct(w):>{n}.1f}%" for w, n in
                                              (("provision", 10), ("deprovision", 12), ("total", 8))),
             f"{'reported':<12}" + "".join(f"{REPORTED[w]:>{n}.1f}%" for w, n in
                                            (("provision", 10), ("deprovision", 12), ("total", 8))), ""]
    lines += ["per instance (provision / deprovision, s):"]
    lines += [f"  {t.provider.upper():<4} " + "  ".join(f"{_fmt(p).strip()}/{_fmt(d).strip()}" for p, d in
                                                       zip(t.provision_s, t.deprovision_s, strict=True))
              for t in (eda, aap)]
    lines += ["", "modelled latencies (the defaults; nothing tuned to the reported figures):"]
    lines += [f"  {name:<44} {value}" for name, value in c.latencies]
    lines += ["", *explanation(c)]
    if not (eda.complete and aap.complete):
        lines.append("note: some instance did not reach Running or was not gone by the horizon (shown as —)")
    lines.append(f"reproduce: python -m sim experiment providers --runs {c.runs} --seed {c.seed}")
    return lines


def explanation(c: Comparison) -> list[str]:
    """Why the model gives what it gives, and how that compares with the reported figures."""
    eda, aap = c.of("eda"), c.of("aap")
    gap_p = eda.mean("provision") - aap.mean("provision")
    gap_d = eda.mean("deprovision") - aap.mean("deprovision")
    return [
        f"why: AAP is {gap_p:.1f} s faster to provision and {gap_d:.1f} s faster to deprovision here. Both "
        "providers run the same",
        "playbooks, so the VM boot and release dominate and vary from VM to VM. EDA adds its webhook → launch",
        "delay (mean of the distribution above) once to provisioning and once to deprovisioning. AAP adds no",
        "poll to provisioning: Running follows the playbook's annotation through the watch. On deprovision",
        "the delete playbook's finalizer removal triggers a reconcile, and in the model the AAP job is",
        "already `successful` at that instant, so AAP's 30 s polling almost never shows. A real AAP controller",
        "finalizes a job for a few seconds after its last task, so that reconcile sees it still running and",
        "the operator waits for its next poll: that is the likely reason the reported deprovision gain (2%)",
        "is smaller than the model's, and the model has no knob for it. With a few VMs per provider the",
        "spread of boot times is as large as the gap, so single-seed percentages move between seeds.",
        f"reported: AAP {REPORTED['provision']:g}% faster to provision, {REPORTED['deprovision']:g}% to deprovision, "
        f"{REPORTED['total']:g}% overall.",
    ]


def comparison_json(c: Comparison) -> dict[str, Any]:
    def times(t: ProviderTimes) -> dict[str, Any]:
        return {"provision_s": list(t.provision_s), "deprovision_s": list(t.deprovision_s),
                "mean_provision_s": t.mean("provision"), "mean_deprovision_s": t.mean("deprovision"),
                "total_s": t.total}

    return {"experiment": "providers", "runs": c.runs, "seed": c.seed,
            "providers": {t.provider: times(t) for t in c.times},
            "aap_faster_pct": {w: c.aap_faster_pct(w) for w in ("provision", "deprovision", "total")},
            "reported_aap_faster_pct": dict(REPORTED), "latencies": dict(c.latencies),
            "reproduce": f"python -m sim experiment providers --runs {c.runs} --seed {c.seed}"}
