"""An event built by `builder(cls)` is the event `cls(...)` builds: same type, fields, equality, hash and frozenness."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from models.events import Event, UserActed
from models.frozen import builder


@dataclass(frozen=True, slots=True)
class BuilderTestDefaulted(Event):
    """A field with a default."""

    note: str = ""


@dataclass(frozen=True, slots=True)
class BuilderTestChecked(Event):
    """A __post_init__: built by calling the class, so the check runs."""

    count: int
    items: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must not be negative")


def test_a_built_event_equals_the_constructed_one() -> None:
    made = UserActed(3, 1.5, "user", verb="create", instance="vm-1", params={"a": 1})
    built = builder(UserActed)(3, 1.5, "user", verb="create", instance="vm-1", params={"a": 1})
    assert type(built) is UserActed
    assert built == made and repr(built) == repr(made)
    assert builder(UserActed)(3, 1.5, "user", "create", "vm-1", {"a": 1}) == made


def test_a_built_event_is_frozen() -> None:
    built = builder(UserActed)(0, 0.0, "user", verb="create", instance="vm-1", params={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.verb = "delete"  # type: ignore[misc]


def test_wrong_arguments_are_refused_as_by_the_class() -> None:
    with pytest.raises(TypeError):
        builder(UserActed)(0, 0.0, "user", verb="create", instance="vm-1")
    with pytest.raises(TypeError):
        builder(UserActed)(0, 0.0, "user", verb="create", instance="vm-1", params={}, extra=1)


def test_defaults_are_the_builder_s_parameter_defaults() -> None:
    build = builder(BuilderTestDefaulted)
    assert build is not BuilderTestDefaulted
    assert build(0, 0.0, "a") == BuilderTestDefaulted(0, 0.0, "a")
    assert build(0, 0.0, "a", note="n") == BuilderTestDefaulted(0, 0.0, "a", "n")


def test_classes_with_post_init_are_built_by_calling_them() -> None:
    assert builder(BuilderTestChecked) is BuilderTestChecked
    with pytest.raises(ValueError, match="negative"):
        builder(BuilderTestChecked)(0, 0.0, "a", count=-1)
