"""The `s3-uploads` extension (chalicelib/api/s3_uploads.py, chalicelib/storage/direct.py)
through chalice.test.Client on moto: the client's PUTs go to the presigned URLs with
`requests`, which moto intercepts in-process, sending exactly the headers the registry said.

moto enforces no checksum and no signature, so every refusal here is Berth's own check at
completion (re-hash, size), and each test also checks that nothing was linked and the staging
object is gone."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib.auth.permissions import Level
from chalicelib.config import settings
from chalicelib.gc.collect import collect
from chalicelib.storage import aws
from chalicelib.storage.models import DirectUploadItem
from tests.api.helpers import (
    assert_error,
    assert_ok,
    blob_head,
    fetch_blob,
    header,
    push_blob,
    random_bytes,
)
from tests.auth.gate_support import auth_on, bearer, robot, token_of, user  # noqa: F401
from tests.gc.test_gc import exists, later

MiB = 1024 * 1024


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def start(
    client: Any, repo: str, digest: str, size: int, headers: dict[str, str] | None = None
) -> Any:
    body = json.dumps({"digest": digest, "size": size}).encode()
    return client.http.post(
        f"/v2/{repo}/_berth/s3-uploads",
        body=body,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def opened(client: Any, repo: str, data: bytes, digest: str | None = None) -> dict[str, Any]:
    response = start(client, repo, digest or sha256(data), len(data))
    assert_ok(response, 202)
    document: dict[str, Any] = json.loads(response.body)
    assert header(response, "Location") == document["location"]
    return document


def put(upload: dict[str, Any], data: bytes) -> requests.Response:
    response = requests.put(upload["url"], data=data, headers=upload["headers"], timeout=60)
    assert response.status_code == 200, response.text
    return response


def complete(
    client: Any, session: dict[str, Any], parts: list[dict[str, Any]] | None = None
) -> Any:
    body = json.dumps({"parts": parts}).encode() if parts is not None else b""
    return client.http.post(
        session["location"], body=body, headers={"Content-Type": "application/json"}
    )


def session_key(session: dict[str, Any]) -> str:
    return f"uploads/{session['id']}/blob"


def gone(session: dict[str, Any], s3: Any) -> bool:
    """The session's staging object and item are both gone."""
    if exists(s3, session_key(session)):
        return False
    try:
        DirectUploadItem.get(f"U#{session['id']}", "S3", consistent_read=True)
    except DirectUploadItem.DoesNotExist:
        return True
    return False


def left_nothing(session: dict[str, Any], s3: Any, claimed: str) -> bool:
    """A refused session left no object at the claimed content address nor under
    `uploads/<id>/`, and no multipart upload open (issue 19, M2)."""
    bucket = settings().bucket
    address = "blobs/" + claimed.replace(":", "/", 1)
    staged = s3.list_multipart_uploads(Bucket=bucket, Prefix=f"uploads/{session['id']}/")
    return (
        not exists(s3, address)
        and not exists(s3, f"uploads/{session['id']}/")
        and not staged.get("Uploads")
        and gone(session, s3)
    )


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Multipart above 12 MiB, in 5 MiB parts: S3's rules, without gigabytes of test data."""
    monkeypatch.setenv("BERTH_S3_SINGLE_PUT_MAX", str(12 * MiB))
    monkeypatch.setenv("BERTH_S3_PART_SIZE", str(5 * MiB))
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


def test_advertised_on_the_base_and_the_upload_post(client: Any, repo: str) -> None:
    assert header(client.http.get("/v2/"), "Berth-Extensions") == "s3-uploads"
    posted = client.http.post(f"/v2/{repo}/blobs/uploads/", body=b"")
    assert_ok(posted, 202)
    assert header(posted, "Berth-Extensions") == "s3-uploads"
    described = client.http.get(f"/v2/{repo}/_berth/s3-uploads")
    assert_ok(described, 200)
    document = json.loads(described.body)
    assert document["extension"] == "s3-uploads" and document["version"] == 1
    assert document["singlePutMax"] == 5 * 1024**3 and document["digestAlgorithms"] == ["sha256"]
    assert document["verification"] == "rehash"  # moto: BERTH_S3_ENFORCES_CHECKSUMS unset


def test_single_put_verified_linked_and_cleaned(client: Any, repo: str, s3: Any) -> None:
    data = random_bytes(3 * MiB + 17)
    session = opened(client, repo, data)
    assert not session["multipart"] and session["partCount"] == 1
    upload = session["upload"]
    assert upload["headers"] == {
        "x-amz-checksum-sha256": b64(data),
        "x-amz-sdk-checksum-algorithm": "SHA256",
    }
    signed = upload["url"].split("X-Amz-SignedHeaders=")[1].split("&")[0]
    assert signed == "host%3Bx-amz-checksum-sha256%3Bx-amz-sdk-checksum-algorithm"
    assert session_key(session) in upload["url"] and "/blobs/" not in upload["url"]
    assert blob_head(client, repo, sha256(data)).status_code == 404  # not before completion
    put(upload, data)
    assert blob_head(client, repo, sha256(data)).status_code == 404  # nor before verification
    done = complete(client, session)
    assert_ok(done, 201)
    assert header(done, "Docker-Content-Digest") == sha256(data)
    assert header(done, "Location") == f"/v2/{repo}/blobs/{sha256(data)}"
    assert fetch_blob(client, s3, repo, sha256(data)) == data
    assert gone(session, s3)
    assert_error(complete(client, session), 404, "BLOB_UPLOAD_UNKNOWN")


def test_multipart_with_part_checksums(client: Any, repo: str, s3: Any, small_parts: None) -> None:
    data = random_bytes(13 * MiB + 5)
    session = opened(client, repo, data)
    assert session["multipart"] and session["partSize"] == 5 * MiB and session["partCount"] == 3
    assert "upload" not in session
    pieces = [data[i : i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    asked = [{"partNumber": n, "checksumSHA256": b64(p)} for n, p in enumerate(pieces, 1)]
    answer = client.http.post(
        f"{session['location']}/parts", body=json.dumps({"parts": asked}).encode()
    )
    assert_ok(answer, 200)
    urls = json.loads(answer.body)["parts"]
    assert [u["headers"]["x-amz-checksum-sha256"] for u in urls] == [b64(p) for p in pieces]
    etags = []
    for url, piece in zip(urls, pieces, strict=True):
        etags.append(put(url, piece).headers["ETag"])
    # Not all parts listed: refused, the session stays.
    partial = [{"partNumber": 1, "etag": etags[0], "checksumSHA256": b64(pieces[0])}]
    assert_error(complete(client, session, partial), 400, "BLOB_UPLOAD_INVALID")
    without_checksums = [{"partNumber": n, "etag": e} for n, e in enumerate(etags, 1)]
    assert_error(complete(client, session, without_checksums), 400, "BLOB_UPLOAD_INVALID")
    listed = [
        {"partNumber": n, "etag": e, "checksumSHA256": b64(p)}
        for n, (e, p) in enumerate(zip(etags, pieces, strict=True), 1)
    ]
    assert_ok(complete(client, session, listed), 201)
    assert fetch_blob(client, s3, repo, sha256(data)) == data
    assert gone(session, s3)
    uploads = s3.list_multipart_uploads(Bucket=settings().bucket, Prefix=session_key(session))
    assert not uploads.get("Uploads")


def test_a_lying_digest_is_refused_and_nothing_linked(client: Any, repo: str, s3: Any) -> None:
    claimed = random_bytes(2 * MiB)
    sent = random_bytes(2 * MiB)
    session = opened(client, repo, sent, digest=sha256(claimed))
    put(session["upload"], sent)  # moto takes it; S3 would refuse it (checksum signed in)
    codes = assert_error(complete(client, session), 400, "DIGEST_INVALID")
    assert codes == ["DIGEST_INVALID"]
    for digest in (sha256(claimed), sha256(sent)):
        assert blob_head(client, repo, digest).status_code == 404
    assert gone(session, s3)
    assert left_nothing(session, s3, sha256(claimed))


def test_a_lying_multipart_upload_is_refused_and_leaves_nothing(
    client: Any, repo: str, s3: Any, small_parts: None
) -> None:
    claimed = random_bytes(13 * MiB + 5)
    sent = random_bytes(len(claimed))
    session = opened(client, repo, sent, digest=sha256(claimed))
    assert session["multipart"]
    pieces = [sent[i : i + 5 * MiB] for i in range(0, len(sent), 5 * MiB)]
    asked = [{"partNumber": n, "checksumSHA256": b64(p)} for n, p in enumerate(pieces, 1)]
    answer = client.http.post(
        f"{session['location']}/parts", body=json.dumps({"parts": asked}).encode()
    )
    assert_ok(answer, 200)
    urls = json.loads(answer.body)["parts"]
    etags = [put(url, piece).headers["ETag"] for url, piece in zip(urls, pieces, strict=True)]
    listed = [
        {"partNumber": n, "etag": e, "checksumSHA256": b64(p)}
        for n, (e, p) in enumerate(zip(etags, pieces, strict=True), 1)
    ]
    assert_error(complete(client, session, listed), 400, "DIGEST_INVALID")
    for digest in (sha256(claimed), sha256(sent)):
        assert blob_head(client, repo, digest).status_code == 404
    assert left_nothing(session, s3, sha256(claimed))


def test_content_swapped_after_the_url_is_refused(client: Any, repo: str, s3: Any) -> None:
    good = random_bytes(MiB)
    session = opened(client, repo, good)
    put(session["upload"], good)
    put(session["upload"], random_bytes(MiB))  # the same URL, other bytes, same size
    assert_error(complete(client, session), 400, "DIGEST_INVALID")
    assert blob_head(client, repo, sha256(good)).status_code == 404
    assert gone(session, s3)
    assert left_nothing(session, s3, sha256(good))


def test_a_wrong_size_is_refused(client: Any, repo: str, s3: Any) -> None:
    data = random_bytes(1000)
    session = opened(client, repo, data)
    put(session["upload"], data + b"more")
    assert_error(complete(client, session), 400, "SIZE_INVALID")
    assert blob_head(client, repo, sha256(data)).status_code == 404
    assert gone(session, s3)


def test_swap_during_a_resumed_verification_restarts_it(
    client: Any, repo: str, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-hashing in steps (202 "call again") keeps its state per ETag: bytes swapped between
    steps are hashed from the start, so what is finally linked is what was verified."""
    monkeypatch.setenv("BERTH_VERIFY_SECONDS", "0")
    settings.cache_clear()
    try:
        good = random_bytes(20 * MiB)
        session = opened(client, repo, good)
        put(session["upload"], good)
        step = complete(client, session)
        assert_ok(step, 202)
        first = json.loads(step.body)
        assert 0 < first["verified"] < len(good) and first["size"] == len(good)
        evil = random_bytes(20 * MiB)
        put(session["upload"], evil)
        answer = complete(client, session)
        while answer.status_code == 202:
            answer = complete(client, session)
        assert_error(answer, 400, "DIGEST_INVALID")
        assert blob_head(client, repo, sha256(good)).status_code == 404
        assert blob_head(client, repo, sha256(evil)).status_code == 404
        assert gone(session, s3)
        # The honest client's steps end linked.
        session = opened(client, repo, good)
        put(session["upload"], good)
        answer = complete(client, session)
        steps = 1
        while answer.status_code == 202:
            answer = complete(client, session)
            steps += 1
        assert_ok(answer, 201)
        assert steps >= 2
        assert fetch_blob(client, s3, repo, sha256(good)) == good
    finally:
        monkeypatch.undo()
        settings.cache_clear()


def test_completion_before_the_upload_keeps_the_session(client: Any, repo: str, s3: Any) -> None:
    data = random_bytes(500)
    session = opened(client, repo, data)
    assert_error(complete(client, session), 400, "BLOB_UPLOAD_INVALID")
    status = client.http.get(session["location"])
    assert_ok(status, 200)
    fresh = json.loads(status.body)["upload"]
    put(fresh, data)
    assert_ok(complete(client, session), 201)


def test_a_session_of_one_repository_cannot_link_into_another(
    client: Any, repo: str, s3: Any
) -> None:
    other = repo + "-b"
    data = random_bytes(4000)
    session = opened(client, repo, data)
    put(session["upload"], data)
    foreign = session["location"].replace(f"/v2/{repo}/", f"/v2/{other}/")
    assert_error(client.http.post(foreign, body=b""), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(client.http.get(foreign), 404, "BLOB_UPLOAD_UNKNOWN")
    one_part = json.dumps({"parts": [{"partNumber": 1, "checksumSHA256": b64(data)}]}).encode()
    assert_error(client.http.post(f"{foreign}/parts", body=one_part), 404)
    assert_error(client.http.delete(foreign), 404, "BLOB_UPLOAD_UNKNOWN")
    assert blob_head(client, other, sha256(data)).status_code == 404
    assert exists(s3, session_key(session))  # untouched: its own repository completes it
    assert_ok(complete(client, session), 201)
    assert blob_head(client, repo, sha256(data)).status_code == 200
    assert blob_head(client, other, sha256(data)).status_code == 404


def test_an_existing_blob_is_still_verified_before_it_is_linked(
    client: Any, repo: str, s3: Any
) -> None:
    """Knowing a digest is not owning its bytes: a session for a blob some other repository
    holds, completed with other bytes, must not link it (that would read A through B)."""
    data = random_bytes(3000)
    owner = opened(client, repo, data)
    put(owner["upload"], data)
    assert_ok(complete(client, owner), 201)
    thief = repo + "-thief"
    session = opened(client, thief, data)
    put(session["upload"], random_bytes(3000))
    assert_error(complete(client, session), 400, "DIGEST_INVALID")
    assert blob_head(client, thief, sha256(data)).status_code == 404
    # With the right bytes it links (the object is already there: nothing is copied).
    session = opened(client, thief, data)
    put(session["upload"], data)
    assert_ok(complete(client, session), 201)
    assert fetch_blob(client, s3, thief, sha256(data)) == data


def test_parts_copied_from_another_repositorys_blob_are_refused(
    client: Any, repo: str, s3: Any, small_parts: None
) -> None:
    """Issue 11, D3, the protocol's layer: parts signed with the checksum of an empty body but
    filled by S3 with a server-side copy of a private blob (moto here honours the unsigned
    `x-amz-copy-source` that the local S3 front now refuses). The assembled object *is* the
    blob, so re-hashing it passes; what fails is that the parts' checksums the client listed
    are not those of the bytes S3 holds: nothing is linked, and the session is discarded."""
    secret = random_bytes(13 * MiB + 3)
    victim = repo + "-victim"
    digest = push_blob(client, victim, secret)
    session = opened(client, repo, secret)
    empty = b64(b"")
    asked = [{"partNumber": n, "checksumSHA256": empty} for n in (1, 2, 3)]
    answer = client.http.post(
        f"{session['location']}/parts", body=json.dumps({"parts": asked}).encode()
    )
    assert_ok(answer, 200)
    source = f"/{settings().bucket}/blobs/sha256/{digest.partition(':')[2]}"
    listed = []
    for n, url in enumerate(json.loads(answer.body)["parts"], 1):
        first, last = (n - 1) * 5 * MiB, min(n * 5 * MiB, len(secret)) - 1
        headers = {**url["headers"], "x-amz-copy-source": source,
                   "x-amz-copy-source-range": f"bytes={first}-{last}"}  # fmt: skip
        copied = requests.put(url["url"], data=b"", headers=headers, timeout=60)
        assert copied.status_code == 200, copied.text  # moto copies; S3 would refuse
        etag = copied.text.split("<ETag>")[1].split("</ETag>")[0]
        listed.append({"partNumber": n, "etag": etag, "checksumSHA256": empty})
    assert_error(complete(client, session, listed), 400, "DIGEST_INVALID")
    assert blob_head(client, repo, digest).status_code == 404
    assert gone(session, s3)
    assert blob_head(client, victim, digest).status_code == 200


def test_cancel(client: Any, repo: str, s3: Any, small_parts: None) -> None:
    data = random_bytes(13 * MiB)
    session = opened(client, repo, data)
    assert_ok(client.http.delete(session["location"]), 204)
    assert gone(session, s3)
    uploads = s3.list_multipart_uploads(Bucket=settings().bucket, Prefix=session_key(session))
    assert not uploads.get("Uploads")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"not json", 400, "BLOB_UPLOAD_INVALID"),
        (b"[1]", 400, "BLOB_UPLOAD_INVALID"),
        (b"{}", 400, "DIGEST_INVALID"),
        (b'{"digest": "sha256:abc", "size": 1}', 400, "DIGEST_INVALID"),
        (json.dumps({"digest": "sha512:" + "a" * 128, "size": 1}).encode(), 400, "DIGEST_INVALID"),
        (json.dumps({"digest": sha256(b""), "size": -1}).encode(), 400, "SIZE_INVALID"),
        (json.dumps({"digest": sha256(b""), "size": "1"}).encode(), 400, "SIZE_INVALID"),
        (json.dumps({"digest": sha256(b""), "size": True}).encode(), 400, "SIZE_INVALID"),
        (json.dumps({"digest": sha256(b""), "size": 6 * 1024**4}).encode(), 400, "SIZE_INVALID"),
    ],
)
def test_bad_requests_get_oci_errors(
    client: Any, repo: str, body: bytes, status: int, code: str
) -> None:
    response = client.http.post(f"/v2/{repo}/_berth/s3-uploads", body=body)
    assert_error(response, status, code)


def test_bad_part_requests(client: Any, repo: str, small_parts: None) -> None:
    single = opened(client, repo, random_bytes(100))
    parts = f"{single['location']}/parts"
    good = b64(b"x")
    one_part = json.dumps({"parts": [{"partNumber": 1, "checksumSHA256": good}]}).encode()
    assert_error(client.http.post(parts, body=one_part), 400, "BLOB_UPLOAD_INVALID")
    multi = opened(client, repo, random_bytes(13 * MiB))
    parts = f"{multi['location']}/parts"
    part_4 = json.dumps({"parts": [{"partNumber": 4, "checksumSHA256": good}]}).encode()
    for body in (b"{}", b'{"parts": []}', part_4, b'{"parts":[{"partNumber":1}]}',
                 b'{"parts":[{"partNumber":"1"}]}',
                 b'{"parts":[{"partNumber":1,"checksumSHA256":"bm90IGEgaGFzaA=="}]}'):  # fmt: skip
        assert_error(client.http.post(parts, body=body), 400, "BLOB_UPLOAD_INVALID")
    assert_error(complete(client, multi, [{"partNumber": 2, "etag": "x"}]), 400)
    assert_error(client.http.post(multi["location"], body=b'{"parts": 3}'), 400)
    assert_error(client.http.get(f"/v2/{repo}/_berth/s3-uploads/nothex"), 404)


def test_empty_blob(client: Any, repo: str, s3: Any) -> None:
    session = opened(client, repo, b"")
    put(session["upload"], b"")
    assert_ok(complete(client, session), 201)
    assert fetch_blob(client, s3, repo, sha256(b"")) == b""


@pytest.mark.usefixtures("auth_on")
def test_without_push_there_is_no_url(client: Any, repo: str) -> None:
    data = random_bytes(100)
    anonymous = start(client, repo, sha256(data), len(data))
    assert_error(anonymous, 401, "UNAUTHORIZED")
    assert "Bearer" in (header(anonymous, "WWW-Authenticate") or "")
    reader = robot("reader", [(repo, Level.PULL)])
    for caller in (reader, user("reader", [(repo, Level.PULL)])):
        scopes = [f"repository:{repo}:pull,push"]
        token = token_of(client, caller, scopes)
        assert token is not None
        refused = start(client, repo, sha256(data), len(data), bearer(token))
        assert refused.status_code in (401, 403)
        assert b"amazonaws" not in refused.body and b"X-Amz" not in refused.body
        assert_error(
            client.http.get(f"/v2/{repo}/_berth/s3-uploads", headers=bearer(token)), (401, 403)
        )
    other = robot("pusher elsewhere", [(repo + "-other", Level.PUSH)])
    token = token_of(client, other, [f"repository:{repo}:pull,push"])
    assert token is not None
    assert start(client, repo, sha256(data), len(data), bearer(token)).status_code in (401, 403)
    pusher = robot("pusher", [(repo, Level.PUSH)])
    token = token_of(client, pusher, [f"repository:{repo}:pull,push"])
    assert token is not None
    assert_ok(start(client, repo, sha256(data), len(data), bearer(token)), 202)


def test_expired_sessions_are_cleaned_by_gc(
    client: Any, repo: str, s3: Any, small_parts: None
) -> None:
    single_data, multi_data = random_bytes(2000), random_bytes(13 * MiB)
    single, multi, live = (
        opened(client, repo, single_data),
        opened(client, repo, multi_data),
        opened(client, repo, random_bytes(3000)),
    )
    put(single["upload"], single_data)
    asked = [
        {"partNumber": n, "checksumSHA256": b64(multi_data[start : start + 5 * MiB])}
        for n, start in ((1, 0), (2, 5 * MiB))
    ]
    answer = client.http.post(
        f"{multi['location']}/parts", body=json.dumps({"parts": asked}).encode()
    )
    for url, start_at in zip(json.loads(answer.body)["parts"], (0, 5 * MiB), strict=True):
        put(url, multi_data[start_at : start_at + 5 * MiB])
    moment = later()
    for session in (single, multi):
        DirectUploadItem(f"U#{session['id']}", "S3").update(
            actions=[DirectUploadItem.expires_at.set(1000)]
        )
    DirectUploadItem(f"U#{live['id']}", "S3").update(
        actions=[DirectUploadItem.expires_at.set(int(moment.timestamp()) + 3600)]
    )
    dry = collect(dry_run=True, now=moment)
    assert dry.multipart >= 1 and dry.sessions >= 2
    report = collect(now=moment)
    assert report.multipart >= 1 and report.sessions >= 2 and report.staging >= 1
    assert gone(single, s3) and gone(multi, s3)
    uploads = aws.s3().list_multipart_uploads(Bucket=settings().bucket, Prefix="uploads/")
    assert session_key(multi) not in {u["Key"] for u in uploads.get("Uploads", [])}
    assert DirectUploadItem.get(f"U#{live['id']}", "S3").repository == repo
    assert_error(complete(client, single), 404, "BLOB_UPLOAD_UNKNOWN")


def test_live_multipart_uploads_survive_gc(
    client: Any, repo: str, s3: Any, small_parts: None
) -> None:
    session = opened(client, repo, random_bytes(13 * MiB))
    collect()  # now: the session lives
    uploads = aws.s3().list_multipart_uploads(Bucket=settings().bucket, Prefix=session_key(session))
    assert uploads.get("Uploads"), "a live session's multipart upload is kept"


# Garbage collection's hard race (chalicelib/gc/__init__.py): the blob's object is old and
# unreferenced when a direct upload of the same bytes completes.


def test_completion_vetoes_a_condemned_blob(client: Any, repo: str, s3: Any) -> None:
    from chalicelib.gc import guard
    from chalicelib.oci.digest import Digest
    from chalicelib.storage import blobs, gc_fence

    data = random_bytes(5000)
    digest = Digest("sha256", sha256(data).split(":")[1])
    blobs.put_bytes(digest, data)  # an orphan: written, never linked
    guard.condemn([str(digest)], "run-direct-1")
    session = opened(client, repo, data)
    put(session["upload"], data)
    assert_ok(complete(client, session), 201)  # links, sees the marker, vetoes it
    assert gc_fence.read(str(digest)) is None
    assert not guard.claim(str(digest), "run-direct-1")
    assert fetch_blob(client, s3, repo, str(digest)) == data


def test_completion_restores_a_blob_deleted_under_it(
    client: Any, repo: str, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector deletes the object between the completion's look (it is there: no copy)
    and its link: the marker says `deleted`, so the completion copies it again from the
    staging object, which it deletes only after the link."""
    from chalicelib.gc import guard
    from chalicelib.oci.digest import Digest
    from chalicelib.storage import blobs, direct

    data = random_bytes(5000)
    digest = Digest("sha256", sha256(data).split(":")[1])
    key = blobs.blob_key(digest)
    blobs.put_bytes(digest, data)
    session = opened(client, repo, data)
    put(session["upload"], data)
    real = blobs.stored_size
    looks: list[str] = []

    def look_then_collect(looked: str) -> int | None:
        found = real(looked)
        if looked == key and not looks:
            looks.append(looked)
            guard.condemn([str(digest)], "run-direct-2")
            assert guard.claim(str(digest), "run-direct-2")
            s3.delete_object(Bucket=settings().bucket, Key=key)
            guard.mark_deleted([str(digest)], "run-direct-2")
        return found

    monkeypatch.setattr(direct.blobs, "stored_size", look_then_collect)
    assert_ok(complete(client, session), 201)
    assert looks == [key]
    assert s3.get_object(Bucket=settings().bucket, Key=key)["Body"].read() == data
    assert gone(session, s3)


# Where S3 enforces the signed checksum (BERTH_S3_ENFORCES_CHECKSUMS, the deployed stages),
# completion trusts the checksum S3 stored and reads nothing back. moto stores the checksum
# header it is sent without checking it, which lets these tests see each branch.


@pytest.fixture
def enforcing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Checksums trusted; yields the list of staging keys that were re-read."""
    from chalicelib.storage import direct_verify

    monkeypatch.setenv("BERTH_S3_ENFORCES_CHECKSUMS", "1")
    settings.cache_clear()
    reread: list[str] = []
    real = direct_verify._rehash

    def counting(item: Any, *args: Any) -> Any:
        reread.append(item.key)
        return real(item, *args)

    monkeypatch.setattr(direct_verify, "_rehash", counting)
    yield reread
    monkeypatch.undo()
    settings.cache_clear()


def test_stored_checksum_is_trusted_where_s3_enforces_it(
    client: Any, repo: str, s3: Any, enforcing: list[str]
) -> None:
    data = random_bytes(2 * MiB)
    session = opened(client, repo, data)
    put(session["upload"], data)
    head = s3.head_object(
        Bucket=settings().bucket, Key=session_key(session), ChecksumMode="ENABLED"
    )
    assert head["ChecksumSHA256"] == b64(data)
    assert_ok(complete(client, session), 201)
    assert enforcing == []  # nothing read back
    assert fetch_blob(client, s3, repo, sha256(data)) == data


def test_a_stored_checksum_other_than_the_digest_is_refused(
    client: Any, repo: str, s3: Any, enforcing: list[str]
) -> None:
    claimed, sent = random_bytes(MiB), random_bytes(MiB)
    session = opened(client, repo, claimed)
    # The checksum of what was sent, not the signed one (S3 would refuse the signature).
    headers = {**session["upload"]["headers"], "x-amz-checksum-sha256": b64(sent)}
    put({"url": session["upload"]["url"], "headers": headers}, sent)
    assert_error(complete(client, session), 400, "DIGEST_INVALID")
    assert enforcing == []
    assert blob_head(client, repo, sha256(claimed)).status_code == 404
    assert gone(session, s3)


def test_without_a_stored_checksum_it_is_rehashed(
    client: Any, repo: str, s3: Any, enforcing: list[str], small_parts: None
) -> None:
    data = random_bytes(13 * MiB)
    session = opened(client, repo, data)  # multipart: composite checksums are no digest
    pieces = [data[i : i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    asked = [{"partNumber": n, "checksumSHA256": b64(p)} for n, p in enumerate(pieces, 1)]
    answer = client.http.post(
        f"{session['location']}/parts", body=json.dumps({"parts": asked}).encode()
    )
    urls = json.loads(answer.body)["parts"]
    etags = [put(url, piece).headers["ETag"] for url, piece in zip(urls, pieces, strict=True)]
    listed = [
        {"partNumber": n, "etag": e, "checksumSHA256": asked[n - 1]["checksumSHA256"]}
        for n, e in enumerate(etags, 1)
    ]
    assert_ok(complete(client, session, listed), 201)
    assert enforcing == [session_key(session)]
    assert fetch_blob(client, s3, repo, sha256(data)) == data


# Streamed sessions: `berth proxy` relays a stock client that names the digest only at the end.


def streamed(client: Any, repo: str, part_size: int = 5 * MiB) -> dict[str, Any]:
    body = json.dumps({"streamed": True, "partSize": part_size}).encode()
    response = client.http.post(f"/v2/{repo}/_berth/s3-uploads", body=body)
    assert_ok(response, 202)
    document: dict[str, Any] = json.loads(response.body)
    return document


def put_parts(client: Any, session: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
    """Send `data` in parts of the session's size (one empty part for no data): the listing."""
    size = session["partSize"]
    pieces = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    asked = [{"partNumber": n, "checksumSHA256": b64(p)} for n, p in enumerate(pieces, 1)]
    answer = client.http.post(
        f"{session['location']}/parts", body=json.dumps({"parts": asked}).encode()
    )
    assert_ok(answer, 200)
    urls = json.loads(answer.body)["parts"]
    etags = [put(url, piece).headers["ETag"] for url, piece in zip(urls, pieces, strict=True)]
    return [
        {"partNumber": n, "etag": e, "checksumSHA256": b64(p)}
        for n, (e, p) in enumerate(zip(etags, pieces, strict=True), 1)
    ]


def declare(
    client: Any, session: dict[str, Any], parts: list[dict[str, Any]], digest: str, size: int
) -> Any:
    body = json.dumps({"parts": parts, "digest": digest, "size": size}).encode()
    return client.http.post(session["location"], body=body)


def test_a_streamed_session_declares_digest_and_size_at_completion(
    client: Any, repo: str, s3: Any
) -> None:
    assert json.loads(client.http.get(f"/v2/{repo}/_berth/s3-uploads").body)["streamed"] is True
    data = random_bytes(13 * MiB + 5)
    session = streamed(client, repo)
    assert session["streamed"] and session["multipart"] and session["partSize"] == 5 * MiB
    assert (session["digest"], session["size"], session["partCount"]) == (None, None, None)
    parts = put_parts(client, session, data)
    assert_error(complete(client, session, parts), 400, "BLOB_UPLOAD_INVALID")  # undeclared
    assert_error(declare(client, session, parts, "sha512:" + "0" * 128, len(data)), 400)
    assert_error(declare(client, session, parts[:2], sha256(data), len(data)), 400)
    assert_ok(declare(client, session, parts, sha256(data), len(data)), 201)
    assert fetch_blob(client, s3, repo, sha256(data)) == data
    assert gone(session, s3)


def test_a_streamed_session_keeps_its_first_declaration(client: Any, repo: str, s3: Any) -> None:
    """A repeated completion (an answer lost) must say the same: the first one is kept."""
    data = random_bytes(6 * MiB)
    session = streamed(client, repo)
    parts = put_parts(client, session, data)
    assert_error(declare(client, session, parts[:1], sha256(data), len(data)), 400)
    changed = declare(client, session, parts, sha256(data + b"x"), len(data) + 1)
    assert_error(changed, 400, "BLOB_UPLOAD_INVALID")
    assert_ok(declare(client, session, parts, sha256(data), len(data)), 201)


def test_a_streamed_session_that_lies_is_refused_and_leaves_nothing(
    client: Any, repo: str, s3: Any
) -> None:
    sent = random_bytes(11 * MiB)
    claimed = sha256(random_bytes(len(sent)))
    session = streamed(client, repo)
    parts = put_parts(client, session, sent)
    assert_error(declare(client, session, parts, claimed, len(sent)), 400, "DIGEST_INVALID")
    for digest in (claimed, sha256(sent)):
        assert blob_head(client, repo, digest).status_code == 404
    assert left_nothing(session, s3, claimed)


def test_a_streamed_empty_blob_and_bad_part_sizes(client: Any, repo: str, s3: Any) -> None:
    session = streamed(client, repo)
    assert_ok(declare(client, session, put_parts(client, session, b""), sha256(b""), 0), 201)
    assert fetch_blob(client, s3, repo, sha256(b"")) == b""
    for part_size in (MiB, 6 * 1024**3, "5MiB", True):
        body = json.dumps({"streamed": True, "partSize": part_size}).encode()
        response = client.http.post(f"/v2/{repo}/_berth/s3-uploads", body=body)
        assert_error(response, 400, "SIZE_INVALID")
