"""Exploration: swarm scenarios, campaigns over seeds/orderings/Hypothesis, signatures, shrinking, exhaustive search.

Public entry points: `generate` and `to_toml` (swarm scenarios), `CampaignPlan` + `run_campaign` (campaigns),
`shrink` (minimal reproductions), `save_campaign` (outputs), `explore` (bounded exhaustive search), and
the `fuzz`/`explore` subcommands in `sim.explore.cli`. Importing this package loads nothing heavy; import
the submodules.
"""
