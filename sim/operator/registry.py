"""Which controller class is the system under test: "reference", a registered short name, or `package.module:Class`.

The protocol a controller class follows:

- it is constructed with one positional argument, ``cls(config)``, where ``config`` is an
  `sim.operator.config.OperatorConfig`; construction is an operator process start (fresh provider,
  webhook map and template cache), so a restart builds a new instance;
- it has a method ``reconcile(namespace, name)`` returning a coroutine (a generator) that yields
  effect records from `sim.kernel.effects`, receives their results (or has API/transport errors thrown
  in), and returns a `sim.kernel.effects.ReconcileResult` or raises (= an error returned to
  controller-runtime: rate-limited requeue);
- it should carry a class attribute ``name`` naming it in logs.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

from sim.kernel.errors import SimError
from sim.operator.config import OperatorConfig

__all__ = ["DEFAULT_CONTROLLER", "register_controller", "registered_controllers", "resolve_controller"]

DEFAULT_CONTROLLER = "reference"
_REGISTERED: dict[str, type] = {}
# Controllers shipped with the simulator, imported on first use (short name -> module:Class).
_BUILTIN: dict[str, str] = {
    "hardened": "sim.operator.hardened:HardenedComputeInstanceReconciler",
    "broken-skip-cancel": "sim.operator.broken:SkipsCancelReconciler",
    "broken-status-no-retry": "sim.operator.broken:StatusNoRetryReconciler",
    "broken-forget-launch": "sim.operator.broken:ForgetsLaunchReconciler",
    "broken-early-finalizer": "sim.operator.broken:EarlyFinalizerReconciler",
}
_WHERE = "--controller"
_FORMS = "'reference', a registered short name, or package.module:Class"


def register_controller(name: str, cls: type) -> None:
    """Make `cls` selectable by the short `name` (checked against the protocol now)."""
    if not name or ":" in name:
        raise SimError(f"controller short name {name!r} is not usable", where="register_controller",
                       rule="a short name is non-empty and has no colon", fix="pick a name like 'hardened'")
    _check_protocol(cls, f"register_controller({name!r})")
    _REGISTERED[name] = cls


def registered_controllers() -> list[str]:
    """Every selectable short name, sorted (the reference and the built-in ones included)."""
    return sorted({DEFAULT_CONTROLLER, *_BUILTIN, *_REGISTERED})


def resolve_controller(spec: str = DEFAULT_CONTROLLER) -> type:
    """Return the controller class named by `spec`; every problem is a SimError saying what, where, rule, fix."""
    spec = spec.strip() or DEFAULT_CONTROLLER
    if spec in _REGISTERED:
        return _REGISTERED[spec]
    if spec in _BUILTIN:
        module_name, _, attribute = _BUILTIN[spec].partition(":")
        _REGISTERED[spec] = _load_attribute(_BUILTIN[spec], module_name, attribute)
        return _REGISTERED[spec]
    if spec == DEFAULT_CONTROLLER:
        from sim.operator.reconciler import ComputeInstanceReconciler

        return ComputeInstanceReconciler
    if ":" not in spec:
        raise SimError(f"{spec!r} is neither a registered controller nor a module:Class path", where=_WHERE,
                       rule=f"a controller is {_FORMS}; registered: {', '.join(registered_controllers())}",
                       fix=f"write e.g. mypkg.controllers:{spec} or one of the registered names")
    module_name, _, attribute = spec.partition(":")
    cls = _load_attribute(spec, module_name, attribute)
    _check_protocol(cls, f"{_WHERE} {spec}")
    return cls


def _load_attribute(spec: str, module_name: str, attribute: str) -> type:
    if not module_name or not attribute or ":" in attribute:
        raise SimError(f"{spec!r} is not of the form package.module:Class", where=_WHERE,
                       rule="exactly one colon, a module path before it and a class name after it",
                       fix="write e.g. mypkg.controllers:MyReconciler")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SimError(f"module {module_name!r} cannot be imported: {exc}", where=f"{_WHERE} {spec}",
                       rule="the module must be importable from the current Python path",
                       fix="install the package, or run from the folder that holds it (PYTHONPATH)") from None
    value = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise SimError(f"module {module_name!r} has no attribute {attribute!r}", where=f"{_WHERE} {spec}",
                           rule="the name after the colon is a class defined in that module",
                           fix=f"check the spelling; the module defines: {_public_classes(module)}")
        value = getattr(value, part)
    if not isinstance(value, type):
        raise SimError(f"{spec} is a {type(value).__name__}, not a class", where=_WHERE,
                       rule="a controller is a class constructed with an OperatorConfig",
                       fix="name the class, not a function or an instance")
    return value


def _public_classes(module: object) -> str:
    names = sorted(n for n, v in vars(module).items() if isinstance(v, type) and not n.startswith("_"))
    return ", ".join(names) or "(no classes)"


def _check_protocol(cls: type, where: str) -> None:
    if not isinstance(cls, type):
        raise SimError(f"{cls!r} is not a class", where=where, rule="a controller is a class",
                       fix="pass the class itself")
    reconcile = getattr(cls, "reconcile", None)
    if not callable(reconcile):
        raise SimError(f"{cls.__name__} has no reconcile method", where=where,
                       rule="a controller has reconcile(namespace, name) returning a coroutine of effects",
                       fix="subclass sim.operator.reconciler:ComputeInstanceReconciler or add reconcile")
    if not _accepts(cls, OperatorConfig()):
        raise SimError(f"{cls.__name__} cannot be constructed as {cls.__name__}(config)", where=where,
                       rule="a controller is constructed with one OperatorConfig argument",
                       fix="give the class an __init__(self, config: OperatorConfig)")
    if not _accepts(reconcile, None, "namespace", "name"):
        raise SimError(f"{cls.__name__}.reconcile does not accept (namespace, name)", where=where,
                       rule="reconcile(self, namespace, name) returns a coroutine of effects",
                       fix="define reconcile(self, namespace: str, name: str)")


def _accepts(target: Callable[..., object], *args: object) -> bool:
    try:
        inspect.signature(target).bind(*args)
    except TypeError:
        return False
    except ValueError:  # no signature available (a builtin): cannot be checked, so accept
        return True
    return True
