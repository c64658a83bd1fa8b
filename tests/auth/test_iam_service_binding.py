"""An IAM login password works for the registry it was made for and no other (issue 11,
D6). STS refuses a presigned request whose signed `x-berth-service` header differs from the
value the registry sends; moto checks no signature, so the transport here does what STS
does (SigV4 over the query, host and that header) before letting moto answer. The registry's
part under test: it sends ITS OWN service, and deployments give each registry its own
(`berth.deploy.service_name`, tested in tests/deploy/test_deploy.py)."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator
from urllib.parse import parse_qsl, quote, urlsplit

import boto3
import pytest

from berth.deploy.service_name import service_name
from berth.iam_login import login_password
from chalicelib.auth import gate, iam
from chalicelib.auth.permissions import Level
from chalicelib.oci.errors import OCIError
from tests.auth.gate_support import unique

HERE = service_name("prod", "123456789012", "us-east-1")
ELSEWHERE = service_name("prod", "123456789012", "eu-west-1")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature_matches(url: str, headers: dict[str, str]) -> bool:
    """SigV4 (query-string form) of GET `url` with the headers it signs, as STS checks it."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    given = query.pop("X-Amz-Signature")
    signed = query["X-Amz-SignedHeaders"].split(";")
    values = {"host": parts.netloc, **{k.lower(): v for k, v in headers.items()}}
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    canonical_headers = "".join(f"{name}:{values[name].strip()}\n" for name in signed)
    empty_body = hashlib.sha256(b"").hexdigest()  # a GET's
    path = parts.path or "/"
    canonical = "\n".join(
        ["GET", path, canonical_query, canonical_headers, ";".join(signed), empty_body]
    )
    _, day, region, service, _ = query["X-Amz-Credential"].split("/")
    scope = f"{day}/{region}/{service}/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = "\n".join(["AWS4-HMAC-SHA256", query["X-Amz-Date"], scope, digest])
    key = ("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (day, region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), given)


@pytest.fixture
def registry_here(auth_on: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A registry whose service is HERE, behind an STS that checks signatures."""
    from chalicelib.auth import principals
    from chalicelib.auth.auth_settings import auth_settings

    monkeypatch.setenv("BERTH_SERVICE", HERE)
    auth_settings.cache_clear()
    sent: list[str] = []
    real = iam._send

    def strict_sts(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        sent.append(headers[iam.SERVICE_HEADER])
        if not signature_matches(url, headers):
            return 403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
        return real(url, headers)

    monkeypatch.setattr(iam, "_send", strict_sts)
    mapping = unique("m")
    principals.create_iam_mapping(mapping, "arn:aws:*::123456789012:*")
    principals.grant("iam", mapping, f"{unique('iam')}/app", Level.PULL)
    yield sent
    principals.delete("iam", mapping)
    auth_settings.cache_clear()


def _password(service: str) -> str:
    return login_password(boto3.client("sts", region_name="us-east-1"), service)


def test_a_password_for_this_registry_logs_in(registry_here: list[str]) -> None:
    assert gate.login("aws", _password(HERE), "10.1.1.1").kind == "iam"
    assert registry_here == [HERE]


def test_a_password_for_another_registry_is_refused(registry_here: list[str]) -> None:
    with pytest.raises(OCIError) as caught:
        gate.login("aws", _password(ELSEWHERE), "10.1.1.2")
    assert caught.value.code == "UNAUTHORIZED"
    assert registry_here == [HERE]  # the registry vouched for its own name, not the client's
    with pytest.raises(OCIError):  # nor the old shared default
        gate.login("aws", _password("berth"), "10.1.1.3")
