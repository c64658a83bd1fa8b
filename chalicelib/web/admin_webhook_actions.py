"""POST /ui/admin/webhooks: create a webhook (its signing secret shown once, in this response),
pause or resume one, send one a test delivery. Admins only, CSRF-checked, refused in a standby
region; validated by the same functions as `berth webhook add|test` (events/webhooks.py,
events/ping.py) and audited as the webhooks API audits them (webhook.add, and
webhook.disable / webhook.enable, as `berth webhook disable|enable` are)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from chalice.app import Response

from chalicelib.api.http import HttpRequest
from chalicelib.web.admin import admin_viewer, nav
from chalicelib.web.html import copy_button, e
from chalicelib.web.respond import error, forged, form, redirect, request_of, show, standby_refusal
from chalicelib.web.session import Viewer

MAX_TEXT = 1024
MAX_DESCRIPTION = 256
WEBHOOK_ID = re.compile(r"[0-9a-f]{1,40}")


class Refused(Exception):
    """Bad form input: the page says why (400)."""


def _audit(request: HttpRequest, action: str, webhook_id: str, url: str) -> None:
    from chalicelib.audit import record, store

    store.write(record.event(request, action, detail={"webhook": webhook_id, "url": url}))


def _text(fields: dict[str, str], key: str, limit: int) -> str | None:
    value = fields.get(key, "").strip()
    if len(value) > limit:
        raise Refused(f"{key} is at most {limit} characters")
    return value or None


def _create(request: HttpRequest, viewer: Viewer, fields: dict[str, str]) -> Response:
    from chalicelib.events import webhooks
    from chalicelib.events.change import KINDS

    patterns = [p for p in re.split(r"[\s,]+", fields.get("repositories", "")) if p]
    events = [kind for kind in KINDS if fields.get(f"event.{kind}")] or list(KINDS)
    created = webhooks.create(
        url=fields.get("url", "").strip(),
        patterns=patterns,
        events=events,
        body_format=fields.get("format", "berth"),
        authorization=_text(fields, "authorization", MAX_TEXT),
        description=_text(fields, "description", MAX_DESCRIPTION),
        created_by=viewer.principal.subject if viewer.principal else None,
    )
    webhook_id = created.webhook.id
    _audit(request, "webhook.add", webhook_id, created.webhook.url)
    body = (
        nav() + f'<p class="notice">Webhook <code>{e(webhook_id)}</code> created. Its signing '
        "secret, shown this once (only the receiver needs it, to check each delivery's "
        "signature): copy it now.</p>"
        + f'<p><code id="webhook-secret">{e(created.secret)}</code>'
        + copy_button(created.secret)
        + f'</p><p><a href="/ui/admin/webhooks?id={quote(webhook_id)}">its deliveries</a></p>'
    )
    return show(request, viewer, "Webhook created", body, status=201)


def _change(request: HttpRequest, viewer: Viewer, fields: dict[str, str]) -> Response:
    from chalicelib.events import ping, webhooks

    do = fields.get("do", "")
    if do == "create":
        return _create(request, viewer, fields)
    webhook_id = fields.get("id", "")
    if not WEBHOOK_ID.fullmatch(webhook_id):
        raise Refused("not a webhook id")
    if do in ("disable", "enable"):
        changed = webhooks.set_enabled(webhook_id, do == "enable")
        _audit(request, f"webhook.{do}", webhook_id, changed.url)
        return redirect(f"/ui/admin/webhooks?id={quote(webhook_id)}&done={do}")
    if do == "test":
        outcome = ping.send(webhooks.find(webhook_id))
        answer = "ok" if outcome.ok else "failed"
        return redirect(f"/ui/admin/webhooks?id={quote(webhook_id)}&done=test.{answer}")
    raise Refused("That is not a change this page makes.")


def post(chalice_request: Any) -> Response:
    from chalicelib.events import webhooks

    viewer = admin_viewer(chalice_request)
    if isinstance(viewer, Response):
        return viewer if viewer.status_code != 404 else error(403, "Administration only.")
    request = request_of(chalice_request)
    fields = form(request)
    if forged(viewer, fields):
        return error(403, "The form expired; reload the page.", viewer)
    if (standby := standby_refusal(viewer)) is not None:
        return standby
    request.principal = viewer.principal.subject if viewer.principal else "-"
    try:
        return _change(request, viewer, fields)
    except Refused as refused:
        return error(400, str(refused), viewer)
    except webhooks.WebhookError as problem:
        return error(400, str(problem), viewer)
    except webhooks.NoSuchWebhook as problem:
        return error(404, str(problem), viewer)
