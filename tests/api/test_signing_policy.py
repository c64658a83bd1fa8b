"""The signing policy through the API: signatures verified when pushed, the verdict kept where a
pull reads it, `enforce` refusing what no trusted key signed, `audit` serving it.

Signatures are made here with `cryptography`, in each format's published layout
(tests/signing/pki.py), and pushed like cosign and notation push them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from tests.api.helpers import (
    EMPTY_JSON,
    OCI_EMPTY,
    OCI_MANIFEST,
    Pushed,
    assert_error,
    assert_ok,
    canonical,
    descriptor,
    fetch_blob,
    get_manifest,
    head_manifest,
    json_of,
    push,
    push_image,
    push_index,
    put_manifest,
)
from tests.signing.pki import (
    b64,
    ca,
    leaf,
    notation_envelope,
    notation_payload,
    pae,
    pem,
    sign_der,
    simple_signing_manifest,
    simple_signing_payload,
    statement,
)

BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
NOTATION = "application/vnd.cncf.notary.signature"
IN_TOTO = "application/vnd.in-toto+json"


@pytest.fixture(autouse=True)
def _fresh_policy() -> Iterator[None]:
    from chalicelib.storage import trust_policy

    trust_policy.forget_cached()
    yield
    trust_policy.forget_cached()


def set_policy(client: Any, rules: list[dict[str, Any]]) -> Any:
    return client.http.put(
        "/v2/_berth/signing/policy",
        headers={"content-type": "application/json"},
        body=json.dumps({"rules": rules}).encode(),
    )


def enforce(client: Any, repo: str, key: Any, mode: str = "enforce") -> None:
    rules = [{"repositories": repo, "mode": mode, "keys": [pem(key).decode()]}]
    assert_ok(set_policy(client, rules), 200)


def bundle_signature(key: Any, subject: Pushed) -> Pushed:
    """cosign v3: a Sigstore bundle (DSSE over an in-toto statement) pushed as a referrer."""
    payload = statement(subject.digest)
    document = {
        "mediaType": BUNDLE,
        "verificationMaterial": {"publicKey": {"hint": "release"}},
        "dsseEnvelope": {
            "payload": b64(payload),
            "payloadType": IN_TOTO,
            "signatures": [{"sig": b64(sign_der(key, pae(IN_TOTO, payload))), "keyid": ""}],
        },
    }
    return _referrer(BUNDLE, BUNDLE, json.dumps(document).encode(), subject)


def _referrer(artifact_type: str, layer_type: str, blob: bytes, subject: Pushed) -> Pushed:
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": descriptor(OCI_EMPTY, EMPTY_JSON),
        "layers": [descriptor(layer_type, blob)],
        "subject": subject.descriptor(),
    }
    return Pushed(canonical(manifest), OCI_MANIFEST, [EMPTY_JSON, blob], manifest)


def status(client: Any, repo: str, digest: str) -> dict[str, Any]:
    response = client.http.get(f"/v2/{repo}/_berth/signatures/{digest}")
    assert_ok(response, 200)
    document: dict[str, Any] = json_of(response)
    return document


def test_policy_is_validated_and_read_back(client: Any) -> None:
    assert_error(
        set_policy(client, [{"repositories": "a/*", "mode": "strict"}]), 400, "UNSUPPORTED"
    )
    bad_key = [{"repositories": "a/*", "mode": "enforce", "keys": ["not a key"]}]
    response = set_policy(client, bad_key)
    assert_error(response, 400, "UNSUPPORTED")
    assert "keys[0] is not a PEM public key" in json_of(response)["errors"][0]["message"]
    nothing = [{"repositories": "a/*", "mode": "enforce"}]
    assert (
        "needs trusted 'keys' or 'roots'"
        in json_of(set_policy(client, nothing))["errors"][0]["message"]
    )
    key = ec.generate_private_key(ec.SECP256R1())
    rules = [{"repositories": "a/*", "mode": "audit", "keys": [pem(key).decode()]}]
    first = json_of(set_policy(client, rules))
    second = json_of(set_policy(client, rules))
    assert second["version"] == first["version"] + 1
    stored = json_of(client.http.get("/v2/_berth/signing/policy"))
    assert stored["rules"][0]["mode"] == "audit"
    assert stored["rules"][0]["keyIds"][0].startswith("sha256:")


def test_enforce_refuses_unsigned_and_serves_signed_by_tag_and_digest(
    client: Any, repo: str
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    image = push_image(client, repo, "v1")
    enforce(client, repo, key)
    for reference in ("v1", image.digest):
        response = get_manifest(client, repo, reference)
        assert_error(response, 403, "DENIED")
        message = json_of(response)["errors"][0]["message"]
        assert "not signed by a key or certificate the signing policy" in message
        assert head_manifest(client, repo, reference).status_code == 403

    signature = bundle_signature(key, image)
    push(client, repo, signature)
    for reference in ("v1", image.digest):
        assert_ok(get_manifest(client, repo, reference), 200)
    # The signature itself stays readable: a deploy step reads it to verify.
    assert_ok(get_manifest(client, repo, signature.digest), 200)
    report = status(client, repo, image.digest)
    assert report["satisfied"] is True and report["policy"]["mode"] == "enforce"
    assert report["signedBy"] and report["signedBy"][0].startswith("sha256:")
    assert report["signatures"][0]["verified"] is True


def test_a_signature_by_an_untrusted_key_is_stored_as_refused(client: Any, repo: str) -> None:
    trusted, stranger = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    image = push_image(client, repo, "v1")
    enforce(client, repo, trusted)
    push(client, repo, bundle_signature(stranger, image))
    assert_error(get_manifest(client, repo, "v1"), 403, "DENIED")
    verdict = status(client, repo, image.digest)["signatures"][0]
    assert verdict["verified"] is False and "trusted key" in verdict["reason"]


def test_a_tag_moved_onto_a_signed_image_carries_the_verdict(client: Any, repo: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    image = push_image(client, repo, "v1")
    enforce(client, repo, key)
    push(client, repo, bundle_signature(key, image))
    # A re-push of the same manifest under new tags (skopeo copy to a release tag).
    assert_ok(put_manifest(client, repo, "prod", image.body, image.media_type), 201)
    assert_ok(put_manifest(client, repo, image.digest, image.body, image.media_type), 201)
    assert_ok(get_manifest(client, repo, "prod"), 200)
    assert_ok(get_manifest(client, repo, image.digest), 200)


def test_a_signed_index_covers_its_platforms(client: Any, repo: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    parent, children = push_index(client, repo, "multi")
    enforce(client, repo, key)
    assert_error(get_manifest(client, repo, children[0].digest), 403, "DENIED")
    push(client, repo, bundle_signature(key, parent))
    assert_ok(get_manifest(client, repo, "multi"), 200)
    for child in children:
        assert_ok(get_manifest(client, repo, child.digest), 200)


def test_removing_the_key_refuses_at_once_and_adding_it_back_reverifies(
    client: Any, repo: str
) -> None:
    key, other = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    image = push_image(client, repo, "v1")
    enforce(client, repo, key)
    push(client, repo, bundle_signature(key, image))
    assert_ok(get_manifest(client, repo, "v1"), 200)
    enforce(client, repo, other)
    assert_error(get_manifest(client, repo, "v1"), 403, "DENIED")
    enforce(client, repo, key)
    assert_ok(get_manifest(client, repo, "v1"), 200)


def test_deleting_the_signature_withdraws_it(client: Any, repo: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    image = push_image(client, repo, "v1")
    enforce(client, repo, key)
    signature = bundle_signature(key, image)
    push(client, repo, signature)
    assert_ok(get_manifest(client, repo, "v1"), 200)
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/{signature.digest}"), 202)
    assert_error(get_manifest(client, repo, "v1"), 403, "DENIED")
    assert_error(get_manifest(client, repo, image.digest), 403, "DENIED")


def test_audit_mode_serves_unsigned_images(client: Any, repo: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    push_image(client, repo, "v1")
    image = push_image(client, repo, "v2")
    enforce(client, repo, key, mode="audit")
    assert_ok(get_manifest(client, repo, "v1"), 200)
    report = status(client, repo, image.digest)
    assert report["policy"]["mode"] == "audit" and report["satisfied"] is False


def test_other_repositories_are_not_covered(client: Any, repo: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    push_image(client, repo, "v1")
    enforce(client, repo + "-other", key)
    assert_ok(get_manifest(client, repo, "v1"), 200)


def test_cosign_legacy_signature_tag(client: Any, repo: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    image = push_image(client, repo, "v1")
    enforce(client, repo, key)
    payload = simple_signing_payload(image.digest)
    body = simple_signing_manifest(payload, sign_der(key, payload))
    manifest = Pushed(body, OCI_MANIFEST, [b"{}", payload], json.loads(body))
    push(client, repo, manifest, "sha256-" + image.digest.partition(":")[2] + ".sig")
    assert_ok(get_manifest(client, repo, "v1"), 200)
    assert status(client, repo, image.digest)["signatures"][0]["format"] == "cosign-simplesigning"


def test_notation_signature_under_a_trusted_root_and_subject(client: Any, repo: str) -> None:
    root = ca()
    signer = leaf(root)
    image = push_image(client, repo, "v1")
    subject = signer.certificate.subject.rfc4514_string()
    root_pem = root.certificate.public_bytes(Encoding.PEM).decode()
    rules = [
        {"repositories": repo, "mode": "enforce", "roots": [root_pem], "subjects": ["CN=nobody"]}
    ]
    assert_ok(set_policy(client, rules), 200)
    envelope = notation_envelope(signer, [root.certificate], payload=notation_payload(image.digest))
    push(client, repo, _referrer(NOTATION, "application/jose+json", envelope, image))
    assert_error(get_manifest(client, repo, "v1"), 403, "DENIED")
    rules[0]["subjects"] = [subject]
    assert_ok(set_policy(client, rules), 200)  # verified again under the new policy
    assert_ok(get_manifest(client, repo, "v1"), 200)
    assert status(client, repo, image.digest)["signedBy"] == [f"x509:{subject}"]


def test_with_auth_on_the_pipeline_that_pushes_may_read_before_it_signs(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`enforce` binds whoever only pulls; a caller allowed to push here (the pipeline that
    pushes, then signs) is exempt, judged by the token's scope or the Basic caller's grants."""
    from chalicelib.auth.permissions import Level
    from tests.auth.gate_support import _reset, bearer, token_of, user

    key = ec.generate_private_key(ec.SECP256R1())
    push_image(client, repo, "v1")
    enforce(client, repo, key)
    monkeypatch.setenv("BERTH_AUTH", "on")
    _reset()
    try:
        reader = user("reader", [(repo, Level.PULL)])
        writer = user("writer", [(repo, Level.PUSH)])
        pull_only = token_of(client, writer, [f"repository:{repo}:pull"])
        pull_push = token_of(client, writer, [f"repository:{repo}:pull,push"])
        reader_token = token_of(client, reader, [f"repository:{repo}:pull"])
        assert pull_only and pull_push and reader_token
        path = f"/v2/{repo}/manifests/v1"
        assert client.http.get(path, headers=bearer(reader_token)).status_code == 403
        assert client.http.get(path, headers=reader.basic()).status_code == 403
        assert client.http.get(path, headers=bearer(pull_only)).status_code == 403
        assert client.http.get(path, headers=bearer(pull_push)).status_code == 200
        assert client.http.get(path, headers=writer.basic()).status_code == 200
    finally:
        monkeypatch.setenv("BERTH_AUTH", "off")
        _reset()


def test_managed_signing_signs_every_pushed_image_with_kms(client: Any, repo: str) -> None:
    """`signWith`: the registry signs each pushed image with a KMS key (moto's ECC P-256 Sign),
    as a cosign v3 bundle referrer that the verifier accepts; `enforce` then serves it."""
    import boto3

    from chalicelib.signing.sigstore_bundle import verify_sigstore_bundle
    from chalicelib.storage.clock import now

    kms = boto3.client("kms")
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    rules = [{"repositories": repo, "mode": "enforce", "signWith": key_id}]
    answer = set_policy(client, rules)
    assert_ok(answer, 200)
    (rule,) = json_of(answer)["rules"]
    assert rule["signWith"] == key_id and len(rule["keys"]) == 1

    image = push_image(client, repo, "v1")
    assert_ok(get_manifest(client, repo, "v1"), 200)
    report = status(client, repo, image.digest)
    (verdict,) = report["signatures"]
    assert verdict["verified"] is True and report["satisfied"] is True
    referrers = json_of(client.http.get(f"/v2/{repo}/referrers/{image.digest}"))["manifests"]
    (referrer,) = referrers
    assert referrer["artifactType"] == BUNDLE
    signature = json_of(get_manifest(client, repo, referrer["digest"]))
    bundle_digest = signature["layers"][0]["digest"]
    bundle = fetch_blob(client, boto3.client("s3"), repo, bundle_digest)
    public = rule["keys"][0].encode()
    assert verify_sigstore_bundle(bundle, image.digest, [public], [], now()).verified


def test_managed_signing_with_a_key_that_cannot_sign_is_refused(client: Any, repo: str) -> None:
    rules = [{"repositories": repo, "mode": "enforce", "signWith": "alias/nowhere"}]
    response = set_policy(client, rules)
    assert_error(response, 400, "UNSUPPORTED")
    assert "rules[0].signWith" in json_of(response)["errors"][0]["message"]


def test_a_kms_key_is_trusted_by_its_arn(client: Any, repo: str) -> None:
    import boto3

    from chalicelib.signing.cosign_formats import bundle_signature as kms_bundle
    from chalicelib.signing.kms_signer import KmsKey

    kms = boto3.client("kms")
    metadata = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    rules = [{"repositories": repo, "mode": "enforce", "keys": [metadata["Arn"]]}]
    answer = set_policy(client, rules)
    assert_ok(answer, 200)
    assert json_of(answer)["rules"][0]["keys"][0].startswith("-----BEGIN PUBLIC KEY-----")
    image = push_image(client, repo, "v1")
    assert_error(get_manifest(client, repo, "v1"), 403, "DENIED")
    artifact = kms_bundle(KmsKey(metadata["KeyId"], kms), repo, image.digest, OCI_MANIFEST, 1)
    signature = Pushed(artifact.manifest, OCI_MANIFEST, list(artifact.blobs))
    push(client, repo, signature)
    assert_ok(get_manifest(client, repo, "v1"), 200)


def test_managed_signing_adds_a_notation_signature_given_the_keys_certificate(
    client: Any, repo: str
) -> None:
    import boto3
    from cryptography.hazmat.primitives import serialization

    from tests.signing.pki import ca, leaf

    kms = boto3.client("kms")
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])

    class KmsHeld:  # what the CA certifies: the KMS key's public half
        def public_key(self) -> Any:
            return public

    root = ca()
    certificate = leaf(root, KmsHeld()).certificate
    chain = b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in (certificate, root.certificate)
    ).decode()
    root_pem = root.certificate.public_bytes(serialization.Encoding.PEM).decode()
    rule = {
        "repositories": repo,
        "mode": "enforce",
        "roots": [root_pem],
        "signWith": key_id,
        "signCertificates": chain,
    }
    assert_ok(set_policy(client, [rule]), 200)
    image = push_image(client, repo, "v1")
    assert_ok(get_manifest(client, repo, "v1"), 200)
    verdicts = status(client, repo, image.digest)["signatures"]
    assert sorted(v["format"] for v in verdicts) == ["notation-jws", "sigstore-bundle-v0.3"]
    assert all(v["verified"] for v in verdicts)
