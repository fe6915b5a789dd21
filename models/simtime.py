"""Simulated time: float seconds since a fixed epoch, and the 1-second truncation the API server applies."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

__all__ = ["SIM_EPOCH", "persist_time", "rfc3339"]

# Fixed origin of simulated time; no wall clock is ever consulted.
SIM_EPOCH = datetime(2026, 2, 16, 0, 0, 0, tzinfo=UTC)


def persist_time(t: float) -> float:
    """Return ``t`` truncated to whole seconds, as metav1.Time is after a round trip via the API server."""
    return float(math.floor(t))


def rfc3339(t: float) -> str:
    """Return simulated time ``t`` formatted like Go's metav1.Time JSON (``2026-02-16T00:00:05Z``)."""
    moment = SIM_EPOCH + timedelta(seconds=math.floor(t))
    # Formatted by hand: strftime("%Y") does not zero-pad years below 1000 on every platform.
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )
