"""Choice sources of exploration that are not random: every draw at its simplest value, and the simplest value itself.

"Simplest" is what Hypothesis shrinks towards: False for a bool (no fault, no duplicate), the lower bound
for an int (the first option, the earliest tie) and for a float (the shortest duration). A shrunk choice
tape is replayed over `SimplestChoiceSource`, so every draw the tape does not give is at its simplest.
"""

from __future__ import annotations

from sim.kernel.choice import ChoiceSource, Domain, Value

__all__ = ["SimplestChoiceSource", "simplest"]


def simplest(domain: Domain) -> Value:
    """False, or the domain's lower bound."""
    if domain.kind == "bool":
        return False
    if domain.kind == "int":
        return int(domain.lo)
    return float(domain.lo)


class SimplestChoiceSource(ChoiceSource):
    """Every choice at its simplest value."""

    def _draw(self, stream: str, name: str, domain: Domain) -> Value:
        return simplest(domain)
