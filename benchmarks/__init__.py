"""Benchmarks of the simulator against the engine's limit: `python -m benchmarks [--quick] [--only NAME]`.

One module per benchmark (`lifecycle`, `scale`, `replay`, `campaign`, `time_to_find`); `common` holds the
timing, the engine-event counting and the bare simpy loop every figure is compared with; `cli` runs them.
Wall time is read here only (``time.perf_counter``), never inside `sim/` or `models/`.
"""
