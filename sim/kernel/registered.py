"""Every event type and projection of the simulator, registered before a saved log is read.

Event classes and projections register themselves where they are defined (`models.events.EVENT_TYPES`,
`sim.kernel.projection.register_projection`), across the kube runtime, the backends, the operator and the
scenario facts. A saved log names event types of all of them and its replay folds every projection, so a
reader in a fresh process (`read_log`, `replay`, `replay_stream` called as a library, not through the CLI)
must load those modules first: without this, a log the same version wrote was refused as "not a valid
event", and a fold used only the projections that happened to be imported.
"""

from __future__ import annotations


def register_everything() -> None:
    """Import the modules that define every event type and projection (the runner imports them all)."""
    import sim.runner  # noqa: F401  (the world and the scenario facts: every event type and projection)
