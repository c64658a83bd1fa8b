"""DSSE's PAE: as envelope.proto defines it, and unambiguous (no two (type, payload) pairs
share an encoding, so a signature over one can never be replayed as the other)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.signing.dsse import pae
from tests.signing.pki import pae as reference_pae


@given(st.text(), st.binary())
def test_matches_the_definition(payload_type: str, payload: bytes) -> None:
    assert pae(payload_type, payload) == reference_pae(payload_type, payload)


@given(st.text(max_size=8), st.binary(max_size=8), st.text(max_size=8), st.binary(max_size=8))
def test_distinct_inputs_have_distinct_encodings(
    type_a: str, payload_a: bytes, type_b: str, payload_b: bytes
) -> None:
    if (type_a, payload_a) != (type_b, payload_b):
        assert pae(type_a, payload_a) != pae(type_b, payload_b)
