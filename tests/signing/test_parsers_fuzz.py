"""Whatever bytes or JSON arrive, every verifier answers a failed verdict and never raises:
arbitrary bytes, arbitrary JSON, and valid signatures with one field replaced by any JSON."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.signing.cosign_simple_signing import verify_simple_signing
from chalicelib.signing.notation_jws import verify_notation_jws
from chalicelib.signing.sigstore_bundle import verify_sigstore_bundle
from chalicelib.signing.verdict import Verdict
from tests.signing.pki import (
    NOW,
    SUBJECT,
    b64,
    bundle,
    ca,
    der,
    leaf,
    notation_envelope,
    pae,
    pem,
    sign_der,
    simple_signing_manifest,
    simple_signing_payload,
    statement,
)

ROOT = ca()
SIGNER = leaf(ROOT)
KEY = ec.generate_private_key(ec.SECP256R1())
PAYLOAD = simple_signing_payload()
COSIGN = json.loads(simple_signing_manifest(PAYLOAD, sign_der(KEY, PAYLOAD)))
BLOBS = {COSIGN["layers"][0]["digest"]: PAYLOAD}
BUNDLE = json.loads(
    bundle(
        sign_der(SIGNER.key, pae("application/vnd.in-toto+json", statement())),
        statement(),
        {"certificate": {"rawBytes": b64(der(SIGNER.certificate))}},
    )
)
NOTATION = json.loads(notation_envelope(SIGNER, [ROOT.certificate]))
COSIGN_CERTIFICATE = json.loads(simple_signing_manifest(PAYLOAD, sign_der(SIGNER.key, PAYLOAD)))
COSIGN_CERTIFICATE["layers"][0]["annotations"]["dev.sigstore.cosign/certificate"] = (
    SIGNER.certificate.public_bytes(Encoding.PEM).decode()
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _all(data: bytes) -> list[Verdict]:
    return [
        verify_simple_signing(data, BLOBS, SUBJECT, [pem(KEY)], [ROOT.certificate], NOW),
        verify_sigstore_bundle(data, SUBJECT, [pem(KEY)], [ROOT.certificate], NOW),
        verify_notation_jws(data, SUBJECT, [ROOT.certificate], NOW),
    ]


def test_the_unmodified_documents_verify() -> None:
    assert all(v.verified for v in _all_valid()), _all_valid()


def _all_valid() -> list[Verdict]:
    return [
        verify_simple_signing(json.dumps(COSIGN).encode(), BLOBS, SUBJECT, [pem(KEY)]),
        verify_simple_signing(
            json.dumps(COSIGN_CERTIFICATE).encode(), BLOBS, SUBJECT, [], [ROOT.certificate], NOW
        ),
        verify_sigstore_bundle(json.dumps(BUNDLE).encode(), SUBJECT, [], [ROOT.certificate], NOW),
        verify_notation_jws(json.dumps(NOTATION).encode(), SUBJECT, [ROOT.certificate], NOW),
    ]


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes_fail_without_raising(data: bytes) -> None:
    assert not any(v.verified for v in _all(data))


@FUZZ
@given(json_values)
def test_arbitrary_json_fails_without_raising(value: Any) -> None:
    assert not any(v.verified for v in _all(json.dumps(value).encode()))


def _replace(document: Any, path: list[int], value: Any) -> Any:
    """`document` with the node chosen by `path` (indices into keys/items) set to `value`."""
    if not path or not isinstance(document, dict | list) or not document:
        return value
    copy: Any = dict(document) if isinstance(document, dict) else list(document)
    keys = list(copy) if isinstance(copy, dict) else list(range(len(copy)))
    key = keys[path[0] % len(keys)]
    copy[key] = _replace(copy[key], path[1:], value)
    return copy


@FUZZ
@given(st.lists(st.integers(0, 50), min_size=1, max_size=4), json_values)
def test_valid_documents_with_one_node_replaced_never_raise(path: list[int], value: Any) -> None:
    cosign = json.dumps(_replace(COSIGN, path, value)).encode()
    certified = json.dumps(_replace(COSIGN_CERTIFICATE, path, value)).encode()
    sigstore = json.dumps(_replace(BUNDLE, path, value)).encode()
    notation = json.dumps(_replace(NOTATION, path, value)).encode()
    results = [
        verify_simple_signing(cosign, BLOBS, SUBJECT, [pem(KEY)]),
        verify_simple_signing(certified, BLOBS, SUBJECT, [], [ROOT.certificate], NOW),
        verify_sigstore_bundle(sigstore, SUBJECT, [], [ROOT.certificate], NOW),
        verify_notation_jws(notation, SUBJECT, [ROOT.certificate], NOW),
    ]
    assert all(isinstance(v, Verdict) and (v.verified or v.reason) for v in results)


@FUZZ
@given(st.binary(max_size=256), st.binary(max_size=64))
def test_arbitrary_signed_payload_and_signature_never_raise(
    payload: bytes, signature: bytes
) -> None:
    manifest = simple_signing_manifest(payload, signature)
    digest = COSIGN["layers"][0]["digest"]
    blobs = {json.loads(manifest)["layers"][0]["digest"]: payload, digest: payload}
    assert not verify_simple_signing(manifest, blobs, SUBJECT, [pem(KEY)]).verified
    sigstore = bundle(signature, payload, {"publicKey": {"hint": ""}})
    assert not verify_sigstore_bundle(sigstore, SUBJECT, [pem(KEY)], [], NOW).verified
