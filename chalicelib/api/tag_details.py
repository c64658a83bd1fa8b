"""Berth extension: `GET /v2/<name>/_berth/tags[?n=N]` — every tag of a repository with the
size a pull of it downloads, its platforms, when it was tagged and pushed and last pulled
(`berth tags`). Pull rights, as for the tag list; at most `n` (default and cap 1000) tags."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.api.pagination import page_size
from chalicelib.oci.errors import OCIError
from chalicelib.storage import repositories, tag_details

MAX_TAGS = 1000


def get(request: HttpRequest, name: str, _argument: str) -> Response:
    limit = page_size(request.arg("n"), default=MAX_TAGS, maximum=MAX_TAGS)
    found = tag_details.read(name, max(limit, 1)) if limit else []
    if not found and not repositories.exists(name):
        raise OCIError("NAME_UNKNOWN", f"repository {name} is not known")
    return json_response(200, {"name": name, "tags": [t.document() for t in found]})
