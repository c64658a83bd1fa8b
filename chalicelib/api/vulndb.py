"""Berth extension: `/v2/_berth/vulndb` (registry admin). GET says what the advisory database
holds; POST `{"advisories": [OSV records]}` adds a batch to the per-package index (the CLI's
`berth vulndb import` sends an export in batches that fit a request)."""

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
    index = index_advisories(a for a in advisories if isinstance(a, dict))
    state = vulndb.merge(index)
    return json_response(200, {"received": len(advisories), "indexKeys": len(index), **state})
