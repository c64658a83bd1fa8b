"""Berth extension: `/v2/<name>/_berth/settings` — a repository's rules (immutable tags).

GET answers the current rules; PUT replaces them with a JSON document
`{"immutableTags": true, "immutableTagsExclude": ["latest", "dev-*"], "rollbackWindow": 10}`
(`rollbackWindow`, the tag moves lifecycle keeps manifests for, stays as it was if absent).
A change is audited (`settings.change`, the rules before and after, by the caller)."""

from __future__ import annotations

from typing import Any

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
    before = repo_settings.get(name)
    rules = repo_settings.put(name, immutable, exclude, parse_rollback_window(document))
    _audit(request, name, before.document(), rules.document())
    return json_response(200, {"name": name, **rules.document()})


def _audit(request: HttpRequest, name: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    from chalicelib.audit import record

    changed = {k: after[k] for k in after if k != "version" and before.get(k) != after[k]}
    record.change(
        request,
        "settings.change",
        repository=name,
        detail={"before": before, "after": after, "changed": sorted(changed)},
    )
