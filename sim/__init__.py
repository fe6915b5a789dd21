"""The simulated world around the reference ComputeInstance reconciler, and the tools that run and explore it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "load_scenario", "run_scenario"]

if TYPE_CHECKING:
    from sim.runner import run_scenario
    from sim.scenarios.loader import load_scenario


def __getattr__(name: str) -> Any:
    """`from sim import run_scenario, load_scenario` without making `import sim` load the world."""
    if name == "run_scenario":
        from sim.runner import run_scenario

        return run_scenario
    if name == "load_scenario":
        from sim.scenarios.loader import load_scenario

        return load_scenario
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
