"""Scenario tables bind to options dataclasses; every mistake names the file, the key, the rule and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from sim.kernel.choice import Dist
from sim.kernel.errors import SimError
from sim.scenarios.binding import bind


@dataclass(frozen=True)
class _Inner:
    rate: float = 0.0  # a probability


@dataclass(frozen=True)
class _Options:
    provider: Literal["eda", "aap"] = "eda"  # which provider
    poll_interval_s: float = 30.0  # requeue while polling
    workers: int = 1  # MaxConcurrentReconciles
    latency_s: Dist = field(default_factory=lambda: Dist.fixed(1.0))  # a duration distribution
    names: tuple[str, ...] = ()  # template names
    inner: _Inner = field(default_factory=_Inner)  # a nested table
    note: str | None = None  # optional text


def test_a_table_binds_with_type_conversion() -> None:
    opts = bind(_Options, {"provider": "aap", "poll_interval_s": 5, "workers": 2, "latency_s": [1, 2],
                           "names": ["a", "b"], "inner": {"rate": 0.5}}, where="world", file="s.toml")
    assert opts == _Options("aap", 5.0, 2, Dist.uniform(1.0, 2.0), ("a", "b"), _Inner(0.5))


@pytest.mark.parametrize(("value", "expected"), [
    (3, Dist.fixed(3.0)), ([1, 4], Dist.uniform(1.0, 4.0)), ({"exp": 2, "max": 10}, Dist("exponential", 2.0, 10.0)),
], ids=["number-is-fixed", "pair-is-uniform", "table-is-exponential"])
def test_durations_accept_three_shapes(value: object, expected: Dist) -> None:
    assert bind(_Options, {"latency_s": value}, where="world").latency_s == expected


def test_an_unknown_key_is_an_error_that_suggests_the_closest_key() -> None:
    with pytest.raises(SimError) as e:
        bind(_Options, {"poll_intervall_s": 3}, where="world", file="s.toml")
    msg = str(e.value)
    assert "s.toml: [world]" in msg and "unknown key 'poll_intervall_s'" in msg and "'poll_interval_s'" in msg


@pytest.mark.parametrize(("key", "value", "rule"), [
    ("workers", "two", "workers must be an integer"),
    ("workers", True, "workers must be an integer"),
    ("provider", "ssh", "provider must be 'eda' | 'aap'"),
    ("latency_s", [3, 1], "the upper bound is >= the lower bound"),
    ("names", "a", "names must be an array of a string"),
], ids=["string-for-int", "bool-for-int", "literal", "reversed-range", "scalar-for-array"])
def test_a_wrong_type_names_the_key_and_the_rule(key: str, value: object, rule: str) -> None:
    with pytest.raises(SimError) as e:
        bind(_Options, {key: value}, where="world", file="s.toml")
    assert key in str(e.value) and rule in str(e.value) and "fix:" in str(e.value)


def test_a_negative_time_is_rejected() -> None:
    with pytest.raises(SimError) as e:
        bind(_Options, {"poll_interval_s": -1}, where="world", file="s.toml")
    assert "negative" in str(e.value) and "keys ending in _s" in str(e.value)


def test_a_nested_table_reports_its_full_path() -> None:
    with pytest.raises(SimError) as e:
        bind(_Options, {"inner": {"rat": 1}}, where="world", file="s.toml")
    assert "[world.inner]" in str(e.value) and "'rate'" in str(e.value)
