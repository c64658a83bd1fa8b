"""IAM sign-in to the pages. A browser holds no AWS credentials, and an IAM login password (a
presigned sts:GetCallerIdentity, chalicelib/auth/iam.py) is kilobytes long and lives 15
minutes: nobody should paste one into a form. So `berth ui login` (berth/commands/ui.py)
makes one from the caller's AWS credentials and trades it here for a one-time link:

    POST /ui/iam-link  {"password": "berth-iam-v1...."}   (JSON, from the CLI)
        the password is checked as any IAM login is (gate.login: STS, the mappings, rate
        limits, the login audit); answered 201 {"link": "/ui/link?code=...", "expiresIn": 120}
    GET  /ui/link?code=C   who the link signs in as, and a button (nothing changes on a GET:
                           a link opened by a crawler or a preview signs nobody in)
    POST /ui/link          the code is consumed (once, whoever races for it) and the browser
                           gets a session, as after the sign-in form; CSRF double-submit as
                           the sign-in form has it (a cross-site page cannot sign a visitor
                           in as someone else)

The code is a refresh token of its own audience (chalicelib/auth/refresh.py): stored as a
digest, bound to the IAM principal's generation, LINK_SECONDS long. Locally it works on
moto's STS as the registry's IAM login does."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice.app import Response

from chalicelib.oci.errors import OCIError
from chalicelib.web import session
from chalicelib.web.html import e, page
from chalicelib.web.respond import form, html, redirect, request_of

LINK_AUDIENCE = "berth-ui-link"
LINK_SECONDS = 120


def _auth_on() -> bool:
    from chalicelib.auth.auth_settings import auth_settings

    return auth_settings().enabled


def create(chalice_request: Any) -> Response:
    from chalicelib.api.http import error_response, json_body, json_response
    from chalicelib.auth import gate, iam, refresh

    request = request_of(chalice_request)
    if not _auth_on():
        return error_response(
            OCIError("UNSUPPORTED", "auth is off here: the pages need no sign-in", status=404)
        )
    try:
        document = json_body(request, "the link request")
    except OCIError as error:
        return error_response(error)
    password = document.get("password") if isinstance(document, dict) else None
    if not isinstance(password, str) or not iam.is_iam_password(password):
        return error_response(
            OCIError("UNSUPPORTED", "give {'password': an IAM login password}", status=400)
        )
    try:
        principal = gate.login("aws", password, request.source_ip)
    except OCIError as error:
        return error_response(error)
    code = refresh.create(
        principal.subject, LINK_AUDIENCE, ttl=LINK_SECONDS, generation=principal.generation
    )
    return json_response(201, {"link": f"/ui/link?code={quote(code)}", "expiresIn": LINK_SECONDS})


def _principal(code: str, *, once: bool) -> Any:
    """The IAM principal the link names, while it is valid (None otherwise)."""
    import time

    from chalicelib.auth import gate, refresh

    grant = refresh.consume(code, LINK_AUDIENCE) if once else refresh.redeem(code, LINK_AUDIENCE)
    if grant is None:
        return None
    principal = gate.principal_of(grant.subject)
    if (
        principal is None
        or principal.kind != "iam"
        or principal.generation != grant.generation
        or not principal.active(time.time())
    ):
        return None
    return principal


def _expired(status: int = 410) -> Response:
    body = (
        '<p class="error">This sign-in link was used already or has expired.</p>'
        "<p>Run <code>berth ui login</code> again for a new one, or "
        '<a href="/ui/login">sign in with a name and password</a>.</p>'
    )
    return html(status, page("Sign in", body))


def confirm(chalice_request: Any) -> Response:
    request = request_of(chalice_request)
    if not _auth_on():
        return redirect("/ui")
    code = request.arg("code") or ""
    principal = _principal(code, once=False)
    if principal is None:
        return _expired()
    token = session.new_csrf()
    body = (
        f"<p>Sign in to this registry as <code>{e(principal.name)}</code> "
        "(your AWS identity)?</p>"
        '<form method="post" action="/ui/link" class="login" id="link-sign-in">'
        f'<input type="hidden" name="csrf" value="{e(token)}">'
        f'<input type="hidden" name="code" value="{e(code)}">'
        '<button type="submit">Sign in</button></form>'
    )
    cookie = session.cookie(session.CSRF_COOKIE, token, request, max_age=LINK_SECONDS)
    return html(200, page("Sign in", body), {"Set-Cookie": cookie})


def sign_in(chalice_request: Any) -> Response:
    from chalicelib.auth import refresh

    request = request_of(chalice_request)
    if not _auth_on():
        return redirect("/ui")
    fields = form(request)
    held = session.cookies(request).get(session.CSRF_COOKIE, "")
    if not held or not session.same(fields.get("csrf", ""), held):
        return html(403, page("Sign in", '<p class="error">The form expired; reload it.</p>'))
    principal = _principal(fields.get("code", ""), once=True)
    if principal is None:
        return _expired()
    token = refresh.create(
        principal.subject,
        session.AUDIENCE,
        ttl=session.SESSION_SECONDS,
        generation=principal.generation,
    )
    cookie = session.cookie(session.SESSION_COOKIE, token, request, max_age=session.SESSION_SECONDS)
    return redirect("/ui", {"Set-Cookie": cookie})
