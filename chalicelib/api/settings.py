"""Berth extension: `/v2/<name>/_berth/settings` — a repository's rules (immutable tags).

GET answers the current rules; PUT replaces them with a JSON document
`{"immutableTags": true, "immutableTagsExclude": ["latest", "dev-*"], "rollbackWindow": 10}`
(`rollbackWindow`, the tag moves lifecycle keeps manifests for, stays as it was if absent)."""

from __future__ import annotations

import json

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.oci.errors import OCIError
from chalicelib.rules.immutability import parse_rollback_window, parse_settings
from chalicelib.storage import repo_settings

MAX_BODY = 64 * 1024


def get(request: HttpRequest, name: str, _argument: str) -> Response:
    rules = repo_settings.get(name)
    return json_response(200, {"name": name, **rules.document()}, head=request.method == "HEAD")


def put(request: HttpRequest, name: str, _argument: str) -> Response:
    if len(request.body) > MAX_BODY:
        raise OCIError("SIZE_INVALID", f"settings are limited to {MAX_BODY} bytes", status=413)
    try:
        document = json.loads(request.body or b"{}")
    except ValueError as error:
        raise OCIError("UNSUPPORTED", f"settings are not JSON: {error}", status=400) from None
    immutable, exclude = parse_settings(document)
    rules = repo_settings.put(name, immutable, exclude, parse_rollback_window(document))
    return json_response(200, {"name": name, **rules.document()})
