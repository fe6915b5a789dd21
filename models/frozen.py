"""Building frozen slotted dataclass records (events, choices) for about half of what calling the class costs.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__`: a global lookup, an
attribute lookup and a call per field. Every event and every choice of a run is built once, so `builder(cls)`
makes, once per class, a function with the same parameters that creates the bare instance and sets each slot
through its descriptor. The record is the same: same type, same field values, still frozen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")

_BUILDERS: dict[type[Any], Callable[..., Any]] = {}
_SETTERS: dict[type[Any], tuple[Callable[[Any, Any], None], ...]] = {}  # of the classes with a generated builder


class _Slotted:
    __slots__ = ("x",)


_MEMBER = type(_Slotted.__dict__["x"])  # the type of a slot's descriptor


def builder(cls: type[T]) -> Callable[..., T]:
    """A function that builds a `cls` exactly as `cls(...)` does: same parameters, same record.

    Only a frozen slotted dataclass whose `__init__` is the generated one, without default factories,
    `InitVar`s or `__post_init__`, gets a faster builder (plain defaults become the same parameter
    defaults); for any other class the builder is the class itself.
    """
    found = _BUILDERS.get(cls)
    if found is None:
        found = _BUILDERS[cls] = _make_builder(cls)
    return found


def slot_setters(cls: type[Any]) -> tuple[Callable[[Any, Any], None], ...] | None:
    """The slot setters, in field order, that `builder(cls)` applies to `object.__new__(cls)`; None when the
    builder is the class itself. For generated code that builds a record inline (`models.events` decoders)."""
    builder(cls)
    return _SETTERS.get(cls)


def _make_builder(cls: type[T]) -> Callable[..., T]:
    options = getattr(cls, "__dataclass_params__", None)
    if options is None or not options.frozen or hasattr(cls, "__post_init__"):
        return cls
    init = getattr(cls.__init__, "__code__", None)
    if init is None or init.co_filename != "<string>":  # a hand-written __init__: call it
        return cls
    fields = dataclasses.fields(cast(Any, cls))
    if init.co_argcount != len(fields) + 1 or init.co_kwonlyargcount:  # InitVars, keyword-only fields
        return cls
    setters: list[Callable[[Any, Any], None]] = []
    params: list[str] = []
    defaults: dict[str, Any] = {}
    for i, f in enumerate(fields):
        if f.default_factory is not dataclasses.MISSING or not f.init or f.name.startswith("_b_"):
            return cls
        if f.default is not dataclasses.MISSING:
            defaults[f"_b_default_{i}"] = f.default
            params.append(f"{f.name}=_b_default_{i}")
        elif defaults:  # a field without a default after one with: not a valid dataclass anyway
            return cls
        else:
            params.append(f.name)
        descriptor: Any = next((k.__dict__[f.name] for k in cls.__mro__ if f.name in k.__dict__), None)
        if type(descriptor) is not _MEMBER:
            return cls
        setters.append(descriptor.__set__)
    names = [f.name for f in fields]
    lines = [f"def build({', '.join(params)}):", "    _b_obj = _b_new(_b_cls)"]
    lines += [f"    _b_{i}(_b_obj, {name})" for i, name in enumerate(names)]
    lines.append("    return _b_obj")
    namespace: dict[str, Any] = {"_b_new": object.__new__, "_b_cls": cls, **defaults}
    namespace.update((f"_b_{i}", setter) for i, setter in enumerate(setters))
    # The source names only the class's own fields; the file name names the class (tracebacks, profiles).
    exec(compile("\n".join(lines) + "\n", f"<builder of {cls.__name__}>", "exec"), namespace)
    build: Callable[..., T] = namespace["build"]
    _SETTERS[cls] = tuple(setters)
    return build
