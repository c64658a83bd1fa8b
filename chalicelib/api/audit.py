"""Berth extension: `GET /v2/_berth/audit?repository=<name>|principal=<subject>` — the audit
log, newest first, paginated with `n` and `last` (a cursor: the Link header's) like the other
lists, optionally `since=<ISO 8601>`.

Who may read it: registry admins (`registry:admin:*`) anything; the admins of a repository
(`repository:<name>:*`) its own log, since they already decide everything about it. The
router asks for the right scope (`router._admin_scope`) before this runs."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.api.pagination import next_link, page_size
from chalicelib.audit.events import principal_key, repository_key, since_key
from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import check_name

DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_PRINCIPAL = 300


def _bad(message: str) -> OCIError:
    return OCIError("UNSUPPORTED", message, status=400)


def get(request: HttpRequest, _name: str, _argument: str) -> Response:
    from chalicelib.audit import store

    repository, principal = request.arg("repository"), request.arg("principal")
    if (repository is None) == (principal is None):
        raise _bad("ask for exactly one of repository=<name> or principal=<kind:name>")
    if repository is not None:
        check_name(repository)  # the router checks it only when auth is on
    if principal is not None and (
        not principal or len(principal) > MAX_PRINCIPAL or not principal.isprintable()
    ):
        raise _bad("principal must be a subject such as user:alice or robot:ci")
    limit = page_size(request.arg("n"), default=DEFAULT_PAGE, maximum=MAX_PAGE)
    since, last = request.arg("since"), request.arg("last")
    if since is not None:
        try:
            since_key(since)
        except ValueError:
            raise _bad(f"since={since[:40]!r} is not an ISO 8601 time") from None
    if last is not None and (len(last) > 64 or not last.isprintable()):
        raise _bad("last is not a cursor from a Link header")
    key = repository_key(repository) if repository is not None else principal_key(principal or "")
    events, cursor = store.query(key, limit=max(limit, 1), before=last, since=since)
    if limit == 0:
        events, cursor = [], None
    document = {
        "repository": repository,
        "principal": principal,
        "events": [event.document() for event in events],
    }
    headers: dict[str, str] = {}
    if cursor is not None:
        params: dict[str, str | int] = {"n": limit, "last": cursor}
        params["repository" if repository is not None else "principal"] = (
            repository or principal or ""
        )
        if since is not None:
            params["since"] = since
        headers = next_link("/v2/_berth/audit", **params)
    return json_response(200, {k: v for k, v in document.items() if v is not None}, headers)
