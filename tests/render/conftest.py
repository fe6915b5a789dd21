"""Fixtures for the renderer tests: the AAP and EDA delete-during-provision logs (seed 1), played once per session."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from render_runs import Play, play_story

from models.events import Event


@pytest.fixture(scope="session")
def aap_story() -> Sequence[Event]:
    return play_story("aap")


@pytest.fixture(scope="session")
def eda_story() -> Sequence[Event]:
    return play_story("eda")


@pytest.fixture
def play() -> Play:
    return play_story
