"""GET /ui/admin/webhooks[?id=W]: the webhooks (never their secrets or Authorization values)
with a pause/resume and a test-delivery button each, a form to create one (the forms post to
web/admin_webhook_actions.py) and, for the one chosen, its delivery log, newest first: what
was sent, how the receiver answered. 1 Query (the subscriptions), plus 1 Query for a chosen
webhook's deliveries."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice.app import Response

from chalicelib.web.admin import admin_viewer, nav
from chalicelib.web.html import e, table, when
from chalicelib.web.respond import csrf_field, request_of, show
from chalicelib.web.session import Viewer

MAX_DELIVERIES = 50
NOTICES = {
    "disable": "Paused: nothing is delivered to it until it is enabled again.",
    "enable": "Enabled: changes are delivered to it again.",
    "test.ok": "The test delivery was answered with success (see the log below).",
    "test.failed": "The test delivery failed (see the log below for why).",
}


def _button(viewer: Viewer, do: str, webhook_id: str, label: str) -> str:
    return (
        f'<form method="post" action="/ui/admin/webhooks" class="inline">{csrf_field(viewer)}'
        f'<input type="hidden" name="do" value="{e(do)}">'
        f'<input type="hidden" name="id" value="{e(webhook_id)}">'
        f'<button type="submit">{e(label)}</button></form>'
    )


def _create_form(viewer: Viewer) -> str:
    from chalicelib.events.change import KINDS
    from chalicelib.events.webhooks import FORMATS

    kinds = "".join(
        f'<label class="check"><input type="checkbox" name="event.{e(k)}" value="1">'
        f"{e(k.lower())}</label>"
        for k in KINDS
    )
    formats = "".join(f'<option value="{e(f)}">{e(f)}</option>' for f in FORMATS)
    return (
        "<h2>New webhook</h2><p>Its signing secret is shown once, on the next page.</p>"
        f'<form method="post" action="/ui/admin/webhooks" class="grid" id="create-webhook">'
        f'{csrf_field(viewer)}<input type="hidden" name="do" value="create">'
        '<label>URL <input name="url" type="url" required placeholder="https://..."></label>'
        '<label>Repositories <input name="repositories" required placeholder="team/* prod/app">'
        "</label>"
        f"<fieldset><legend>Events (none ticked: all)</legend>{kinds}</fieldset>"
        f'<label>Format <select name="format">{formats}</select></label>'
        '<label>Authorization header <input name="authorization" maxlength="1024" '
        'autocomplete="off" placeholder="optional"></label>'
        '<label>Description <input name="description" maxlength="256"></label>'
        '<button type="submit">Create webhook</button></form>'
    )


def webhooks(chalice_request: Any) -> Response:
    from chalicelib.events import webhooks as subscriptions

    viewer = admin_viewer(chalice_request)
    if isinstance(viewer, Response):
        return viewer
    request = request_of(chalice_request)
    found = subscriptions.listing()
    chosen = request.arg("id")
    rows = [
        [
            f'<a href="/ui/admin/webhooks?id={quote(w.id)}"><code>{e(w.id)}</code></a>',
            e(w.url),
            e(", ".join(w.patterns)),
            e(", ".join(w.events)),
            e("on" if w.enabled else "off"),
            when(w.created_at),
            _button(
                viewer,
                "disable" if w.enabled else "enable",
                w.id,
                "disable" if w.enabled else "enable",
            )
            + _button(viewer, "test", w.id, "send a test"),
        ]
        for w in found
    ]
    done = request.arg("done") or ""
    notice = NOTICES.get(done)
    css = "error" if done == "test.failed" else "notice"
    header = ["Id", "URL", "Repositories", "Events", "Enabled", "Created", ""]
    body = (
        nav()
        + (f'<p class="{css}">{e(notice)}</p>' if notice else "")
        + (
            table(header, rows, table_id="webhooks")
            if rows
            else "<p>No webhooks yet: create one below (or with <code>berth webhook add</code>)."
            "</p>"
        )
    )
    if chosen is not None:
        ids = {w.id for w in found}
        if chosen not in ids:
            body += '<p class="error">No such webhook.</p>'
        else:
            body += f"<h2>Deliveries of <code>{e(chosen)}</code></h2>" + _deliveries(chosen)
    body += _create_form(viewer)
    return show(request, viewer, "Webhooks", body)


def _deliveries(webhook_id: str) -> str:
    from chalicelib.events.deliver import deliveries

    rows = [
        [
            when(delivery.at),
            e(delivery.event_type),
            e(delivery.attempt),
            f'<span class="badge {"ok" if delivery.ok else "bad"}">'
            f"{e('-' if delivery.status is None else delivery.status)}</span>",
            e(f"{delivery.latency_ms} ms"),
            e(delivery.error or "-"),
        ]
        for delivery in deliveries(webhook_id, MAX_DELIVERIES)
    ]
    if not rows:
        return "<p>No delivery yet.</p>"
    header = ["At", "Event", "Attempt", "Status", "Latency", "Error"]
    return table(header, rows, table_id="deliveries")
