"""Checkers: safety properties checked online after every event, liveness properties checked at the end."""
