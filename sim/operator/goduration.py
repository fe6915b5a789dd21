"""Go `time.Duration` text: `time.ParseDuration` and `Duration.String`, in float seconds."""

from __future__ import annotations

import re

__all__ = ["format_go_duration", "parse_go_duration"]

# Nanoseconds per unit, as in Go's time package (both micro signs are accepted).
_UNIT_NS: dict[str, int] = {
    "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
    "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
}
_COMPONENT = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")
_SECOND_NS = 1_000_000_000


def parse_go_duration(text: str) -> float:
    """Parse like Go's `time.ParseDuration` ("1m30s", "500ms", "-2h", "0") into seconds; ValueError if invalid."""
    rest, negative = text, False
    if rest[:1] in ("-", "+"):
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise ValueError(f"time: invalid duration {text!r}")
    total_ns = 0.0
    while rest:
        match = _COMPONENT.match(rest)
        assert match is not None, "the component pattern matches any string (every part is optional)"
        whole, frac, unit = match.group(1), match.group(2), match.group(3)
        if not whole and not frac:
            raise ValueError(f"time: invalid duration {text!r}")
        if not unit:
            raise ValueError(f"time: missing unit in duration {text!r}")
        if unit not in _UNIT_NS:
            raise ValueError(f"time: unknown unit {unit!r} in duration {text!r}")
        value = float(f"{whole or '0'}.{frac or '0'}")
        total_ns += value * _UNIT_NS[unit]
        rest = rest[match.end():]
    seconds = total_ns / _SECOND_NS
    return -seconds if negative else seconds


def _fraction(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if frac == 0:
        return str(whole)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def format_go_duration(seconds: float) -> str:
    """Format seconds like Go's `Duration.String`: "1.5s", "1m30s", "1h0m0s", "500ms", "0s"."""
    ns = round(seconds * _SECOND_NS)
    magnitude = abs(ns)
    if magnitude == 0:
        return "0s"
    if magnitude < 1_000:
        text = f"{magnitude}ns"
    elif magnitude < 1_000_000:
        text = _fraction(magnitude, 1_000) + "µs"
    elif magnitude < _SECOND_NS:
        text = _fraction(magnitude, 1_000_000) + "ms"
    else:
        hours, rem = divmod(magnitude, _UNIT_NS["h"])
        minutes, rem = divmod(rem, _UNIT_NS["m"])
        text = _fraction(rem, _SECOND_NS) + "s"
        if hours or minutes:
            text = f"{minutes}m{text}"
        if hours:
            text = f"{hours}h{text}"
    return f"-{text}" if ns < 0 else text
