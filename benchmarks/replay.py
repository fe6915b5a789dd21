"""Replay: fold a saved one-million-event log into every registered projection, against just parsing its lines.

The log is written once with `LogWriter` from one big run (instances created over a window, deleted once
Running, as in the scale benchmark). Then, each in a fresh child process so its peak RSS is its own:

- ``parse``: read the file line by line and `json.loads` each line — the bare rate;
- ``fold``: `replay_stream`, which reads, verifies (sequence numbers, footer, SHA-256 digest), decodes each
  event and folds it into every projection, holding one event at a time.

The engine plays no part here, so the comparison is with line parsing, not with simpy.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import sim.runner  # noqa: F401  (imported here, not inside the timed fold: the reader registers every type on first use)
from benchmarks.common import Figure, Report, Samples, Settings, Target, current_rss_bytes, peak_rss_bytes, run_child
from benchmarks.workload import lifecycle_world
from sim.kernel.logfile import LogHeader, LogWriter
from sim.kernel.projection import replay_stream

NAME = "replay"
FULL_EVENTS = 1_000_000
QUICK_EVENTS = 3_000
EVENTS_PER_INSTANCE = 520  # about what one lifecycle logs when many share the operator
TARGET_SHARE = 0.5


def write_log(path: Path, events: int, seed: int = 1) -> int:
    """Write a log of about `events` events from one big run; returns the number written."""
    count = max(1, round(events / EVENTS_PER_INSTANCE))
    world, driver = lifecycle_world("aap", seed, count=count, window_s=count / 100.0, workers=16, tenants=10,
                                    keep_events=False)
    writer = LogWriter(path, LogHeader(seed=seed, config={"benchmark": "replay", "instances": count}),
                       overwrite=True)
    world.kernel.log.subscribe(writer.write)
    driver.start()
    finished = driver.run()
    assert finished, "the replay benchmark's run did not finish"
    writer.close(world.kernel.choices.tape)
    return len(world.kernel.log)


def parse_lines(path: Path) -> int:
    """The bare rate: `json.loads` of every line, nothing else."""
    n = 0
    loads = json.loads
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            loads(line)
            n += 1
    return n


def measure(path: Path, mode: str) -> dict[str, Any]:
    """One timed pass in this process (`parse` or `fold`), with its peak RSS."""
    base = current_rss_bytes()
    start = time.perf_counter()
    count = parse_lines(path) if mode == "parse" else replay_stream(path).events
    return {"seconds": time.perf_counter() - start, "count": count, "peak_rss": peak_rss_bytes(), "base_rss": base}


def run(settings: Settings, out: TextIO = sys.stdout) -> Report:
    """Write the log, then time parsing and folding it in child processes; print and return the report."""
    target = QUICK_EVENTS if settings.quick else FULL_EVENTS
    repeats = settings.effective_repeats
    report = Report(NAME, f"fold a saved log of about {target:,} events (streaming) vs json.loads of its lines")
    with tempfile.TemporaryDirectory(prefix="sim-bench-") as tmp:
        path = Path(tmp) / "big.jsonl"
        start = time.perf_counter()
        written = write_log(path, target)
        write_s = time.perf_counter() - start
        size = os.path.getsize(path)
        # Parse and fold passes alternate, and the share is the median of each pair's: on a shared host whose
        # speed drifts, a pair sees the same machine, where all parses followed by all folds would not.
        parse, fold = [], []
        for _ in range(repeats):
            parse.append(run_child("benchmarks.replay", {"path": str(path), "mode": "parse"}))
            fold.append(run_child("benchmarks.replay", {"path": str(path), "mode": "fold"}))
    lines = parse[0]["count"]
    parse_rate = Samples(tuple(lines / r["seconds"] for r in parse))
    fold_rate = Samples(tuple(written / r["seconds"] for r in fold))
    shares = Samples(tuple((written / f["seconds"]) / (lines / p["seconds"]) for p, f in zip(parse, fold, strict=True)))
    share = shares.median
    report.add(Figure("log", written, f"events, {size / 2**20:,.0f} MiB ({size / written:,.0f} B/event), "
                      f"written in {write_s:,.1f} s"))
    report.add(Figure("parse (json.loads per line)", parse_rate.median, "lines/s", (parse_rate.lo, parse_rate.hi)))
    report.add(Figure("fold (replay_stream: verify, decode, every projection)", fold_rate.median, "events/s",
                      (fold_rate.lo, fold_rate.hi)))
    report.add(Figure("fold rate / parse rate (median of back-to-back pairs)", share * 100, "%",
                      (shares.lo * 100, shares.hi * 100), digits=0,
                      target=Target(f">= {TARGET_SHARE:.0%} of the parse rate", share >= TARGET_SHARE)))
    fold_rss = Samples(tuple(float(r["peak_rss"]) for r in fold))
    growth = Samples(tuple(float(r["peak_rss"] - r["base_rss"]) for r in fold))
    report.add(Figure("fold peak RSS", fold_rss.median / 2**20, "MiB", (fold_rss.lo / 2**20, fold_rss.hi / 2**20)))
    report.add(Figure("fold RSS growth", growth.median / 2**20, f"MiB for a {size / 2**20:,.0f} MiB log of "
                      f"{written:,} events ({growth.median / written:,.0f} B/event)"))
    report.notes.append("the fold holds one event at a time; its growth is the projections' state (live objects, "
                        "one record per job and VM) and the footer's choice tape (one JSON line); each pass runs "
                        "in a fresh child process")
    report.write(out)
    return report


def _child(args: dict[str, Any]) -> None:
    print(json.dumps(measure(Path(args["path"]), str(args["mode"]))))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        _child(json.loads(sys.argv[2]))
    else:
        run(Settings(quick="--quick" in sys.argv))
