"""Berth extension: `GET /v2/_berth/audit?repository=<name>|principal=<subject>|all=1` — the
audit log, newest first, paginated with `n` and `last` (a cursor: the Link header's) like the
other lists, optionally `since=<ISO 8601>`. `all=1`: the registry-wide feed (named, so that a
query that forgot its parameter is still a 400, not the whole log). A principal
may be spelled as any client prints it (`robot$ci`, `robot:ci`; `alice` for `user:alice`).

Who may read it: registry admins (`registry:admin:*`) anything; the admins of a repository
(`repository:<name>:*`) its own log, since they already decide everything about it. The
router asks for the right scope (`router._admin_scope`) before this runs."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.api.pagination import next_link, page_size
from chalicelib.audit.events import principal_key, repository_key, since_key, subject_of
from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import check_name
from chalicelib.storage.clock import now as utcnow
from chalicelib.storage.keys import audit_parts

DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_PRINCIPAL = 300


def _bad(message: str) -> OCIError:
    return OCIError("UNSUPPORTED", message, status=400)


def get(request: HttpRequest, _name: str, _argument: str) -> Response:
    from chalicelib.audit import store

    repository, principal = request.arg("repository"), request.arg("principal")
    everything = (request.arg("all") or "").lower() in ("1", "true", "yes")
    if (repository is not None) + (principal is not None) + everything != 1:
        raise _bad("ask for exactly one of repository=<name>, principal=<kind:name> or all=1")
    if repository is not None:
        check_name(repository)  # the router checks it only when auth is on
    if principal is not None and (
        not principal or len(principal) > MAX_PRINCIPAL or not principal.isprintable()
    ):
        raise _bad("principal must be a subject such as user:alice or robot:ci")
    if principal is not None:
        principal = subject_of(principal)
    limit = page_size(request.arg("n"), default=DEFAULT_PAGE, maximum=MAX_PAGE)
    since, last = request.arg("since"), request.arg("last")
    if since is not None:
        try:
            since_key(since)
        except ValueError:
            raise _bad(f"since={since[:40]!r} is not an ISO 8601 time") from None
    if last is not None and (len(last) > 64 or not last.isprintable()):
        raise _bad("last is not a cursor from a Link header")
    if everything:
        if last is not None and not _is_cursor(last):
            raise _bad("last is not a cursor from a Link header")
        events, cursor = store.query_registry(
            limit=max(limit, 1), today=utcnow().date(), before=last, since=since
        )
    else:
        key = (
            repository_key(repository) if repository is not None else principal_key(principal or "")
        )
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
        if repository is not None:
            params["repository"] = repository
        elif principal is not None:
            params["principal"] = principal
        else:
            params["all"] = 1
        if since is not None:
            params["since"] = since
        headers = next_link("/v2/_berth/audit", **params)
    return json_response(200, {k: v for k, v in document.items() if v is not None}, headers)


def _is_cursor(value: str) -> bool:
    try:
        audit_parts(value)
    except ValueError:
        return False
    return True
