"""Override a scenario's knobs from Python or the command line (`provider="aap"`, `max_job_history=3`, ...).

A key is a field of one of the world's option records (`OperatorConfig`, `ManagerOptions`, `ApiSettings`,
`BackendConfig`) or of `WorldConfig` itself, optionally qualified (``"operator.provider"``), or one of the
scenario's own times (``horizon_s``, ``heal_at_s``). Values are checked exactly as in a scenario file.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from sim.kernel.choice import Dist
from sim.kernel.errors import SimError
from sim.scenarios.binding import bind, toml_value
from sim.scenarios.schema import Scenario
from sim.world import WorldConfig

PARTS = ("operator", "manager", "api", "backends")
SCENARIO_KEYS = ("horizon_s", "heal_at_s")


def _owners(key: str) -> list[str]:
    """Which parts of WorldConfig have a field named `key` ("" = WorldConfig itself)."""
    found = [p for p in PARTS if key in _field_names(type(getattr(WorldConfig(), p)))]
    if key in _field_names(WorldConfig) and key not in PARTS:
        found.append("")
    return found


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _all_keys() -> list[str]:
    keys = {*SCENARIO_KEYS, *(k for k in _field_names(WorldConfig) if k not in PARTS)}
    for p in PARTS:
        keys.update(_field_names(type(getattr(WorldConfig(), p))))
    return sorted(keys)


def _resolve(key: str) -> tuple[str, str]:
    part, _, name = key.rpartition(".")
    owners = _owners(name)
    if part:
        if part not in owners:
            raise SimError(f"override {key!r}: [world.{part}] has no key {name!r}", where="overrides",
                           rule=f"[world.{part}] keys are the fields of its record",
                           fix="check the spelling or drop the qualifier")
        return part, name
    if not owners:
        close = difflib.get_close_matches(name, _all_keys(), n=1)
        raise SimError(f"unknown override {key!r}", where="overrides",
                       rule="an override names a field of [scenario] times or [world] records",
                       fix=f"did you mean {close[0]!r}?" if close else "see the scenario schema for the keys")
    if len(owners) > 1:
        raise SimError(f"override {key!r} is ambiguous: it is a key of {', '.join(owners)}", where="overrides",
                       rule="an ambiguous key is qualified with its table", fix=f"write e.g. {owners[0]}.{name}")
    return owners[0], name


def _converted(cls: type, key: str, value: Any, where: str) -> Any:
    if isinstance(value, Dist):
        return value
    return getattr(bind(cls, {key: value}, where=where, file="overrides"), key)


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """The scenario with each override applied; every problem is a SimError naming the key."""
    world = scenario.world
    times: dict[str, Any] = {}
    for key, value in sorted(overrides.items()):
        if key in SCENARIO_KEYS:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SimError(f"override {key} = {value!r}", where="overrides", rule=f"{key} is seconds >= 0",
                               fix="give a non-negative number")
            times[key] = float(value)
            continue
        part, name = _resolve(key)
        if part:
            record = getattr(world, part)
            new = _converted(type(record), name, value, f"world.{part}")
            world = dataclasses.replace(world, **{part: dataclasses.replace(record, **{name: new})})
        else:
            world = dataclasses.replace(world, **{name: _converted(WorldConfig, name, value, "world")})
    out = dataclasses.replace(scenario, world=world, **times)
    if out.heal_at_s > out.horizon_s:
        raise SimError(f"heal_at_s = {out.heal_at_s:g} is after horizon_s = {out.horizon_s:g}", where="overrides",
                       rule="the run heals before its horizon", fix="raise horizon_s or lower heal_at_s")
    return out


def encode_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides as JSON for a log header, distributions in their TOML form (decoded by `apply_overrides`)."""
    return {k: toml_value(v) for k, v in sorted(overrides.items())}




def decode_overrides(data: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides of a log header, ready for `apply_overrides`."""
    return dict(data)
