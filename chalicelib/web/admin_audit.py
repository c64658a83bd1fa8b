"""GET /ui/admin/audit: the audit log, newest first, filtered by who, repository, action and a
time range. Reads one partition when a principal or a repository is named (1 Query); the
registry-wide feed otherwise, one Query per day partition of the range, which therefore
defaults to the last 7 days and may span at most 31. The action filter (and, when both who and
a repository are named, the second of them) applies to the events read: at most 200."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from chalice.app import Response

from chalicelib.web.admin import admin_viewer, nav
from chalicelib.web.html import e, table, when
from chalicelib.web.respond import error, request_of, show

MAX_EVENTS = 200
DEFAULT_DAYS = 7
MAX_DAYS = 31


class BadFilter(ValueError):
    pass


def _day(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(f"{what} is not a date (YYYY-MM-DD)") from None


def audit(chalice_request: Any) -> Response:
    from chalicelib.audit import store
    from chalicelib.audit.events import principal_key, repository_key, sort_key, subject_of
    from chalicelib.oci.errors import OCIError
    from chalicelib.oci.reference import check_name
    from chalicelib.storage.clock import now

    viewer = admin_viewer(chalice_request)
    if isinstance(viewer, Response):
        return viewer
    request = request_of(chalice_request)
    who = (request.arg("who") or "").strip()
    repository = (request.arg("repository") or "").strip()
    action = (request.arg("action") or "").strip()
    today = now().astimezone(UTC).date()
    try:
        if repository:
            check_name(repository)
        if len(who) > 300 or not who.isprintable() or len(action) > 100:
            raise BadFilter("who or action is too long")
        until = _day(request.arg("until"), "until") or today
        since = _day(request.arg("since"), "since") or until - timedelta(days=DEFAULT_DAYS)
        if since > until:
            raise BadFilter("since is after until")
        if not (who or repository) and (until - since).days > MAX_DAYS:
            raise BadFilter(f"without who or repository, a range is at most {MAX_DAYS} days")
    except (BadFilter, OCIError) as problem:
        message = problem.message if isinstance(problem, OCIError) else str(problem)
        return error(400, message, viewer)
    subject = subject_of(who) if who else None
    low = f"{since.isoformat()}T00:00:00Z"
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), UTC)
    before = sort_key(end, "")
    if repository:
        events, more = store.query(
            repository_key(repository), limit=MAX_EVENTS, before=before, since=low
        )
    elif subject:
        events, more = store.query(
            principal_key(subject), limit=MAX_EVENTS, before=before, since=low
        )
    else:
        events, more = store.query_registry(limit=MAX_EVENTS, today=until, since=low)
    shown = [
        ev
        for ev in events
        if (not action or ev.action == action or ev.action.startswith(action + "."))
        and (subject is None or subject in (ev.who, ev.subject))
    ]
    rows = [
        [
            when(ev.at),
            e(ev.who),
            e(ev.action),
            e(ev.outcome),
            e(ev.repository or "-"),
            e(ev.subject or "-"),
            " ".join(f"{e(t)}→<code>{e((to or '-')[:19])}</code>" for t, _, to in ev.tags)
            or (f"<code>{e(ev.digest[:19])}</code>" if ev.digest else ""),
        ]
        for ev in shown
    ]
    fields = (
        '<form method="get" action="/ui/admin/audit" class="inline" id="audit-filter">'
        f'<label>Who <input name="who" value="{e(who)}" placeholder="alice, robot$ci"></label>'
        f'<label>Repository <input name="repository" value="{e(repository)}"></label>'
        f'<label>Action <input name="action" value="{e(action)}" '
        'placeholder="push, rollback, grant"></label>'
        f'<label>Since <input name="since" type="date" value="{e(since.isoformat())}"></label>'
        f'<label>Until <input name="until" type="date" value="{e(until.isoformat())}"></label>'
        '<button type="submit">Filter</button></form>'
    )
    note = (
        f"<p>Only the newest {MAX_EVENTS} events of the range were read; narrow it to see older "
        "ones.</p>"
        if more
        else ""
    )
    body = (
        nav()
        + fields
        + table(
            ["When", "Who", "Action", "Outcome", "Repository", "About", "Tags"],
            rows,
            table_id="audit",
        )
        + note
        + ("" if rows else "<p>No event matches.</p>")
    )
    return show(request, viewer, "Audit log", body)


def link(**filters: str) -> str:
    """A link to the audit page with these filters (repository pages use it)."""
    return "/ui/admin/audit?" + urlencode({k: v for k, v in filters.items() if v}, quote_via=quote)
