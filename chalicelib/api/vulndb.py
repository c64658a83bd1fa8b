"""Berth extension: `/v2/_berth/vulndb` (registry admin). GET says what the advisory database
holds; POST `{"advisories": [OSV records]}` adds a batch to the per-package index (the CLI's
`berth vulndb import` sends an export in batches that fit a request). Each batch that adds
something bumps the database's version; `"rescan": true` (the import's last request) queues a
rescan of every stored image against it (chalicelib/scanner/rescan.py)."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.oci.errors import OCIError
from chalicelib.storage import vulndb

# Under the Lambda request limit (6 MB) with room for JSON escaping.
MAX_BATCH = 5 * 1000 * 1000


def get(request: HttpRequest, _name: str, _argument: str) -> Response:
    return json_response(200, vulndb.state(), head=request.method == "HEAD")


def post(request: HttpRequest, _name: str, _argument: str) -> Response:
    from chalicelib.scanning.advisory_index import index_advisories

    document = json_body(request, "the advisory batch", limit=MAX_BATCH)
    advisories = document.get("advisories") if isinstance(document, dict) else None
    if not isinstance(advisories, list):
        raise OCIError("UNSUPPORTED", 'the body must be {"advisories": [OSV records]}', status=400)
    rescan_now = document.get("rescan", False)
    if not isinstance(rescan_now, bool):
        raise OCIError("UNSUPPORTED", '"rescan" must be true or false', status=400)
    index = index_advisories(a for a in advisories if isinstance(a, dict))
    state = vulndb.merge(index) if index else vulndb.state()
    if rescan_now:
        _start_rescan(int(state["version"]))
    return json_response(200, {"received": len(advisories), "indexKeys": len(index), **state})


def _start_rescan(version: int) -> None:
    from chalicelib.scanner import rescan

    try:
        rescan.start(version)  # every stored image, against the database as it is now
    except Exception as error:  # stored, but no rescan queued: the retried request queues one
        raise OCIError(
            "UNAVAILABLE",
            "the advisories are stored but the rescan could not be queued; send the request "
            f"again ({type(error).__name__})",
            status=503,
        ) from error
