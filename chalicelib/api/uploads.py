"""`/v2/<name>/blobs/uploads/`: monolithic, POST+PUT and chunked uploads, mounts, status."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.base import EXTENSIONS_HEADER
from chalicelib.api.http import HttpRequest, respond
from chalicelib.api.locations import blob_location, upload_location
from chalicelib.oci.content_range import parse_content_range, range_header
from chalicelib.oci.digest import Digest, compute, parse_algorithm, parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import check_name
from chalicelib.storage import blobs, uploads

# Chunks this small or smaller still work, but each becomes its own S3 object until 5 MiB
# have gathered for a multipart part; clients that honour this send fewer, larger ones.
CHUNK_MIN_LENGTH = 1024 * 1024


def _blob_created(name: str, digest: Digest) -> Response:
    return respond(
        201,
        {
            "Location": blob_location(name, digest),
            "Docker-Content-Digest": str(digest),
            "Content-Length": "0",
        },
    )


def _session_headers(name: str, upload_id: str, offset: int) -> dict[str, str]:
    return {
        "Location": upload_location(name, upload_id),
        "Range": range_header(offset),
        "Docker-Upload-UUID": upload_id,
        "Content-Length": "0",
    }


def _check_length(request: HttpRequest) -> None:
    declared = request.header("content-length")
    if declared is not None and declared.isdigit() and int(declared) != len(request.body):
        raise OCIError(
            "SIZE_INVALID",
            f"Content-Length is {declared} but {len(request.body)} bytes arrived",
        )


def start(request: HttpRequest, name: str, _argument: str) -> Response:
    mount = request.arg("mount")
    if mount is not None:
        mounted = _mount(name, mount, request.arg("from"))
        if mounted is not None:
            return mounted
    digest_arg = request.arg("digest")
    if digest_arg is not None:
        return _monolithic(request, name, parse_digest(digest_arg))
    algorithm = parse_algorithm(request.arg("digest-algorithm"))
    session = uploads.open_session(name, algorithm)
    headers = _session_headers(name, session.upload_id, session.offset)
    headers["OCI-Chunk-Min-Length"] = str(CHUNK_MIN_LENGTH)
    headers.update(EXTENSIONS_HEADER)
    return respond(202, headers)


def _mount(name: str, mount: str, source: str | None) -> Response | None:
    """Link a blob of `source` into `name`; None (open a session instead) if it cannot be."""
    digest = parse_digest(mount, what="mount digest")
    if not source:
        return None
    check_name(source)
    link = blobs.get_link(source, digest)
    if link is None:
        return None
    if not blobs.link_stored(name, digest, link.size, link.s3_key, fresh=False, restore=None):
        return None  # collected meanwhile: the client uploads it instead
    return _blob_created(name, digest)


def _monolithic(request: HttpRequest, name: str, digest: Digest) -> Response:
    _check_length(request)
    actual = compute(request.body, digest.algorithm)
    if actual != digest:
        raise OCIError(
            "DIGEST_INVALID",
            f"content has digest {actual}, not {digest}",
            detail={"expected": str(digest), "actual": str(actual)},
        )
    blobs.commit_bytes(name, digest, request.body)
    return _blob_created(name, digest)


def _chunk_start(request: HttpRequest) -> int | None:
    value = request.header("content-range")
    if value is None:
        return None
    chunk = parse_content_range(value)
    if chunk.length != len(request.body):
        raise OCIError(
            "SIZE_INVALID",
            f"Content-Range {value} covers {chunk.length} bytes but {len(request.body)} arrived",
            status=416,
        )
    return chunk.start


def patch(request: HttpRequest, name: str, upload_id: str) -> Response:
    _check_length(request)
    start_at = _chunk_start(request)
    session = uploads.append(name, upload_id, request.body, start_at)
    return respond(202, _session_headers(name, upload_id, session.offset))


def finish(request: HttpRequest, name: str, upload_id: str) -> Response:
    digest = parse_digest(request.arg("digest"))
    _check_length(request)
    start_at = _chunk_start(request) if request.body else None
    finished = uploads.finish(name, upload_id, request.body, start_at, digest)
    return _blob_created(name, finished.digest)


def status(request: HttpRequest, name: str, upload_id: str) -> Response:
    session = uploads.state(name, upload_id)
    return respond(204, _session_headers(name, upload_id, session.offset))


def cancel(request: HttpRequest, name: str, upload_id: str) -> Response:
    uploads.cancel(name, upload_id)
    return respond(204, {"Content-Length": "0"})
