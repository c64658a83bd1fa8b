"""GET /ui/admin/webhooks[?id=W]: the webhooks (never their secrets or Authorization values)
and, for the one chosen, its delivery log, newest first: what was sent, how the receiver
answered. 1 Query (the subscriptions), plus 1 Query for a chosen webhook's deliveries."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice.app import Response

from chalicelib.web.admin import admin_viewer, nav
from chalicelib.web.html import e, table, when
from chalicelib.web.respond import request_of, show

MAX_DELIVERIES = 50


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
        ]
        for w in found
    ]
    body = nav() + (
        table(
            ["Id", "URL", "Repositories", "Events", "Enabled", "Created"], rows, table_id="webhooks"
        )
        if rows
        else "<p>No webhooks: <code>berth webhook add</code> subscribes one.</p>"
    )
    if chosen is not None:
        ids = {w.id for w in found}
        if chosen not in ids:
            body += '<p class="error">No such webhook.</p>'
        else:
            body += f"<h2>Deliveries of <code>{e(chosen)}</code></h2>" + _deliveries(chosen)
    return show(request, viewer, "Webhooks", body)


def _deliveries(webhook_id: str) -> str:
    from chalicelib.events.deliver import deliveries

    rows = [
        [
            e(delivery.at),
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
