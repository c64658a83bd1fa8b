"""The KMS signer and the IAM login against moto (KMS Sign, STS GetCallerIdentity)."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from berth.iam_login import login_password
from chalicelib.auth import iam
from chalicelib.auth.scope import ResourceScope
from chalicelib.auth.tokens import KmsSigner, TokenError, Verifier, issue


@pytest.fixture(scope="module")
def kms_key(aws: dict[str, str]) -> str:
    import boto3

    kms = boto3.client("kms")
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    return str(key["KeyId"])


class CountingKms:
    """Wraps a KMS client and counts calls by operation."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        def call(**kw: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return getattr(self.client, name)(**kw)

        return call


def test_kms_signed_tokens_verify_without_aws_calls(kms_key: str) -> None:
    import boto3

    counting = CountingKms(boto3.client("kms"))
    signer = KmsSigner(kms_key, client=counting)
    access = [ResourceScope("repository", "a/b", ("pull",))]
    token, claims = issue(signer, issuer="berth", subject="user:a", audience="berth", access=access)
    assert counting.calls == {"get_public_key": 1, "sign": 1}
    verifier = Verifier([signer.public_key()], issuer="berth", audience="berth")
    for _ in range(20):
        assert verifier.verify(token) == claims
    assert counting.calls == {"get_public_key": 1, "sign": 1}  # verification: no AWS call
    other = Verifier([KmsSigner(kms_key).public_key()], issuer="berth", audience="other")
    with pytest.raises(TokenError):
        other.verify(token)


# --- IAM -------------------------------------------------------------------------------------


@pytest.fixture
def sts(aws: dict[str, str]) -> Iterator[Any]:
    import boto3

    yield boto3.client("sts", region_name="us-east-1")


def test_iam_login_round_trip_against_moto_sts(sts: Any) -> None:
    password = login_password(sts, "berth")
    url = iam.decode_password(password)
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["Action"] == "GetCallerIdentity"
    assert iam.SERVICE_HEADER in query["X-Amz-SignedHeaders"].split(";")
    identity = iam.caller_identity(password, "berth")
    assert identity.arn.startswith("arn:aws:")
    assert identity.account == "123456789012"


def _with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


SENT: list[str] = []


def _never(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    SENT.append(url)
    raise AssertionError("must not send")


def test_iam_url_checks(sts: Any) -> None:
    good = iam.decode_password(login_password(sts, "berth"))
    host = urlsplit(good).hostname
    assert host is not None and host.startswith("sts.")
    good = good.replace(host, "sts.amazonaws.com")  # the global endpoint; regional below
    iam.check_url(good.replace("sts.amazonaws.com", "sts.eu-west-1.amazonaws.com"), now=time.time())
    iam.check_url(
        good.replace("sts.amazonaws.com", "sts-fips.us-east-2.amazonaws.com"), now=time.time()
    )
    now = time.time()
    bad_urls = [
        good.replace("https://sts.", "http://sts."),
        good.replace("sts.amazonaws.com", "sts.amazonaws.com.evil.example"),
        good.replace("sts.amazonaws.com", "evil.example/sts.amazonaws.com"),
        good.replace("sts.amazonaws.com", "sts.amazonaws.com:8443"),
        good.replace("sts.amazonaws.com", "user@sts.amazonaws.com"),
        good.replace("sts.amazonaws.com", "169.254.169.254"),
        good.replace("amazonaws.com/", "amazonaws.com/admin"),
        good + "#frag",
        good + "&Action=AssumeRole",
        _with_query(good, Action="AssumeRole"),
        _with_query(good, Version="2099-01-01"),
        _with_query(good, Extra="1"),
        _with_query(good, **{"X-Amz-SignedHeaders": "host"}),
        _with_query(good, **{"X-Amz-Expires": "3600"}),
        _with_query(good, **{"X-Amz-Expires": "0"}),
        _with_query(good, **{"X-Amz-Algorithm": "AWS4-HMAC-SHA1"}),
        _with_query(good, **{"X-Amz-Signature": None}),
        _with_query(good, **{"X-Amz-Date": "garbage"}),
        _with_query(good, **{"X-Amz-Credential": "AKIA/20260101/us-east-1/s3/aws4_request"}),
        good.replace("\u0000", "") + "\r\nHost: evil",
    ]
    for url in bad_urls:
        with pytest.raises(iam.IamError):
            iam.caller_identity(iam.encode_password(url), "berth", now=now, transport=_never)
    assert SENT == []
    # Past its TTL: refused by Berth itself (moto would answer).
    with pytest.raises(iam.IamError, match="expired"):
        iam.caller_identity(iam.encode_password(good), "berth", now=now + 901, transport=_never)
    with pytest.raises(iam.IamError, match="future"):
        iam.caller_identity(iam.encode_password(good), "berth", now=now - 120, transport=_never)
    for password in [
        "",
        "berth-iam-v1.",
        "berth-iam-v1.!!!",
        "berth-iam-v1." + "A" * 9000,
        "berth-iam-v1." + base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ]:
        with pytest.raises(iam.IamError):
            iam.caller_identity(password, "berth", transport=_never)
    # The operator's own endpoint (local server) is allowed, and only it.
    local = "http://127.0.0.1:5000"
    local_url = good.replace("https://sts.amazonaws.com", local)
    assert local_url != good
    iam.check_url(local_url, now=now, local_endpoint=local)
    with pytest.raises(iam.IamError):
        iam.check_url(local_url.replace("5000", "5001"), now=now, local_endpoint=local)


def test_iam_sts_answers(sts: Any) -> None:
    password = login_password(sts, "berth")

    def answer(status: int, body: bytes) -> iam.Transport:
        return lambda url, headers: (status, body)

    with pytest.raises(iam.IamError, match="403"):
        iam.caller_identity(password, "berth", transport=answer(403, b"denied"))
    with pytest.raises(iam.IamError):
        iam.caller_identity(password, "berth", transport=answer(200, b"<x/>"))
    with pytest.raises(iam.IamError):
        iam.caller_identity(password, "berth", transport=answer(200, b'{"a": 1}'))
    sent: dict[str, str] = {}

    def json_answer(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        sent.update(headers)
        return 200, (
            b'{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":'
            b'"arn:aws:sts::111122223333:assumed-role/ci/s","Account":"111122223333",'
            b'"UserId":"AROA:s"}}}'
        )

    identity = iam.caller_identity(password, "berth", transport=json_answer)
    assert identity.canonical_arn == "arn:aws:iam::111122223333:role/ci"
    assert sent[iam.SERVICE_HEADER] == "berth"


def test_arn_mapping() -> None:
    assert iam.canonical_arn("arn:aws:sts::123456789012:assumed-role/r/s") == (
        "arn:aws:iam::123456789012:role/r"
    )
    assert (
        iam.canonical_arn("arn:aws:iam::123456789012:user/u") == "arn:aws:iam::123456789012:user/u"
    )
    mappings = {
        "ci": "arn:aws:iam::123456789012:role/ci-*",
        "all": "arn:aws:iam::123456789012:*",
        "exact": "arn:aws:iam::123456789012:user/u",
    }
    assert iam.matching_mappings("arn:aws:sts::123456789012:assumed-role/ci-x/s", mappings) == [
        "all",
        "ci",
    ]
    assert iam.matching_mappings("arn:aws:iam::123456789012:user/u", mappings) == ["all", "exact"]
    assert iam.matching_mappings("arn:aws:iam::999999999999:user/u", mappings) == []
    assert not iam.arn_matches("arn:aws:iam::1:role/a.b", "arn:aws:iam::1:role/aXb")
    for bad in ["", "*", "arn:aws:s3:::bucket", "arn:aws:iam::12:role/x"]:
        with pytest.raises(ValueError):
            iam.check_arn_pattern(bad)
