"""Write every state machine as Graphviz DOT (and SVG/PNG where the `dot` program exists)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from models.machines import ALL_MACHINES, MachineDef, machine_dot
from sim.kernel.errors import SimError

FORMATS = ("dot", "svg", "png")
DOT_MISSING_HINT = (
    "the Graphviz `dot` program is not installed, so only .dot files were written; "
    "to get SVG/PNG install it (Debian/Ubuntu: `sudo apt-get install graphviz`, macOS: `brew install graphviz`) "
    "and run the command again, or render a file yourself: `dot -Tsvg diagrams/aap_job.dot -o aap_job.svg`"
)


@dataclass
class DiagramResult:
    """What `write_diagrams` wrote, and what it could not."""

    written: list[Path] = field(default_factory=list)
    skipped_formats: list[str] = field(default_factory=list)
    hint: str = ""


def parse_formats(text: str) -> list[str]:
    formats = [f.strip() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise SimError(f"--format {text!r}", rule=f"formats are a comma-separated subset of {', '.join(FORMATS)}",
                       fix="for example --format dot,svg")
    return formats


def dot_program() -> str | None:
    return shutil.which("dot")


def render_with_dot(dot_text: str, fmt: str, out: Path) -> None:
    exe = dot_program()
    assert exe is not None, "render_with_dot needs the dot program; callers check dot_program() first"
    proc = subprocess.run([exe, f"-T{fmt}", "-o", str(out)], input=dot_text.encode(), capture_output=True,
                          check=False)
    if proc.returncode != 0:
        raise SimError(f"dot failed to render {out.name}: {proc.stderr.decode(errors='replace').strip()}",
                       rule="the DOT text must be valid Graphviz", fix="report this as a bug in the simulator")


def write_diagrams(out_dir: Path, formats: Sequence[str] = ("dot", "svg"),
                   machines: Sequence[MachineDef] = ALL_MACHINES,
                   coverage: Mapping[str, Mapping[tuple[str, str], int]] | None = None,
                   suffix: str = "") -> DiagramResult:
    """Write each machine as `<name><suffix>.<fmt>`; DOT always, images only where `dot` is installed."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SimError(f"cannot create {out_dir}: {exc.strerror}", where=str(out_dir),
                       rule="the output folder must be writable", fix="choose another --out") from exc
    result = DiagramResult()
    images = [f for f in formats if f != "dot"]
    if images and dot_program() is None:
        result.skipped_formats, result.hint, images = images, DOT_MISSING_HINT, []
    for m in machines:
        text = machine_dot(m, coverage.get(m.name, {}) if coverage is not None else None)
        dot_path = out_dir / f"{m.name}{suffix}.dot"
        dot_path.write_text(text, encoding="utf-8")
        result.written.append(dot_path)
        for fmt in images:
            img = out_dir / f"{m.name}{suffix}.{fmt}"
            render_with_dot(text, fmt, img)
            result.written.append(img)
    return result


Coverage = dict[str, dict[tuple[str, str], int]]


def load_coverage(path: Path) -> Coverage:
    """Read a campaign's coverage.json (written by `python -m sim fuzz --out DIR`) into per-machine pair counts."""
    import json

    def bad(what: str) -> SimError:
        return SimError(what, where=str(path), rule="--coverage takes the coverage.json a fuzz campaign wrote",
                        fix="run `python -m sim fuzz ... --out DIR` and pass DIR/coverage.json")

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise bad("no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(f"cannot read it as JSON ({exc})") from None
    machines = data.get("machines") if isinstance(data, dict) else None
    if not isinstance(machines, dict):
        raise bad("it has no 'machines' table")
    known = {m.name: m for m in ALL_MACHINES}
    out: Coverage = {}
    for name, entry in sorted(machines.items()):
        if name not in known:
            raise bad(f"unknown machine {name!r} (known: {', '.join(sorted(known))})")
        try:
            out[name] = {(p["state"], p["trigger"]): int(p["count"]) for p in entry["pairs"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"machine {name}: a pair is not {{state, trigger, count}} ({exc})") from None
    return out
