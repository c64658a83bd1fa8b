"""`/v2/<name>/tags/list`: tags in byte ("ASCIIbetical") order, paginated with n/last/Link."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.api.pagination import next_link, page_size
from chalicelib.oci.errors import OCIError
from chalicelib.storage import repositories, tags

DEFAULT_PAGE = 1000
MAX_PAGE = 1000


def get(request: HttpRequest, name: str, _argument: str) -> Response:
    limit = page_size(request.arg("n"), default=DEFAULT_PAGE, maximum=MAX_PAGE)
    last = request.arg("last") or None
    if limit == 0:
        names: list[str] = []
        more = False
    else:
        names, more = tags.list_names(name, last, limit)
    if not names and last is None and not repositories.exists(name):
        raise OCIError("NAME_UNKNOWN", f"repository {name} is not known")
    headers = {}
    if more and names:
        headers = next_link(f"/v2/{name}/tags/list", n=limit, last=names[-1])
    return json_response(200, {"name": name, "tags": names}, headers)
