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


def test_no_secret_in_any_log_line_of_the_registry(
    client: Any, auth_on: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the app: the token endpoint (GET and OAuth2 form, good and bad), refresh,
    IAM login (mapped and not), Basic and Bearer requests, refusals and the rate limit.
    Every field of every record is searched, not only the message."""
    import base64
    import json

    import boto3

    from chalicelib.auth.auth_settings import auth_settings
    from tests.auth.gate_support import basic, bearer, form, token, user

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="berth")
    repo = f"logs{uuid.uuid4().hex[:8]}/app"
    writer = user("writer", [(repo, Level.PUSH)])
    assert writer.username and writer.secret
    answer = json.loads(
        token(client, writer, [f"repository:{repo}:pull"], offline_token="true").body
    )
    access, refresh_token = answer["token"], answer["refresh_token"]
    posted = json.loads(
        form(
            client,
            {
                "grant_type": "password",
                "username": writer.username,
                "password": writer.secret,
                "scope": f"repository:{repo}:pull,push",
                "access_type": "offline",
            },
        ).body
    )
    refreshed = json.loads(
        form(client, {"grant_type": "refresh_token", "refresh_token": refresh_token}).body
    )
    assert {"token", "refresh_token"} <= set(posted) and "token" in refreshed
    bad_refresh = {"grant_type": "refresh_token", "refresh_token": refresh_token + "x"}
    assert form(client, bad_refresh).status_code == 401
    wrong = f"wrong-{uuid.uuid4().hex}"
    assert token(client, type(writer)("w", writer.username, wrong), []).status_code == 401
    assert client.http.get("/v2/", headers=basic(writer.username, wrong)).status_code == 401
    assert client.http.get(f"/v2/{repo}/tags/list", headers=writer.basic()).status_code == 404
    assert client.http.get(f"/v2/{repo}/tags/list", headers=bearer(access)).status_code == 404
    tampered = access[:-6] + "AAAAAA"
    assert client.http.get("/v2/", headers=bearer(tampered)).status_code == 401
    robot_name = f"r{uuid.uuid4().hex[:10]}"
    robot_secret = principals.create_robot(robot_name)
    assert client.http.get("/v2/", headers=basic(f"robot${robot_name}", robot_secret)).status_code
    iam_password = login_password(boto3.client("sts", region_name="us-east-1"), "berth")
    assert client.http.get("/v2/", headers=basic("aws", iam_password)).status_code == 401
    mapping = f"m{uuid.uuid4().hex[:10]}"
    principals.create_iam_mapping(mapping, "arn:aws:*::123456789012:*")
    try:
        assert client.http.get("/v2/", headers=basic("aws", iam_password)).status_code == 200
        iam_token = json.loads(
            token(client, type(writer)("i", "aws", iam_password), ["registry:catalog:*"]).body
        )["token"]
    finally:
        principals.delete("iam", mapping)
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_NAME", "1")
    auth_settings.cache_clear()
    for _ in range(3):  # refused, then rate-limited
        client.http.get("/v2/", headers=basic(writer.username, wrong))

    secrets = {
        "password": writer.secret,
        "wrong password": wrong,
        "basic header": basic(writer.username, writer.secret)["Authorization"].split()[1],
        "access token": access,
        "access token signature": access.rsplit(".", 1)[1],
        "form token": posted["token"],
        "form refresh token": posted["refresh_token"].rsplit(".", 1)[1],
        "refresh token": refresh_token.rsplit(".", 1)[1],
        "refreshed token": refreshed["token"],
        "tampered token": tampered.split(".")[1],
        "robot secret": robot_secret,
        "iam password": iam_password[20:80],
        "iam token": iam_token,
        "iam basic": base64.b64encode(f"aws:{iam_password}".encode()).decode()[:60],
    }
    fields = [json.dumps(vars(record), default=str) for record in caplog.records]
    assert any('"/token"' in line for line in fields)  # the token endpoint did log
    assert len(fields) > 15
    for label, secret in secrets.items():
        leaks = [line[:300] for line in fields if secret in line]
        assert not leaks, f"{label} leaked into: {leaks[:2]}"
