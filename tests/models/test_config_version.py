"""desiredConfigVersion (§2.4), the Go JSON it hashes, simulated timestamps, and tenant CR names (§2.8)."""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.config_version import (
    desired_config_version,
    fnv1a_64,
    go_json_string,
    spec_json,
    tenant_cr_name,
)
from models.simtime import SIM_EPOCH, rfc3339


@dataclass(frozen=True)
class Spec:
    template_id: str = ""
    template_parameters: str = ""
    restart_requested_at: float | None = None


PINNED = Spec("template-1", '{"key": "value"}')


def test_s2_4_pinned_example_hashes_to_the_reference_value() -> None:
    assert spec_json(PINNED) == '{"templateID":"template-1","templateParameters":"{\\"key\\": \\"value\\"}"}'
    assert desired_config_version(PINNED) == "f523fef10bf5a810"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", 0xCBF29CE484222325, id="fnv1a64-empty-is-offset-basis"),
        pytest.param(b"a", 0xAF63DC4C8601EC8C, id="fnv1a64-published-vector-a"),
        pytest.param(b"foobar", 0x85944171F73967E8, id="fnv1a64-published-vector-foobar"),
    ],
)
def test_s2_4_fnv1a_64_matches_published_vectors(data: bytes, expected: int) -> None:
    assert fnv1a_64(data) == expected


SPEC_JSON_CASES = [
    pytest.param(Spec("t"), '{"templateID":"t"}', id="s2.4-empty-parameters-omitted"),
    pytest.param(
        Spec("t", "", 5.0),
        '{"templateID":"t","restartRequestedAt":"2026-02-16T00:00:05Z"}',
        id="s2.4-restart-rfc3339-seconds",
    ),
    pytest.param(
        Spec("t", "{}", 61.9),
        '{"templateID":"t","templateParameters":"{}","restartRequestedAt":"2026-02-16T00:01:01Z"}',
        id="s2.4-declaration-order-fraction-truncated",
    ),
    pytest.param(
        Spec("t", "", 0.0),
        '{"templateID":"t","restartRequestedAt":"2026-02-16T00:00:00Z"}',
        id="s2.4-restart-at-epoch-is-not-empty",
    ),
    pytest.param(Spec(), "{}", id="s2.4-all-empty-fields-omitted"),
]


@pytest.mark.parametrize(("spec", "expected"), SPEC_JSON_CASES)
def test_s2_4_spec_json_is_go_json_with_omitempty(spec: Spec, expected: str) -> None:
    assert spec_json(spec) == expected
    assert desired_config_version(spec) == f"{fnv1a_64(expected.encode()):016x}"


def test_s2_4_restart_requested_at_changes_the_hash_only_at_second_resolution() -> None:
    versions = {
        "unset": desired_config_version(PINNED),
        "at 5 s": desired_config_version(Spec(PINNED.template_id, PINNED.template_parameters, 5.0)),
        "at 6 s": desired_config_version(Spec(PINNED.template_id, PINNED.template_parameters, 6.0)),
    }
    assert len(set(versions.values())) == 3, versions
    same_second = Spec(PINNED.template_id, PINNED.template_parameters, 5.9)
    assert desired_config_version(same_second) == versions["at 5 s"]


@pytest.mark.parametrize(
    ("spec", "other"),
    [
        pytest.param(PINNED, Spec("template-2", PINNED.template_parameters), id="s2.4-template-change"),
        pytest.param(
            PINNED, Spec(PINNED.template_id, '{"key":"value"}'), id="s2.4-whitespace-in-params-counts"
        ),
    ],
)
def test_s2_4_any_spec_change_changes_the_hash(spec: Spec, other: Spec) -> None:
    assert desired_config_version(spec) != desired_config_version(other)


def test_s2_4_desired_config_version_is_sixteen_lowercase_hex_digits() -> None:
    version = desired_config_version(Spec("x"))
    assert len(version) == 16 and version == version.lower()
    int(version, 16)


ESCAPE_CASES = [
    pytest.param("<", '"\\u003c"', id="go-json-escapes-less-than"),
    pytest.param(">", '"\\u003e"', id="go-json-escapes-greater-than"),
    pytest.param("&", '"\\u0026"', id="go-json-escapes-ampersand"),
    pytest.param("\u2028\u2029", '"\\u2028\\u2029"', id="go-json-escapes-line-and-paragraph-separators"),
    pytest.param('"\\', '"\\"\\\\"', id="go-json-escapes-quote-and-backslash"),
    pytest.param("\n\r\t\b\f", '"\\n\\r\\t\\b\\f"', id="go-json-short-escapes"),
    pytest.param("\x00\x01\x1f", '"\\u0000\\u0001\\u001f"', id="go-json-other-controls-lowercase-hex"),
    pytest.param("\x7f", '"\x7f"', id="go-json-keeps-del-raw"),
    pytest.param("é☃😀", '"é☃😀"', id="go-json-keeps-non-ascii-raw"),
    pytest.param("/'", '"/\'"', id="go-json-keeps-slash-and-apostrophe"),
    pytest.param("\ud800", '"\\ufffd"', id="go-json-lone-surrogate-becomes-replacement"),
]


@pytest.mark.parametrize(("text", "expected"), ESCAPE_CASES)
def test_s2_4_strings_are_escaped_like_go_json_marshal(text: str, expected: str) -> None:
    assert go_json_string(text) == expected


def test_s2_4_html_characters_in_parameters_are_escaped_before_hashing() -> None:
    spec = Spec("t", '{"a": "<b>&"}')
    assert (
        spec_json(spec) == '{"templateID":"t","templateParameters":"{\\"a\\": \\"\\u003cb\\u003e\\u0026\\"}"}'
    )


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"])))
def test_s2_4_go_json_string_decodes_back_to_the_original(text: str) -> None:
    assert json.loads(go_json_string(text)) == text


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        pytest.param(0.0, "2026-02-16T00:00:00Z", id="s1-rfc3339-epoch"),
        pytest.param(5.999, "2026-02-16T00:00:05Z", id="s1-rfc3339-truncates-to-seconds"),
        pytest.param(86400.0 * 13 + 3661, "2026-03-01T01:01:01Z", id="s1-rfc3339-crosses-month-end"),
    ],
)
def test_s1_rfc3339_formats_simulated_time_like_metav1_time(t: float, expected: str) -> None:
    assert rfc3339(t) == expected


def test_s1_sim_epoch_is_fixed_utc_midnight() -> None:
    assert SIM_EPOCH.isoformat() == "2026-02-16T00:00:00+00:00"


def _independent_fnv1a_64(data: bytes) -> int:
    return reduce(lambda h, b: ((h ^ b) * 1099511628211) % 2**64, data, 14695981039346656037)


@pytest.mark.parametrize(
    "tenant",
    [
        pytest.param("acme", id="s2.8-plain-tenant"),
        pytest.param("", id="s2.8-empty-tenant-name"),
        pytest.param("Tenant With Spaces/ü", id="s2.8-non-ascii-tenant-hashed-as-utf8"),
    ],
)
def test_s2_8_tenant_cr_name_is_lowercase_unpadded_base32_of_fnv(tenant: str) -> None:
    digest = struct.pack(">Q", _independent_fnv1a_64(tenant.encode("utf-8")))
    expected = "tenant-" + base64.b32encode(digest).decode().rstrip("=").lower()
    name = tenant_cr_name(tenant)
    assert name == expected
    assert len(name) == len("tenant-") + 13
    assert set(name[len("tenant-") :]) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_s2_8_tenant_cr_name_pinned_value() -> None:
    # FNV-1a-64("a") = 0xaf63dc4c8601ec8c, a published test vector.
    expected = "tenant-" + base64.b32encode(bytes.fromhex("af63dc4c8601ec8c")).decode().rstrip("=").lower()
    assert tenant_cr_name("a") == expected == "tenant-v5r5ytegahwiy"
