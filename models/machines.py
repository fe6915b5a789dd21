"""State machines declared once as data, run by `transitions`, compiled to lookup tables, drawn as DOT."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from transitions import Machine  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "AAP_JOB",
    "ALL_MACHINES",
    "CR_OBJECT",
    "INSTANCE_PHASE",
    "JOB_RECORD",
    "NONE_STATE",
    "VM",
    "CompiledMachine",
    "IllegalTransition",
    "MachineDef",
    "TransitionDef",
    "build_machine",
    "compiled",
    "machine_def",
    "machine_dot",
]

MachineKind = Literal["ground-truth", "monitor"]

# Monitor machines start in this state: the field has no value yet (`status.phase == ""`, or no
# `status.jobs[]` entry for the job). Callers map the empty string to it before firing.
NONE_STATE = "none"


@dataclass(frozen=True, slots=True)
class TransitionDef:
    """One edge: `trigger` moves a thing from `source` to `dest`."""

    trigger: str
    source: str
    dest: str


@dataclass(frozen=True, slots=True)
class MachineDef:
    """A state machine as data; `terminals` are the states in which the lifecycle has ended.

    A terminal state has no exit, with one documented exception: AAP_JOB's finished states leave only
    through `purge`, which removes the record of a job that has already ended (see AAP_JOB.doc).
    Monitor machines encode only *changes*: the checker skips a write that leaves the value unchanged,
    so no self-loops are declared for "recorded the same value again".
    """

    name: str  # file-safe identifier, used for diagram file names and cache keys
    title: str  # human title, the diagram caption
    kind: MachineKind  # ground-truth: illegal trigger is a simulator bug; monitor: a violation
    states: tuple[str, ...]  # in presentation order
    initial: str
    terminals: tuple[str, ...]
    transitions: tuple[TransitionDef, ...]
    doc: str

    def __post_init__(self) -> None:
        problems = _definition_problems(self)
        if problems:
            raise ValueError(
                f"machine definition {self.name!r} is inconsistent: {'; '.join(problems)}; "
                "fix the definition in models/machines.py"
            )


def _definition_problems(defn: MachineDef) -> list[str]:
    """Return every rule the definition breaks (empty when it is consistent)."""
    problems: list[str] = []
    known = set(defn.states)
    if len(known) != len(defn.states):
        problems.append("a state is listed twice")
    if defn.initial not in known:
        problems.append(f"initial state {defn.initial!r} is not a state")
    problems.extend(f"terminal {t!r} is not a state" for t in defn.terminals if t not in known)
    seen_trigger: set[tuple[str, str]] = set()
    seen_dest: set[tuple[str, str]] = set()
    for t in defn.transitions:
        if t.source not in known or t.dest not in known:
            problems.append(f"{t.trigger} {t.source}->{t.dest} names an unknown state")
        if not t.trigger.isidentifier() or t.trigger in ("trigger", "state", "may_trigger"):
            problems.append(f"trigger {t.trigger!r} cannot be a model attribute name")
        if (t.source, t.trigger) in seen_trigger:
            problems.append(f"two edges for ({t.source}, {t.trigger}): the table must be a function")
        if (t.source, t.dest) in seen_dest:
            problems.append(f"two triggers for {t.source}->{t.dest}: trigger_for would be ambiguous")
        seen_trigger.add((t.source, t.trigger))
        seen_dest.add((t.source, t.dest))
    return problems


def _edges(trigger: str, sources: Iterable[str], dest: str) -> tuple[TransitionDef, ...]:
    return tuple(TransitionDef(trigger, source, dest) for source in sources)


# --- ground truth: the fake AAP controller's jobs ------------------------------------------------

_AAP_FINISHED = ("successful", "failed", "error", "canceled")

AAP_JOB = MachineDef(
    name="aap_job",
    title="AAP job (controller ground truth)",
    kind="ground-truth",
    states=("new", "pending", "waiting", "running", *_AAP_FINISHED, "purged"),
    initial="new",
    terminals=(*_AAP_FINISHED, "purged"),
    transitions=(
        *_edges("enqueue", ["new"], "pending"),
        *_edges("wait", ["pending"], "waiting"),
        *_edges("start", ["waiting"], "running"),
        *_edges("succeed", ["running"], "successful"),
        *_edges("fail", ["running"], "failed"),
        # AAP marks a job `error` when it cannot run it at all (no capacity, project sync or
        # dispatch failure) before it starts, as well as when the run itself breaks.
        *_edges("error", ["pending", "waiting", "running"], "error"),
        # The cancel *request* (POST .../cancel/, answered 202) is not a transition; the job moves
        # to canceled later, when the cancel takes effect (§1: SIGINT, dispatched tasks finish).
        *_edges("cancel", ["new", "pending", "waiting", "running"], "canceled"),
        # AAP refuses to delete an active job, so only finished jobs are purged (then 404, §1).
        *_edges("purge", _AAP_FINISHED, "purged"),
    ),
    doc=(
        "Lifecycle of one job in the fake AAP controller (semantics §1, §11). A job is launched in "
        "`new` and advances new → pending → waiting → running → successful | failed | error. "
        "`error` may also happen before the job runs (pending, waiting). `cancel` is the moment a "
        "cancel takes effect, not the request: a cancel POST to an active job returns 202 and the "
        "job reaches `canceled` later; a cancel POST to a finished job gets 405 and fires nothing. "
        "Terminal means finished: successful, failed, error and canceled have no exit except "
        "`purge`, which deletes the record (its URL answers 404 afterwards). `terminals` lists "
        "those four and `purged`, the absorbing final state. An active job is never purged."
    ),
)

# --- ground truth: an API-server object ----------------------------------------------------------

CR_OBJECT = MachineDef(
    name="cr_object",
    title="API-server object (ground truth)",
    kind="ground-truth",
    states=("absent", "live", "terminating", "gone"),
    initial="absent",
    terminals=("gone",),
    transitions=(
        *_edges("create", ["absent"], "live"),
        # Any accepted write (metadata, spec, status): the resourceVersion changes, the state not.
        *(TransitionDef("update", s, s) for s in ("live", "terminating")),
        # With finalizers a delete only sets deletionTimestamp (§1). A repeated delete of a
        # terminating object changes nothing and fires nothing.
        *_edges("delete", ["live"], "terminating"),
        # Without finalizers the object is removed at once. A distinct trigger, because the
        # compiled table maps (state, trigger) to exactly one destination.
        *_edges("delete_without_finalizers", ["live"], "gone"),
        # The write that empties the finalizer list of a terminating object removes it (§1).
        *_edges("finalizers_emptied", ["terminating"], "gone"),
    ),
    doc=(
        "Lifecycle of one API-server object, identified by its uid (semantics §1, §2.5). `create` "
        "makes it live; `update` is any accepted write. `delete` of an object with finalizers sets "
        "deletionTimestamp (terminating); `delete_without_finalizers` removes it at once. A "
        "terminating object still accepts writes (`update`); a write that adds a finalizer to it is "
        "rejected and a repeated delete changes nothing, so neither fires a trigger. The write "
        "that empties its finalizer list fires `finalizers_emptied` and the object is gone. "
        "`gone` is absorbing: an object created again under the same name is a new object with a "
        "new uid and a new machine."
    ),
)

# --- ground truth: a KubeVirt VM and its entry in the cloud ledger -------------------------------

VM = MachineDef(
    name="vm",
    title="KubeVirt VM and cloud ledger (ground truth)",
    kind="ground-truth",
    states=("absent", "provisioning", "ready", "deleting", "gone"),
    initial="absent",
    terminals=("gone",),
    transitions=(
        *_edges("create", ["absent"], "provisioning"),
        *_edges("become_ready", ["provisioning"], "ready"),
        # A restart deletes the VMI (§15); the VM stays in the ledger and is not Ready until the
        # new VMI runs.
        *_edges("restart", ["ready"], "provisioning"),
        # Deleting a VM that is still provisioning stops the boot and tears it down like a ready
        # one. A second delete (e.g. two delete playbooks) changes nothing and fires nothing.
        *_edges("delete", ["provisioning", "ready"], "deleting"),
        *_edges("vanish", ["deleting"], "gone"),
    ),
    doc=(
        "Lifecycle of one KubeVirt VirtualMachine and the real VM behind it in the cloud ledger "
        "(semantics §1 create/delete playbooks, §15). The create playbook's `create` makes it "
        "provisioning; `become_ready` when its Ready condition turns True; `restart` (VMI deleted) "
        "takes a ready VM back to provisioning. `delete` from provisioning or ready starts the "
        "teardown (a repeated delete changes nothing and fires nothing), and `vanish` removes "
        "it from the API server and the ledger. `gone` is absorbing; any VM not gone when its CR "
        "is removed is a leak. A create against an existing VM (a second create playbook) changes "
        "nothing and fires nothing."
    ),
)

# --- monitor: status.jobs[].state as written by the operator -------------------------------------

_JOB_ACTIVE = ("Pending", "Waiting", "Running", "Unknown")
_JOB_TERMINAL = ("Succeeded", "Failed", "Canceled")
_JOB_STATES = ("Pending", "Waiting", "Running", "Succeeded", "Failed", "Canceled", "Unknown")

JOB_RECORD = MachineDef(
    name="job_record",
    title="Recorded job state in status.jobs[] (monitor)",
    kind="monitor",
    states=(NONE_STATE, *_JOB_STATES),
    initial=NONE_STATE,
    terminals=_JOB_TERMINAL,
    transitions=(
        # The first record may carry any state: Failed for a failed trigger (id ""), Running for an
        # EDA job, Pending for an AAP launch, anything a poll returns after a restart (§5, §8, §10).
        *(TransitionDef(f"record_{s}", NONE_STATE, s) for s in _JOB_STATES),
        # Among non-terminal states every change is legal, Unknown included: providers differ in
        # what they can see (§11.3 maps `new` to Unknown; EDA always answers Unknown, §10.3).
        *(
            TransitionDef(f"record_{dest}", source, dest)
            for source in _JOB_ACTIVE
            for dest in _JOB_STATES
            if dest != source
        ),
        # Terminal states are absorbing (§8 IsTerminal; §17 property 5): no edge leaves them.
    ),
    doc=(
        "The `state` of one `status.jobs[]` entry as persisted by the operator (semantics §8). "
        "`none` means the entry is not yet recorded. Succeeded, Failed and Canceled are absorbing: "
        "overwriting a recorded terminal state with any other value is a violation (§17 property "
        "5). Pending, Waiting, Running and Unknown may change to any other state. Writes that leave "
        "the state unchanged are not changes: the checker skips them, so no self-loops are declared "
        "and `allows(s, s)` is False. Removal of an entry (history trimming) is not part of this "
        "machine."
    ),
)

# --- monitor: status.phase -----------------------------------------------------------------------

INSTANCE_PHASE = MachineDef(
    name="instance_phase",
    title="Instance status.phase (monitor)",
    kind="monitor",
    states=(NONE_STATE, "Starting", "Running", "Failed", "Deleting", "Gone"),
    initial=NONE_STATE,
    terminals=("Gone",),
    transitions=(
        # Edges from `none`: the first status write comes after §4 steps 1-10 ran in memory (§3
        # step 5), so it may carry Starting (§2.3); Running, when the annotation already matches
        # (e.g. the status write recording the launch was lost and the playbook finished, §12.1);
        # Failed, when a job list stored by an earlier writer (§12.1) is polled terminal in that
        # same reconcile (§5 step 5); or Deleting, when the object is deleted first (§6 step 1).
        #
        # Running -> Starting: spec change (§4 step 10) or an early return (§2.3).
        # Failed -> Starting: an early return (§2.3), or a poll that no longer answers
        # Failed/Canceled: an error such as 404 after a purge, or Unknown after a switch to EDA
        # (§5 step 5, §12.1).
        *_edges("enter_Starting", [NONE_STATE, "Running", "Failed"], "Starting"),
        # Starting -> Running: desired == reconciled (§2.3, §4 step 9). Failed -> Running: the
        # annotation matches although the job ended Failed/Canceled (a cancel lets dispatched
        # tasks finish, §1) or the spec was edited back to the annotated one (§2.4).
        *_edges("enter_Running", [NONE_STATE, "Starting", "Failed"], "Running"),
        # Starting -> Failed: a poll answers Failed/Canceled (§2.3). Running -> Failed: a spec
        # change sets Starting in memory and the old terminal provision job is polled within the
        # same reconcile, so Failed is persisted directly (§4 step 10, §5 step 5).
        *_edges("enter_Failed", [NONE_STATE, "Starting", "Running"], "Failed"),
        # Deleting is the first statement of every deletion reconcile (§2.3, §6 step 1).
        *_edges("enter_Deleting", [NONE_STATE, "Starting", "Running", "Failed"], "Deleting"),
        # deletionTimestamp is never unset, so Deleting is left only by removal (§6 step 4). The
        # other phases reach Gone when the object is removed before Deleting was persisted: no base
        # finalizer, `manual`/`unmanaged` (§2.6), or a Skipped deprovision whose finalizer-removing
        # Update returns the stored status, so no status write follows (§3, §6 step 4, §10.3).
        *_edges("remove", [NONE_STATE, "Starting", "Running", "Failed", "Deleting"], "Gone"),
    ),
    doc=(
        "`status.phase` of one ComputeInstance as persisted (semantics §2.3, §3, §6), plus `Gone` "
        "once the object is removed; `none` is the empty phase. The first persisted phase may be "
        "any of Starting, Running, Failed or Deleting; Starting, Running and Failed may each change "
        "to the other two; every phase but Gone may move to Deleting, which is left only by "
        "removal; the object may be removed from any phase; `Gone` is absorbing. Unchanged writes "
        "are skipped by the checker and are not transitions."
    ),
)

ALL_MACHINES: tuple[MachineDef, ...] = (AAP_JOB, CR_OBJECT, VM, JOB_RECORD, INSTANCE_PHASE)

_BY_NAME: Mapping[str, MachineDef] = MappingProxyType({m.name: m for m in ALL_MACHINES})


def machine_def(name: str) -> MachineDef:
    """Return the built-in definition called `name`."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"no state machine named {name!r}; known machines: {', '.join(sorted(_BY_NAME))}"
        ) from None


@functools.cache
def build_machine(defn: MachineDef) -> Any:
    """Build (once per definition) the shared `transitions.Machine` that interprets `defn`.

    The returned machine has no model; attach throwaway models only in tests. It is typed `Any`
    because `transitions` ships no type information.
    """
    return Machine(
        model=None,
        states=list(defn.states),
        transitions=[{"trigger": t.trigger, "source": t.source, "dest": t.dest} for t in defn.transitions],
        initial=defn.initial,
        auto_transitions=False,
        ignore_invalid_triggers=False,
        send_event=False,
        name=defn.name,
    )


class IllegalTransition(Exception):
    """A trigger fired in a state where the machine defines no transition for it."""

    def __init__(self, machine: str, state: str, trigger: str, allowed: tuple[str, ...]) -> None:
        self.machine = machine
        self.state = state
        self.trigger = trigger
        self.allowed = allowed
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"machine {machine} has no transition for trigger {trigger!r} in state {state!r}; "
            f"triggers allowed there: {allowed_text}."
        )


@dataclass(frozen=True)
class CompiledMachine:
    """Dictionary form of a machine for the hot path, read out of its `transitions.Machine`."""

    name: str
    kind: MachineKind
    states: tuple[str, ...]
    initial: str
    terminals: tuple[str, ...]
    table: Mapping[tuple[str, str], str]  # (state, trigger) -> dest
    by_dest: Mapping[tuple[str, str], str]  # (source, dest) -> trigger
    exits: Mapping[str, tuple[str, ...]]  # state -> sorted triggers defined there

    @property
    def absorbing(self) -> tuple[str, ...]:
        """States with no transition out, in definition order."""
        return tuple(s for s in self.states if not self.exits[s])

    def fire(self, state: str, trigger: str) -> str:
        """Return the state `trigger` leads to from `state`, or raise IllegalTransition."""
        try:
            return self.table[(state, trigger)]
        except KeyError:
            raise IllegalTransition(self.name, state, trigger, self.exits.get(state, ())) from None

    def allows(self, source: str, dest: str) -> bool:
        """Tell whether a change from `source` to `dest` is a defined transition (unchanged is not)."""
        return (source, dest) in self.by_dest

    def trigger_for(self, source: str, dest: str) -> str | None:
        """Return the trigger that moves `source` to `dest`, or None when no transition does."""
        return self.by_dest.get((source, dest))

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Return every defined (state, trigger) pair, sorted."""
        return tuple(sorted(self.table))


def _compile(defn: MachineDef) -> CompiledMachine:
    machine = build_machine(defn)
    table: dict[tuple[str, str], str] = {}
    by_dest: dict[tuple[str, str], str] = {}
    for trigger in sorted(machine.events):
        for source, edges in sorted(machine.events[trigger].transitions.items()):
            assert len(edges) == 1, f"machine {defn.name}: {len(edges)} edges for ({source}, {trigger})."
            dest: str = edges[0].dest
            table[(source, trigger)] = dest
            assert (source, dest) not in by_dest, f"machine {defn.name}: two triggers for {source}->{dest}."
            by_dest[(source, dest)] = trigger
    exits = {s: tuple(sorted(t for (src, t) in table if src == s)) for s in defn.states}
    return CompiledMachine(
        name=defn.name,
        kind=defn.kind,
        states=defn.states,
        initial=defn.initial,
        terminals=defn.terminals,
        table=MappingProxyType(table),
        by_dest=MappingProxyType(by_dest),
        exits=MappingProxyType(exits),
    )


_compile_cached = functools.cache(_compile)


@functools.cache
def _compiled_by_name(name: str) -> CompiledMachine:
    return _compile_cached(machine_def(name))


def compiled(defn_or_name: MachineDef | str) -> CompiledMachine:
    """Return the cached compiled form of a definition or of a built-in machine's name."""
    if isinstance(defn_or_name, str):
        return _compiled_by_name(defn_or_name)
    return _compile_cached(defn_or_name)


# --- DOT rendering ---------------------------------------------------------------------------------

# Coverage scale: (lowest count in bucket, colour, pen width, legend text); count 0 is drawn dashed.
_NEVER = ("grey60", "1.0", "never taken")
_SCALE: tuple[tuple[int, str, str, str], ...] = (
    (100, "#08306b", "3.0", ">= 100"),
    (10, "#2171b5", "2.5", "10-99"),
    (2, "#4292c6", "2.0", "2-9"),
    (1, "#9ecae1", "1.5", "1"),
)


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _edge_style(count: int) -> str:
    if count == 0:
        colour, width, _ = _NEVER
        return f"color={_q(colour)}, fontcolor={_q(colour)}, style=dashed, penwidth={width}"
    for low, colour, width, _ in _SCALE:
        if count >= low:
            return f"color={_q(colour)}, fontcolor={_q(colour)}, penwidth={width}"
    raise AssertionError(f"count {count} fits no coverage bucket.")


def _legend() -> list[str]:
    rows = [(0, _NEVER[2])] + [(low, text) for low, _, _, text in reversed(_SCALE)]
    lines = [
        "  subgraph cluster_legend {",
        '    label="times taken"; fontsize=10; style=rounded; color="grey80";',
        '    node [shape=plaintext, fontsize=10, label="", width=0.1, height=0.1];',
    ]
    for i, (count, text) in enumerate(rows):
        lines.append(f"    legend_{i}a; legend_{i}b;")
        lines.append(f"    legend_{i}a -> legend_{i}b [label={_q(text)}, {_edge_style(count)}];")
    lines.append("  }")
    return lines


def machine_dot(defn: MachineDef, coverage: Mapping[tuple[str, str], int] | None = None) -> str:
    """Render `defn` as deterministic DOT text, optionally coloured by (source, trigger) counts."""
    cm = compiled(defn)
    if coverage is not None:
        unknown = sorted(k for k in coverage if k not in cm.table)
        if unknown:
            raise ValueError(f"coverage for {defn.name} names pairs the machine lacks: {unknown}")
        negative = sorted(k for k, v in coverage.items() if v < 0)
        if negative:
            raise ValueError(f"coverage for {defn.name} has negative counts for {negative}")
    final = set(defn.terminals) | set(cm.absorbing)
    lines = [
        f"digraph {defn.name} {{",
        f"  graph [rankdir=LR, label={_q(defn.title)}, labelloc=t, fontname=Helvetica];",
        "  node [shape=circle, fontname=Helvetica, fontsize=11];",
        "  edge [fontname=Helvetica, fontsize=10];",
        "  __start__ [shape=point, style=invis, width=0.01];",
    ]
    for state in defn.states:
        shape = "doublecircle" if state in final else "circle"
        lines.append(f"  {_q(state)} [shape={shape}];")
    lines.append(f"  __start__ -> {_q(defn.initial)};")
    order = {s: i for i, s in enumerate(defn.states)}
    for source, trigger in sorted(cm.table, key=lambda p: (order[p[0]], p[1])):
        dest = cm.table[(source, trigger)]
        if coverage is None:
            attrs = f"label={_q(trigger)}"
        else:
            count = coverage.get((source, trigger), 0)
            attrs = f"label={_q(f'{trigger} ({count})')}, {_edge_style(count)}"
        lines.append(f"  {_q(source)} -> {_q(dest)} [{attrs}];")
    if coverage is not None:
        lines.extend(_legend())
    lines.append("}")
    return "\n".join(lines) + "\n"
