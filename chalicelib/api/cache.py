"""Berth extension: pull-through cache rules, `/v2/_berth/cache[...]` (registry admins).

    GET    cache                       the rules
    POST   cache {"prefix": "hub/", "upstream": "docker.io", "ttlSeconds": 3600,
                  "credentials": {"ssm": NAME} | {"secretsmanager": ID},
                  "allowNetworks": ["10.20.0.0/16"], "fillFirst": false}
    GET    cache/<prefix>              one rule (`hub` or `mirror/ghcr`, no trailing slash)
    DELETE cache/<prefix>              the rule; what was cached stays, now an ordinary repository

Rules and credential references: chalicelib/cache/rules.py (docs/cache.md)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.cache import rules
from chalicelib.cache.rules import StoredCacheRule
from chalicelib.events.config import event_settings
from chalicelib.oci.errors import OCIError

_FIELDS = {"prefix", "upstream", "ttlSeconds", "credentials", "allowNetworks", "fillFirst"}


def _bad(message: str) -> OCIError:
    return OCIError("UNSUPPORTED", message, status=400)


def _document(rule: StoredCacheRule) -> dict[str, Any]:
    credentials = None
    if rule.ssm:
        credentials = {"ssm": rule.ssm}
    elif rule.secret:
        credentials = {"secretsmanager": rule.secret}
    out: dict[str, Any] = {
        "prefix": rule.prefix,
        "upstream": rule.upstream,
        "ttlSeconds": rule.ttl_seconds,
        "credentials": credentials,
        "allowNetworks": list(rule.allow_networks) or None,
        "fillFirst": rule.fill_first or None,
        "createdAt": rule.created_at.isoformat(),
        "createdBy": rule.created_by,
    }
    return {k: v for k, v in out.items() if v is not None}


def _create(request: HttpRequest) -> Response:
    from chalicelib.audit import record, store

    document = json_body(request, "the cache rule")
    if not isinstance(document, dict):
        raise _bad("the cache rule is a JSON object")
    unknown = set(document) - _FIELDS
    if unknown:
        raise _bad(f"unknown fields: {', '.join(sorted(unknown))[:200]}")
    actor = record.actor(request)
    try:
        created = rules.create(
            prefix=document.get("prefix"),  # checked there
            upstream=document.get("upstream"),
            credentials=document.get("credentials"),
            ttl_seconds=document.get("ttlSeconds", rules.DEFAULT_TTL_SECONDS),
            allow_networks=document.get("allowNetworks"),
            fill_first=document.get("fillFirst", False),
            allow_http=event_settings().allow_http,
            created_by=None if actor == "-" else actor,
        )
    except rules.RuleError as error:
        raise _bad(str(error)) from None
    rule = rules.stored_rule_of(created)
    store.write(record.event(request, "cache.add", repository=None, detail=_document(rule)))
    return json_response(201, _document(rule))


def _get(prefix: str) -> StoredCacheRule:
    try:
        return rules.find(prefix)
    except rules.NoSuchRule as error:
        raise OCIError("NAME_UNKNOWN", str(error)) from None


def handle(request: HttpRequest, _name: str, argument: str) -> Response:
    from chalicelib.audit import record, store

    method = request.method
    if not argument and method == "GET":
        return json_response(200, {"rules": [_document(r) for r in rules.listing()]})
    if not argument and method == "POST":
        return _create(request)
    prefix = argument.strip("/") + "/"
    if argument and method == "GET":
        return json_response(200, _document(_get(prefix)))
    if argument and method == "DELETE":
        rule = _get(prefix)
        rules.delete(prefix)
        store.write(record.event(request, "cache.remove", repository=None, detail=_document(rule)))
        return json_response(200, {"deleted": prefix})
    raise OCIError("UNSUPPORTED", f"{method} is not allowed here", status=405)
