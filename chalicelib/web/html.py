"""HTML building: every value escaped on the way in, one layout, and the security headers
every page carries."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def e(value: object) -> str:
    """Escape any value for text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def table(header: Iterable[str], rows: Iterable[Iterable[str]], *, table_id: str = "") -> str:
    """`rows` hold HTML already built (escaped) by the caller."""
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    ident = f' id="{e(table_id)}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def copy_button(text: str, label: str = "copy") -> str:
    return f'<button type="button" class="copy" data-copy="{e(text)}">{e(label)}</button>'


ADMIN_LINK = '<a href="/ui/admin" class="admin-link">Administration</a>'


def page(
    title: str,
    body: str,
    *,
    who: str | None = None,
    csrf: str = "",
    admin: bool = False,
    account: bool = False,
    sign_in: bool = False,
) -> str:
    """The layout: a header with the registry's name, a link to administration for admins
    only, who is signed in (a link to their account page when they have a password to change:
    `account`) and a sign-out form carrying its CSRF token, then `body` (HTML the caller
    built). An anonymous visitor (`sign_in`) is offered the sign-in page instead."""
    session = ""
    if sign_in:
        session = '<a href="/ui/login" id="sign-in-link" class="session">sign in</a>'
    elif who is not None:
        session = (
            '<form method="post" action="/ui/logout" class="session">'
            + (
                f'<a href="/ui/account" id="account-link" title="your account">{e(who)}</a>'
                if account
                else f"<span>{e(who)}</span>"
            )
            + f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            f'<button type="submit">sign out</button></form>'
        )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · Berth</title>"
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/ui/static/berth.css">'
        '<script src="/ui/static/berth.js" defer></script></head><body>'
        f'<header><a href="/ui" class="brand">Berth</a>'
        f"{ADMIN_LINK if admin else ''}{session}</header>"
        f"<main><h1>{e(title)}</h1>{body}</main></body></html>"
    )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def when(moment: object, exact: str | None = None) -> str:
    """A timestamp as the page shows it: UTC to the minute and how long ago
    (chalicelib/web/times.py), the exact value in a tooltip; "-" when there is none. A string
    is read as RFC 3339 (an image config's times): one that is not is shown as it is."""
    from datetime import datetime

    from chalicelib.storage.clock import now
    from chalicelib.web import times

    if isinstance(moment, str):
        parsed = times.parse(moment)
        if parsed is None:
            return e(moment)
        return times.element(parsed, now(), exact=moment)
    if not isinstance(moment, datetime):
        return "-"
    return times.element(moment, now(), exact=exact)
