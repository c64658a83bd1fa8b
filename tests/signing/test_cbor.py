"""The CBOR slice COSE needs: it reads what an independent RFC 8949 encoder writes, encodes
Sig_structures byte for byte as that encoder does, and answers CborError (only) to anything
else; the COSE verifier built on it never raises."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.signing import cbor
from chalicelib.signing.notation_cose import verify_notation_cose
from tests.signing.cose_builder import Tag, cose_envelope
from tests.signing.pki import NOW, SUBJECT, ca, leaf

scalars = (
    st.integers(-(2**64), 2**64 - 1)
    | st.binary(max_size=40)
    | st.text(max_size=20)
    | st.booleans()
    | st.none()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.integers(-100, 100) | st.text(max_size=8), inner, max_size=4)
        | st.builds(Tag, st.integers(0, 2**32), inner)
    ),
    max_leaves=15,
)
FUZZ = settings(max_examples=200, deadline=None)


def _expected(value: Any) -> Any:
    if isinstance(value, Tag):
        return cbor.Tagged(value.number, _expected(value.value))
    if isinstance(value, list):
        return [_expected(v) for v in value]
    if isinstance(value, dict):
        return {k: _expected(v) for k, v in value.items()}
    return value


@FUZZ
@given(values)
def test_reads_what_an_independent_encoder_writes(value: Any) -> None:
    from tests.signing.cose_builder import cbor as reference

    assert cbor.decode(reference(value)) == _expected(value)


@FUZZ
@given(st.lists(st.integers(-(2**63), 2**63) | st.binary(max_size=300) | st.text(max_size=30)))
def test_encodes_as_the_independent_encoder_does(items: list[Any]) -> None:
    from tests.signing.cose_builder import cbor as reference

    assert cbor.encode(items) == reference(items)


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_cbor_error_only(data: bytes) -> None:
    try:
        cbor.decode(data)
    except cbor.CborError:
        pass


@pytest.mark.parametrize(
    "data",
    [b"\x81" * 40 + b"\x00", b"\xa2\x01\x00\x01\x00", b"\x5f\xff", b"\x00\x00", b"\x62\xff\xfe"],
)
def test_deep_nesting_duplicate_keys_indefinite_trailing_and_bad_utf8_are_errors(
    data: bytes,
) -> None:
    with pytest.raises(cbor.CborError):
        cbor.decode(data)


ROOT = ca()
SIGNER = leaf(ROOT)


@FUZZ
@given(st.binary(max_size=300))
def test_cose_verifier_fails_arbitrary_bytes_without_raising(data: bytes) -> None:
    assert not verify_notation_cose(data, SUBJECT, [ROOT.certificate], NOW).verified


@FUZZ
@given(values)
def test_cose_verifier_fails_arbitrary_cbor_without_raising(value: Any) -> None:
    from tests.signing.cose_builder import cbor as reference

    document = reference(Tag(18, value))
    assert not verify_notation_cose(document, SUBJECT, [ROOT.certificate], NOW).verified


@FUZZ
@given(st.integers(0, 3), values)
def test_cose_envelope_with_one_part_replaced_never_raises(part: int, value: Any) -> None:
    from tests.signing.cose_builder import cbor as reference

    envelope = cbor.decode(cose_envelope(SIGNER, [ROOT.certificate]))
    assert isinstance(envelope, cbor.Tagged) and isinstance(envelope.value, list)
    parts: list[Any] = list(envelope.value)
    parts[part] = value
    document = reference(Tag(18, parts))
    verdict = verify_notation_cose(document, SUBJECT, [ROOT.certificate], NOW)
    assert verdict.verified or verdict.reason
