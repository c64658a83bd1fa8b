"""Berth extension: webhooks, `/v2/_berth/webhooks[/<id>[/<verb>]]` (registry admins).

    GET    webhooks                       list (never the secrets)
    POST   webhooks  {"url","repositories","events","format"?,"authorization"?,
                      "allowNetworks"?,"description"?}  -> the signing secret, this once
    GET    webhooks/<id>
    DELETE webhooks/<id>
    GET    webhooks/<id>/deliveries?n=    the last attempts, newest first
    POST   webhooks/<id>/test             a signed `webhook.ping`, sent now; its outcome
    POST   webhooks/<id>/disable|enable   pause or resume deliveries (as the admin page does)
    POST   webhooks/<id>/redeliver {"event": id} | {"deadLetters": true}

Events and their shapes: chalicelib/events/ and docs/automation.md."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.events import webhooks
from chalicelib.events.change import KINDS
from chalicelib.events.records import Webhook
from chalicelib.oci.errors import OCIError

MAX_DELIVERIES = 100


def _bad(message: str) -> OCIError:
    return OCIError("UNSUPPORTED", message, status=400)


def _document(webhook: Webhook) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": webhook.id,
        "url": webhook.url,
        "repositories": list(webhook.patterns),
        "events": list(webhook.events),
        "format": webhook.body_format,
        "enabled": webhook.enabled,
        "hasAuthorization": webhook.has_authorization,
        "allowNetworks": list(webhook.allow_networks),
        "createdAt": webhook.created_at.isoformat(),
        "createdBy": webhook.created_by,
        "description": webhook.description,
    }
    return {k: v for k, v in out.items() if v is not None}


def _strings(document: dict[str, Any], key: str, *, required: bool) -> list[str]:
    value = document.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{key!r} must be a list of strings")
    return list(value)


def _optional_text(document: dict[str, Any], key: str, limit: int) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(f"{key!r} must be a string of at most {limit} characters")
    return value


def _create(request: HttpRequest) -> Response:
    document = json_body(request, "the webhook")
    if not isinstance(document, dict):
        raise _bad("the webhook is a JSON object")
    url = document.get("url")
    if not isinstance(url, str):
        raise _bad("'url' must be a string")
    events = _strings(document, "events", required=False) or list(KINDS)
    body_format = document.get("format", "berth")
    if not isinstance(body_format, str):
        raise _bad("'format' must be a string")
    try:
        created = webhooks.create(
            url=url,
            patterns=_strings(document, "repositories", required=True),
            events=[e.upper() for e in events],
            body_format=body_format,
            authorization=_optional_text(document, "authorization", 1024),
            allow_networks=_strings(document, "allowNetworks", required=False),
            description=_optional_text(document, "description", 256),
            created_by=_actor(request),
        )
    except webhooks.WebhookError as error:
        raise _bad(str(error)) from None
    _audit(request, "webhook.add", created.webhook)
    return json_response(201, {**_document(created.webhook), "secret": created.secret})


def _actor(request: HttpRequest) -> str | None:
    return request.principal


def _audit(request: HttpRequest, action: str, webhook: Webhook) -> None:
    from chalicelib.audit import record, store

    store.write(record.event(request, action, detail={"webhook": webhook.id, "url": webhook.url}))


def _get(webhook_id: str) -> Webhook:
    try:
        return webhooks.find(webhook_id)
    except webhooks.NoSuchWebhook as error:
        raise OCIError("NAME_UNKNOWN", str(error)) from None


def _deliveries(request: HttpRequest, webhook_id: str) -> Response:
    from chalicelib.events.deliver import deliveries

    _get(webhook_id)
    raw = request.arg("n") or "50"
    if not raw.isdigit() or not 0 < int(raw) <= MAX_DELIVERIES:
        raise _bad(f"n is 1 to {MAX_DELIVERIES}")
    out = [
        {
            "at": delivery.at,
            "event": delivery.event_id,
            "type": delivery.event_type,
            "attempt": delivery.attempt,
            "status": delivery.status,
            "ok": delivery.ok,
            "latencyMs": delivery.latency_ms,
            "error": delivery.error,
            "response": delivery.response,
        }
        for delivery in deliveries(webhook_id, int(raw))
    ]
    return json_response(200, {"deliveries": out})


def _test(request: HttpRequest, webhook_id: str) -> Response:
    from chalicelib.events import ping

    outcome = ping.send(_get(webhook_id))
    return json_response(
        200,
        {
            "ok": outcome.ok,
            "status": outcome.status,
            "latencyMs": outcome.latency_ms,
            "error": outcome.error,
        },
    )


def _redeliver(request: HttpRequest, webhook_id: str) -> Response:
    from chalicelib.events.deliver import redeliver, redrive_dead_letters

    _get(webhook_id)
    document = json_body(request, "the redelivery")
    if not isinstance(document, dict):
        raise _bad("the redelivery is a JSON object")
    if document.get("deadLetters") is True:
        return json_response(202, {"moved": redrive_dead_letters()})
    event = document.get("event")
    if not isinstance(event, str) or not event:
        raise _bad("give 'event' (an event id) or 'deadLetters': true")
    if not redeliver(webhook_id, event):
        raise OCIError("NAME_UNKNOWN", f"no delivery of event {event[:80]!r} is logged")
    return json_response(202, {"queued": event})


def _set_enabled(request: HttpRequest, webhook_id: str, enabled: bool) -> Response:
    """Pause or resume: changes while paused are not delivered later (the page says the same);
    audited as `webhook.disable` / `webhook.enable`, like the admin page's buttons."""
    _get(webhook_id)
    changed = webhooks.set_enabled(webhook_id, enabled)
    _audit(request, "webhook.enable" if enabled else "webhook.disable", changed)
    return json_response(200, _document(changed))


def handle(request: HttpRequest, _name: str, argument: str) -> Response:
    parts = argument.split("/") if argument else []
    if len(parts) > 2 or any(not p for p in parts):
        raise OCIError("UNSUPPORTED", "no webhook endpoint here", status=404)
    method = request.method
    if not parts:
        if method == "GET":
            return json_response(
                200, {"webhooks": [_document(webhook) for webhook in webhooks.listing()]}
            )
        if method == "POST":
            return _create(request)
    elif len(parts) == 1:
        if method == "GET":
            return json_response(200, _document(_get(parts[0])))
        if method == "DELETE":
            webhook = _get(parts[0])
            webhooks.delete(parts[0])
            _audit(request, "webhook.remove", webhook)
            return json_response(200, {"deleted": parts[0]})
    else:
        verb = parts[1]
        if (verb, method) == ("deliveries", "GET"):
            return _deliveries(request, parts[0])
        if (verb, method) == ("test", "POST"):
            return _test(request, parts[0])
        if (verb, method) == ("redeliver", "POST"):
            return _redeliver(request, parts[0])
        if verb in ("disable", "enable") and method == "POST":
            return _set_enabled(request, parts[0], verb == "enable")
    raise OCIError("UNSUPPORTED", f"{method} is not allowed here", status=405)
