"""Berth extension: `POST /v2/_berth/vulndb/sync` (registry admin) — run the OSV sync now
(chalicelib/scanner/osv_sync.py), as the schedule does, and answer what it did. The body may
name another source: `{"sourceBucket": "my-osv-mirror", "source": "s3", "ecosystems":
["Debian", "PyPI"]}`; a source is a bucket name on Google Cloud Storage (`gcs`, read
anonymously) or on this registry's S3 (`s3`), never a URL, so the registry is not made to
fetch from an address a caller chose."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.oci.errors import OCIError


def post(request: HttpRequest, _name: str, _argument: str) -> Response:
    from chalicelib.scanner import osv_sync

    document = json_body(request, "the sync request") if request.body else {}
    if not isinstance(document, dict):
        raise OCIError("UNSUPPORTED", "the body must be a JSON object", status=400)
    default = osv_sync.configured()
    bucket = document.get("sourceBucket", default.bucket)
    kind = document.get("source", "gcs" if bucket == osv_sync.DEFAULT_BUCKET else "s3")
    ecosystems = document.get("ecosystems")
    if not isinstance(bucket, str) or not isinstance(kind, str):
        raise OCIError("UNSUPPORTED", "sourceBucket and source must be text", status=400)
    if ecosystems is not None and (
        not isinstance(ecosystems, list) or not all(isinstance(e, str) for e in ecosystems)
    ):
        raise OCIError("UNSUPPORTED", "ecosystems must be a list of names", status=400)
    try:
        chosen = osv_sync.source(bucket, kind, tuple(ecosystems) if ecosystems else None)
    except osv_sync.SyncError as error:
        raise OCIError("UNSUPPORTED", f"sync: {error}", status=400) from None
    report = osv_sync.sync(chosen)
    return json_response(200, report.document())
