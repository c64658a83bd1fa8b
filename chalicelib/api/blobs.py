"""`/v2/<name>/blobs/<digest>`: GET and HEAD answer from the repository's link; GET redirects
to a short-lived presigned S3 URL so layer bytes never pass through the function (a
pull-through cache's first GET may redirect to upstream's storage instead: docs/cache.md)."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, respond
from chalicelib.cache import pull_through
from chalicelib.oci.digest import parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.storage import blobs


def _unknown(name: str, digest: str) -> OCIError:
    return OCIError(
        "BLOB_UNKNOWN", f"blob {digest} is not in repository {name}", detail={"digest": digest}
    )


def get(request: HttpRequest, name: str, reference: str) -> Response:
    digest = parse_digest(reference)
    headers = {"Docker-Content-Digest": str(digest)}
    link = blobs.get_link(name, digest)
    if link is None:
        found = pull_through.blob(name, digest, send_upstream=request.method == "GET")
        if isinstance(found, str):  # a cache's first pull: upstream's storage, being filled
            return respond(307, {**headers, "Location": found, "Content-Length": "0"})
        link = found
    if link is None:
        raise _unknown(name, str(digest))
    if request.method == "HEAD":
        headers["Content-Length"] = str(link.size)
        return respond(200, headers, head=True)
    headers["Location"] = blobs.presign_get(link.s3_key)
    headers["Content-Length"] = "0"
    request.redirected_bytes = link.size
    return respond(307, headers)


def delete(request: HttpRequest, name: str, reference: str) -> Response:
    from chalicelib.audit import record

    digest = parse_digest(reference)
    event = record.event(
        request, "delete", repository=name, digest=str(digest), detail={"blob": True}
    )
    from chalicelib.storage import blob_deletion

    if not blob_deletion.delete(name, digest, event):
        raise _unknown(name, str(digest))
    return respond(202, {"Content-Length": "0"})
