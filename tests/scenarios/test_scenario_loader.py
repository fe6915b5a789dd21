"""A scenario file is validated whole: every mistake names the file, the key, the rule and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.kernel.errors import SimError
from sim.scenarios.loader import load_scenario, parse_scenario

GOOD = """
[scenario]
description = "a small scenario"
horizon_s = 300

[world.operator]
provider = "aap"

[[instances]]
name = "vm-1"

[[actions]]
at_s = 100
do = "delete"
instance = "vm-1"

[expect.default]
final = { "vm-1" = "gone" }
"""


def _error(text: str) -> SimError:
    with pytest.raises(SimError) as info:
        parse_scenario(text, file="my.toml")
    return info.value


def test_a_valid_file_becomes_a_scenario_with_its_defaults() -> None:
    s = parse_scenario(GOOD, file="my.toml", default_name="my")
    assert (s.name, s.horizon_s, s.heal_at_s, s.seed) == ("my", 300.0, 100.0, 1)
    assert s.world.operator.provider == "aap" and s.instances[0].tenant == "tenant-a"
    assert s.expectation_for("hardened").final == {"vm-1": "gone"}


def test_heal_defaults_to_the_end_of_the_last_timed_fault() -> None:
    s = parse_scenario(GOOD + '\n[[actions]]\nat_s = 50\ndo = "conflict_storm"\nduration_s = 80\nrate = 0.5\n',
                       file="my.toml")
    assert s.heal_at_s == 130.0


@pytest.mark.parametrize(("text", "needle"), [
    (GOOD + "\n[extra]\n", "unknown key 'extra'"),
    (GOOD.replace("horizon_s = 300", "horizon_s = 300\nhorizn = 1"), "unknown key 'horizn'"),
    (GOOD.replace('provider = "aap"', 'provider = "aap"\npoll_s = 3'), "unknown key 'poll_s'"),
    (GOOD.replace('name = "vm-1"', 'name = "vm-1"\ncolour = "red"'), "unknown key 'colour'"),
    (GOOD.replace('instance = "vm-1"\n', 'instance = "vm-1"\nwhen = 3\n'), "unknown key 'when'"),
    (GOOD.replace('final = {', 'finale = {'), "unknown key 'finale'"),
])
def test_an_unknown_key_anywhere_is_an_error_with_a_suggestion(text: str, needle: str) -> None:
    err = _error(text)
    assert needle in str(err) and "my.toml" in str(err) and err.rule and err.fix


def test_a_misspelt_key_gets_the_closest_known_key_as_fix() -> None:
    err = _error(GOOD.replace("horizon_s = 300", "horizon = 300"))
    assert "did you mean 'horizon_s'" in err.fix


def test_a_wrong_type_names_the_key_and_the_type_it_must_have() -> None:
    err = _error(GOOD.replace("horizon_s = 300", 'horizon_s = "long"'))
    assert "horizon_s" in err.what and "wrong type" in err.what and "a number" in err.rule


def test_a_negative_time_is_rejected() -> None:
    err = _error(GOOD.replace("at_s = 100", "at_s = -5"))
    assert "negative" in err.what and "at_s" in err.what


def test_an_unknown_action_verb_lists_the_verbs() -> None:
    err = _error(GOOD.replace('do = "delete"', 'do = "destroy"'))
    assert "unknown action verb" in err.what and "delete" in err.rule and "[[actions]] #1" in str(err)


def test_missing_action_parameters_are_named() -> None:
    err = _error(GOOD.replace('do = "delete"\ninstance = "vm-1"', 'do = "conflict_storm"\nduration_s = 5'))
    assert "missing rate" in err.what and "conflict_storm" in err.rule


def test_a_parameter_the_verb_does_not_take_is_an_error() -> None:
    err = _error(GOOD.replace('instance = "vm-1"\n\n[expect', 'instance = "vm-1"\nrate = 0.5\n\n[expect'))
    assert "does not take rate" in err.what


def test_an_action_on_an_undeclared_instance_is_an_error() -> None:
    err = _error(GOOD.replace('instance = "vm-1"\n\n[expect', 'instance = "vm-9"\n\n[expect'))
    assert "'vm-9' is not declared" in err.what


def test_an_action_after_the_horizon_is_an_error() -> None:
    err = _error(GOOD.replace("at_s = 100", "at_s = 400"))
    assert "after horizon_s" in err.what


def test_an_unknown_final_state_lists_the_final_states() -> None:
    err = _error(GOOD.replace('"vm-1" = "gone"', '"vm-1" = "Gone"'))
    assert "final.vm-1 = 'Gone'" in err.what and "Deleting" in err.rule and "'gone'" in err.fix


def test_expectations_about_an_undeclared_instance_are_an_error() -> None:
    err = _error(GOOD.replace('final = { "vm-1"', 'final = { "vm-7"'))
    assert "'vm-7'" in err.what and "not declared" in err.what


def test_a_property_cannot_both_hold_and_be_violated() -> None:
    err = _error(GOOD + 'holds = ["one-deprovision"]\nviolates = ["one-deprovision"]\n')
    assert "both holds and violates" in err.what


def test_a_bad_provider_is_rejected_by_the_operator_record() -> None:
    err = _error(GOOD.replace('provider = "aap"', 'provider = "ansible"'))
    assert "[world]: operator: provider = 'ansible'" in str(err) and "'eda' | 'aap'" in err.rule


def test_a_toml_syntax_error_names_line_and_column() -> None:
    err = _error("[scenario\nhorizon_s = 3\n")
    assert "not valid TOML" in err.what and "line 1" in err.what and "column" in err.what


def test_a_missing_file_and_an_unknown_name_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SimError, match="no such file"):
        load_scenario(tmp_path / "absent.toml")
    with pytest.raises(SimError, match="unknown scenario 'lifecycle-ap'") as info:
        load_scenario("lifecycle-ap")
    assert "did you mean 'lifecycle-aap'" in info.value.fix


def test_a_binary_file_is_not_a_scenario(tmp_path: Path) -> None:
    path = tmp_path / "blob.toml"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(SimError, match="not UTF-8"):
        load_scenario(path)


def test_a_file_path_loads_with_its_stem_as_name(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(GOOD, encoding="utf-8")
    s = load_scenario(path)
    assert s.name == "mine" and s.path == str(path) and not s.is_builtin


def test_a_misspelt_controller_table_is_an_error_not_ignored() -> None:
    err = _error(GOOD.replace("[expect.default]", "[expect.refrence]"))
    assert "[expect.refrence] names no known controller" in err.what and "[expect.reference]" in err.fix


def test_expectations_may_name_a_plug_in_controller_by_its_path() -> None:
    s = parse_scenario(GOOD.replace("[expect.default]", '[expect."mypkg.ctl:Mine"]'), file="my.toml")
    assert s.expectation_for("mypkg.ctl:Mine").final == {"vm-1": "gone"}
    assert s.expectation_for("reference").final == {}
