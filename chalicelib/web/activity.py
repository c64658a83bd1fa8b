"""GET /ui/activity?name=N: a repository's pushes per day over the last 30 days, drawn from
its audit partition (1 Query), and its approximate pulls per day (an image of its own URL,
chalicelib/web/pulls_chart.py). Its own page, so the tags page keeps its one Query; shown to
whoever may pull the repository, as its tag history is (counts only, no names)."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from urllib.parse import quote

from chalice.app import Response

from chalicelib.oci.errors import OCIError
from chalicelib.web import charts
from chalicelib.web.respond import error, reader, request_of, show


def activity(chalice_request: Any) -> Response:
    from chalicelib.oci.reference import check_name
    from chalicelib.storage.clock import now

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
    body = (
        f'<p><a href="/ui/repository?name={quote(name)}">the tags</a></p>'
        + charts.pushes_per_day(name, now().astimezone(UTC).date())
        + charts.pulls_image(name)
    )
    return show(request, viewer, f"{name} activity", body)
