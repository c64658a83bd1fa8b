"""Direct-to-S3 upload sessions: the client PUTs a blob's bytes to S3 through presigned URLs,
then the registry verifies them and links the blob.

Nothing a client uploads is ever visible before it is verified: the URLs name a staging
object bound to the session (`uploads/<id>/blob`, the session `U#<id>`/`S3` records the
repository, digest, size and expiry), never the blob's content address. Completion:

1. multipart sessions: complete the S3 multipart upload from the client's part list (after
   that the staging object cannot be written again: the part URLs die with the upload);
2. verify: the size always; the SHA-256 by the checksum S3 stored where S3 enforces it
   (single PUTs in AWS: `BERTH_S3_ENFORCES_CHECKSUMS`), else by re-reading and hashing the
   object (moto, and multipart objects, whose checksum is composite). Re-hashing resumes
   across requests (the hash state is saved in the session) so each request stays inside a
   time budget; every read is conditioned on the ETag first seen, and a changed object
   starts the hash over;
3. copy the verified object to the content address `blobs/sha256/<hex>` server-side
   (UploadPartCopy, completed with If-None-Match: written once), conditioned on the ETag,
   and link the blob into the session's repository only;
4. delete the staging object and the session.

A failed verification deletes the staging object and the session: nothing is linked.
Sessions never completed expire (TTL); garbage collection deletes their staging objects and
aborts their multipart uploads (chalicelib/gc/collect.py).
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, FlexibleChecksumError
from pynamodb.exceptions import UpdateError

from chalicelib.config import settings
from chalicelib.oci.digest import Digest, new_hasher
from chalicelib.oci.errors import OCIError
from chalicelib.oci.s3_parts import (
    PART_MAX,
    PART_MIN,
    PARTS_MAX,
    SINGLE_PUT_MAX,
    PartPlan,
    checksum_of,
    hex_of,
    matches_composite,
    plan_parts,
)
from chalicelib.storage import aws, blobs, keys
from chalicelib.storage.clock import epoch, now
from chalicelib.storage.models import DirectUploadItem
from chalicelib.storage.transactions import condition_failed

MiB = 1024 * 1024
READ_PIECE = 8 * MiB
COPY_PART_MIN = 256 * MiB  # server-side copies: few, large parts, several at a time
COPY_WORKERS = 8
_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class Linked:
    digest: Digest
    size: int


@dataclass(frozen=True, slots=True)
class Verifying:
    """Completion is under way: call again (the hash has covered `verified` bytes)."""

    verified: int
    size: int


def location(repo: str, upload_id: str) -> str:
    return f"/v2/{repo}/_berth/s3-uploads/{upload_id}"


def upload_id_of(item: DirectUploadItem) -> str:
    return keys.upload_id_of(item.pk)


def declared(item: DirectUploadItem) -> bool:
    """Whether the session knows its digest and size (a streamed one learns them at the end)."""
    return bool(item.digest)


def plan_of(item: DirectUploadItem) -> PartPlan:
    size, part = int(item.size), int(item.part_size)
    if not declared(item):
        return PartPlan(0, part, PARTS_MAX, True)  # any part number S3 takes, until completion
    if item.multipart_id is None:
        return PartPlan(size, size, 1, False)
    return PartPlan(size, part, max(1, -(-size // part)), True)  # an empty one: one part


def _unknown(upload_id: str) -> OCIError:
    return OCIError("BLOB_UPLOAD_UNKNOWN", f"direct upload {upload_id[:64]!r} is not known")


def open_session(repo: str, digest: Digest, size: int) -> DirectUploadItem:
    """A new session for `size` bytes of `digest`: one PUT, or an S3 multipart upload (opened
    here, with SHA-256 part checksums) for blobs over the single-PUT limit."""
    if digest.algorithm != "sha256":
        raise OCIError(
            "DIGEST_INVALID",
            "direct uploads take sha256 digests (S3's checksum); use the upload API for others",
        )
    config = settings()
    try:
        plan = plan_parts(
            size, single_put_max=config.s3_single_put_max, preferred=config.s3_part_size
        )
    except ValueError as error:
        raise OCIError("SIZE_INVALID", str(error)) from None
    return _create(repo, str(digest), size, plan.part_size, multipart=plan.multipart)


def open_streamed(repo: str, part_size: int | None = None) -> DirectUploadItem:
    """A session for bytes whose digest and size the client learns only as it sends them
    (`berth proxy` relaying a stock client's streamed PATCH): an S3 multipart upload from the
    start, parts of `part_size` bytes (the last one smaller), the digest and size declared
    at completion and verified like any multipart upload's (composite checksum, re-hash)."""
    part = settings().s3_part_size if part_size is None else part_size
    if not PART_MIN <= part <= PART_MAX:
        raise OCIError("SIZE_INVALID", f"partSize must be {PART_MIN} to {PART_MAX} bytes")
    return _create(repo, "", 0, part, multipart=True, streamed=True)


def _create(
    repo: str, digest: str, size: int, part_size: int, *, multipart: bool, streamed: bool = False
) -> DirectUploadItem:
    config = settings()
    upload_id = uuid.uuid4().hex
    key = f"uploads/{upload_id}/blob"
    item = DirectUploadItem(
        keys.upload_pk(upload_id),
        keys.DIRECT_UPLOAD_SK,
        repository=repo,
        digest=digest,
        size=size,
        key=key,
        part_size=part_size,
        streamed=streamed or None,
        created_at=now(),
        expires_at=epoch() + config.upload_ttl,
    )
    item.save(condition=DirectUploadItem.pk.does_not_exist())
    if multipart:
        # After the session item: a collection that lists this upload sees its session live
        # (garbage collection lists multipart uploads before it scans the table).
        multipart_id = None
        try:
            multipart_id = aws.s3().create_multipart_upload(
                Bucket=config.bucket, Key=key, ChecksumAlgorithm="SHA256"
            )["UploadId"]
            item.update(
                actions=[DirectUploadItem.multipart_id.set(multipart_id)],
                condition=DirectUploadItem.pk.exists(),
            )
        except BaseException:
            if multipart_id is not None:
                _abort(key, multipart_id)
            with contextlib.suppress(Exception):
                item.delete()
            raise
    return item


def get_session(repo: str, upload_id: str) -> DirectUploadItem:
    """The live session `upload_id` of `repo`; BLOB_UPLOAD_UNKNOWN for another repository's
    (a session is bound to the repository it was opened in)."""
    if not _ID.match(upload_id):
        raise _unknown(upload_id)
    try:
        item = DirectUploadItem.get(
            keys.upload_pk(upload_id), keys.DIRECT_UPLOAD_SK, consistent_read=True
        )
    except DirectUploadItem.DoesNotExist:
        raise _unknown(upload_id) from None
    if item.repository != repo or item.expires_at < epoch():
        raise _unknown(upload_id)
    return item


def _url_ttl(item: DirectUploadItem) -> int:
    return max(1, min(settings().upload_url_ttl, int(item.expires_at) - epoch()))


def single_put(item: DirectUploadItem) -> dict[str, Any]:
    """The presigned PUT of a single-PUT session: S3 refuses a body whose SHA-256 is not the
    digest, since the checksum header is signed (presigning makes no AWS call)."""
    if item.multipart_id is not None:
        raise OCIError("BLOB_UPLOAD_INVALID", "this upload goes in parts: ask for part URLs")
    checksum = checksum_of(item.digest.partition(":")[2])
    params = {"Bucket": settings().bucket, "Key": item.key, **_checksum_params(checksum)}
    url = aws.presigner().generate_presigned_url(
        "put_object", Params=params, ExpiresIn=_url_ttl(item)
    )
    return {"method": "PUT", "url": url, "headers": _checksum_headers(checksum)}


def _checksum_params(checksum: str) -> dict[str, str]:
    # The algorithm header too: S3 needs only the checksum, but S3 stand-ins (moto) store a
    # checksum only when told its algorithm, and HeadObject should show what was signed.
    return {"ChecksumSHA256": checksum, "ChecksumAlgorithm": "SHA256"}


def _checksum_headers(checksum: str) -> dict[str, str]:
    return {"x-amz-checksum-sha256": checksum, "x-amz-sdk-checksum-algorithm": "SHA256"}


def part_puts(item: DirectUploadItem, wanted: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Presigned UploadPart URLs for parts (number, base64 SHA-256): each part's checksum is
    signed in, and S3 refuses other bytes for that part (the multipart upload was opened
    with SHA-256 checksums, so S3 wants one with every part, and in the completion)."""
    if item.multipart_id is None:
        raise OCIError("BLOB_UPLOAD_INVALID", "this upload is one PUT: it has no parts")
    plan = plan_of(item)
    presigner = aws.presigner()
    ttl = _url_ttl(item)
    answer = []
    for number, checksum in wanted:
        if not 1 <= number <= plan.count:
            raise OCIError(
                "BLOB_UPLOAD_INVALID", f"part {number} is not between 1 and {plan.count}"
            )
        params: dict[str, Any] = {
            "Bucket": settings().bucket,
            "Key": item.key,
            "UploadId": item.multipart_id,
            "PartNumber": number,
        }
        if hex_of(checksum) is None:
            raise OCIError(
                "BLOB_UPLOAD_INVALID", f"part {number}: {checksum[:60]!r} is not a SHA-256"
            )
        params.update(_checksum_params(checksum))
        headers = _checksum_headers(checksum)
        url = presigner.generate_presigned_url("upload_part", Params=params, ExpiresIn=ttl)
        answer.append({"partNumber": number, "method": "PUT", "url": url, "headers": headers})
    return answer


def complete(
    repo: str,
    upload_id: str,
    parts: list[dict[str, Any]] | None,
    declaring: tuple[Digest, int] | None = None,
) -> Linked | Verifying:
    """Verify the uploaded bytes and link the blob into `repo`, or say how far it got.
    `declaring`: a streamed session's digest and size (given with every completion)."""
    started = time.monotonic()
    item = get_session(repo, upload_id)
    if item.streamed:
        _declare(item, declaring)
    if item.multipart_id is not None and not item.assembled:
        _assemble(item, parts)
    digest = Digest("sha256", item.digest.partition(":")[2])
    etag = _verify(item, digest, started + settings().verify_seconds)
    if etag is None:
        return Verifying(int(item.verified or 0), int(item.size))
    size = int(item.size)
    # The staging object goes only after the commit: the copy may have to run again.
    blobs.commit(repo, digest, size, lambda key: _copy(item, etag, key), look_first=True)
    _forget(item)
    return Linked(digest, size)


def cancel(repo: str, upload_id: str) -> None:
    _forget(get_session(repo, upload_id))


# Completion's steps.


def _declare(item: DirectUploadItem, declaring: tuple[Digest, int] | None) -> None:
    """Record a streamed session's digest and size, once: a repeated completion (an answer
    lost, or still verifying) must declare the same, or it is refused."""
    if declaring is None:
        raise OCIError(
            "BLOB_UPLOAD_INVALID", "a streamed upload is completed with its digest and size"
        )
    digest, size = declaring
    if digest.algorithm != "sha256":
        raise OCIError("DIGEST_INVALID", "direct uploads take sha256 digests (S3's checksum)")
    largest = int(item.part_size) * PARTS_MAX
    if not 0 <= size <= largest:
        raise OCIError("SIZE_INVALID", f"a streamed upload of these parts holds 0 to {largest}")
    if not declared(item):
        try:
            item.update(
                actions=[DirectUploadItem.digest.set(str(digest)), DirectUploadItem.size.set(size)],
                condition=(DirectUploadItem.digest == "") & DirectUploadItem.pk.exists(),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            item.refresh(consistent_read=True)  # declared meanwhile, or gone
    if item.digest != str(digest) or int(item.size) != size:
        raise OCIError(
            "BLOB_UPLOAD_INVALID",
            f"this upload was declared as {item.digest} of {int(item.size)} bytes",
        )


def _client_error(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def _assemble(item: DirectUploadItem, parts: list[dict[str, Any]] | None) -> None:
    """Complete the staging multipart upload from the client's (number, ETag) list."""
    plan = plan_of(item)
    if not parts:
        raise OCIError("BLOB_UPLOAD_INVALID", f"completion needs the {plan.count} parts' ETags")
    listed = []
    for expected, part in enumerate(parts, start=1):
        number, etag = part.get("partNumber"), part.get("etag")
        checksum = part.get("checksumSHA256")
        if number != expected or not isinstance(etag, str) or not isinstance(checksum, str):
            raise OCIError(
                "BLOB_UPLOAD_INVALID",
                f"part {expected}: give partNumber {expected}, its etag and its checksumSHA256",
            )
        if hex_of(checksum) is None:
            raise OCIError(
                "BLOB_UPLOAD_INVALID", f"part {expected}: {checksum[:60]!r} is not a SHA-256"
            )
        listed.append({"PartNumber": number, "ETag": etag, "ChecksumSHA256": checksum})
    if len(listed) != plan.count:
        raise OCIError("BLOB_UPLOAD_INVALID", f"{len(listed)} parts listed, {plan.count} planned")
    try:
        aws.s3().complete_multipart_upload(
            Bucket=settings().bucket,
            Key=item.key,
            UploadId=item.multipart_id,
            MultipartUpload={"Parts": listed},
        )
    except ClientError as error:
        code = _client_error(error)
        if code == "NoSuchUpload" and blobs.stored_size(item.key) is not None:
            pass  # completed by an earlier attempt whose answer was lost
        elif code == "NoSuchUpload":
            _forget(item)
            raise OCIError("BLOB_UPLOAD_UNKNOWN", "the S3 multipart upload is gone") from None
        else:
            raise OCIError(
                "BLOB_UPLOAD_INVALID", f"S3 refused the parts: {code}; upload them again"
            ) from None
    _check_parts(item, [part["ChecksumSHA256"] for part in listed])
    try:  # never an upsert: a session cancelled meanwhile stays gone
        item.update(
            actions=[DirectUploadItem.assembled.set(True)],
            condition=DirectUploadItem.pk.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise _unknown(upload_id_of(item)) from None
        raise


def _check_parts(item: DirectUploadItem, listed: list[str]) -> None:
    """The assembled object's composite checksum, as S3 computed it from the bytes each part
    received, must be the one the listed part checksums give. Re-hashing the whole object is
    not enough: parts that S3 filled by a server-side copy of another repository's blob hold
    that blob's bytes, so the object verifies, though the client never had them and signed
    other checksums (issue 11, D3). A client that uploaded its parts knows their checksums;
    one that did not cannot list them."""
    head = aws.s3().head_object(Bucket=settings().bucket, Key=item.key, ChecksumMode="ENABLED")
    stored = head.get("ChecksumSHA256")
    if stored is None or not matches_composite(str(stored), listed):
        raise _refuse(
            item, "DIGEST_INVALID",
            "the parts S3 holds are not the bytes of the listed part checksums",
        )  # fmt: skip


def _refuse(item: DirectUploadItem, code: str, message: str, detail: Any = None) -> OCIError:
    _forget(item)
    return OCIError(code, f"{message}; the upload is discarded", detail=detail)


def _verify(item: DirectUploadItem, digest: Digest, deadline: float) -> str | None:
    """The ETag of the verified staging object; None if the time budget ran out first (the
    hash state is saved); raises (and discards the upload) if the content is not the blob."""
    s3 = aws.s3()
    bucket = settings().bucket
    try:
        head = s3.head_object(Bucket=bucket, Key=item.key, ChecksumMode="ENABLED")
    except ClientError as error:
        if _client_error(error) in ("404", "NoSuchKey", "NotFound"):
            raise OCIError(
                "BLOB_UPLOAD_INVALID", "nothing has been uploaded to this session's URL yet"
            ) from None
        raise
    size, etag = int(head["ContentLength"]), str(head["ETag"])
    if size != int(item.size):
        raise _refuse(
            item, "SIZE_INVALID", f"{size} bytes were uploaded, not {int(item.size)}",
            detail={"declared": int(item.size), "uploaded": size},
        )  # fmt: skip
    stored = head.get("ChecksumSHA256")
    if settings().s3_enforces_checksums and item.multipart_id is None and stored:
        found = hex_of(str(stored))
        if found is not None:
            if found != digest.hex:
                raise _refuse(item, "DIGEST_INVALID", f"S3 holds sha256:{found}, not {digest}")
            return etag
    return _rehash(item, digest, etag, deadline)


def _rehash(item: DirectUploadItem, digest: Digest, etag: str, deadline: float) -> str | None:
    """Hash the staging object from where the last request stopped until `deadline`. A
    request that reads the last byte after its deadline saves the finished state and leaves
    the copy to the next one, so no request runs much past the budget."""
    same = item.etag == etag and item.hash_state is not None
    offset = int(item.verified or 0) if same else 0
    hasher = new_hasher("sha256", item.hash_state if same else None)
    size = int(item.size)
    if offset < size:
        try:
            body = aws.s3().get_object(
                Bucket=settings().bucket,
                Key=item.key,
                Range=f"bytes={offset}-{size - 1}",
                IfMatch=etag,
            )["Body"]
        except ClientError as error:
            if _client_error(error) == "PreconditionFailed":
                raise OCIError(
                    "BLOB_UPLOAD_INVALID", "the upload changed while it was read; complete again"
                ) from None
            raise
        try:
            with contextlib.closing(body):
                for piece in body.iter_chunks(READ_PIECE):
                    hasher.update(piece)
                    offset += len(piece)
                    if time.monotonic() > deadline and offset < size:
                        break
        except FlexibleChecksumError:
            # botocore checks a whole object read against the checksum stored with it (the
            # signed one, the digest's): the bytes are not those.
            raise _refuse(item, "DIGEST_INVALID", f"content is not {digest}") from None
    late = time.monotonic() > deadline and not (same and item.verified == size)
    if offset < size or late:
        _save_progress(item, etag, offset, hasher.serialize())
        return None
    actual = hasher.finalize()
    if actual != digest.hex:
        raise _refuse(
            item, "DIGEST_INVALID", f"content has digest sha256:{actual}, not {digest}",
            detail={"expected": str(digest), "actual": f"sha256:{actual}"},
        )  # fmt: skip
    return etag


def _save_progress(item: DirectUploadItem, etag: str, offset: int, state: bytes) -> None:
    before = item.verified
    condition = (
        DirectUploadItem.verified.does_not_exist()
        if before is None
        else DirectUploadItem.verified == before
    )
    try:
        item.update(
            actions=[
                DirectUploadItem.etag.set(etag),
                DirectUploadItem.verified.set(offset),
                DirectUploadItem.hash_state.set(state),
                DirectUploadItem.expires_at.set(epoch() + settings().upload_ttl),
            ],
            condition=condition & DirectUploadItem.pk.exists(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise  # else another request moved it on meanwhile: its state stands


def _copy(item: DirectUploadItem, etag: str, key: str) -> None:
    """Copy the verified staging object to `key` server-side, written once (If-None-Match),
    each part conditioned on the ETag that was verified."""
    s3 = aws.s3()
    bucket = settings().bucket
    size = int(item.size)
    if size == 0:
        blobs.put_bytes(Digest("sha256", item.digest.partition(":")[2]), b"")
        return
    if size <= SINGLE_PUT_MAX:
        # One server-side copy; S3 computes the full object's SHA-256 on the way.
        s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource={"Bucket": bucket, "Key": item.key},
            CopySourceIfMatch=etag,
            IfNoneMatch="*",
            ChecksumAlgorithm="SHA256",
        )
        _check_unchanged(item, etag, written=key)
        return
    part = max(COPY_PART_MIN, -(-size // 10_000))
    ranges = [
        (n, start, min(size, start + part) - 1) for n, start in enumerate(range(0, size, part), 1)
    ]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]

    def copy(numbered: tuple[int, int, int]) -> dict[str, Any]:
        number, first, last = numbered
        result = s3.upload_part_copy(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            CopySource={"Bucket": bucket, "Key": item.key},
            CopySourceRange=f"bytes={first}-{last}",
            CopySourceIfMatch=etag,
        )
        return {"PartNumber": number, "ETag": result["CopyPartResult"]["ETag"]}

    try:
        with ThreadPoolExecutor(max_workers=min(COPY_WORKERS, len(ranges))) as pool:
            copied = list(pool.map(copy, ranges))
        _check_unchanged(item, etag)
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": copied},
            IfNoneMatch="*",
        )
    except BaseException:
        with contextlib.suppress(Exception):
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise


def _check_unchanged(item: DirectUploadItem, etag: str, written: str | None = None) -> None:
    """Not every S3 stand-in honours CopySourceIfMatch or a copy's If-None-Match (moto honours
    neither): look at the staging object once more. If it changed since it was verified, what
    was copied to `written` (the content address, not linked yet) may be other bytes: delete
    it and refuse. (Real S3 refuses the copy itself; there, this look never fails.)"""
    s3 = aws.s3()
    bucket = settings().bucket
    if str(s3.head_object(Bucket=bucket, Key=item.key)["ETag"]) == etag:
        return
    if written is not None:
        s3.delete_object(Bucket=bucket, Key=written)
    raise OCIError("BLOB_UPLOAD_INVALID", "the upload changed while it was copied; complete again")


def _abort(key: str, multipart_id: str) -> None:
    with contextlib.suppress(Exception):
        aws.s3().abort_multipart_upload(Bucket=settings().bucket, Key=key, UploadId=multipart_id)


def _forget(item: DirectUploadItem) -> None:
    """Delete the session's S3 state (multipart upload, staging object) and the session."""
    if item.multipart_id is not None and not item.assembled:
        _abort(item.key, item.multipart_id)
    with contextlib.suppress(Exception):
        aws.s3().delete_object(Bucket=settings().bucket, Key=item.key)
    with contextlib.suppress(Exception):
        item.delete()
