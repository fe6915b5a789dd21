"""Bind a TOML table to a frozen options dataclass, naming the file, the key, the rule and the fix for every mistake.

The dataclass is the schema: its fields are the allowed keys, its type hints the allowed types, its
comments the documentation. Unknown keys are errors (with the closest known key suggested); a field
whose name ends in ``_s`` is a duration in seconds and may not be negative; a `Dist` accepts a number
(fixed), a two-element array ``[lo, hi]`` (uniform) or a table ``{exp = mean, max = cap}``.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from sim.kernel.choice import Dist
from sim.kernel.errors import SimError

T = TypeVar("T")


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if hint is Dist:
        return "a duration: seconds, [lo, hi], or {exp = mean, max = cap}"
    if hint is type(None):
        return "nothing"
    if origin in (tuple, list):
        return f"an array of {_type_name(typing.get_args(hint)[0])}"
    if origin is dict:
        return "a table"
    return {float: "a number", int: "an integer", str: "a string", bool: "true or false"}.get(
        hint, getattr(hint, "__name__", str(hint)))


class _Mismatch(Exception):
    pass


def parse_dist(value: Any) -> Dist:
    if isinstance(value, bool):
        raise _Mismatch
    if isinstance(value, int | float):
        return Dist.fixed(float(value))
    if isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return Dist.uniform(float(value[0]), float(value[1]))
    if isinstance(value, dict) and set(value) <= {"exp", "max"} and "exp" in value:
        return Dist("exponential", float(value["exp"]), float(value.get("max", 0.0)))
    raise _Mismatch


def _convert(hint: Any, value: Any, key: str, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, key, where)
            except _Mismatch:
                continue
        raise _Mismatch
    if origin is Literal:
        if value in typing.get_args(hint):
            return value
        raise _Mismatch
    if hint is Dist:
        return parse_dist(value)
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _Mismatch
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Mismatch
    if hint in (str, bool):
        if type(value) is hint:
            return value
        raise _Mismatch
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise _Mismatch
        (item,) = typing.get_args(hint)[:1]
        return tuple(_convert(item, v, key, where) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise _Mismatch
        _, vt = typing.get_args(hint)
        return {str(k): _convert(vt, v, f"{key}.{k}", where) for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, dict):
            raise _Mismatch
        return bind(hint, value, where=f"{where}.{key}" if where else key)
    raise AssertionError(f"the binder does not know the type {hint!r} of field {key}")


def bind(cls: type[T], table: Mapping[str, Any], *, where: str, file: str = "") -> T:
    """Build `cls` from `table`; every problem is a SimError naming `file`, the key path, the rule and the fix."""
    assert dataclasses.is_dataclass(cls), f"{cls} is not a dataclass"
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    loc = f"{file}: [{where}]" if file else f"[{where}]"
    kwargs: dict[str, Any] = {}
    for key in table:
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            raise SimError(f"unknown key {key!r}", where=loc,
                           rule=f"the keys of [{where}] are: {', '.join(sorted(fields))}",
                           fix=f"did you mean {close[0]!r}?" if close else "remove it or check the spelling")
        value = table[key]
        try:
            converted = _convert(hints[key], value, key, where)
        except _Mismatch:
            raise SimError(f"{key} = {value!r} has the wrong type", where=loc,
                           rule=f"{key} must be {_type_name(hints[key])}",
                           fix=f"write {key} as {_type_name(hints[key])}") from None
        except SimError as exc:
            raise SimError(f"{key}: {exc.what}", where=loc, rule=exc.rule, fix=exc.fix) from None
        if key.endswith("_s") and isinstance(converted, float) and converted < 0:
            raise SimError(f"{key} = {value!r} is negative", where=loc,
                           rule="times and durations (keys ending in _s) are >= 0 seconds",
                           fix=f"use a non-negative number of seconds for {key}")
        kwargs[key] = converted
    try:
        return cls(**kwargs)
    except SimError as exc:
        raise SimError(exc.what, where=loc, rule=exc.rule, fix=exc.fix) from None
    except TypeError as exc:  # a required field is missing
        missing = [n for n, f in fields.items() if n not in kwargs
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        raise SimError(f"missing key(s) {', '.join(missing) or '?'}", where=loc,
                       rule=f"[{where}] requires {', '.join(missing)}", fix="add them") from exc


def toml_value(value: Any) -> Any:
    """The inverse of binding: a field value as TOML data (distributions in their file form, records as tables)."""
    if isinstance(value, Dist):
        if value.kind == "fixed":
            return value.a
        if value.kind == "uniform":
            return [value.a, value.b]
        return {"exp": value.a, "max": value.b}
    if isinstance(value, tuple | list):
        return [toml_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): toml_value(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: toml_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value
