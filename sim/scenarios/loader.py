"""Read a scenario from a built-in name or a TOML file, and reject every mistake with the file, key, rule and fix."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from sim.kernel.errors import SimError
from sim.scenarios.binding import bind
from sim.scenarios.schema import (
    DEFAULT_EXPECTATION_KEY,
    FAULT_VERBS,
    FINAL_FACTS,
    VERBS,
    ActionSpec,
    Expectation,
    InstanceSpec,
    Scenario,
    ScenarioOptions,
)
from sim.world import WorldConfig

TOP_LEVEL = ("scenario", "world", "instances", "actions", "expect")
BUILTIN_PREFIX = "builtin:"
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def builtin_names() -> list[str]:
    """Names of the scenarios shipped in the package, sorted."""
    folder = resources.files("sim.scenarios") / "builtin"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def builtin_text(name: str) -> str:
    return (resources.files("sim.scenarios") / "builtin" / f"{name}.toml").read_text(encoding="utf-8")


def load_scenario(path_or_name: str | os.PathLike[str]) -> Scenario:
    """A built-in scenario by name, or a scenario file by path; every problem is a SimError."""
    text_arg = os.fspath(path_or_name)
    if text_arg.startswith(BUILTIN_PREFIX):
        text_arg = text_arg[len(BUILTIN_PREFIX):]
    looks_like_path = text_arg.endswith(".toml") or os.sep in text_arg or "/" in text_arg
    if not looks_like_path and text_arg in builtin_names():
        return parse_scenario(builtin_text(text_arg), file=f"{BUILTIN_PREFIX}{text_arg}", default_name=text_arg)
    path = Path(text_arg)
    if not looks_like_path and not path.exists():
        close = difflib.get_close_matches(text_arg, builtin_names(), n=1)
        raise SimError(f"unknown scenario {text_arg!r}", where="scenario",
                       rule="a scenario is a built-in name (see `python -m sim list`) or the path of a .toml file",
                       fix=f"did you mean {close[0]!r}?" if close else "run `python -m sim list` for the names")
    return parse_scenario(_read_text(path), file=str(path), default_name=path.stem)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SimError("no such file", where=str(path), rule="a scenario path names an existing .toml file",
                       fix="check the path, or run `python -m sim list` for the built-in names") from None
    except IsADirectoryError:
        raise SimError("this is a folder, not a scenario file", where=str(path),
                       rule="a scenario path names a .toml file", fix="name the .toml file inside it") from None
    except UnicodeDecodeError:
        raise SimError("the file is not UTF-8 text", where=str(path), rule="a scenario is a TOML text file",
                       fix="pass a .toml scenario file") from None
    except OSError as exc:
        raise SimError(f"cannot read the file: {exc.strerror}", where=str(path),
                       rule="a scenario file must be readable", fix="check the path and its permissions") from None


def parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SimError(f"not valid TOML: {exc}", where=file,
                       rule="a scenario is a TOML file (https://toml.io)",
                       fix="correct the syntax at that line and column") from None


def parse_scenario(text: str, *, file: str, default_name: str = "") -> Scenario:
    """Validate the TOML `text` (read from `file`) into a Scenario."""
    data = parse_toml(text, file)
    _check_keys(data, TOP_LEVEL, "the top level", file)
    options = bind(ScenarioOptions, _table(data, "scenario", file), where="scenario", file=file)
    world = bind(WorldConfig, _table(data, "world", file), where="world", file=file)
    instances = tuple(bind(InstanceSpec, t, where=f"[instances]] #{i + 1}", file=file)
                      for i, t in enumerate(_array(data, "instances", file)))
    actions = tuple(_action(t, i, file) for i, t in enumerate(_array(data, "actions", file)))
    expect = {key: bind(Expectation, _sub_table(table, f"expect.{key}", file), where=f"expect.{key}", file=file)
              for key, table in _table(data, "expect", file).items()}
    name = options.name or default_name
    scenario = Scenario(
        name=name, description=options.description, horizon_s=options.horizon_s,
        heal_at_s=options.heal_at_s if options.heal_at_s is not None else default_heal(instances, actions),
        seed=options.seed, tags=options.tags, world=world, instances=instances, actions=actions, expect=expect,
        source=text, path=file)
    validate(scenario, file, heal_given=options.heal_at_s is not None)
    return scenario


def default_heal(instances: tuple[InstanceSpec, ...], actions: tuple[ActionSpec, ...]) -> float:
    """After the last action (its end, for a timed fault) and the last create."""
    return max([0.0, *(a.ends_at_s for a in actions), *(i.create_at_s for i in instances)])


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str, file: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            raise SimError(f"unknown key {key!r}", where=f"{file}: {where}",
                           rule=f"the keys of {where} are: {', '.join(allowed)}",
                           fix=f"did you mean {close[0]!r}?" if close else "remove it or check the spelling")


def _table(data: Mapping[str, Any], key: str, file: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise SimError(f"{key} is {type(value).__name__}, not a table", where=f"{file}: {key}",
                       rule=f"{key} is a table: [{key}]", fix=f"write it as a [{key}] section")
    return value


def _sub_table(value: Any, where: str, file: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SimError(f"{where} is not a table", where=f"{file}: {where}",
                       rule="[expect] holds one table per controller, e.g. [expect.reference]",
                       fix=f"write it as a [{where}] section")
    return value


def _array(data: Mapping[str, Any], key: str, file: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SimError(f"{key} is not an array of tables", where=f"{file}: {key}",
                       rule=f"each entry is a [[{key}]] section", fix=f"write each entry as [[{key}]]")
    return value


def _action(table: dict[str, Any], index: int, file: str) -> ActionSpec:
    where = f"[actions]] #{index + 1}"
    loc = f"{file}: [{where}]"
    verb = table.get("do")
    if verb is not None and verb not in VERBS:
        close = difflib.get_close_matches(str(verb), list(VERBS), n=1)
        raise SimError(f"unknown action verb do = {verb!r}", where=loc, rule=f"do is one of: {', '.join(VERBS)}",
                       fix=f"did you mean {close[0]!r}?" if close else "pick one of the verbs listed")
    action = bind(ActionSpec, table, where=where, file=file)
    rule = VERBS[action.do]
    accepted = (*rule.required, *rule.optional)
    params = ", ".join(accepted) or "no parameters"
    missing = [p for p in rule.required if p not in action.given()]
    if missing:
        raise SimError(f"do = {action.do!r} is missing {', '.join(missing)}", where=loc,
                       rule=f"{action.do} ({rule.summary}) takes: {params}; required: {', '.join(rule.required)}",
                       fix=f"add {' and '.join(missing)}")
    extra = [p for p in action.given() if p not in accepted]
    if extra:
        raise SimError(f"do = {action.do!r} does not take {', '.join(extra)}", where=loc,
                       rule=f"{action.do} ({rule.summary}) takes: {params}", fix=f"remove {', '.join(extra)}")
    _check_action_values(action, loc)
    return action


def _check_action_values(action: ActionSpec, loc: str) -> None:
    from sim.backends.playbooks import PLAYBOOK_STEPS

    if action.rate is not None and not 0.0 <= action.rate <= 1.0:
        raise SimError(f"rate = {action.rate!r}", where=loc, rule="a rate is a probability between 0 and 1",
                       fix="use a value such as 0.5")
    if action.step is not None:
        playbooks = {"provision": ["create"], "deprovision": ["delete"], None: ["create", "delete"]}[action.job_type]
        steps = [s for p in playbooks for s in PLAYBOOK_STEPS[p]]
        if action.step not in steps:
            raise SimError(f"step = {action.step!r}", where=loc,
                           rule=f"the step is one the playbook runs: {', '.join(steps)}",
                           fix="pick one of those steps, or leave step out to draw one")


def validate(scenario: Scenario, file: str, *, heal_given: bool) -> None:
    """Rules across tables: names, times within the horizon, expectations about declared instances."""
    s = scenario
    if s.horizon_s <= 0:
        raise SimError(f"horizon_s = {s.horizon_s}", where=f"{file}: [scenario]", rule="the horizon is > 0 seconds",
                       fix="give the run some simulated time, e.g. horizon_s = 900")
    if s.heal_at_s > s.horizon_s:
        what = "heal_at_s" if heal_given else "the last action (where healing starts by default)"
        raise SimError(f"{what} is at {s.heal_at_s:g} s, after horizon_s = {s.horizon_s:g}",
                       where=f"{file}: [scenario]", rule="the run heals before its horizon, then converges",
                       fix="raise horizon_s or move the actions earlier")
    names = _check_instances(s, file)
    for i, a in enumerate(s.actions):
        loc = f"{file}: [[actions]] #{i + 1}"
        if a.at_s > s.horizon_s:
            raise SimError(f"at_s = {a.at_s:g} is after horizon_s = {s.horizon_s:g}", where=loc,
                           rule="every action happens before the horizon", fix="raise horizon_s or move the action")
        if a.instance is not None and a.instance not in names:
            raise SimError(f"instance = {a.instance!r} is not declared", where=loc,
                           rule=f"actions name instances declared in [[instances]]: {', '.join(names) or 'none'}",
                           fix=f"add an [[instances]] entry named {a.instance!r}, or fix the name")
        if a.do in FAULT_VERBS and a.at_s >= s.heal_at_s and heal_given:
            raise SimError(f"do = {a.do!r} at {a.at_s:g} s is at or after heal_at_s = {s.heal_at_s:g}", where=loc,
                           rule="faults are injected before the healing phase starts",
                           fix="move the fault earlier or heal_at_s later")
    for key, exp in s.expect.items():
        _check_controller_key(key, f"{file}: [expect.{key}]")
        _check_expectation(exp, f"{file}: [expect.{key}]", names)


KNOWN_EXPECTATION_KEYS = ("reference", "hardened", DEFAULT_EXPECTATION_KEY)


def _check_controller_key(key: str, loc: str) -> None:
    """[expect.X]: X names a controller (or `default`), so a misspelt table is not silently ignored."""
    from sim.operator.registry import registered_controllers

    known = sorted({*KNOWN_EXPECTATION_KEYS, *registered_controllers()})
    if key in known or ":" in key:
        return
    close = difflib.get_close_matches(key, known, n=1)
    raise SimError(f"[expect.{key}] names no known controller", where=loc,
                   rule=f"expectations are per controller: {', '.join(known)}, or a quoted \"package.module:Class\"",
                   fix=f"did you mean [expect.{close[0]}]?" if close else "use [expect.default] for any controller")


def _check_instances(s: Scenario, file: str) -> list[str]:
    names: list[str] = []
    for i, inst in enumerate(s.instances):
        loc = f"{file}: [[instances]] #{i + 1}"
        if not _NAME.fullmatch(inst.name) or len(inst.name) > 63:
            raise SimError(f"name = {inst.name!r}", where=loc,
                           rule="an instance name is a Kubernetes name: lowercase letters, digits and '-'",
                           fix="use a name like vm-1")
        if inst.name in names:
            raise SimError(f"instance {inst.name!r} is declared twice", where=loc,
                           rule="instance names are unique", fix="rename one of them")
        if inst.create_at_s > s.horizon_s:
            raise SimError(f"create_at_s = {inst.create_at_s:g} is after horizon_s = {s.horizon_s:g}", where=loc,
                           rule="every instance is created before the horizon", fix="raise horizon_s")
        names.append(inst.name)
    return names


def _check_expectation(exp: Expectation, loc: str, names: list[str]) -> None:
    import sim.checks  # noqa: F401  (registers the property checkers)
    from sim.checks.base import property_ids

    known = property_ids()
    both = sorted(set(exp.holds or ()) & set(exp.violates))
    if both:
        raise SimError(f"{', '.join(both)} listed in both holds and violates", where=loc,
                       rule="a property either holds or is violated", fix="keep it in one list")
    for key, ids in (("holds", exp.holds or ()), ("violates", exp.violates)):
        for pid in ids:
            if known and pid not in known:
                close = difflib.get_close_matches(pid, known, n=1)
                raise SimError(f"{key} names unknown property {pid!r}", where=loc,
                               rule=f"properties are: {', '.join(known)}",
                               fix=f"did you mean {close[0]!r}?" if close else "use one of the listed ids")
    for inst, fact in exp.final.items():
        if fact not in FINAL_FACTS:
            close = difflib.get_close_matches(fact, FINAL_FACTS, n=1)
            raise SimError(f"final.{inst} = {fact!r} is not a final state", where=loc,
                           rule=f"a final state is one of: {', '.join(FINAL_FACTS)} (a phase, or gone/present)",
                           fix=f"did you mean {close[0]!r}?" if close else "use one of those words")
    facts: dict[str, Mapping[str, object]] = {"final": exp.final, **exp.counts()}
    for key, table in facts.items():
        for inst, value in table.items():
            if inst not in names:
                raise SimError(f"{key} names instance {inst!r}, which is not declared", where=loc,
                               rule=f"expectations concern declared instances: {', '.join(names) or 'none'}",
                               fix=f"use one of those names or declare {inst!r} in [[instances]]")
            if isinstance(value, int) and value < 0:
                raise SimError(f"{key}.{inst} = {value}", where=loc, rule="a job count is >= 0",
                               fix="use 0 or more")
