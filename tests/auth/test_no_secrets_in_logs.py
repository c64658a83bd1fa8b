"""No password, robot secret, token, refresh token or IAM password reaches a log line,
nor the message of any error auth raises (handlers log those)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from berth.iam_login import login_password
from chalicelib.auth import iam, principals, refresh
from chalicelib.auth.permissions import Level
from chalicelib.auth.scope import ResourceScope
from chalicelib.auth.tokens import KmsSigner, TokenError, Verifier, issue


def test_no_secret_in_logs_or_errors(aws: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    import boto3

    # Berth's own logger at its most verbose, everything else at INFO, as deployed: botocore's
    # DEBUG output prints request signatures by design and is never on in the function.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="berth")
    errors: list[str] = []
    name = f"u{uuid.uuid4().hex[:10]}"
    password = f"pw-{uuid.uuid4().hex}"
    principals.create_user(name, password)
    principals.grant("user", name, "a/*", Level.PUSH)
    assert principals.authenticate(name, password) is not None
    assert principals.authenticate(name, password + "x") is None
    robot = f"r{uuid.uuid4().hex[:10]}"
    robot_secret = principals.create_robot(robot)
    assert principals.authenticate(f"robot${robot}", robot_secret) is not None

    key = boto3.client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    signer = KmsSigner(key["KeyMetadata"]["KeyId"])
    token, _ = issue(
        signer,
        issuer="berth",
        subject=f"user:{name}",
        audience="berth",
        access=[ResourceScope("repository", "a/b", ("pull",))],
    )
    verifier = Verifier([signer.public_key()], issuer="berth", audience="berth")
    verifier.verify(token)
    for bad in [token[:-3] + "AAA", token + "x", token.replace(".", "", 1)]:
        try:
            verifier.verify(bad)
        except TokenError as error:
            errors.append(str(error))
    other = Verifier([signer.public_key()], issuer="berth", audience="elsewhere")
    try:
        other.verify(token)
    except TokenError as error:
        errors.append(str(error))

    refresh_token = refresh.create(f"user:{name}", "berth", ttl=60)
    refresh.redeem(refresh_token, "berth")

    iam_password = login_password(boto3.client("sts"), "berth")
    iam.caller_identity(iam_password, "berth")
    for mangled in [iam_password + "A", iam_password.replace("Action", "Actio")]:
        try:
            iam.caller_identity(mangled, "berth", now=0)
        except iam.IamError as error:
            errors.append(str(error))

    signature = token.rsplit(".", 1)[1]
    url = iam.decode_password(iam_password)
    secrets: dict[str, Any] = {
        "password": password,
        "robot secret": robot_secret,
        "token": token,
        "token signature": signature,
        "refresh token": refresh_token,
        "refresh secret": refresh_token.rsplit(".", 1)[1],
        "iam password": iam_password,
        "presigned url signature": url.split("X-Amz-Signature=")[1][:64],
    }
    logging.getLogger("berth").info("probe")
    lines = [record.getMessage() for record in caplog.records] + errors
    assert "probe" in lines and len(errors) >= 6
    for label, secret in secrets.items():
        leaks = [line[:200] for line in lines if secret in line]
        assert not leaks, f"{label} leaked into: {leaks[:3]}"
