"""Spec hashing as in the reference operator: Go JSON of the spec, FNV-1a-64, hex or base32 (§2.4, §2.8)."""

from __future__ import annotations

import base64
import functools
import re
from typing import Protocol

from models.simtime import rfc3339

__all__ = [
    "SpecLike",
    "desired_config_version",
    "fnv1a_64",
    "go_json_string",
    "spec_json",
    "tenant_cr_name",
]

_FNV64_OFFSET_BASIS = 0xCBF29CE484222325
_FNV64_PRIME = 0x100000001B3
_UINT64_MASK = 0xFFFFFFFFFFFFFFFF


def fnv1a_64(data: bytes) -> int:
    """Return the 64-bit FNV-1a hash of ``data`` (Go ``hash/fnv.New64a``)."""
    h = _FNV64_OFFSET_BASIS
    for byte in data:
        h ^= byte
        h = (h * _FNV64_PRIME) & _UINT64_MASK
    return h


class SpecLike(Protocol):
    """The three ComputeInstance spec fields that enter the hash (§2.1)."""

    @property
    def template_id(self) -> str: ...

    @property
    def template_parameters(self) -> str: ...

    @property
    def restart_requested_at(self) -> float | None: ...


# Go's encoding/json short escapes (the \b and \f forms date from Go 1.22).
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
# json.Marshal escapes HTML-significant characters so the output is safe inside <script>.
_HTML_ESCAPED = frozenset("<>&")


# Every character `go_json_string` writes other than as itself: a text without any is quoted as it is.
_NEEDS_ESCAPE = re.compile("[\x00-\x1f\"\\\\<>&\u2028\u2029\ud800-\udfff]")


def go_json_string(text: str) -> str:
    """Return ``text`` as a quoted JSON string exactly as Go's ``json.Marshal`` writes it (HTML-safe)."""
    if _NEEDS_ESCAPE.search(text) is None:
        return '"' + text + '"'
    out: list[str] = ['"']
    for ch in text:
        code = ord(ch)
        short = _SHORT_ESCAPES.get(ch)
        if short is not None:
            out.append(short)
        elif code < 0x20 or ch in _HTML_ESCAPED or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            # A lone surrogate cannot be UTF-8; Go writes invalid UTF-8 as the replacement character.
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def spec_json(spec: SpecLike) -> str:
    """Return Go ``json.Marshal`` of the spec: declaration order, empty fields omitted, no spaces."""
    # §2.4 says "empty ones omitted"; that is followed for all three fields, templateID included
    # (the CRD requires a non-empty templateID, so the difference is never observable on a real cluster).
    members: list[str] = []
    if spec.template_id:
        members.append(f'"templateID":{go_json_string(spec.template_id)}')
    if spec.template_parameters:
        members.append(f'"templateParameters":{go_json_string(spec.template_parameters)}')
    if spec.restart_requested_at is not None:
        members.append(f'"restartRequestedAt":{go_json_string(rfc3339(spec.restart_requested_at))}')
    return "{" + ",".join(members) + "}"


def desired_config_version(spec: SpecLike) -> str:
    """Return the 16-digit lowercase hex FNV-1a-64 of the spec's Go JSON (``desiredConfigVersion``)."""
    return _config_version(spec.template_id, spec.template_parameters, spec.restart_requested_at)


class _Spec:
    """The three hashed fields as a SpecLike, for the cached computation."""

    __slots__ = ("restart_requested_at", "template_id", "template_parameters")

    def __init__(self, template_id: str, template_parameters: str, restart_requested_at: float | None) -> None:
        self.template_id, self.template_parameters = template_id, template_parameters
        self.restart_requested_at = restart_requested_at


@functools.lru_cache(maxsize=4096, typed=True)  # a pure function of the three values; every reconcile asks
def _config_version(template_id: str, template_parameters: str, restart_requested_at: float | None) -> str:
    spec = _Spec(template_id, template_parameters, restart_requested_at)
    return f"{fnv1a_64(spec_json(spec).encode('utf-8')):016x}"


def tenant_cr_name(tenant_name: str) -> str:
    """Return ``tenant-`` plus lowercase unpadded base32 of the big-endian FNV-1a-64 of the tenant name."""
    digest = fnv1a_64(tenant_name.encode("utf-8")).to_bytes(8, "big")
    return "tenant-" + base64.b32encode(digest).decode("ascii").rstrip("=").lower()
