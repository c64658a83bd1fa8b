"""Berth extension `s3-uploads`: a client that knows it PUTs blob bytes straight to S3
through presigned URLs, then asks the registry to verify and link the blob (docs/push.md).

    GET    /v2/<name>/_berth/s3-uploads                  discovery document (limits)
    POST   /v2/<name>/_berth/s3-uploads                  {digest, size} -> a session (202);
                                                         or {streamed: true[, partSize]}: parts
                                                         only, digest and size at completion
    GET    /v2/<name>/_berth/s3-uploads/<id>             the session, a fresh single-PUT URL
    POST   /v2/<name>/_berth/s3-uploads/<id>/parts       {parts: [{partNumber, checksumSHA256}]}
    POST   /v2/<name>/_berth/s3-uploads/<id>             complete ({parts: [{partNumber, etag,
                                                         checksumSHA256}], and for a streamed
                                                         session digest and size}
                                                         for multipart): 201 linked, or 202
                                                         "verifying, call again"
    DELETE /v2/<name>/_berth/s3-uploads/<id>             cancel

Every route needs push on <name> (router.REQUIRES). `GET /v2/` and the upload POST advertise
the extension with `Berth-Extensions: s3-uploads`."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.api.locations import blob_location, direct_upload_location
from chalicelib.config import settings
from chalicelib.oci.digest import Digest, parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.s3_parts import PART_MIN, PARTS_MAX, SINGLE_PUT_MAX
from chalicelib.storage import direct
from chalicelib.storage.records import DirectSession

VERSION = 1
PARTS_PER_REQUEST = 1000
# A completion lists up to PARTS_MAX parts of about 130 bytes each; room for that, no more.
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024


def _document(request: HttpRequest) -> dict[str, Any]:
    document = json_body(request, "the body", limit=MAX_DOCUMENT_BYTES, code="BLOB_UPLOAD_INVALID")
    if not isinstance(document, dict):
        raise OCIError("BLOB_UPLOAD_INVALID", "the body is not a JSON object")
    return document


def _session(name: str, session: DirectSession) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": session.upload_id,
        "location": direct_upload_location(name, session.upload_id),
        "digest": None if session.digest is None else str(session.digest),
        "size": session.size,
        "multipart": session.multipart,
        "partSize": session.part_size,
        "partCount": session.part_count,
        "streamed": session.streamed,
        "expiresAt": session.expires_at,
        "verified": session.verified,
    }
    if session.single_put is not None:
        document["upload"] = session.single_put
    return document


def describe(request: HttpRequest, name: str, _argument: str) -> Response:
    config = settings()
    return json_response(
        200,
        {
            "extension": "s3-uploads",
            "version": VERSION,
            "start": f"/v2/{name}/_berth/s3-uploads",
            "digestAlgorithms": ["sha256"],
            "singlePutMax": min(config.s3_single_put_max, SINGLE_PUT_MAX),
            "partSize": config.s3_part_size,
            "partMin": PART_MIN,
            "partsMax": PARTS_MAX,
            "partsPerRequest": PARTS_PER_REQUEST,
            "urlSeconds": config.upload_url_ttl,
            "sessionSeconds": config.upload_ttl,
            "verification": "s3-checksum" if config.s3_enforces_checksums else "rehash",
            "streamed": True,
        },
    )


def start(request: HttpRequest, name: str, _argument: str) -> Response:
    document = _document(request)
    if document.get("streamed") is True:
        part_size = document.get("partSize")
        if part_size is not None and (
            not isinstance(part_size, int) or isinstance(part_size, bool)
        ):
            raise OCIError("SIZE_INVALID", "partSize must be a number of bytes")
        body = _session(name, direct.start_streamed(name, part_size))
        return json_response(202, body, {"Location": body["location"]})
    digest = parse_digest(
        document.get("digest") if isinstance(document.get("digest"), str) else None
    )
    size = document.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise OCIError("SIZE_INVALID", "size must be the blob's length in bytes")
    body = _session(name, direct.start(name, digest, size))
    return json_response(202, body, {"Location": body["location"]})


def status(request: HttpRequest, name: str, upload_id: str) -> Response:
    return json_response(200, _session(name, direct.describe(name, upload_id)))


def parts(request: HttpRequest, name: str, upload_id: str) -> Response:
    wanted = _document(request).get("parts")
    if not isinstance(wanted, list) or not 0 < len(wanted) <= PARTS_PER_REQUEST:
        raise OCIError(
            "BLOB_UPLOAD_INVALID", f"give 1 to {PARTS_PER_REQUEST} parts: [{{partNumber, ...}}]"
        )
    asked: list[tuple[int, str]] = []
    for entry in wanted:
        number = entry.get("partNumber") if isinstance(entry, dict) else None
        checksum = entry.get("checksumSHA256") if isinstance(entry, dict) else None
        if not isinstance(number, int) or isinstance(number, bool):
            raise OCIError("BLOB_UPLOAD_INVALID", "each part needs an integer partNumber")
        if not isinstance(checksum, str):
            raise OCIError("BLOB_UPLOAD_INVALID", f"part {number} needs its checksumSHA256")
        asked.append((number, checksum))
    return json_response(200, {"parts": direct.part_urls(name, upload_id, asked)})


def _declaring(document: dict[str, Any]) -> tuple[Digest, int] | None:
    """A streamed session's digest and size, as its completion gives them (None if absent)."""
    if "digest" not in document and "size" not in document:
        return None
    value = document.get("digest")
    digest = parse_digest(value if isinstance(value, str) else None)
    size = document.get("size")
    if not isinstance(size, int) or isinstance(size, bool):
        raise OCIError("SIZE_INVALID", "size must be the blob's length in bytes")
    return digest, size


def complete(request: HttpRequest, name: str, upload_id: str) -> Response:
    document = _document(request)
    listed = document.get("parts")
    if listed is not None and not (
        isinstance(listed, list) and all(isinstance(p, dict) for p in listed)
    ):
        raise OCIError(
            "BLOB_UPLOAD_INVALID", "parts must be a list of {partNumber, etag, checksumSHA256}"
        )
    outcome = direct.complete(name, upload_id, listed, _declaring(document))
    if isinstance(outcome, direct.Verifying):
        where = direct_upload_location(name, upload_id)
        return json_response(
            202,
            {"verified": outcome.verified, "size": outcome.size, "location": where},
            {"Location": where},
        )
    return json_response(
        201,
        {"digest": str(outcome.digest), "size": outcome.size},
        {
            "Location": blob_location(name, outcome.digest),
            "Docker-Content-Digest": str(outcome.digest),
        },
    )


def cancel(request: HttpRequest, name: str, upload_id: str) -> Response:
    direct.cancel(name, upload_id)
    return json_response(204, {}, {"Content-Length": "0"})
