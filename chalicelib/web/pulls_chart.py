"""GET /ui/pulls-chart?name=N: a repository's approximate pulls per day over the last 30 days,
as an SVG image (1 Query of its counters, chalicelib/storage/pull_counts.py).

It first writes this instance's own unwritten tally (one UpdateItem per repository and day
it holds, none on most views): so `berth serve`, one instance, draws every pull at once, and
on Lambda the instance that answers adds what it knows.

An image of its own rather than part of a page, so the repository and activity pages that
show it keep their one Query each, and a browser fetches it beside the page. Shown to whoever
may pull the repository (counts only, as on its activity page); anyone else gets the same 404
as for a repository that does not exist."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from chalice.app import Response

from chalicelib.oci.errors import OCIError
from chalicelib.storage.clock import now
from chalicelib.web import charts
from chalicelib.web.html import SECURITY_HEADERS
from chalicelib.web.respond import error, reader, request_of


def pulls_chart(chalice_request: Any) -> Response:
    from chalicelib.oci.reference import check_name
    from chalicelib.storage import pull_counts

    request = request_of(chalice_request)
    viewer = reader(request)
    if isinstance(viewer, Response):
        return viewer
    name = request.arg("name") or ""
    try:
        check_name(name)
    except OCIError:
        return error(400, "not a repository name", viewer)
    if not viewer.may(name):
        return error(404, f"no repository {name} that you may see", viewer)
    pull_counts.flush()  # this instance's own unwritten pulls show at once
    today = now().astimezone(UTC).date()
    counts = pull_counts.per_day(name, today - timedelta(days=charts.DAYS - 1), today)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "image/svg+xml",
        **SECURITY_HEADERS,
    }
    return Response(body=charts.pulls_per_day(counts, today), status_code=200, headers=headers)
