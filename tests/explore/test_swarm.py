"""Swarm generation: one seed gives one scenario, every family's scenarios are valid files, and TOML round-trips."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sim.cli import main as sim_main
from sim.explore.scenario_toml import reparse, to_toml
from sim.explore.swarm import FAMILIES, generate
from sim.kernel.choice import SeededChoiceSource
from sim.kernel.errors import SimError
from sim.scenarios.loader import builtin_names, load_scenario, parse_scenario
from sim.scenarios.schema import Scenario


def _same_content(a: Scenario, b: Scenario) -> None:
    for f in dataclasses.fields(a):
        if f.name not in ("source", "path"):
            assert getattr(a, f.name) == getattr(b, f.name), f"{a.name}: field {f.name} differs after the round trip"


def test_the_same_seed_draws_the_same_scenario_and_another_seed_another() -> None:
    assert generate(11, "all").source == generate(11, "all").source
    assert len({generate(seed, "all").source for seed in range(8)}) == 8


def test_generation_draws_only_from_the_swarm_stream_and_records_it() -> None:
    source = SeededChoiceSource(5)
    scenario = generate(5, "eda", choices=source)
    assert source.tape and {c.stream for c in source.tape} == {"swarm"}
    assert scenario.source == generate(5, "eda").source


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_generates_valid_scenarios_that_round_trip(family: str) -> None:
    for seed in range(6):
        scenario = generate(seed, family)
        assert family in scenario.tags and scenario.horizon_s > scenario.heal_at_s
        _same_content(scenario, reparse(scenario))
        _same_content(scenario, parse_scenario(to_toml(scenario), file="x.toml"))


def test_forced_features_appear_in_every_scenario_of_their_family() -> None:
    for seed in range(6):
        assert any(a.do == "switch_provider" for a in generate(seed, "switch").actions)
        assert any(a.do == "delete" for a in generate(seed, "delete").actions)


def test_every_builtin_scenario_round_trips_through_to_toml() -> None:
    for name in builtin_names():
        _same_content(load_scenario(name), reparse(load_scenario(name)))


def test_a_generated_file_runs_with_the_scenario_command(tmp_path: Path) -> None:
    path = tmp_path / "swarm.toml"
    path.write_text(to_toml(generate(3, "aap")), encoding="utf-8")
    assert load_scenario(str(path)).name == "swarm-aap-3"
    assert sim_main(["scenario", str(path), "--seed", "3", "--quiet"]) in (0, 1)


def test_an_unknown_family_is_bad_input_naming_the_families() -> None:
    with pytest.raises(SimError, match="unknown scenario family 'edda'") as err:
        generate(1, "edda")
    assert "eda" in str(err.value)
