"""Berth extension: `/v2/<name>/_berth/settings` — a repository's rules (immutable tags).

GET answers the current rules; PUT replaces them with a JSON document
`{"immutableTags": true, "immutableTagsExclude": ["latest", "dev-*"], "rollbackWindow": 10}`
(`rollbackWindow`, the tag moves lifecycle keeps manifests for, stays as it was if absent)."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.rules.immutability import parse_rollback_window, parse_settings
from chalicelib.storage import repo_settings


def get(request: HttpRequest, name: str, _argument: str) -> Response:
    rules = repo_settings.get(name)
    return json_response(200, {"name": name, **rules.document()}, head=request.method == "HEAD")


def put(request: HttpRequest, name: str, _argument: str) -> Response:
    document = json_body(request, "the settings document")
    immutable, exclude = parse_settings(document)
    rules = repo_settings.put(name, immutable, exclude, parse_rollback_window(document))
    return json_response(200, {"name": name, **rules.document()})
