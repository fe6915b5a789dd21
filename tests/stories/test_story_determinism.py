"""Same seed ⇒ same log, for every story: a fresh run's digest equals the shared run's; another seed differs."""

from __future__ import annotations

import pytest
from story_scripts import STORIES, played


@pytest.mark.parametrize("name", sorted(STORIES))
def test_the_same_seed_gives_the_same_log(name: str) -> None:
    again = STORIES[name](1)
    assert len(again.world.kernel.log) == len(played(name).world.kernel.log)
    assert again.digest() == played(name).digest(), f"story {name} with seed 1 gave two different logs"


@pytest.mark.parametrize("name", sorted(STORIES))
def test_a_different_seed_gives_a_different_log(name: str) -> None:
    assert STORIES[name](2).digest() != played(name).digest()
