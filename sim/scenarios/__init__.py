"""Scenarios: TOML files describing a world, a timeline of actions and expectations; built-ins ship here."""
