"""Berth extension: deploy on push, `/v2/_berth/triggers[/<id>[/runs]]` (registry admins).

    GET    triggers
    POST   triggers {"repository","tag","kind": "ecs","cluster","service"}
                    {"repository","tag","kind": "lambda","function","imageRepository"}
    GET    triggers/<id>
    DELETE triggers/<id>
    GET    triggers/<id>/runs?n=     the last runs, newest first

What a trigger does: chalicelib/events/triggers.py."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.events import triggers
from chalicelib.events.records import Trigger
from chalicelib.oci.errors import OCIError

MAX_RUNS = 100


def _bad(message: str) -> OCIError:
    return OCIError("UNSUPPORTED", message, status=400)


def _document(trigger: Trigger) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": trigger.id,
        "repository": trigger.repository,
        "tag": trigger.tag,
        "kind": trigger.kind,
        "cluster": trigger.cluster,
        "service": trigger.service,
        "function": trigger.function,
        "imageRepository": trigger.image_repository,
        "enabled": trigger.enabled,
        "createdAt": trigger.created_at.isoformat(),
        "createdBy": trigger.created_by,
    }
    return {k: v for k, v in out.items() if v is not None}


def _get(trigger_id: str) -> Trigger:
    try:
        return triggers.find(trigger_id)
    except triggers.NoSuchTrigger as error:
        raise OCIError("NAME_UNKNOWN", str(error)) from None


def _text(document: dict[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise _bad(f"{key!r} must be a string")
    return value


def _create(request: HttpRequest) -> Response:
    from chalicelib.audit import record, store

    document = json_body(request, "the trigger")
    if not isinstance(document, dict):
        raise _bad("the trigger is a JSON object")
    try:
        created = triggers.create(
            repository=_text(document, "repository") or "",
            tag=_text(document, "tag") or "",
            kind=_text(document, "kind") or "",
            cluster=_text(document, "cluster"),
            service=_text(document, "service"),
            function=_text(document, "function"),
            image_repository=_text(document, "imageRepository"),
            created_by=request.principal,
        )
    except triggers.TriggerError as error:
        raise _bad(str(error)) from None
    trigger = triggers.trigger_of(created)
    store.write(
        record.event(
            request, "trigger.add", repository=trigger.repository, detail=_document(trigger)
        )
    )
    return json_response(201, _document(trigger))


def _runs(request: HttpRequest, trigger_id: str) -> Response:
    from chalicelib.events.deliver import runs as logged_runs

    _get(trigger_id)
    raw = request.arg("n") or "20"
    if not raw.isdigit() or not 0 < int(raw) <= MAX_RUNS:
        raise _bad(f"n is 1 to {MAX_RUNS}")
    runs = [
        {
            "at": run.at,
            "event": run.event_id,
            "attempt": run.attempt,
            "ok": run.ok,
            "latencyMs": run.latency_ms,
            "result": run.response,
            "error": run.error,
        }
        for run in logged_runs(trigger_id, int(raw))
    ]
    return json_response(200, {"runs": runs})


def handle(request: HttpRequest, _name: str, argument: str) -> Response:
    from chalicelib.audit import record, store

    parts = argument.split("/") if argument else []
    if len(parts) > 2 or any(not p for p in parts):
        raise OCIError("UNSUPPORTED", "no trigger endpoint here", status=404)
    method = request.method
    if not parts and method == "GET":
        return json_response(200, {"triggers": [_document(t) for t in triggers.listing()]})
    if not parts and method == "POST":
        return _create(request)
    if len(parts) == 1 and method == "GET":
        return json_response(200, _document(_get(parts[0])))
    if len(parts) == 1 and method == "DELETE":
        trigger = _get(parts[0])
        triggers.delete(parts[0])
        store.write(
            record.event(
                request, "trigger.remove", repository=trigger.repository, detail=_document(trigger)
            )
        )
        return json_response(200, {"deleted": parts[0]})
    if len(parts) == 2 and parts[1] == "runs" and method == "GET":
        return _runs(request, parts[0])
    raise OCIError("UNSUPPORTED", f"{method} is not allowed here", status=405)
