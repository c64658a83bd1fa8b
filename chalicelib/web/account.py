"""GET/POST /ui/account: a signed-in user changes their own password, as `berth user passwd`
lets an admin do for anyone. The current password is asked again and checked through the
gate's login (its rate limits and login audit), so a session left open cannot be turned into
a lasting account takeover. The change is audited as the admin API audits `user.password`,
by the user; it ends every session of theirs (the generation moves), so this response signs
them in anew with the new password. Robots have secrets, not passwords: nothing to change.
The page reads nothing beyond the session check every page makes."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.oci.errors import OCIError
from chalicelib.web import session
from chalicelib.web.html import e
from chalicelib.web.respond import (
    csrf_field,
    error,
    forged,
    form,
    redirect,
    request_of,
    show,
    signed_in,
    standby_refusal,
)

DONE = "Your password was changed; your other sessions ended."


def account(chalice_request: Any, message: str = "", status: int = 200) -> Response:
    request = request_of(chalice_request)
    viewer = signed_in(request)
    if isinstance(viewer, Response):
        return viewer
    if viewer.principal is None or viewer.principal.kind != "user":
        return error(404, "Only a signed-in user has a password to change here.", viewer)
    if request.arg("done") and not message:
        message = DONE
    notice = ""
    if message:
        css = "notice" if status < 400 else "error"
        notice = f'<p class="{css}">{e(message)}</p>'
    body = (
        notice
        + f"<p>Signed in as <code>{e(viewer.name)}</code>.</p><h2>Change your password</h2>"
        + '<form method="post" action="/ui/account" class="grid" id="change-password">'
        + csrf_field(viewer)
        + '<label>Current password <input name="current" type="password" required '
        'autocomplete="current-password"></label>'
        '<label>New password <input name="password" type="password" minlength="8" '
        'maxlength="1024" required autocomplete="new-password"></label>'
        '<label>New password again <input name="again" type="password" minlength="8" '
        'maxlength="1024" required autocomplete="new-password"></label>'
        '<button type="submit">Change password</button></form>'
    )
    return show(request, viewer, "Your account", body, status=status)


def change(chalice_request: Any) -> Response:
    from chalicelib.audit import record
    from chalicelib.auth import gate, principals
    from chalicelib.web.admin_actions import Refused, new_password

    request = request_of(chalice_request)
    viewer = signed_in(request)
    if isinstance(viewer, Response):
        return viewer
    if viewer.principal is None or viewer.principal.kind != "user":
        return error(403, "Only a signed-in user has a password to change here.", viewer)
    fields = form(request)
    if forged(viewer, fields):
        return error(403, "The form expired; reload the page.", viewer)
    if (standby := standby_refusal(viewer)) is not None:
        return standby
    name = viewer.principal.name
    try:
        password = new_password(fields)
    except Refused as refused:
        return account(chalice_request, str(refused), refused.status)
    if fields.get("again", "") != password:
        return account(chalice_request, "The two new passwords differ.", 400)
    try:
        gate.login(name, fields.get("current", ""), request.source_ip)
    except OCIError as refused:
        if refused.status == 429:
            return account(chalice_request, "Too many attempts; wait and retry.", 429)
        return account(chalice_request, "The current password is not right.", 403)
    try:
        principals.set_password(name, password)
    except principals.Missing:
        return error(404, "Your user no longer exists.", viewer)
    request.principal = viewer.principal.subject
    record.permission_change(
        request, "user.password", subject=f"user:{name}", pattern=None, detail={}
    )
    session.sign_out(viewer.session)
    fresh = session.sign_in(name, password, request.source_ip)
    cookie = session.cookie(session.SESSION_COOKIE, fresh, request, max_age=session.SESSION_SECONDS)
    return redirect("/ui/account?done=1", {"Set-Cookie": cookie})
