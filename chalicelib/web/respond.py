"""What every page handler shares: the request in the API's shape, HTML answers that carry the
security headers (and, with auth off, the form cookie), redirects, error pages, the signed-in
check, form fields and the CSRF check. Kept apart so each page module stays one idea."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from chalice.app import Response

from chalicelib.api.http import HttpRequest
from chalicelib.web import session
from chalicelib.web.html import SECURITY_HEADERS, e, page

MAX_FORM_FIELDS = 20


def request_of(chalice_request: Any) -> HttpRequest:
    """The page's request: the Function URL door hands it typed already (api/front_door.py);
    through API Gateway (or chalice.test.Client) it is read off Chalice's."""
    if isinstance(chalice_request, HttpRequest):
        return chalice_request
    context = chalice_request.context or {}
    query = {k: [v] for k, v in (chalice_request.query_params or {}).items()}
    return HttpRequest(
        method=chalice_request.method.upper(),
        path=str(context.get("path") or ""),
        query=query,
        headers={k.lower(): v for k, v in (chalice_request.headers or {}).items()},
        body=chalice_request.raw_body or b"",
        request_id=str(context.get("requestId", "")),
        source_ip=str((context.get("identity") or {}).get("sourceIp", "")),
    )


def html(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    out: dict[str, str | list[str]] = {
        "Content-Type": "text/html; charset=utf-8",
        **SECURITY_HEADERS,
        **(headers or {}),
    }
    return Response(body=text, status_code=status, headers=out)


def show(
    request: HttpRequest, viewer: session.Viewer, title: str, body: str, status: int = 200
) -> Response:
    """A page for `viewer`; with auth off, it also sets the form cookie its forms' CSRF token
    is checked against when the browser does not hold one yet."""
    headers: dict[str, str] = {}
    if viewer.new_form_cookie:
        headers["Set-Cookie"] = session.cookie(
            session.FORM_COOKIE, viewer.form_token, request, max_age=session.FORM_SECONDS
        )
    text = page(
        title,
        body,
        who=viewer.name,
        csrf=viewer.csrf,
        admin=viewer.admin,
        account=viewer.principal is not None and viewer.principal.kind == "user",
        sign_in=viewer.anonymous,
    )
    return html(status, text, headers)


def redirect(to: str, headers: dict[str, str] | None = None) -> Response:
    out: dict[str, str | list[str]] = {"Location": to, **(headers or {})}
    return Response(body="", status_code=303, headers=out)


def error(status: int, message: str, viewer: session.Viewer | None = None) -> Response:
    who = viewer.name if viewer else None
    body = f'<p class="error">{e(message)}</p><p><a href="/ui">all repositories</a></p>'
    text = page(
        "Not available",
        body,
        who=who,
        csrf=viewer.csrf if viewer else "",
        sign_in=viewer is not None and viewer.anonymous,
    )
    return html(status, text)


def signed_in(request: HttpRequest) -> session.Viewer | Response:
    viewer = session.viewer(request)
    if viewer is None:
        return redirect("/ui/login")
    return viewer


def reader(request: HttpRequest) -> session.Viewer | Response:
    """The viewer of a read-only page: signed in, or an anonymous visitor when some
    repositories are public (chalicelib/web/visitors.py); else the sign-in page."""
    viewer = session.viewer(request)
    if viewer is None:
        from chalicelib.web.visitors import anonymous_visitor

        viewer = anonymous_visitor()
    if viewer is None:
        return redirect("/ui/login")
    return viewer


def form(request: HttpRequest) -> dict[str, str]:
    try:
        fields = parse_qs(request.body.decode(), max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[-1] for k, v in fields.items()}


def forged(viewer: session.Viewer, fields: dict[str, str]) -> bool:
    """True when the form's CSRF token is not the one this viewer's pages carry (in both
    modes: signed in, a digest of the session; auth off, the form cookie's value)."""
    return not session.same(fields.get("csrf", ""), viewer.csrf)


def csrf_field(viewer: session.Viewer) -> str:
    return f'<input type="hidden" name="csrf" value="{e(viewer.csrf)}">'


def standby_refusal(viewer: session.Viewer) -> Response | None:
    """A standby region changes nothing (docs/regions.md; the API answers 405 the same way)."""
    from chalicelib.config import settings

    current = settings()
    if not current.standby:
        return None
    where = f" at {current.primary_url}" if current.primary_url else ""
    return error(
        405,
        f"This region is a read-only standby of the registry: make changes in the primary "
        f"region{where}.",
        viewer,
    )
