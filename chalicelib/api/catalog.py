"""`/v2/_catalog`: repository names in lexical order, paginated with n/last/Link."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.api.pagination import next_link, page_size
from chalicelib.storage import repositories

DEFAULT_PAGE = 100
MAX_PAGE = 1000


def get(request: HttpRequest, _name: str, _argument: str) -> Response:
    limit = page_size(request.arg("n"), default=DEFAULT_PAGE, maximum=MAX_PAGE)
    last = request.arg("last") or None
    names, more = repositories.list_names(last, limit) if limit else ([], False)
    headers = next_link("/v2/_catalog", n=limit, last=names[-1]) if more and names else {}
    return json_response(200, {"repositories": names}, headers)
