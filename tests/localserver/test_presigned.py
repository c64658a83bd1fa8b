"""The presigned-request check of the local S3 front, against URLs botocore presigns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st

from berth.localserver.presigned import MAX_EXPIRES, PresignError, parse, verify

KEY, SECRET = "berth-local", "berth-local-secret"
ENDPOINT = "http://127.0.0.1:5000/_s3"


def _client(endpoint: str = ENDPOINT, secret: str = SECRET) -> Any:
    session = botocore.session.get_session()
    return session.create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=secret,
        aws_session_token="token",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


CLIENT = _client()


def _presign(key: str = "blobs/sha256/ab", ttl: int = 300, method: str = "get_object") -> str:
    url: str = CLIENT.generate_presigned_url(
        method, Params={"Bucket": "bucket", "Key": key}, ExpiresIn=ttl
    )
    return url


def _check(url: str, *, method: str = "GET", now: datetime | None = None, **kw: Any) -> Any:
    parts = urlsplit(url)
    headers = {"host": kw.pop("host", parts.netloc)}
    return verify(
        method,
        parts.path,
        parts.query,
        headers,
        access_key=kw.pop("access_key", KEY),
        secret_key=kw.pop("secret_key", SECRET),
        now=now or datetime.now(UTC),
    )


def _code(url: str, **kw: Any) -> str:
    with pytest.raises(PresignError) as caught:
        _check(url, **kw)
    return caught.value.code


keys = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(key=keys, ttl=st.integers(1, MAX_EXPIRES))
def test_every_url_botocore_presigns_verifies_until_it_expires(key: str, ttl: int) -> None:
    url = _presign(key, ttl)
    signed = parse(urlsplit(url).query)
    assert _check(url, now=signed.signed_at).expires_in == ttl
    assert _check(url, now=signed.expires_at - timedelta(seconds=1))
    assert _code(url, now=signed.expires_at) == "AccessDenied"


@settings(max_examples=60, deadline=None)
@given(key=keys, other=keys)
def test_a_url_for_one_object_does_not_open_another(key: str, other: str) -> None:
    url = _presign(key)
    moved = _presign(other)
    if urlsplit(url).path == urlsplit(moved).path:
        return
    forged = urlsplit(moved).path + "?" + urlsplit(url).query
    assert _code("http://127.0.0.1:5000" + forged) == "SignatureDoesNotMatch"


def test_expired_url_says_expired_and_tampered_url_says_signature() -> None:
    url = _presign(ttl=60)
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert _code(url, now=later) == "AccessDenied"
    longer = url.replace("X-Amz-Expires=60", "X-Amz-Expires=3600")
    assert _code(longer, now=later) == "SignatureDoesNotMatch"


def test_method_host_and_secret_are_all_signed() -> None:
    url = _presign()
    assert _check(url)
    assert _code(url, method="PUT") == "SignatureDoesNotMatch"
    assert _code(url, method="HEAD") == "SignatureDoesNotMatch"  # as S3: presign head_object
    assert _code(url, host="evil.example:5000") == "SignatureDoesNotMatch"
    assert _code(url, secret_key="another") == "SignatureDoesNotMatch"
    assert _code(url, access_key="someone-else") == "InvalidAccessKeyId"


def test_signed_headers_such_as_a_checksum_must_match() -> None:
    url: str = CLIENT.generate_presigned_url(
        "put_object",
        Params={
            "Bucket": "b",
            "Key": "k",
            "ChecksumSHA256": "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
        },
        ExpiresIn=60,
    )
    parts = urlsplit(url)

    def check(checksum: str) -> Any:
        headers = {"host": parts.netloc, "x-amz-checksum-sha256": checksum}
        return verify(
            "PUT",
            parts.path,
            parts.query,
            headers,
            access_key=KEY,
            secret_key=SECRET,
            now=datetime.now(UTC),
        )

    assert check("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=")
    with pytest.raises(PresignError, match="signature"):
        check("AAAAgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=")


amz_names = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz-0123456789"), min_size=1).map(
    lambda rest: f"x-amz-{rest}"
)


@settings(max_examples=60, deadline=None)
@given(name=amz_names, value=st.text(max_size=30))
def test_an_unsigned_amz_header_is_refused_whatever_it_is(name: str, value: str) -> None:
    """S3 refuses x-amz-* headers the URL does not sign (issue 11, D3): such a header can
    change what the request does (x-amz-copy-source copies any object into the upload)."""
    url = _presign(method="put_object")
    parts = urlsplit(url)
    headers = {"host": parts.netloc, name: value}
    with pytest.raises(PresignError, match="not signed") as caught:
        verify(
            "PUT", parts.path, parts.query, headers,
            access_key=KEY, secret_key=SECRET, now=datetime.now(UTC),
        )  # fmt: skip
    assert caught.value.code == "AccessDenied"
    assert name in caught.value.message


def test_a_copy_source_on_a_signed_part_url_is_refused() -> None:
    url: str = CLIENT.generate_presigned_url(
        "upload_part",
        Params={"Bucket": "b", "Key": "uploads/x/blob", "UploadId": "u", "PartNumber": 1,
                "ChecksumSHA256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
        ExpiresIn=60,
    )  # fmt: skip
    parts = urlsplit(url)
    signed = {
        "host": parts.netloc,
        "x-amz-checksum-sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    }
    now = datetime.now(UTC)
    assert verify(
        "PUT", parts.path, parts.query, signed, access_key=KEY, secret_key=SECRET, now=now
    )
    copying = {**signed, "x-amz-copy-source": "/b/blobs/sha256/ab"}
    with pytest.raises(PresignError, match="x-amz-copy-source"):
        verify("PUT", parts.path, parts.query, copying, access_key=KEY, secret_key=SECRET, now=now)


def test_a_url_dated_in_the_future_is_not_valid_yet() -> None:
    url = _presign()
    assert _code(url, now=datetime.now(UTC) - timedelta(hours=1)) == "AccessDenied"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "X-Amz-Algorithm=AWS4-HMAC-SHA1",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20260101%2Fr%2Fs3%2Faws4_request"
        "&X-Amz-Date=nope&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=0",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20260101%2Fr%2Fs3%2Faws4_request"
        "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=0",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20260102%2Fr%2Fs3%2Faws4_request"
        "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=0",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20260101%2Fr%2Fs3%2Faws4_request"
        "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=x-amz-date"
        "&X-Amz-Signature=0",
    ],
)
def test_malformed_queries_are_refused_not_crashed(query: str) -> None:
    with pytest.raises(PresignError):
        verify(
            "GET",
            "/_s3/b/k",
            query,
            {"host": "h"},
            access_key="k",
            secret_key="s",
            now=datetime.now(UTC),
        )
