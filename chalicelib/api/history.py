"""Berth extension: `/v2/<name>/_berth/history/<tag>` (GET, newest move first) and
`/v2/<name>/_berth/rollback/<tag>` (POST, optional `?to=<digest>`).

`_` cannot start a component of an OCI repository name, so these paths never collide with
the distribution API. Rollback needs push rights once access control exists (see
`router.REQUIRES`)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.api.pagination import page_size
from chalicelib.oci.digest import parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import check_tag
from chalicelib.rules.history import action_of
from chalicelib.storage import repositories, tags
from chalicelib.storage import tag_rollback as rollbacks
from chalicelib.storage.records import TagMove

DEFAULT_PAGE = 100
MAX_PAGE = 1000


def _entry(item: TagMove) -> dict[str, Any]:
    return {
        "at": item.at.isoformat(),
        "action": action_of(item.action, item.to_digest),
        "from": item.from_digest,
        "to": item.to_digest,
        "actor": item.actor,
    }


def get(request: HttpRequest, name: str, tag: str) -> Response:
    check_tag(tag)
    limit = page_size(request.arg("n"), default=DEFAULT_PAGE, maximum=MAX_PAGE)
    items = tags.history(name, tag, newest_first=True, limit=limit) if limit else []
    if not items and not repositories.exists(name):
        raise OCIError("NAME_UNKNOWN", f"repository {name} is not known")
    current = tags.target(name, tag)
    document = {
        "name": name,
        "tag": tag,
        "current": str(current) if current is not None else None,
        "history": [_entry(item) for item in items],
    }
    return json_response(200, document, head=request.method == "HEAD")


def rollback(request: HttpRequest, name: str, tag: str) -> Response:
    check_tag(tag)
    to = request.arg("to")
    target = parse_digest(to, what="rollback target") if to is not None else None
    from chalicelib.audit import record

    event = record.event(request, "rollback", repository=name)  # storage adds the move
    rolled = rollbacks.rollback(name, tag, target, request.principal, event)
    document = {
        "name": name,
        "tag": tag,
        "from": rolled.from_digest,
        "to": rolled.to_digest,
        "moved": rolled.moved,
        "skipped": rolled.skipped,
    }
    return json_response(200, document)
