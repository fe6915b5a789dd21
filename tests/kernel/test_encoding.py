"""The per-class line encoder writes exactly what json.dumps makes of event_to_dict, whatever a field holds."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import Enum, IntEnum, StrEnum
from typing import Any

import pytest

from models.events import Event, event_to_dict
from models.objects import ComputeInstance, ComputeInstanceSpec, ObjectMeta
from sim.kernel.encoding import encode_event


class EncodingTestColour(Enum):
    RED = "red"


class EncodingTestKind(StrEnum):
    BIG = "Big"


class EncodingTestLevel(IntEnum):
    HIGH = 3


@dataclass(frozen=True, slots=True)
class EncodingTestMixed(Event):
    """Annotated as scalars, but a test may put anything in the fields."""

    text: str
    count: int
    ratio: float
    anything: Any


def _reference(event: Event) -> str:
    return json.dumps(event_to_dict(event), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


_VALUES: list[Any] = [
    "plain", "quote \" backslash \\ newline \n tab \t", "ünïcode ✓", "", "\x00\x1f\u2028",
    0, -7, 2**70, True, False, None, 0.0, -0.0, 1e-300, 1.5e300, 0.1 + 0.2, 12345678.000001,
    EncodingTestColour.RED, EncodingTestKind.BIG, EncodingTestLevel.HIGH,
    (), (1, 2), [("a", "b")], {"k": [1, {"n": None}]}, {1: "int key", "s": EncodingTestColour.RED},
    ComputeInstance(ObjectMeta("vm-1", "ns", labels={"b": "2", "a": "1"}), ComputeInstanceSpec("t")),
]


@pytest.mark.parametrize("value", _VALUES, ids=repr)
def test_every_field_is_written_as_json_dumps_writes_the_event_dict(value: Any) -> None:
    for event in (EncodingTestMixed(0, 1.25, "actor", value, 1, 0.5, value),
                  EncodingTestMixed(1, 2.0, "actor", "x", value, 0.5, None),
                  EncodingTestMixed(2, 3.0, "actor", "x", 1, value, None)):
        assert encode_event(event) == _reference(event)


def test_a_value_json_cannot_write_fails_as_json_dumps_does() -> None:
    for bad in (math.nan, math.inf, -math.inf, object()):
        with pytest.raises((TypeError, ValueError)):
            _reference(EncodingTestMixed(0, 0.0, "a", "x", 1, 0.5, bad))
        with pytest.raises((TypeError, ValueError)):
            encode_event(EncodingTestMixed(0, 0.0, "a", "x", 1, 0.5, bad))
    with pytest.raises(ValueError):
        encode_event(EncodingTestMixed(0, 0.0, "a", "x", 1, math.nan, None))
