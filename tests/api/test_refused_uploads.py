"""A refused upload leaves nothing behind: no object at the content address it claimed, and
nothing under its session's `uploads/<id>/` (issue 19, M2).

Content addressing trusts what is stored under `blobs/<alg>/<hex>`: a later push of the real
blob takes the "already stored" shortcut. So a refusal that wrote first and checked after
would let anyone who can push choose the bytes everybody pulls for a digest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.config import settings
from chalicelib.oci.digest import parse_digest
from chalicelib.storage import blobs
from tests.api.helpers import (
    OCTET,
    assert_error,
    assert_ok,
    blob_head,
    digest_of,
    fetch_blob,
    header,
    patch_upload,
    path_of,
    put_upload,
    random_bytes,
    start_upload,
    with_query,
)

MiB = 1024 * 1024


def upload_id(location: str) -> str:
    return path_of(location).rstrip("/").rsplit("/", 1)[1]


def keys_under(s3: Any, prefix: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=settings().bucket, Prefix=prefix)
    return [entry["Key"] for entry in listed.get("Contents", [])]


def assert_nothing_left(client: Any, s3: Any, repo: str, claimed: str, session: str | None) -> None:
    """No object at the claimed content address, no link, no staging object of the session."""
    assert keys_under(s3, blobs.blob_key(parse_digest(claimed))) == [], "content address written"
    assert blob_head(client, repo, claimed).status_code == 404
    if session is not None:
        assert keys_under(s3, f"uploads/{session}/") == [], "staging objects left behind"


# Each refused path: (client, repo, bytes sent, digest claimed) -> the session id, if any.
Refusal = Callable[[Any, str, bytes, str], str | None]


def monolithic(client: Any, repo: str, sent: bytes, claimed: str) -> str | None:
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"digest": claimed}),
        headers={"content-type": OCTET, "content-length": str(len(sent))},
        body=sent,
    )
    assert_error(response, 400, "DIGEST_INVALID")
    return None


def post_then_put(client: Any, repo: str, sent: bytes, claimed: str) -> str | None:
    location = start_upload(client, repo)
    assert_error(put_upload(client, location, sent, claimed), 400, "DIGEST_INVALID")
    return upload_id(location)


def chunked(client: Any, repo: str, sent: bytes, claimed: str) -> str | None:
    location = start_upload(client, repo)
    half = len(sent) // 2
    response = patch_upload(client, location, sent[:half], f"0-{half - 1}")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    response = put_upload(
        client, location, sent[half:], claimed, {"content-range": f"{half}-{len(sent) - 1}"}
    )
    assert_error(response, 400, "DIGEST_INVALID")
    return upload_id(location)


def streamed(client: Any, repo: str, sent: bytes, claimed: str) -> str | None:
    location = start_upload(client, repo)
    response = patch_upload(client, location, sent)
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    assert_error(put_upload(client, location, b"", claimed), 400, "DIGEST_INVALID")
    return upload_id(location)


def sha512_session(client: Any, repo: str, sent: bytes, claimed: str) -> str | None:
    location = start_upload(client, repo, "?digest-algorithm=sha512")
    response = patch_upload(client, location, sent)
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    assert_error(put_upload(client, location, b"", claimed), 400, "DIGEST_INVALID")
    return upload_id(location)


PATHS: dict[str, tuple[Refusal, int, str]] = {
    # name: (path, size, algorithm); 6 MiB makes the session stage an S3 part and assemble
    # the blob by multipart copy, the other way a chunked upload reaches its content address.
    "monolithic": (monolithic, 700, "sha256"),
    "monolithic-sha512": (monolithic, 700, "sha512"),
    "post-put": (post_then_put, 700, "sha256"),
    "chunked": (chunked, 700, "sha256"),
    "chunked-parts": (chunked, 6 * MiB + 3, "sha256"),
    "streamed": (streamed, 700, "sha256"),
    "streamed-parts": (streamed, 6 * MiB + 3, "sha256"),
    "sha512": (sha512_session, 700, "sha512"),
}


@pytest.mark.parametrize("name", sorted(PATHS))
def test_a_refused_upload_leaves_nothing(client: Any, repo: str, s3: Any, name: str) -> None:
    path, size, algorithm = PATHS[name]
    real = random_bytes(size)
    forged = random_bytes(size)  # the same size: only the digest can tell them apart
    claimed = digest_of(real, algorithm)
    session = path(client, repo, forged, claimed)
    assert_nothing_left(client, s3, repo, claimed, session)
    assert keys_under(s3, blobs.blob_key(parse_digest(digest_of(forged, algorithm)))) == []


@pytest.mark.parametrize("name", ["chunked", "chunked-parts", "streamed", "post-put"])
def test_an_attacker_cannot_poison_a_digest_for_a_later_push(
    client: Any, repo: str, s3: Any, name: str
) -> None:
    """Two parties: the attacker's refused upload claiming D, then the victim's push of D."""
    path, size, algorithm = PATHS[name]
    real = random_bytes(size)
    claimed = digest_of(real, algorithm)
    path(client, f"{repo}-attacker", random_bytes(size), claimed)
    location = start_upload(client, f"{repo}-victim")
    assert_ok(put_upload(client, location, real, claimed), 201)
    assert fetch_blob(client, s3, f"{repo}-victim", claimed) == real
    stored = s3.get_object(Bucket=settings().bucket, Key=blobs.blob_key(parse_digest(claimed)))
    assert stored["Body"].read() == real
