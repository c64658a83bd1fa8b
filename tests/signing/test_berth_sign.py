"""`berth sign`'s formats, checked by the registry's own verifiers (themselves checked against
signatures built independently from the specs in tests/signing/pki.py), with local keys of each
type and a KMS key on moto."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from berth.signing.keys import KmsKey, LocalKey, SigningError
from chalicelib.oci.manifest import parse_manifest
from chalicelib.signing.cosign_formats import BUNDLE, bundle_signature, legacy_signature
from chalicelib.signing.cosign_simple_signing import verify_simple_signing
from chalicelib.signing.sigstore_bundle import verify_sigstore_bundle

NOW = dt.datetime.now(dt.UTC)
SUBJECT = "sha256:" + hashlib.sha256(b"an image").hexdigest()
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _write(tmp_path: Path, key: Any, password: bytes | None = None) -> Path:
    encryption: Any = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    path = tmp_path / "key.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda: ec.generate_private_key(ec.SECP384R1()),
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ed25519.Ed25519PrivateKey.generate,
    ],
)
def test_bundle_and_legacy_signatures_verify(make: Any, tmp_path: Path) -> None:
    signer = LocalKey.load(_write(tmp_path, make(), b"secret"), b"secret")
    artifact = bundle_signature(signer, "registry.example/app", SUBJECT, MANIFEST, 1234)
    parsed = parse_manifest(artifact.manifest, MANIFEST)
    assert parsed.artifact_type == BUNDLE and parsed.subject is not None
    assert parsed.subject.digest == SUBJECT and artifact.reference == artifact.digest
    bundle = artifact.blobs[1]
    assert parsed.blobs[1].digest == _digest(bundle)
    verdict = verify_sigstore_bundle(bundle, SUBJECT, [signer.public_pem()], [], NOW)
    assert verdict.verified, verdict.reason
    other = "sha256:" + "0" * 64
    assert not verify_sigstore_bundle(bundle, other, [signer.public_pem()], [], NOW).verified

    legacy = legacy_signature(signer, "registry.example/app", SUBJECT)
    assert legacy.reference == "sha256-" + SUBJECT.partition(":")[2] + ".sig"
    blobs = {_digest(b): b for b in legacy.blobs}
    verdict = verify_simple_signing(legacy.manifest, blobs, SUBJECT, [signer.public_pem()])
    assert verdict.verified, verdict.reason


def test_kms_key_signs_without_the_private_key_leaving_kms(aws: dict[str, str]) -> None:
    kms = boto3.client("kms")
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signer = KmsKey(key_id, kms)
    artifact = bundle_signature(signer, "registry.example/app", SUBJECT, MANIFEST, 1)
    verdict = verify_sigstore_bundle(artifact.blobs[1], SUBJECT, [signer.public_pem()], [], NOW)
    assert verdict.verified, verdict.reason
    hint = json.loads(artifact.blobs[1])["verificationMaterial"]["publicKey"]["hint"]
    assert hint  # cosign's hint: base64 SHA-256 of the DER public key


def test_keys_that_cannot_sign_are_named(aws: dict[str, str], tmp_path: Path) -> None:
    cosign_own = tmp_path / "cosign.key"
    cosign_own.write_text("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nx\n-----END")
    with pytest.raises(SigningError, match="not a cosign encrypted key"):
        LocalKey.load(cosign_own, None)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(SigningError, match="not a PEM private key"):
        LocalKey.load(garbage, None)
    kms = boto3.client("kms")
    encrypt_only = kms.create_key(KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["KeyId"]
    with pytest.raises(SigningError, match="must be a SIGN_VERIFY key"):
        KmsKey(encrypt_only, kms).public_pem()


def test_notation_jws_signature_verifies_under_its_root() -> None:
    from chalicelib.signing.notation_formats import NotationError, jws_signature
    from chalicelib.signing.notation_jws import verify_notation_jws
    from tests.signing.pki import ca, leaf

    root = ca()
    signing = leaf(root)
    chain = b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in (signing.certificate, root.certificate)
    )
    artifact = jws_signature(LocalKey(signing.key), chain, SUBJECT, MANIFEST, 99, NOW)
    parsed = parse_manifest(artifact.manifest, MANIFEST)
    assert parsed.artifact_type == "application/vnd.cncf.notary.signature"
    envelope = artifact.blobs[1]
    verdict = verify_notation_jws(envelope, SUBJECT, [root.certificate], NOW)
    assert verdict.verified, verdict.reason
    other = ca()
    assert not verify_notation_jws(envelope, SUBJECT, [other.certificate], NOW).verified
    stranger = LocalKey(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(NotationError, match="not the signing key's"):
        jws_signature(stranger, chain, SUBJECT, MANIFEST, 99, NOW)


def _cosign_key_file(path: Path, key: Any, password: bytes) -> None:
    """cosign's `cosign.key`, written from its documented layout: PKCS#8 DER sealed by a NaCl
    secretbox under a scrypt key, described by JSON, in an ENCRYPTED SIGSTORE PRIVATE KEY
    PEM block."""
    import base64
    import os

    from nacl.secret import SecretBox

    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt, nonce = os.urandom(32), os.urandom(24)
    secret = hashlib.scrypt(password, salt=salt, n=32768, r=8, p=1, maxmem=64 * 1024**2, dklen=32)
    sealed = SecretBox(secret).encrypt(der, nonce).ciphertext
    document = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": 32768, "r": 8, "p": 1},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    body = base64.encodebytes(json.dumps(document).encode()).decode()
    path.write_text(
        f"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{body}"
        "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    )


def test_cosign_key_files_open_with_their_password(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "cosign.key"
    _cosign_key_file(path, key, b"hunter2")
    signer = LocalKey.load(path, b"hunter2")
    artifact = bundle_signature(signer, "registry.example/app", SUBJECT, MANIFEST, 1)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert verify_sigstore_bundle(artifact.blobs[1], SUBJECT, [public], [], NOW).verified
    with pytest.raises(SigningError, match="wrong password"):
        LocalKey.load(path, b"wrong")
