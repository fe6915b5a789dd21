"""The base of every event record: a frozen, past-tense fact with a sequence number, a simulated time and an actor.

Event classes register themselves by class name when they are defined, so a saved log can be read back
without a central list. Field values are JSON scalars, tuples/lists and dicts of them, or — in the fields
a class names in ``OBJECT_FIELDS`` — API objects (anything with ``to_dict``), stored as their dict form.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from models.frozen import builder, slot_setters
from models.objects import object_from_dict

EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True, slots=True)
class Event:
    """An observable change in the simulated world, appended once to the event log and never changed."""

    seq: int
    t: float
    actor: str

    OBJECT_FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # No super() call: dataclass(slots=True) rebuilds Event, which breaks zero-argument super() here,
        # and object.__init_subclass__ takes no arguments anyway.
        # dataclass(slots=True) re-creates the class: the last registration is the slotted one.
        existing = EVENT_TYPES.get(cls.__name__)
        assert existing is None or existing.__module__ == cls.__module__, (
            f"two event classes are named {cls.__name__}: {existing.__module__ if existing else ''} "
            f"and {cls.__module__}; event names must be unique because logs store them by name"
        )
        EVENT_TYPES[cls.__name__] = cls

    @property
    def type_name(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        """The fields beyond seq/t/actor, in declaration order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)[3:]}


# Values that are their own JSON form: `_plain` returns them unchanged, so the hot paths skip the call.
# Exact types only (a StrEnum or IntEnum member is a subclass and still goes through `_plain`).
_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    scalars = _SCALARS
    if isinstance(value, tuple | list):
        return [v if type(v) in scalars else _plain(v) for v in value]
    if isinstance(value, dict):
        return {k if type(k) is str else str(k): v if type(v) in scalars else _plain(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value
_PAYLOAD_NAMES: dict[type[Event], tuple[str, ...]] = {}


def _payload_names(cls: type[Event]) -> tuple[str, ...]:
    names = _PAYLOAD_NAMES.get(cls)
    if names is None:
        names = _PAYLOAD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)[3:])
    return names


def event_to_dict(event: Event) -> dict[str, Any]:
    """The JSON form of an event: seq, t, actor, type, then the payload fields."""
    cls = type(event)
    d: dict[str, Any] = {"seq": event.seq, "t": event.t, "actor": event.actor, "type": cls.__name__}
    names = _PAYLOAD_NAMES.get(cls) or _payload_names(cls)
    scalars = _SCALARS
    for name in names:
        value = getattr(event, name)
        d[name] = value if type(value) in scalars else _plain(value)
    return d


def _tupled(value: Any) -> Any:
    scalars = _SCALARS  # returned as they are: no call for them
    if isinstance(value, list):
        return tuple([v if type(v) in scalars else _tupled(v) for v in value])
    if isinstance(value, dict):
        return {k: v if type(v) in scalars else _tupled(v) for k, v in value.items()}
    return value


_ENUM_FIELDS: dict[type[Event], dict[str, type[Enum]]] = {}


def _enum_fields(cls: type[Event]) -> dict[str, type[Enum]]:
    """The fields of `cls` annotated with an Enum type (or `Enum | None`), resolved once per class."""
    found = _ENUM_FIELDS.get(cls)
    if found is None:
        found = {}
        for name, hint in typing.get_type_hints(cls).items():
            for candidate in (hint, *typing.get_args(hint)):
                if isinstance(candidate, type) and issubclass(candidate, Enum):
                    found[name] = candidate
        _ENUM_FIELDS[cls] = found
    return found


class EventDecodeError(ValueError):
    """A dict that is not a known event (unknown type, missing or extra fields)."""


@dataclass(frozen=True, slots=True)
class _Decoder:
    """What decoding needs of one event class, worked out once: field names, valid keys, a decoding function."""

    names: tuple[str, ...]
    keys: frozenset[str]  # the names and "type": exactly the keys of a valid dict
    decode: Callable[[dict[str, Any]], Event]  # a dict with exactly `keys` -> the event
    size: int  # len(keys), or -1 when no dict can match (a field named "type")


# Filled on first use per class; `LogReader` looks a decoder up here itself (one call less per line).
EVENT_DECODERS: dict[type[Event], _Decoder] = {}


def _object_value(v: Any) -> Any:
    """An OBJECT_FIELDS value: an API object, a sequence of them, or None."""
    if v is None:
        return None
    return object_from_dict(v) if isinstance(v, dict) else tuple(object_from_dict(o) for o in v)


def _decoder(cls: type[Event]) -> _Decoder:
    """Each class gets a function that reads its fields from the dict and builds the event positionally.

    Per field: an OBJECT_FIELDS value is rebuilt as API objects, an enum-annotated one as its enum (None
    stays None), any other value is kept if it is an exact scalar and otherwise made hashable (lists become
    tuples) — as the field-by-field loop this replaces did, without looking the kind of each field up."""
    found = EVENT_DECODERS.get(cls)
    if found is None:
        names = tuple(f.name for f in dataclasses.fields(cls))
        # A field named "type" could never be given (the key names the class): no dict matches `keys` then.
        keys = frozenset((*names, "type")) if "type" not in names else frozenset()
        objects, enums = frozenset(cls.OBJECT_FIELDS), _enum_fields(cls)
        namespace: dict[str, Any] = {"_d_build": builder(cls), "_d_object": _object_value, "_d_tupled": _tupled,
                                     "_d_scalars": _SCALARS}
        lines, args = ["def decode(d):"], []
        for i, name in enumerate(names):
            v = f"_d_{i}"
            lines.append(f"    {v} = d[{name!r}]")
            if name in objects:
                args.append(f"_d_object({v})")
            elif name in enums:
                namespace[f"_d_enum_{i}"] = enums[name]
                args.append(f"(None if {v} is None else _d_enum_{i}({v}))")
            else:
                args.append(f"({v} if type({v}) in _d_scalars else _d_tupled({v}))")
        setters = slot_setters(cls)
        if setters is None:
            lines.append(f"    return _d_build({', '.join(args)})")
        else:  # the builder's body inline (one call less per event of a replay): same values, same order
            namespace.update({"_d_new": object.__new__, "_d_cls": cls})
            namespace.update((f"_d_set_{i}", setter) for i, setter in enumerate(setters))
            lines.append("    _d_obj = _d_new(_d_cls)")
            lines += [f"    _d_set_{i}(_d_obj, {arg})" for i, arg in enumerate(args)]
            lines.append("    return _d_obj")
        # The source names only the class's own fields; the file name names the class (tracebacks, profiles).
        exec(compile("\n".join(lines) + "\n", f"<decoder of {cls.__name__}>", "exec"), namespace)
        found = EVENT_DECODERS[cls] = _Decoder(names, keys, namespace["decode"], len(keys) if keys else -1)
    return found


def event_from_dict(d: dict[str, Any]) -> Event:
    """Inverse of `event_to_dict`; raises EventDecodeError naming what is wrong."""
    type_name = d.get("type")
    cls = EVENT_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise EventDecodeError(f"unknown event type {type_name!r}")
    dec = EVENT_DECODERS.get(cls) or _decoder(cls)
    if d.keys() != dec.keys:
        given = set(d) - {"type"}
        missing = [n for n in dec.names if n not in given]
        extra = sorted(given - set(dec.names))
        raise EventDecodeError(f"event {type_name}: missing fields {missing}, unexpected fields {extra}")
    return dec.decode(d)


# A small set of run-level facts every log carries; the world parts define their own events elsewhere.
@dataclass(frozen=True, slots=True)
class RunStarted(Event):
    """The simulation began: what is being simulated and with which seed."""

    scenario: str
    seed: int


@dataclass(frozen=True, slots=True)
class RunFinished(Event):
    """The simulation stopped at time t; `reason` says why (horizon reached, queue drained, interrupted)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Note(Event):
    """A free-text marker (used by tests and by scenario actions that only annotate the timeline)."""

    text: str



@dataclass(frozen=True, slots=True)
class UserActed(Event):
    """The user (or the scenario driver) did something: verb, the instance it concerns, and its parameters."""

    verb: str
    instance: str
    params: dict[str, Any]
