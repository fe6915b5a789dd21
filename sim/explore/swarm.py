"""Swarm configuration: from one seed, draw a concrete scenario of a family — which faults and actions, how often, when.

Swarm testing (Groce et al., ISSTA 2012) enables a random *subset* of the features in each run instead of
all of them at low rates, so a run with only EDA duplicates and a delete explores that pair deeply. Every
draw goes through the choice source under the stream ``swarm`` (so the scenario of seed N is the same
everywhere, and a `HypothesisChoiceSource` can shrink it); the result is a TOML text parsed by the
scenario loader, so it is validated like a file and runs with ``python -m sim scenario PATH``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sim.explore.scenario_toml import dumps, to_toml
from sim.kernel.choice import ChoiceSource, SeededChoiceSource
from sim.kernel.errors import SimError
from sim.scenarios.loader import parse_scenario
from sim.scenarios.schema import Scenario

__all__ = ["ACTION_KINDS", "FAMILIES", "FAULT_KINDS", "Family", "family", "generate", "to_toml"]

STREAM = "swarm"
ACTION_WINDOW_S = 240  # user actions happen in [0, 240] s: provisioning takes ~30-120 s, deletion ~10-60 s
LIVENESS_WINDOW_S = 900.0  # after healing the world must converge within this (poll 30 s, VM wait <= 600 s)
ENABLE_P = 0.5  # each available feature is on in half the runs (the swarm rule)

# fault kind → (part of [world], rate field, highest rate in percent)
FAULT_KINDS: Mapping[str, tuple[str, str, int]] = {
    "api_conflict": ("api", "conflict_rate", 30),
    "api_server_error": ("api", "server_error_rate", 10),
    "api_timeout": ("api", "timeout_rate", 10),
    "api_timeout_applied": ("api", "timeout_applied_rate", 10),
    "aap_server_error": ("backends", "aap_server_error_rate", 20),
    "aap_timeout": ("backends", "aap_timeout_rate", 20),
    "aap_timeout_applied": ("backends", "aap_timeout_applied_rate", 20),
    "aap_job_error": ("backends", "aap_error_rate", 20),
    "eda_server_error": ("backends", "eda_server_error_rate", 20),
    "eda_timeout": ("backends", "eda_timeout_rate", 20),
    "eda_timeout_accepted": ("backends", "eda_timeout_accepted_rate", 20),
    "eda_lost": ("backends", "eda_lost_rate", 30),
    "eda_duplicate": ("backends", "eda_duplicate_rate", 30),
    "playbook_step_failure": ("backends", "playbook_step_failure_rate", 10),
}
TIMED_FAULTS = ("lag_spike", "conflict_storm")  # faults that are timeline actions
ACTION_KINDS = ("delete", "recreate", "switch_provider", "restart_operator", "crash_operator", "edit_spec",
                "request_restart", "purge_job", "fail_next_job", "management_state")
KNOBS = ("fixed_latencies", "short_history", "auto_purge")

# Zero-width latencies on round values: many events fall due at the same instant, so ties are frequent.
FIXED_LATENCIES: Mapping[str, Mapping[str, float]] = {
    "": {"network_latency_s": 0.01, "gc_delay_s": 0.1},
    "api": {"latency_s": 0.01},
    "manager": {"informer_lag": 0.01},
    "backends": {"aap_response_s": 0.05, "aap_pending_s": 1.0, "aap_waiting_s": 1.0, "aap_cancel_delay_s": 1.0,
                 "eda_response_s": 0.01, "eda_launch_delay_s": 5.0, "playbook_add_finalizer_s": 1.0,
                 "playbook_create_vm_s": 2.0, "playbook_set_annotation_s": 1.0, "playbook_delete_vm_s": 2.0,
                 "playbook_remove_finalizer_s": 1.0, "kubevirt_boot_s": 30.0, "kubevirt_release_s": 10.0,
                 "tenant_ready_s": 2.0},
}

_API = ("api_conflict", "api_server_error", "api_timeout", "api_timeout_applied")
_AAP = ("aap_server_error", "aap_timeout", "aap_timeout_applied", "aap_job_error")
_EDA = ("eda_server_error", "eda_timeout", "eda_timeout_accepted", "eda_lost", "eda_duplicate")


@dataclass(frozen=True)
class Family:
    """A scenario family: the providers, fault kinds, actions and knobs a swarm run of it may enable."""

    name: str
    summary: str
    providers: tuple[str, ...] = ("eda", "aap")
    faults: tuple[str, ...] = ()  # FAULT_KINDS and TIMED_FAULTS it may enable
    actions: tuple[str, ...] = ()  # ACTION_KINDS it may enable
    knobs: tuple[str, ...] = ("fixed_latencies",)
    forced: tuple[str, ...] = ()  # features every run of the family enables


FAMILIES: Mapping[str, Family] = {f.name: f for f in (
    Family("all", "every provider, fault kind, action and knob", faults=(*FAULT_KINDS, *TIMED_FAULTS),
           actions=ACTION_KINDS, knobs=KNOBS),
    Family("aap", "the AAP provider: API and AAP faults, deletes, restarts, purges, failed jobs", ("aap",),
           (*_API, *_AAP, "playbook_step_failure", *TIMED_FAULTS),
           ("delete", "restart_operator", "crash_operator", "edit_spec", "purge_job", "fail_next_job"),
           ("fixed_latencies", "auto_purge")),
    Family("eda", "the EDA provider: lost, duplicated and timed-out deliveries, deletes, restarts", ("eda",),
           (*_API, *_EDA, "playbook_step_failure", "lag_spike"),
           ("delete", "restart_operator", "edit_spec", "fail_next_job"), forced=("delete",)),
    Family("switch", "provider switches in both directions while work is in flight", ("eda", "aap"),
           (*_EDA, *_AAP), ("switch_provider", "delete", "restart_operator", "purge_job"),
           forced=("switch_provider",)),
    Family("restart", "operator restarts and crashes during provisioning and deletion", ("eda", "aap"),
           (*_API, "lag_spike"), ("restart_operator", "crash_operator", "delete", "edit_spec"),
           forced=("restart_operator",)),
    Family("faults", "every fault kind at once, one delete", ("eda", "aap"), (*FAULT_KINDS, *TIMED_FAULTS),
           ("delete",)),
    Family("delete", "deletes (and re-creates) at every moment of provisioning", ("eda", "aap"),
           ("api_timeout_applied", "aap_timeout_applied", "eda_duplicate", "lag_spike"),
           ("delete", "recreate", "purge_job"), forced=("delete",)),
    Family("spec", "spec edits, restart requests and management states", ("eda", "aap"),
           ("api_conflict", "lag_spike"), ("edit_spec", "request_restart", "management_state", "delete"),
           ("fixed_latencies", "short_history"), forced=("edit_spec",)),
)}


def family(name: str) -> Family:
    """The family called `name`, or a SimError listing the families."""
    found = FAMILIES.get(name)
    if found is None:
        close = difflib.get_close_matches(name, list(FAMILIES), n=1)
        raise SimError(f"unknown scenario family {name!r}", where="--family",
                       rule=f"a family is one of: {', '.join(FAMILIES)}",
                       fix=f"did you mean {close[0]!r}?" if close else "pick one of the listed families")
    return found


@dataclass
class _Draw:
    """The state of one generation: the choice source, the instances, and the tables drawn so far."""

    choices: ChoiceSource
    instances: list[str]
    provider: str
    world: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)
    enabled: list[str] = field(default_factory=list)

    def integer(self, name: str, lo: int, hi: int) -> int:
        return self.choices.integer(STREAM, name, lo, hi)

    def chance(self, name: str, p: float = ENABLE_P) -> bool:
        return self.choices.chance(STREAM, name, p)

    def pick(self, name: str, options: tuple[str, ...]) -> str:
        return self.choices.pick(STREAM, name, options)

    def at(self, name: str) -> float:
        return float(self.integer(f"{name}/at_s", 0, ACTION_WINDOW_S))

    def instance(self, name: str) -> str:
        return self.pick(f"{name}/instance", tuple(self.instances))

    def set(self, part: str, key: str, value: Any) -> None:
        self.world.setdefault(part, {})[key] = value


def generate(seed: int, family_name: str = "all", *, choices: ChoiceSource | None = None) -> Scenario:
    """A concrete scenario of the family, drawn from `choices` (default: the seed's `swarm` stream)."""
    fam = family(family_name)
    source = choices if choices is not None else SeededChoiceSource(seed, record=False)
    d = _Draw(source, [], source.pick(STREAM, "provider", fam.providers))
    d.instances = [f"vm-{i + 1}" for i in range(d.integer("instances", 1, 3))]
    instances = [{"name": n, **({"create_at_s": float(d.integer(f"{n}/create_at_s", 0, 60))} if i else {})}
                 for i, n in enumerate(d.instances)]
    _draw_knobs(d, fam)
    _draw_faults(d, fam)
    _draw_actions(d, fam)
    return _assemble(d, fam, seed, instances)


def _enabled(d: _Draw, fam: Family, feature: str) -> bool:
    on = feature in fam.forced or d.chance(f"enable/{feature}")
    if on:
        d.enabled.append(feature)
    return on


def _draw_knobs(d: _Draw, fam: Family) -> None:
    d.set("operator", "provider", d.provider)
    for knob in fam.knobs:
        if not _enabled(d, fam, knob):
            continue
        if knob == "fixed_latencies":
            for part, values in FIXED_LATENCIES.items():
                for key, value in values.items():
                    d.set(part, key, value)
        elif knob == "short_history":
            d.set("operator", "max_job_history", d.integer("max_job_history", 2, 4))
        elif knob == "auto_purge":
            d.set("backends", "aap_purge_age_s", float(d.integer("aap_purge_age_s", 10, 120)))


def _draw_faults(d: _Draw, fam: Family) -> None:
    for kind in fam.faults:
        if not _enabled(d, fam, kind):
            continue
        if kind in FAULT_KINDS:
            part, key, top = FAULT_KINDS[kind]
            d.set(part, key, d.integer(f"{kind}/percent", 1, top) / 100)
        elif kind == "lag_spike":
            d.actions.append({"at_s": d.at(kind), "do": "lag_spike",
                              "duration_s": float(d.integer(f"{kind}/duration_s", 5, 60)),
                              "extra_lag_s": [1.0, float(d.integer(f"{kind}/extra_lag_s", 2, 30))]})
        else:
            d.actions.append({"at_s": d.at(kind), "do": "conflict_storm",
                              "duration_s": float(d.integer(f"{kind}/duration_s", 5, 60)),
                              "rate": d.integer(f"{kind}/percent", 20, 90) / 100})


def _draw_actions(d: _Draw, fam: Family) -> None:
    for kind in fam.actions:
        if _enabled(d, fam, kind):
            for i in range(d.integer(f"{kind}/count", 1, 2)):
                d.actions.extend(_ACTIONS[kind](d, f"{kind}/{i}"))
    _alternate_providers(d)


def _delete(d: _Draw, name: str) -> list[dict[str, Any]]:
    return [{"at_s": d.at(name), "do": "delete", "instance": d.instance(name)}]


def _recreate(d: _Draw, name: str) -> list[dict[str, Any]]:
    return [{"at_s": d.at(name), "do": "create", "instance": d.instance(name)}]


def _switch(d: _Draw, name: str) -> list[dict[str, Any]]:
    # the provider is filled in by _alternate_providers once every switch is placed in time
    return [{"at_s": d.at(name), "do": "switch_provider", "provider": "", "delay_s": float(
        d.integer(f"{name}/delay_s", 0, 15))}]


def _restart(d: _Draw, name: str) -> list[dict[str, Any]]:
    return [{"at_s": d.at(name), "do": "restart_operator", "delay_s": float(d.integer(f"{name}/delay_s", 0, 20))}]


def _crash(d: _Draw, name: str) -> list[dict[str, Any]]:
    at = d.at(name)
    return [{"at_s": at, "do": "crash_operator"},
            {"at_s": at + d.integer(f"{name}/down_s", 1, 60), "do": "start_operator"}]


def _edit_spec(d: _Draw, name: str) -> list[dict[str, Any]]:
    params = json.dumps({"cpu": str(d.integer(f"{name}/cpu", 1, 8))})
    return [{"at_s": d.at(name), "do": "edit_spec", "instance": d.instance(name), "template_parameters": params}]


def _request_restart(d: _Draw, name: str) -> list[dict[str, Any]]:
    return [{"at_s": d.at(name), "do": "request_restart", "instance": d.instance(name)}]


def _purge(d: _Draw, name: str) -> list[dict[str, Any]]:
    return [{"at_s": d.at(name), "do": "purge_job", "instance": d.instance(name),
             "job_type": d.pick(f"{name}/job_type", ("provision", "deprovision"))}]


def _fail_next(d: _Draw, name: str) -> list[dict[str, Any]]:
    job_type = d.pick(f"{name}/job_type", ("any", "provision", "deprovision"))
    return [{"at_s": d.at(name), "do": "fail_next_job", **({} if job_type == "any" else {"job_type": job_type})}]


def _management(d: _Draw, name: str) -> list[dict[str, Any]]:
    at, instance = d.at(name), d.instance(name)
    return [{"at_s": at, "do": "set_management_state", "instance": instance,
             "state": d.pick(f"{name}/state", ("manual", "unmanaged"))},
            {"at_s": at + d.integer(f"{name}/for_s", 5, 120), "do": "clear_management_state", "instance": instance}]


_ACTIONS: Mapping[str, Callable[[_Draw, str], list[dict[str, Any]]]] = {
    "delete": _delete, "recreate": _recreate, "switch_provider": _switch, "restart_operator": _restart,
    "crash_operator": _crash, "edit_spec": _edit_spec, "request_restart": _request_restart, "purge_job": _purge,
    "fail_next_job": _fail_next, "management_state": _management,
}


def _alternate_providers(d: _Draw) -> None:
    """Each switch goes to the provider the operator is not running at that moment."""
    current = d.provider
    for action in sorted((a for a in d.actions if a["do"] == "switch_provider"), key=lambda a: a["at_s"]):
        current = "aap" if current == "eda" else "eda"
        action["provider"] = current


def _assemble(d: _Draw, fam: Family, seed: int, instances: list[dict[str, Any]]) -> Scenario:
    actions = sorted(d.actions, key=lambda a: (a["at_s"], a["do"]))
    last = max([0.0, *(a["at_s"] + a.get("duration_s", 0.0) for a in actions),
                *(i.get("create_at_s", 0.0) for i in instances)])
    heal = last + d.integer("heal_after_s", 1, 30)
    name = f"swarm-{fam.name}-{seed}"
    description = f"swarm {fam.name} seed {seed}, {d.provider}: " + (", ".join(d.enabled) or "nothing enabled")
    world: dict[str, Any] = dict(d.world.pop("", {}))
    world.update({part: values for part, values in d.world.items()})
    data: dict[str, Any] = {
        "scenario": {"name": name, "description": description, "horizon_s": heal + LIVENESS_WINDOW_S,
                     "heal_at_s": heal, "seed": seed, "tags": ["swarm", fam.name]},
        "world": world, "instances": instances, "actions": actions}
    text = dumps(data, comment=f"generated by swarm: family {fam.name}, seed {seed}")
    return parse_scenario(text, file=f"swarm:{fam.name}/{seed}", default_name=name)
