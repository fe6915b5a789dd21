"""No wall clock and no unseeded randomness in models/ or sim/: every varying value comes from the choice source.

The scan reads the syntax tree, so a docstring or comment that mentions ``time.time()`` is fine. A line
may opt out with ``# determinism: ok <reason>`` (the reason is required).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCANNED_DIRS = ("models", "sim")

# (module-ish attribute, function): wall-clock reads.
CLOCK_CALLS = frozenset({
    ("time", "time"), ("time", "time_ns"), ("time", "monotonic"), ("time", "monotonic_ns"),
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
})
# Functions that are nondeterministic whatever they are called on.
ANYWHERE_CALLS = frozenset({"perf_counter", "perf_counter_ns", "uuid1", "uuid4", "urandom"})
# Module-level `random.<fn>(`: the hidden global generator. `random.Random(seed)` is the allowed way.
RANDOM_FUNCTIONS = frozenset({
    "random", "randint", "randrange", "choice", "choices", "shuffle", "uniform", "seed", "sample", "gauss",
    "getrandbits", "expovariate", "normalvariate", "triangular", "betavariate", "SystemRandom",
})
OPT_OUT = re.compile(r"#\s*determinism:\s*ok\b(?P<reason>.*)$")
FIX = ("draw it from the choice source (kernel.choices, a named stream) and use env.now for time, "
       "or add `# determinism: ok <reason>` to the line")


@dataclass(frozen=True)
class Finding:
    """One line that reads the wall clock or unseeded randomness."""

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _dotted(node: ast.expr) -> list[str]:
    """`a.b.c` as ["a", "b", "c"]; a call or subscript in the chain ends it (`f().x` gives [..., "x"])."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    else:
        parts.append("")  # not a plain name: never the `random` module
    return parts[::-1]


def _offence(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == "time" or alias.name.startswith("time."):
                return "`import time` (the wall clock)"
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        if node.module == "time":
            return "`from time import ...` (the wall clock)"
        if node.module == "random":
            hidden = sorted(a.name for a in node.names if a.name in RANDOM_FUNCTIONS)
            if hidden:
                return f"`from random import {', '.join(hidden)}` (the unseeded global generator)"
    if isinstance(node, ast.Call):
        parts = _dotted(node.func)
        name = ".".join(p for p in parts if p)
        if parts[-1] in ANYWHERE_CALLS:
            return f"`{name}(` is not reproducible"
        if len(parts) >= 2 and (parts[-2], parts[-1]) in CLOCK_CALLS:
            return f"`{name}(` reads the wall clock"
        if len(parts) == 2 and parts[0] == "random" and parts[1] in RANDOM_FUNCTIONS:
            return f"`{name}(` uses the unseeded global generator"
    return None


def find_nondeterminism(source: str, path: str) -> list[Finding]:
    """Every offending line of `source`, unless the line opts out with a reason."""
    lines = source.splitlines()
    findings: list[Finding] = []
    for node in ast.walk(ast.parse(source, filename=path)):
        what = _offence(node)
        if what is None:
            continue
        lineno = getattr(node, "lineno", 1)
        opt_out = OPT_OUT.search(lines[lineno - 1])
        if opt_out and opt_out.group("reason").strip(" :-—–"):
            continue
        if opt_out:
            what += " (the `# determinism: ok` opt-out needs a reason)"
        findings.append(Finding(path, lineno, what))
    return sorted(findings, key=lambda f: (f.path, f.line, f.what))


def scanned_files() -> list[Path]:
    return sorted(p for d in SCANNED_DIRS for p in (REPO / d).rglob("*.py"))


def test_the_scan_covers_the_domain_and_the_kernel() -> None:
    names = {p.relative_to(REPO).as_posix() for p in scanned_files()}
    assert {"models/events.py", "sim/kernel/choice.py", "sim/kernel/kernel.py"} <= names


def test_models_and_sim_use_no_wall_clock_and_no_unseeded_randomness() -> None:
    findings = [f for p in scanned_files()
                for f in find_nondeterminism(p.read_text(encoding="utf-8"), p.relative_to(REPO).as_posix())]
    assert not findings, (
        "nondeterminism outside the choice source:\n" + "\n".join(f"  {f}" for f in findings) + f"\nfix: {FIX}"
    )


@pytest.mark.parametrize(
    ("snippet", "complaint"),
    [
        ("import time\n", "import time"),
        ("import time as clock\n", "import time"),
        ("from time import sleep\n", "from time import"),
        ("t = time.time()\n", "time.time("),
        ("t = time.monotonic()\n", "time.monotonic("),
        ("t = perf_counter()\n", "perf_counter("),
        ("t = time.perf_counter()\n", "time.perf_counter("),
        ("t = datetime.now()\n", "datetime.now("),
        ("t = datetime.datetime.utcnow()\n", "datetime.datetime.utcnow("),
        ("uid = uuid.uuid4()\n", "uuid.uuid4("),
        ("uid = uuid4()\n", "uuid4("),
        ("x = random.random()\n", "random.random("),
        ("x = random.randint(1, 6)\n", "random.randint("),
        ("x = random.randrange(6)\n", "random.randrange("),
        ("x = random.choice(xs)\n", "random.choice("),
        ("x = random.choices(xs, k=2)\n", "random.choices("),
        ("random.shuffle(xs)\n", "random.shuffle("),
        ("x = random.uniform(0, 1)\n", "random.uniform("),
        ("random.seed(4)\n", "random.seed("),
        ("x = random.sample(xs, 2)\n", "random.sample("),
        ("x = random.gauss(0, 1)\n", "random.gauss("),
        ("from random import shuffle\n", "from random import shuffle"),
    ],
)
def test_the_lint_catches(snippet: str, complaint: str) -> None:
    (finding,) = find_nondeterminism(snippet, "sim/example.py")
    assert finding.line == 1
    assert complaint in str(finding)
    assert str(finding).startswith("sim/example.py:1: ")


def test_the_lint_allows_seeded_streams_simulated_time_and_mentions_in_docs() -> None:
    source = textwrap.dedent('''
        """Never call time.time() or random.random() here; see uuid4() in the docs."""
        import random
        from datetime import UTC, datetime
        from random import Random

        EPOCH = datetime(2026, 2, 16, tzinfo=UTC)  # not time.time()

        def draw(seed, stream, env, rng, self):
            r = random.Random(f"{seed}/{stream}")
            other = Random(seed)
            return r.random(), other.randint(1, 2), rng.choice([1, 2]), self._rng(stream).random(), env.now
    ''')
    assert find_nondeterminism(source, "sim/example.py") == []


def test_a_line_may_opt_out_with_a_reason() -> None:
    source = textwrap.dedent('''
        import time  # determinism: ok — the CLI reports how long a campaign took
        elapsed = time.monotonic()  # determinism: ok: progress meter only, never logged
    ''')
    assert find_nondeterminism(source, "sim/cli.py") == []


def test_an_opt_out_without_a_reason_does_not_count() -> None:
    (finding,) = find_nondeterminism("t = time.time()  # determinism: ok\n", "sim/cli.py")
    assert "needs a reason" in finding.what


def test_importing_the_domain_and_the_kernel_imports_neither_uuid_nor_secrets() -> None:
    code = ("import sys\nimport models, sim, sim.kernel\n"
            "print(sorted(m for m in ('uuid', 'secrets') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"imported by models or sim.kernel: {result.stdout.strip()}"
