"""The trust policy document and the signature classifier: pure, no AWS."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.oci.manifest import Descriptor, ParsedManifest
from chalicelib.signing import artifacts
from chalicelib.signing.trust_policy import PolicyError, TrustRule, parse_policy

KEY_ID = "sha256:" + "a" * 64


def key_id_of(pem: bytes) -> str | None:
    return KEY_ID if pem.startswith(b"-----BEGIN PUBLIC KEY") else None


PEM = "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n"


def test_first_matching_rule_wins() -> None:
    policy = parse_policy(
        {
            "rules": [
                {"repositories": "team/dev-*", "mode": "off"},
                {"repositories": "team/*", "mode": "enforce", "keys": [PEM]},
            ]
        },
        key_id_of,
    )
    assert policy.mode_for("team/dev-web") == "off"
    assert policy.mode_for("team/web") == "enforce"
    assert policy.mode_for("other/web") == "off"
    rule = policy.rule_for("team/web")
    assert rule is not None and rule.key_ids == (KEY_ID,)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "JSON object"),
        ({"rules": [{"repositories": "a", "mode": "on"}]}, "mode must be one of"),
        ({"rules": [{"repositories": "", "mode": "off"}]}, "repositories"),
        ({"rules": [{"repositories": "a", "mode": "off", "colour": 1}]}, "unknown field"),
        ({"rules": [{"repositories": "a", "mode": "audit", "keys": ["x"]}]}, "keys[0]"),
        ({"rules": [{"repositories": "a", "mode": "off", "subjects": ["CN=x"]}]}, "narrow"),
    ],
)
def test_bad_documents_say_which_field(document: object, message: str) -> None:
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(document, key_id_of)


@given(st.lists(st.sampled_from([KEY_ID, "x509:CN=ci", "x509:CN=other", "sha256:" + "b" * 64])))
def test_a_rule_trusts_exactly_its_keys_and_subjects(signers: list[str]) -> None:
    rule = TrustRule("a", "enforce", (PEM,), (KEY_ID,), ("root",), ("CN=ci",))
    entries = [f"sha256:{i:064x} {s}" for i, s in enumerate(signers)]
    assert rule.signed_by(entries) == sorted({s for s in signers if s in (KEY_ID, "x509:CN=ci")})
    keys_only = TrustRule("a", "enforce", (PEM,), (KEY_ID,))
    assert keys_only.signed_by(entries) == sorted({s for s in signers if s == KEY_ID})


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_classifier_knows_each_format() -> None:
    subject = Descriptor("application/vnd.oci.image.manifest.v1+json", _digest(b"s"), 1)
    bundle = Descriptor(artifacts.BUNDLE_MEDIA_TYPE, _digest(b"b"), 10)
    found = artifacts.classify(
        ParsedManifest("m", (bundle,), subject=subject, artifact_type=artifacts.BUNDLE_MEDIA_TYPE)
    )
    assert found is not None and found.subject == subject.digest and found.payloads == (bundle,)
    jws = Descriptor(artifacts.JWS, _digest(b"j"), 10)
    found = artifacts.classify(
        ParsedManifest("m", (jws,), subject=subject, artifact_type=artifacts.NOTATION_ARTIFACT)
    )
    assert found is not None and found.format == artifacts.NOTATION
    simple = Descriptor(artifacts.SIMPLE_SIGNING_LAYER, _digest(b"p"), 10)
    legacy_tag = "sha256-" + "c" * 64 + ".sig"
    found = artifacts.classify(ParsedManifest("m", (simple,)), [legacy_tag])
    assert found is not None and found.subject == "sha256:" + "c" * 64
    assert artifacts.classify(ParsedManifest("m", (simple,)), ["latest"]) is None
    huge = Descriptor(artifacts.BUNDLE_MEDIA_TYPE, _digest(b"h"), artifacts.MAX_PAYLOAD_BYTES + 1)
    found = artifacts.classify(
        ParsedManifest("m", (huge,), subject=subject, artifact_type=artifacts.BUNDLE_MEDIA_TYPE)
    )
    assert found is not None and found.payloads == ()


@given(st.binary(max_size=200))
def test_signature_documents_are_recognised_from_any_bytes(body: bytes) -> None:
    assert artifacts.is_signature_document(body) in (True, False)


def test_signature_documents_are_recognised() -> None:
    bundle = json.dumps({"artifactType": artifacts.BUNDLE_MEDIA_TYPE}).encode()
    layers = {"layers": [{"mediaType": artifacts.SIMPLE_SIGNING_LAYER}]}
    assert artifacts.is_signature_document(bundle)
    assert artifacts.is_signature_document(json.dumps(layers).encode())
    assert not artifacts.is_signature_document(b'{"layers": []}')


def _keyless_leaf(root: Any, issuer: str, email: str) -> Any:
    """A Fulcio-style certificate: no subject, the identity in the SAN, the OIDC issuer in
    Fulcio's v2 extension (a DER UTF8String)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    text = issuer.encode()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(minutes=10))
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
        .add_extension(
            x509.UnrecognizedExtension(
                ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), bytes([0x0C, len(text)]) + text
            ),
            False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), False
        )
        .sign(root.key, hashes.SHA384())
    )
    return key, certificate


def test_keyless_identities_are_trusted_by_issuer_and_subject() -> None:
    import datetime as dt

    from cryptography.hazmat.primitives.serialization import Encoding

    from chalicelib.signing.certificate_chain import subject_of
    from tests.signing.pki import b64, bundle, ca, der, pae, sign_der, statement

    root = ca()
    issuer, email = "https://token.actions.example.com", "ci@example.com"
    key, certificate = _keyless_leaf(root, issuer, email)
    assert subject_of(certificate) == f"{issuer}|{email}"
    subject = "sha256:" + hashlib.sha256(b"keyless image").hexdigest()
    payload = statement(subject)
    material = {"certificate": {"rawBytes": b64(der(certificate))}}
    document = bundle(
        sign_der(key, pae("application/vnd.in-toto+json", payload)), payload, material
    )
    layer = Descriptor(artifacts.BUNDLE_MEDIA_TYPE, _digest(document), len(document))
    parsed = ParsedManifest(
        "m",
        (layer,),
        subject=Descriptor("x", subject, 1),
        artifact_type=artifacts.BUNDLE_MEDIA_TYPE,
    )
    found = artifacts.classify(parsed)
    assert found is not None
    root_pem = root.certificate.public_bytes(Encoding.PEM).decode()
    ok = {"repositories": "a", "mode": "enforce", "roots": [root_pem]}
    policy = parse_policy(
        {"rules": [{**ok, "identities": [{"issuer": issuer, "subject": email}]}]}, key_id_of
    )
    rule = policy.rules[0]
    at = dt.datetime.now(dt.UTC)
    verdict = artifacts.verify(found, b"{}", {layer.digest: document}, rule, at)
    assert verdict.verified and verdict.signer == f"x509:{issuer}|{email}"
    assert policy.document()["rules"][0]["identities"] == [{"issuer": issuer, "subject": email}]
    stranger = {"issuer": issuer, "subject": "mallory@example.com"}
    other = parse_policy({"rules": [{**ok, "identities": [stranger]}]}, key_id_of).rules[0]
    refused = artifacts.verify(found, b"{}", {layer.digest: document}, other, at)
    assert not refused.verified and "is not trusted" in refused.reason
    later = at + dt.timedelta(hours=1)  # the 10-minute certificate has expired
    assert not artifacts.verify(found, b"{}", {layer.digest: document}, rule, later).verified
