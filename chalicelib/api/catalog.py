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
    names, more = _visible(request, last, limit) if limit else ([], False)
    headers = next_link("/v2/_catalog", n=limit, last=names[-1]) if more and names else {}
    return json_response(200, {"repositories": names}, headers)


def _visible(request: HttpRequest, last: str | None, limit: int) -> tuple[list[str], bool]:
    """A page of the names the caller may pull (all of them when auth is off)."""
    access = request.access
    if access is None:
        return repositories.list_names(last, limit)
    out: list[str] = []
    after = last
    while True:
        names, more = repositories.list_names(after, limit)
        for i, name in enumerate(names):
            if access.may_pull(name):
                out.append(name)
                if len(out) == limit:
                    return out, more or i < len(names) - 1
        if not more or not names:
            return out, False
        after = names[-1]
