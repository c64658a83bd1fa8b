"""Digest parsing, algorithms, hashing and resumable hashing (chalicelib/oci/digest.py)."""

from __future__ import annotations

import hashlib
import itertools
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.oci.digest import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    Digest,
    checked_digest,
    compute,
    is_digest,
    new_hasher,
    parse_algorithm,
    parse_digest,
)
from chalicelib.oci.errors import OCIError
from tests.unit.spec import (
    DESCRIPTOR_SPEC,
    DIGEST_RE,
    EMPTY_JSON_DIGEST,
    SPEC_DIGEST_REGEX,
    spec_text,
)
from tests.unit.strategies import grammar_digests, registered_digests, tags

# What Berth accepts: the image spec's sha256 and sha512 encodings, nothing else.
SUPPORTED = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}")
HASH_ALGORITHMS = ["sha256", "sha512"]


def _assert_digest_invalid(value: str | None) -> None:
    with pytest.raises(OCIError) as raised:
        parse_digest(value)
    assert raised.value.code == "DIGEST_INVALID"
    assert raised.value.status == 400


# --- the grammar against the spec's text ----------------------------------------------------


def test_digest_grammar_literal_matches_the_image_spec_ebnf() -> None:
    text = spec_text(DESCRIPTOR_SPEC)
    assert "algorithm-component   ::= [a-z0-9]+" in text
    assert "algorithm-separator   ::= [+._-]" in text
    assert "encoded               ::= [a-zA-Z0-9=_-]+" in text
    assert SPEC_DIGEST_REGEX == r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+"


@pytest.mark.parametrize(
    "value",
    [
        "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
        "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "blake3:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
    ],
)
def test_spec_example_digests_match_the_grammar_oracle(value: str) -> None:
    # Guards the oracle used below: the image spec's examples are all grammatical.
    assert DIGEST_RE.fullmatch(value)


# --- parse_digest ---------------------------------------------------------------------------


@settings(max_examples=100)
@given(registered_digests)
def test_registered_digests_parse_and_round_trip(value: str) -> None:
    digest = parse_digest(value)
    assert str(digest) == value
    algorithm, _, encoded = value.partition(":")
    assert digest == Digest(algorithm, encoded)
    assert len(digest.hex) == ALGORITHMS[digest.algorithm]


@given(registered_digests)
def test_a_checked_digest_read_back_is_the_one_parsed(value: str) -> None:
    """What storage wrote from a parsed digest splits back into the same typed digest."""
    parsed = parse_digest(value)
    assert checked_digest(str(parsed)) == parsed


@pytest.mark.parametrize(
    "value",
    [
        "sha256:" + "0" * 64,
        "sha256:" + "f" * 64,
        "sha512:" + "0123456789abcdef" * 8,
        EMPTY_JSON_DIGEST,
    ],
)
def test_valid_digests(value: str) -> None:
    assert str(parse_digest(value)) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        ":",
        "sha256",
        "sha256:",
        ":" + "a" * 64,
        "sha256:" + "A" * 64,  # "[A-F] MUST NOT be used here"
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "sha256:" + "a" * 128,
        "sha512:" + "a" * 64,
        "sha512:" + "a" * 127,
        "sha256:" + "g" * 64,
        "sha256:" + "a" * 63 + "=",
        "SHA256:" + "a" * 64,
        " sha256:" + "a" * 64,
        "sha256:" + "a" * 64 + " ",
        "sha256:" + "a" * 64 + "\n",
        "sha256 :" + "a" * 64,
        "sha256::" + "a" * 64,
        "sha256:" + "a" * 32 + ":" + "a" * 31,
        "sha256:" + "\u0661" * 64,  # Arabic-Indic digits are not [0-9]
        # Grammatical but not supported by Berth.
        "blake3:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
        "sha384:" + "a" * 96,
        "md5:" + "a" * 32,
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
    ],
)
def test_invalid_digests(value: str | None) -> None:
    _assert_digest_invalid(value)


@st.composite
def _mutated_digests(draw: st.DrawFn) -> str:
    value = draw(registered_digests)
    position = draw(st.integers(0, len(value) - 1))
    kind = draw(st.sampled_from(["replace", "insert", "delete", "upper", "truncate"]))
    char = draw(st.sampled_from("0aAfFgG:+._-= \n\u00e9"))
    if kind == "replace":
        return value[:position] + char + value[position + 1 :]
    if kind == "insert":
        return value[:position] + char + value[position:]
    if kind == "delete":
        return value[:position] + value[position + 1 :]
    if kind == "upper":
        return value.upper()
    return value[:position]


@settings(max_examples=200)
@given(
    st.one_of(
        registered_digests,
        _mutated_digests(),
        grammar_digests,
        st.text(max_size=80),
        st.text(alphabet="sha2560:abcdef", max_size=140),
    )
)
def test_parse_digest_accepts_exactly_the_supported_digests(value: str) -> None:
    if SUPPORTED.fullmatch(value):
        assert str(parse_digest(value)) == value
    else:
        _assert_digest_invalid(value)


def test_the_what_argument_names_the_field_in_the_message() -> None:
    with pytest.raises(OCIError) as raised:
        parse_digest("nope", what="mount digest")
    assert "mount digest" in raised.value.message


# --- is_digest ------------------------------------------------------------------------------


@settings(max_examples=50)
@given(registered_digests)
def test_digests_are_recognised_as_digests(value: str) -> None:
    assert is_digest(value)


@settings(max_examples=50)
@given(tags)
def test_tags_are_never_mistaken_for_digests(tag: str) -> None:
    assert not is_digest(tag)


# --- parse_algorithm ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(None, "sha256"), ("", "sha256")])
def test_algorithm_defaults_to_sha256(value: str | None, expected: str) -> None:
    assert DEFAULT_ALGORITHM == "sha256"
    assert parse_algorithm(value) == expected


@pytest.mark.parametrize("value", HASH_ALGORITHMS)
def test_supported_algorithms(value: str) -> None:
    assert parse_algorithm(value) == value


@pytest.mark.parametrize(
    "value", ["SHA256", "sha-256", "sha384", "md5", "blake3", " sha256", "sha256\n", "sha"]
)
def test_unsupported_algorithms(value: str) -> None:
    with pytest.raises(OCIError) as raised:
        parse_algorithm(value)
    assert raised.value.code == "DIGEST_INVALID"
    assert raised.value.status == 400


@settings(max_examples=200)
@given(st.text(max_size=12) | st.text(alphabet="sha2561:", max_size=8))
def test_parse_algorithm_accepts_only_sha256_and_sha512(value: str) -> None:
    if value in ("sha256", "sha512"):
        assert parse_algorithm(value) == value
    elif value == "":
        assert parse_algorithm(value) == "sha256"
    else:
        with pytest.raises(OCIError):
            parse_algorithm(value)


# --- compute --------------------------------------------------------------------------------


def test_compute_of_the_empty_json_matches_the_image_spec() -> None:
    assert str(compute(b"{}")) == EMPTY_JSON_DIGEST


def test_compute_of_known_vectors() -> None:
    assert (
        str(compute(b"abc"))
        == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert str(compute(b"abc", "sha512")) == (
        "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    )


@settings(max_examples=100)
@given(st.binary(max_size=2048), st.sampled_from(HASH_ALGORITHMS))
def test_compute_matches_hashlib_and_parses(data: bytes, algorithm: str) -> None:
    digest = compute(data, algorithm)
    assert digest == Digest(algorithm, hashlib.new(algorithm, data).hexdigest())
    assert parse_digest(str(digest)) == digest


# --- resumable hashing ----------------------------------------------------------------------


def _resumed_digest(algorithm: str, data: bytes, cuts: list[int]) -> str:
    """Hash `data` in chunks split at `cuts`, serialising and restoring between every chunk,
    as a chunked upload does across requests."""
    bounds = [0, *sorted(min(cut, len(data)) for cut in cuts), len(data)]
    state: bytes | None = None
    for start, end in itertools.pairwise(bounds):
        hasher = new_hasher(algorithm, state)
        hasher.update(data[start:end])
        state = hasher.serialize()
        assert isinstance(state, bytes)
    return new_hasher(algorithm, state).finalize()


@pytest.mark.parametrize("algorithm", HASH_ALGORITHMS)
def test_fresh_hasher_of_nothing(algorithm: str) -> None:
    assert new_hasher(algorithm).finalize() == hashlib.new(algorithm).hexdigest()
    state = new_hasher(algorithm).serialize()
    assert new_hasher(algorithm, state).finalize() == hashlib.new(algorithm).hexdigest()


@pytest.mark.parametrize("algorithm", HASH_ALGORITHMS)
def test_resume_at_every_offset_around_block_boundaries(algorithm: str) -> None:
    # sha256 has 64-byte blocks (padding spills over at 56), sha512 128-byte (at 112).
    data = bytes(range(256)) + bytes(range(255, -1, -1))
    expected = hashlib.new(algorithm, data[:300]).hexdigest()
    for cut in range(301):
        assert _resumed_digest(algorithm, data[:300], [cut]) == expected, cut


@settings(max_examples=150)
@given(
    st.binary(max_size=1500),
    st.lists(st.integers(0, 1500), max_size=12),
    st.sampled_from(HASH_ALGORITHMS),
)
def test_resumed_hash_equals_hashlib(data: bytes, cuts: list[int], algorithm: str) -> None:
    assert _resumed_digest(algorithm, data, cuts) == hashlib.new(algorithm, data).hexdigest()


@settings(max_examples=4, deadline=None)
@given(
    st.integers(0, 2**32),
    st.lists(st.integers(0, 3 * 1024 * 1024), min_size=1, max_size=6),
    st.sampled_from(HASH_ALGORITHMS),
)
def test_resumed_hash_of_megabytes(seed: int, cuts: list[int], algorithm: str) -> None:
    data = random.Random(seed).randbytes(3 * 1024 * 1024 + 17)
    assert _resumed_digest(algorithm, data, cuts) == hashlib.new(algorithm, data).hexdigest()


@settings(max_examples=50)
@given(st.binary(max_size=600), st.binary(max_size=600), st.sampled_from(HASH_ALGORITHMS))
def test_a_state_can_be_resumed_twice(head: bytes, tail: bytes, algorithm: str) -> None:
    # A retried chunk restarts from the stored state: restoring it must not consume it.
    hasher = new_hasher(algorithm)
    hasher.update(head)
    state = hasher.serialize()
    results = []
    for _ in range(2):
        resumed = new_hasher(algorithm, state)
        resumed.update(tail)
        results.append(resumed.finalize())
    assert results == [hashlib.new(algorithm, head + tail).hexdigest()] * 2


@settings(max_examples=50)
@given(st.binary(max_size=600), st.binary(max_size=600), st.sampled_from(HASH_ALGORITHMS))
def test_serialize_does_not_disturb_the_hasher(head: bytes, tail: bytes, algorithm: str) -> None:
    hasher = new_hasher(algorithm)
    hasher.update(head)
    hasher.serialize()
    hasher.update(tail)
    assert hasher.finalize() == hashlib.new(algorithm, head + tail).hexdigest()
