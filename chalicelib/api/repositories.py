"""Berth extension: `/v2/_berth/repositories` — repositories with their size (deduplicated
bytes), blob, manifest and tag counts and last push; paginated like `_catalog`.

Each entry costs a few queries (see storage/accounting.py), so pages are small."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.api.pagination import next_link, page_size
from chalicelib.storage import accounting

DEFAULT_PAGE = 20
MAX_PAGE = 100


def get(request: HttpRequest, _name: str, _argument: str) -> Response:
    limit = page_size(request.arg("n"), default=DEFAULT_PAGE, maximum=MAX_PAGE)
    last = request.arg("last") or None
    found, more = accounting.list_usage(last, limit) if limit else ([], False)
    headers = {}
    if more and found:
        headers = next_link("/v2/_berth/repositories", n=limit, last=found[-1].name)
    if request.access is not None:  # auth on: only what the caller may pull (pages may be short)
        found = [usage for usage in found if request.access.may_pull(usage.name)]
    return json_response(200, {"repositories": [u.document() for u in found]}, headers)
