"""Hypothesis strategies of malformed input for the endpoint fuzz suite (test_fuzz.py):
names, references, digests, ranges, page sizes and JSON bodies that no endpoint may accept.

Each strategy yields only values the registry must refuse, so a request built from one can
be asserted to fail without knowing the rest of it."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

from chalicelib.oci.digest import parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import is_valid_name, is_valid_tag

# Characters that can sit in one path segment as the test client sends it.
_SEGMENT = string.ascii_letters + string.digits + "._-:@~+!$&'()*,;="


def _is_digest(value: str) -> bool:
    try:
        parse_digest(value)
    except OCIError:
        return False
    return True


bad_names = st.one_of(
    st.sampled_from(
        ["UPPER", "a..b", "-a", "a-", "_a", "a_", "a___b", ".", "a.-b", "x" * 201, "a/B", "a/-/b"]
    ),
    st.lists(st.text(_SEGMENT, min_size=1, max_size=12), min_size=1, max_size=4)
    .map("/".join)
    .filter(lambda n: not is_valid_name(n) and "_berth" not in n and n != "_catalog"),
)

bad_digests = st.one_of(
    st.sampled_from(
        [
            "sha256:abc",
            "sha256:" + "A" * 64,
            "sha256:" + "g" * 64,
            "sha512:" + "a" * 64,
            "md5:" + "0" * 32,
            "sha256:",
            ":" + "a" * 64,
            "a:b:c",
            "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
            "sha256:" + "a" * 65,
        ]
    ),
    st.text(_SEGMENT, min_size=1, max_size=80).filter(lambda v: not _is_digest(v)),
)

# Well-formed digests of nothing stored (the odds of a collision are nil).
unknown_digests = st.one_of(
    st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex()),
    st.binary(min_size=64, max_size=64).map(lambda b: "sha512:" + b.hex()),
)

bad_tags = st.one_of(
    st.sampled_from([".INVALID_MANIFEST_NAME", "-dash", "x" * 129, "a:b"]),
    st.text(_SEGMENT, min_size=1, max_size=140),
).filter(lambda t: not is_valid_tag(t))
# A manifest reference that is neither a tag nor a digest.
bad_references = st.one_of(bad_tags, bad_digests).filter(
    lambda r: not is_valid_tag(r) and not _is_digest(r)
)

# `n` that is not a non-negative integer in ASCII digits ("²".isdigit() is True, and
# int("\u0661") is 1: neither is a page size a client means).
bad_page_sizes = st.one_of(
    st.sampled_from(["-1", "1.5", "abc", " 1", "1e3", "0x10", "²", "¹⁰", "\u0661", "+1", "1_0"]),
    st.text(max_size=8),
).filter(lambda v: v != "" and not (v.isascii() and v.isdigit()))

# Content-Range values that do not start at offset 0 with the body's length (`bytes` as sent).
bad_content_ranges = st.one_of(
    st.sampled_from(
        ["", "bytes=0-1", "0-", "-1", "5-1", "a-b", "0--1", " 0-1", "0-1,2-3", "0-" + "9" * 30]
    ),
    st.text(string.digits + "-,= bytes", max_size=20),
    st.tuples(st.integers(1, 2**70), st.integers(0, 2**70)).map(lambda t: f"{t[0]}-{t[0] + t[1]}"),
)
any_ranges = st.one_of(
    bad_content_ranges, st.sampled_from(["bytes=0-", "bytes=-5", "bytes=9-1", "bytes=a"])
)

query_noise = st.dictionaries(
    st.sampled_from(["n", "last", "digest", "mount", "from", "artifactType", "tag", "next", "x"]),
    st.text(max_size=20),
    max_size=3,
)


def _deep(depth: int, kind: str, closed: bool) -> bytes:
    opening, closing = (b"[", b"]") if kind == "a" else (b'{"a":', b"}")
    return opening * depth + (b"1" + closing * depth if closed else b"")


deep_json = st.builds(_deep, st.integers(200, 12_000), st.sampled_from("ao"), st.booleans())
not_json = st.one_of(
    st.sampled_from([b"{", b"nul", b"{'a': 1}", b'{"a": NaN}', b"\xff\xfe{}", b'{"a":1}}']),
    st.binary(min_size=1, max_size=60).filter(lambda b: not _parses(b)),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
# A JSON document that is not an object: every JSON endpoint wants an object.
not_objects = json_values.filter(lambda v: not isinstance(v, dict)).map(
    lambda v: json.dumps(v).encode()
)


def _parses(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def huge(limit: int) -> st.SearchStrategy[bytes]:
    """A JSON object just over `limit` bytes."""
    return st.integers(1, 64).map(lambda extra: b'{"x": "' + b"a" * (limit + extra) + b'"}')


def malformed_json(limit: int) -> st.SearchStrategy[bytes]:
    """Bodies every JSON endpoint refuses whatever its schema: deep, huge, not JSON, not an
    object."""
    return st.one_of(deep_json, huge(limit), not_json, not_objects)


def object_with(key: str, values: st.SearchStrategy[Any], **fixed: Any) -> st.SearchStrategy[bytes]:
    return values.map(lambda v: json.dumps({**fixed, key: v}).encode())


def wrong_type(*allowed: type) -> st.SearchStrategy[Any]:
    """A JSON value of none of the `allowed` types (bool is never an int here)."""

    def fits(value: Any) -> bool:
        if isinstance(value, bool):
            return bool in allowed
        return isinstance(value, allowed)

    return json_values.filter(lambda v: not fits(v))
