"""The canonical JSON line of an event, written straight from its fields by an encoder made once per event class.

The line is, byte for byte, what the C JSON encoder makes of `event_to_dict(event)` with the log's options
(compact separators, no ASCII escaping, no NaN): ``{"seq":…,"t":…,"actor":…,"type":"<class>",<payload>}``.
Building that dict and walking it in the C encoder costs more than the encoding itself for the many small,
all-scalar events of a run, so each class gets an f-string with one slot per field. A slot formats the exact
types `str`, `int` and finite `float` the way the C encoder does (`encode_basestring`, `int.__repr__`,
`float.__repr__`); every other value — bool, None, enum, tuple, dict, API object, a subclass of a scalar,
a non-finite float — goes through `_plain` and the C encoder exactly as before, so the bytes cannot differ.
"""

from __future__ import annotations

import dataclasses
import json
import json.encoder
from collections.abc import Callable
from typing import Any

from models.events import Event, _plain

EventEncoder = Callable[[Event], str]

_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _compact_encoder() -> Callable[[Any], str]:
    """`_dumps`, without building a JSONEncoder and a C encoder for every value (what json.dumps does per call).

    The C encoder is the one `json.dumps` itself uses for these options; it is made once, without the
    circular-reference check (event payloads are trees). A value it cannot encode (or a cycle) falls back
    to `_dumps`, which raises the usual error.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _dumps
    fail = json.JSONEncoder().default
    encoder = make(None, fail, json.encoder.encode_basestring, None, ":", ",", False, False, False)

    def encode(value: Any) -> str:
        try:
            return "".join(encoder(value, 0))
        except (TypeError, ValueError, RecursionError):
            return _dumps(value)

    return encode


encode_json = _compact_encoder()


def _value(value: Any) -> str:
    """Any field value as the C encoder writes its `event_to_dict` form (the general slot).

    A tuple of exact scalars (resource versions, an empty field list) is its own JSON form: the C encoder
    writes a tuple as the list `_plain` would make of it, so the copy is skipped."""
    kind = type(value)
    if kind in _SCALARS or (kind is tuple and all(type(v) in _SCALARS for v in value)):
        return encode_json(value)
    return encode_json(_plain(value))


# The slot of a field, by its annotation: the likely exact type is tested inline, anything else is `_value`.
_SLOTS = {
    "str": "{esc(%s) if type(%s) is str else value(%s)}",
    "int": "{%s if type(%s) is int else value(%s)}",
    "float": "{frepr(%s) if type(%s) is float and %s - %s == 0.0 else value(%s)}",
}


def _literal(text: str) -> str:
    """`text` as literal f-string text (braces doubled)."""
    return text.replace("{", "{{").replace("}", "}}")


def _make_encoder(cls: type[Event]) -> EventEncoder:
    fields = dataclasses.fields(cls)
    assert [f.name for f in fields[:3]] == ["seq", "t", "actor"], f"{cls.__name__}: an event starts with seq, t, actor"
    esc = json.encoder.encode_basestring
    lines, parts = [], []
    for i, f in enumerate(fields):
        var = f"v{i}"
        lines.append(f"    {var} = e.{f.name}")
        annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        slot = _SLOTS.get(annotation, "{value(%s)}").replace("%s", var)
        parts.append(("{{" if i == 0 else ",") + _literal(esc(f.name)) + ":" + slot)
        if i == 2:  # the class name follows seq, t and actor
            parts.append(',"type":' + _literal(esc(cls.__name__)))
    body = "".join(parts).replace("'", "\\'")
    source = "def encode(e):\n" + "\n".join(lines) + f"\n    return f'{body}}}}}'\n"
    namespace: dict[str, Any] = {"esc": esc, "frepr": float.__repr__, "value": _value}
    # The source is built above from the class's field names only; its file name names the class, so
    # tracebacks and profiles tell the encoders apart.
    exec(compile(source, f"<line encoder of {cls.__name__}>", "exec"), namespace)
    encoder: EventEncoder = namespace["encode"]
    return encoder


_ENCODERS: dict[type[Event], EventEncoder] = {}


def encoder_for(cls: type[Event]) -> EventEncoder:
    """The function that writes the line of an event of class `cls` (made on first use)."""
    encoder = _ENCODERS.get(cls)
    if encoder is None:
        encoder = _ENCODERS[cls] = _make_encoder(cls)
    return encoder


def encode_event(event: Event) -> str:
    """One event as its canonical JSON line (no trailing newline)."""
    return encoder_for(type(event))(event)
