"""Write a `Scenario` back as the TOML text the loader reads, keeping only what differs from the defaults.

Generated and shrunk scenarios must be files a developer can run (`python -m sim scenario PATH`), and a
log's header carries its scenario's text, so every scenario built in Python goes through `to_toml` and
`reparse` (which validates it exactly as a file is validated).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from sim.scenarios.binding import toml_value
from sim.scenarios.loader import default_heal, parse_scenario
from sim.scenarios.overrides import PARTS
from sim.scenarios.schema import ActionSpec, Expectation, InstanceSpec, Scenario
from sim.world import WorldConfig

WORLD_PARTS = PARTS
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _default_heal(s: Scenario) -> float:
    """The heal time the loader derives when a file gives none."""
    return default_heal(s.instances, s.actions)


_plain = toml_value


def _changed(record: Any, default: Any) -> dict[str, Any]:
    """The fields of a dataclass record that differ from `default`, as TOML data (None never written)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if value is None or value == getattr(default, f.name):
            continue
        out[f.name] = _plain(value)
    return out


def world_data(world: WorldConfig) -> dict[str, Any]:
    """The [world] table: top-level knobs that changed, then one sub-table per changed part."""
    default = WorldConfig()
    data = {k: v for k, v in _changed(world, default).items() if k not in WORLD_PARTS}
    for part in WORLD_PARTS:
        changed = _changed(getattr(world, part), getattr(default, part))
        if changed:
            data[part] = changed
    return data


def scenario_data(s: Scenario) -> dict[str, Any]:
    """The whole scenario as TOML data, in file order."""
    options: dict[str, Any] = {"name": s.name}
    if s.description:
        options["description"] = s.description
    options["horizon_s"] = s.horizon_s
    if s.heal_at_s != _default_heal(s):
        options["heal_at_s"] = s.heal_at_s
    options["seed"] = s.seed
    if s.tags:
        options["tags"] = list(s.tags)
    data: dict[str, Any] = {"scenario": options}
    world = world_data(s.world)
    if world:
        data["world"] = world
    if s.instances:
        data["instances"] = [{"name": i.name, **_changed(i, InstanceSpec(i.name))} for i in s.instances]
    if s.actions:
        data["actions"] = [_action_data(a) for a in s.actions]
    expect = {k: _changed(e, Expectation()) for k, e in sorted(s.expect.items())}
    if expect:
        data["expect"] = expect
    return data


def _action_data(a: ActionSpec) -> dict[str, Any]:
    return {"at_s": a.at_s, "do": a.do, **{k: _plain(v) for k, v in a.given().items()}}


# -- a small TOML writer (the standard library reads TOML but does not write it) --------------------
def _key(k: str) -> str:
    return k if _BARE_KEY.fullmatch(k) else _string(k)


def _string(text: str) -> str:
    # JSON escapes are TOML basic-string escapes; DEL is the one control character JSON leaves raw.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        assert v == v and v not in (float("inf"), float("-inf")), f"TOML cannot hold the float {v!r}"
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)  # every float field takes an int
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise AssertionError(f"no TOML form for {v!r}")


_SECTION_PARENTS = ("", "world", "expect")  # dict values under these become [sections]; deeper ones inline


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _emit_table(lines: list[str], path: str, table: Mapping[str, Any]) -> None:
    """Scalars (and inline values) of `table` under [path], then its sections and arrays of tables."""
    sections = path in _SECTION_PARENTS
    inline = {k: v for k, v in table.items()
              if not (sections and isinstance(v, dict)) and not _is_table_array(v)}
    if path and (inline or not table):
        lines.append(f"[{path}]")
    lines.extend(f"{_key(k)} = {_value(v)}" for k, v in inline.items())
    if inline or (path and not table):
        lines.append("")
    for k, v in table.items():
        sub = f"{path}.{_key(k)}" if path else _key(k)
        if sections and isinstance(v, dict):
            _emit_table(lines, sub, v)
        elif _is_table_array(v):
            for item in v:
                lines.append(f"[[{sub}]]")
                lines.extend(f"{_key(ik)} = {_value(iv)}" for ik, iv in item.items())
                lines.append("")


def dumps(data: Mapping[str, Any], *, comment: str = "") -> str:
    """TOML text for `data` (tables become sections, lists of tables [[arrays]]), with an optional comment header."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()] if comment else []
    if lines:
        lines.append("")
    _emit_table(lines, "", data)
    while lines and lines[0] == "":
        lines.pop(0)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def to_toml(scenario: Scenario, *, comment: str = "") -> str:
    """The scenario as a TOML file the loader accepts and reads back to an equal scenario."""
    return dumps(scenario_data(scenario), comment=comment)


def reparse(scenario: Scenario, *, path: str = "", comment: str = "") -> Scenario:
    """The scenario written out and read back: validated as a file is, with `source` set to its TOML text."""
    text = to_toml(scenario, comment=comment)
    return parse_scenario(text, file=path or f"generated:{scenario.name}", default_name=scenario.name)
