"""The trust policy document and the signature classifier: pure, no AWS."""

from __future__ import annotations

import hashlib
import json

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
        ({"rules": [{"repositories": "a", "mode": "off", "subjects": ["CN=x"]}]}, "narrows"),
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
