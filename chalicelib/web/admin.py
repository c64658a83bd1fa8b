"""Administration pages (registry admins only; everyone else gets 404, as for a page that does
not exist, and is shown no link): the same principals functions the `_berth/admin` API and
`berth user|robot|grant|public` use, so a change made here is the one the API would make.

    GET /ui/admin                         users, robots (create forms), public repositories
                                          (2 Queries: the directory, the public patterns)
    GET /ui/admin/principal?kind=K&name=N one user or robot: state, grants with revoke and
                                          grant forms, secret rotation, delete (1 Query)

The forms post to /ui/admin (web/admin_actions.py)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from chalice.app import Response

from chalicelib.web.html import e, table, when
from chalicelib.web.respond import csrf_field, error, request_of, show, signed_in
from chalicelib.web.session import Viewer

LEVELS = ("pull", "push", "delete", "admin")
NOTICES = {
    "user.create": "The user was created.",
    "delete": "Deleted.",
    "grant": "Granted.",
    "ungrant": "The grant was revoked.",
    "public.add": "The pattern is public now.",
    "public.remove": "The pattern is private now.",
    "disable": "Disabled: it can no longer sign in, and its sessions and tokens ended.",
    "enable": "Enabled: it can sign in again.",
    "user.password": "The password was changed; the user's sessions ended.",
}


def admin_viewer(chalice_request: Any) -> Viewer | Response:
    """The viewer when a registry admin; otherwise the sign-in redirect or a 404 page."""
    viewer = signed_in(request_of(chalice_request))
    if isinstance(viewer, Response):
        return viewer
    if not viewer.admin:
        return error(404, "There is no such page for you.", viewer)
    return viewer


def nav() -> str:
    return (
        '<nav class="admin"><a href="/ui/admin">Users and robots</a> · '
        '<a href="/ui/admin/webhooks">Webhooks</a> · <a href="/ui/admin/audit">Audit log</a></nav>'
    )


def action_form(viewer: Viewer, do: str, fields: dict[str, str], label: str, css: str = "") -> str:
    """A one-button form posting `do` and hidden `fields` to /ui/admin, CSRF token included."""
    hidden = "".join(
        f'<input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in fields.items()
    )
    button = f'<button type="submit"{f" class={chr(34)}{css}{chr(34)}" if css else ""}>'
    return (
        f'<form method="post" action="/ui/admin" class="inline">{csrf_field(viewer)}'
        f'<input type="hidden" name="do" value="{e(do)}">{hidden}{button}{e(label)}</button></form>'
    )


def level_select(name: str = "level") -> str:
    options = "".join(f'<option value="{lv}">{lv}</option>' for lv in LEVELS)
    return f'<select name="{name}" aria-label="level">{options}</select>'


def notice_of(done: str | None) -> str:
    text = NOTICES.get(done or "")
    return f'<p class="notice">{e(text)}</p>' if text else ""


def people(chalice_request: Any) -> Response:
    from chalicelib.auth import principals

    viewer = admin_viewer(chalice_request)
    if isinstance(viewer, Response):
        return viewer
    request = request_of(chalice_request)
    entries = list(principals.directory())
    rows = [
        [
            e(entry.kind),
            f'<a href="/ui/admin/principal?kind={quote(entry.kind)}&amp;name={quote(entry.name)}">'
            f"{e(entry.name if entry.kind != 'robot' else 'robot$' + entry.name)}</a>",
        ]
        for entry in entries
        if entry.kind in ("user", "robot")
    ]
    csrf = csrf_field(viewer)
    create_user = (
        f'<form method="post" action="/ui/admin" class="grid" id="create-user">{csrf}'
        '<input type="hidden" name="do" value="user.create">'
        '<label>Name <input name="name" required></label>'
        '<label>Password <input name="password" type="password" minlength="8" required '
        'autocomplete="new-password"></label>'
        '<label>Repository pattern <input name="pattern" placeholder="team/* (optional)"></label>'
        f"<label>Level {level_select()}</label>"
        '<button type="submit">Create user</button></form>'
    )
    create_robot = (
        f'<form method="post" action="/ui/admin" class="grid" id="create-robot">{csrf}'
        '<input type="hidden" name="do" value="robot.create">'
        '<label>Name <input name="name" required></label>'
        '<label>Repository pattern <input name="pattern" placeholder="team/*" required></label>'
        f"<label>Level {level_select()}</label>"
        '<label>Expires in days <input name="days" type="number" min="1" max="3650"></label>'
        '<label>Description <input name="description" maxlength="256"></label>'
        '<button type="submit">Create robot</button></form>'
    )
    public = principals.public_patterns()
    public_rows = [
        [
            f"<code>{e(p)}</code>",
            action_form(viewer, "public.remove", {"pattern": p}, "make private"),
        ]
        for p in public
    ]
    add_public = (
        f'<form method="post" action="/ui/admin" class="inline" id="add-public">{csrf}'
        '<input type="hidden" name="do" value="public.add">'
        '<input name="pattern" placeholder="pattern, e.g. library/*" aria-label="pattern" '
        'required><button type="submit">Make public</button></form>'
    )
    body = (
        nav()
        + notice_of(request.arg("done"))
        + "<h2>Users and robots</h2>"
        + table(["Kind", "Name"], rows, table_id="principals")
        + "<h2>New user</h2>"
        + create_user
        + "<h2>New robot</h2><p>Its secret is shown once, on the next page.</p>"
        + create_robot
        + "<h2>Public repositories</h2><p>Anyone, signed in or not, may pull these.</p>"
        + (table(["Pattern", ""], public_rows, table_id="public") if public_rows else "")
        + add_public
    )
    return show(request, viewer, "Administration", body)


def principal(chalice_request: Any) -> Response:
    from chalicelib.auth import principals

    viewer = admin_viewer(chalice_request)
    if isinstance(viewer, Response):
        return viewer
    request = request_of(chalice_request)
    kind, name = request.arg("kind") or "", request.arg("name") or ""
    if kind not in ("user", "robot") or not principals.valid_name(name):
        return error(400, "not a user or robot name", viewer)
    found = principals.details(kind, name)
    if found is None:
        return error(404, f"no {kind} {name}", viewer)
    profile, stored = found
    who = {"kind": kind, "name": name}
    grants = [
        [
            f"<code>{e(g.pattern)}</code>",
            e(g.level.label()),
            e(_expiry(g.expires_at)),
            action_form(viewer, "ungrant", {**who, "pattern": g.pattern}, "revoke"),
        ]
        for g in sorted(stored.principal.grants, key=lambda g: g.pattern)
    ]
    state = (
        "revoked"
        if stored.revoked
        else "disabled"
        if profile.disabled
        else "active"
        if stored.principal.active(time.time())
        else "expired"
    )
    facts = [
        ["Login", e(name if kind == "user" else f"robot${name}")],
        ["State", e(state)],
        ["Created", when(profile.created_at)],
        ["Description", e(profile.description or "-")],
    ]
    if kind == "robot" and stored.principal.valid_until is not None:
        facts.append(["Valid until", e(_expiry(stored.principal.valid_until))])
    grant_form = (
        f'<form method="post" action="/ui/admin" class="inline" id="grant">{csrf_field(viewer)}'
        '<input type="hidden" name="do" value="grant">'
        f'<input type="hidden" name="kind" value="{e(kind)}">'
        f'<input type="hidden" name="name" value="{e(name)}">'
        '<input name="pattern" placeholder="repository pattern" aria-label="pattern" required>'
        f'{level_select()}<button type="submit">Grant</button></form>'
    )
    actions = ""
    yourself = viewer.principal is not None and viewer.principal.subject == f"{kind}:{name}"
    if kind == "robot" and not stored.revoked:
        actions += action_form(viewer, "robot.rotate", who, "new secret (the old one stops)")
    if not stored.revoked and profile.disabled:
        actions += action_form(viewer, "enable", who, f"enable this {kind}")
    elif not stored.revoked and not yourself:
        actions += action_form(viewer, "disable", who, f"disable this {kind}")
    if not yourself:
        actions += action_form(viewer, "delete", who, f"delete this {kind}", "danger")
    password_form = ""
    if kind == "user":
        password_form = (
            "<h2>Password</h2>"
            f'<form method="post" action="/ui/admin" class="inline" id="set-password">'
            f'{csrf_field(viewer)}<input type="hidden" name="do" value="user.password">'
            f'<input type="hidden" name="name" value="{e(name)}">'
            '<input name="password" type="password" minlength="8" maxlength="1024" required '
            'autocomplete="new-password" aria-label="new password" placeholder="new password">'
            '<button type="submit">Set password</button></form>'
        )
    body = (
        nav()
        + notice_of(request.arg("done"))
        + table(["", ""], facts)
        + "<h2>Grants</h2>"
        + (table(["Pattern", "Level", "Expires", ""], grants, table_id="grants") if grants else "")
        + grant_form
        + password_form
        + (f"<h2>Actions</h2><p>{actions}</p>" if actions else "")
    )
    title = f"{kind} {name}"
    return show(request, viewer, title, body)


def _expiry(epoch: float | None) -> str:
    if epoch is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))
