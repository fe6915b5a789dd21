"""The simulated world around the reference ComputeInstance reconciler, and the tools that run and explore it."""

__version__ = "0.1.0"
