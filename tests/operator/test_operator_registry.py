"""Controller selection (registry) and what constructing a reconciler means: one provider and its client per process."""

from __future__ import annotations

from typing import Any

import pytest
from harness import NS, aap_config, eda_config

from sim.kernel.errors import SimError
from sim.operator.aap import AAPProvider
from sim.operator.config import OperatorConfig
from sim.operator.eda import EDAProvider
from sim.operator.reconciler import ComputeInstanceReconciler
from sim.operator.registry import register_controller, registered_controllers, resolve_controller


class Hardened(ComputeInstanceReconciler):
    name = "test-hardened"


class NoReconcile:
    def __init__(self, config: OperatorConfig) -> None:
        self.config = config


class NoConfig:
    def __init__(self) -> None:
        pass

    def reconcile(self, namespace: str, name: str) -> Any:
        return iter(())


class BadReconcile:
    def __init__(self, config: OperatorConfig) -> None:
        self.config = config

    def reconcile(self) -> Any:
        return iter(())


def test_registry_reference_is_the_default() -> None:
    assert resolve_controller() is ComputeInstanceReconciler
    assert resolve_controller("") is ComputeInstanceReconciler
    assert resolve_controller("reference") is ComputeInstanceReconciler
    assert ComputeInstanceReconciler.name == "reference"


def test_registry_module_class_path() -> None:
    assert resolve_controller("sim.operator.reconciler:ComputeInstanceReconciler") is ComputeInstanceReconciler


def test_registry_registered_short_name() -> None:
    register_controller("test-hardened", Hardened)
    assert resolve_controller("test-hardened") is Hardened
    assert "test-hardened" in registered_controllers()


@pytest.mark.parametrize(("spec", "what"), [
    ("nonesuch", "neither a registered controller"),
    ("no_such_module_xyz:Cls", "cannot be imported"),
    ("sim.operator.reconciler:Missing", "has no attribute"),
    ("sim.operator.goduration:parse_go_duration", "not a class"),
    ("sim.operator.config:OperatorConfig", "no reconcile method"),
    (":Cls", "not of the form"),
    ("sim.operator.reconciler:", "not of the form"),
    ("a:b:c", "not of the form"),
])
def test_registry_errors_say_what_where_rule_fix(spec: str, what: str) -> None:
    with pytest.raises(SimError) as info:
        resolve_controller(spec)
    assert what in info.value.what
    assert info.value.where and info.value.rule and info.value.fix


@pytest.mark.parametrize(("cls", "what"), [
    (NoReconcile, "no reconcile method"), (NoConfig, "cannot be constructed"),
    (BadReconcile, "does not accept (namespace, name)"),
])
def test_registry_protocol_is_checked(cls: type, what: str) -> None:
    with pytest.raises(SimError) as info:
        register_controller("bad", cls)
    assert what in info.value.what


def test_registry_short_name_rules() -> None:
    with pytest.raises(SimError):
        register_controller("a:b", Hardened)


def test_construction_builds_the_configured_provider_with_fresh_process_memory() -> None:
    eda = ComputeInstanceReconciler(eda_config())
    assert isinstance(eda.provider, EDAProvider) and eda.provider.name() == "eda"
    aap_a, aap_b = ComputeInstanceReconciler(aap_config()), ComputeInstanceReconciler(aap_config())
    assert isinstance(aap_a.provider, AAPProvider) and isinstance(aap_b.provider, AAPProvider)
    assert aap_a.provider.client is not aap_b.provider.client
    assert (aap_a.status_poll_interval_s, aap_a.max_job_history, aap_a.controller_namespace) == (30.0, 10, NS)
