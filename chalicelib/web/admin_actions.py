"""POST /ui/admin: the administration forms' changes, one `do` per form, each CSRF-checked,
refused to anyone but a registry admin (server-side, whatever the page showed), validated as
the admin API validates, and audited under the viewer as the admin API audits them.

A robot's secret (at creation, or a new one) is answered in this response's page, once, never
stored in a form or URL; every other change redirects back to the page it came from."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from chalice.app import Response

from chalicelib.api.http import HttpRequest
from chalicelib.auth.permissions import Level
from chalicelib.web.admin import admin_viewer, nav
from chalicelib.web.html import copy_button, e
from chalicelib.web.respond import (
    error,
    forged,
    form,
    redirect,
    request_of,
    show,
    standby_refusal,
)
from chalicelib.web.session import Viewer

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_DESCRIPTION = 256


class Refused(Exception):
    """Bad form input: the page says why, with this status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _name(fields: dict[str, str]) -> str:
    from chalicelib.auth import principals

    value = fields.get("name", "")
    if not principals.valid_name(value):
        raise Refused("A name is 1 to 64 of a-z, 0-9, '.', '_' and '-', starting alphanumeric.")
    return value


def _kind(fields: dict[str, str]) -> str:
    kind = fields.get("kind", "")
    if kind not in ("user", "robot"):
        raise Refused("kind must be user or robot")
    return kind


def _pattern(fields: dict[str, str]) -> str:
    from chalicelib.auth.permissions import check_pattern

    try:
        return check_pattern(fields.get("pattern", ""))
    except ValueError as problem:
        raise Refused(f"Not a repository pattern: {problem}") from None


def _level(fields: dict[str, str]) -> Level:
    try:
        return Level.parse(fields.get("level", ""))
    except ValueError as problem:
        raise Refused(str(problem)) from None


def new_password(fields: dict[str, str], field: str = "password") -> str:
    password = fields.get(field, "")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Refused(f"A password is {MIN_PASSWORD} to {MAX_PASSWORD} characters.")
    return password


def _days(fields: dict[str, str]) -> float | None:
    raw = fields.get("days", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= 3650:
        raise Refused("Expires in days must be 1 to 3650.")
    return time.time() + int(raw) * 86400


def _description(fields: dict[str, str]) -> str | None:
    value = fields.get("description", "").strip()
    if len(value) > MAX_DESCRIPTION:
        raise Refused(f"A description is at most {MAX_DESCRIPTION} characters.")
    return value or None


def _audit(
    request: HttpRequest,
    action: str,
    *,
    subject: str | None = None,
    pattern: str | None = None,
    grants: Sequence[tuple[str, Level, float | None]] = (),
) -> None:
    from chalicelib.audit import record

    detail: dict[str, Any] = {}
    if grants:
        detail["grants"] = [{"pattern": p, "level": lv.label()} for p, lv, _ in grants]
    record.permission_change(request, action, subject=subject, pattern=pattern, detail=detail)


def _secret_page(
    request: HttpRequest, viewer: Viewer, name: str, secret: str, status: int
) -> Response:
    login = f"robot${name}"
    body = (
        nav() + f'<p class="notice">The secret of <code>{e(login)}</code>, shown this once: '
        "it is not stored (only its digest), so copy it now.</p>"
        + f'<p><code id="secret">{e(secret)}</code>{copy_button(secret)}</p>'
        + f"<p>Log in with <code>{e(login)}</code> and this secret, e.g. "
        + f"<code>skopeo login -u '{e(login)}' {e(request.header('host') or 'REGISTRY')}</code>."
        + f'</p><p><a href="/ui/admin/principal?kind=robot&amp;name={quote(name)}">'
        "the robot's page</a></p>"
    )
    return show(request, viewer, f"Robot {name}", body, status=status)


def _back(kind: str, name: str, done: str) -> Response:
    return redirect(f"/ui/admin/principal?kind={quote(kind)}&name={quote(name)}&done={done}")


def _change(request: HttpRequest, viewer: Viewer, fields: dict[str, str]) -> Response:
    from chalicelib.auth import principals

    do = fields.get("do", "")
    actor = viewer.principal.subject if viewer.principal is not None else None
    if do == "user.create":
        name = _name(fields)
        password = new_password(fields)
        grants = [(_pattern(fields), _level(fields), None)] if fields.get("pattern") else []
        principals.create_user(name, password, grants=grants, granted_by=actor)
        _audit(request, "user.create", subject=f"user:{name}", grants=grants)
        return _back("user", name, "user.create")
    if do == "robot.create":
        name = _name(fields)
        grants = [(_pattern(fields), _level(fields), None)]
        secret = principals.create_robot(
            name,
            valid_until=_days(fields),
            description=_description(fields),
            grants=grants,
            granted_by=actor,
        )
        _audit(request, "robot.create", subject=f"robot:{name}", grants=grants)
        return _secret_page(request, viewer, name, secret, 201)
    if do == "robot.rotate":
        name = _name(fields)
        secret = principals.rotate_robot_secret(name)
        _audit(request, "robot.rotate", subject=f"robot:{name}")
        return _secret_page(request, viewer, name, secret, 200)
    if do == "delete":
        kind, name = _kind(fields), _name(fields)
        if actor == f"{kind}:{name}":
            raise Refused("You cannot delete the account you are signed in with.", 403)
        principals.delete(kind, name)
        _audit(request, f"{kind}.delete", subject=f"{kind}:{name}")
        return redirect("/ui/admin?done=delete")
    if do in ("disable", "enable"):
        kind, name = _kind(fields), _name(fields)
        if do == "disable" and actor == f"{kind}:{name}":
            raise Refused("You cannot disable the account you are signed in with.", 403)
        principals.set_disabled(kind, name, do == "disable")
        _audit(request, f"{kind}.{do}", subject=f"{kind}:{name}")
        return _back(kind, name, do)
    if do == "user.password":
        name = _name(fields)
        principals.set_password(name, new_password(fields))
        _audit(request, "user.password", subject=f"user:{name}")
        return _back("user", name, "user.password")
    if do == "grant":
        kind, name = _kind(fields), _name(fields)
        pattern, level = _pattern(fields), _level(fields)
        principals.grant(kind, name, pattern, level, expires_at=None, granted_by=actor)
        _audit(request, "grant", subject=f"{kind}:{name}", grants=[(pattern, level, None)])
        return _back(kind, name, "grant")
    if do == "ungrant":
        kind, name, pattern = _kind(fields), _name(fields), _pattern(fields)
        principals.revoke_grant(kind, name, pattern)
        _audit(request, "ungrant", subject=f"{kind}:{name}", pattern=pattern)
        return _back(kind, name, "ungrant")
    if do == "public.add":
        pattern = _pattern(fields)
        principals.make_public(pattern, by=actor)
        _forget_public()
        _audit(request, "public.add", pattern=pattern)
        return redirect("/ui/admin?done=public.add")
    if do == "public.remove":
        pattern = _pattern(fields)
        principals.make_private(pattern)
        _forget_public()
        _audit(request, "public.remove", pattern=pattern)
        return redirect("/ui/admin?done=public.remove")
    raise Refused("That is not a change this page makes.")


def post(chalice_request: Any) -> Response:
    from chalicelib.auth import principals

    viewer = admin_viewer(chalice_request)
    if isinstance(viewer, Response):
        return viewer if viewer.status_code != 404 else error(403, "Administration only.")
    request = request_of(chalice_request)
    fields = form(request)
    if forged(viewer, fields):
        return error(403, "The form expired; reload the page.", viewer)
    if (standby := standby_refusal(viewer)) is not None:
        return standby
    request.principal = viewer.principal.subject if viewer.principal else "-"
    try:
        return _change(request, viewer, fields)
    except Refused as refused:
        return error(refused.status, str(refused), viewer)
    except principals.Duplicate as problem:
        return error(409, str(problem), viewer)
    except principals.Missing as problem:
        return error(404, str(problem), viewer)
    except principals.Revoked as problem:
        return error(409, str(problem), viewer)
    except principals.PrincipalError as problem:
        return error(400, str(problem), viewer)


def _forget_public() -> None:
    """The admin's next page (on this instance, the only one of `berth serve`) shows the
    change at once; other instances see it within the revocation bound."""
    from chalicelib.auth.process_caches import forget_public

    forget_public()
