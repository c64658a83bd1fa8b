"""Berth extension: `/v2/_berth/repositories[?exact=1]` — repositories with their size
(bytes of distinct blob links plus manifests), blob, manifest and tag counts and last push;
paginated like `_catalog`, over the repositories the caller may pull.

A page is one query: the counters live on the repository items (storage/accounting.py).
`exact=1` recounts each repository from its items instead (a few queries each)."""

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
    exact = (request.arg("exact") or "").lower() in ("1", "true", "yes")
    visible = request.access.may_pull if request.access is not None else None  # auth on
    found, more = (
        accounting.list_usage(last, limit, exact=exact, visible=visible) if limit else ([], False)
    )
    headers = {}
    if more and found:  # the last VISIBLE name: the Link never names what the caller cannot see
        query = {"exact": "1"} if exact else {}
        headers = next_link("/v2/_berth/repositories", n=limit, last=found[-1].name, **query)
    return json_response(200, {"repositories": [u.document() for u in found]}, headers)
