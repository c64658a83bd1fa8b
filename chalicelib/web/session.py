"""Who is looking: with auth off, everyone sees everything; with auth on, a person signs in
with a user's or robot's name and secret (gate.login: rate limits and the audit log as for any
login) and gets a session cookie.

The session is a refresh token (chalicelib/auth/refresh.py) of audience `berth-ui`: opaque,
stored, an hour long, and bound to the principal's generation, so a password change, a
disable, a robot revoke or any grant change ends it at once. The cookie is `HttpOnly`,
`SameSite=Strict`, `Path=/ui`, and `Secure` whenever the request came over TLS.

CSRF: every form carries a token the server checks. Signed in, it is a digest of the session
cookie (which a cross-site page cannot read); on the sign-in form, and on every form when auth
is off (no session to bind it to, yet a page on another site must still not be able to roll a
tag back through a visitor's browser), a random value also set as a cookie (double submit).
SameSite=Strict would stop a cross-site POST on its own; both hold."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.api.http import HttpRequest
    from chalicelib.auth.permissions import Principal

AUDIENCE = "berth-ui"
SESSION_COOKIE = "berth_session"
CSRF_COOKIE = "berth_csrf"
FORM_COOKIE = "berth_form"  # auth off: the double-submit value every form carries
SESSION_SECONDS = 3600
FORM_SECONDS = 86400


@dataclass(frozen=True)
class Viewer:
    """The person looking: `principal` None with auth off (everything visible); the anonymous
    principal for a visitor browsing public repositories without signing in."""

    principal: Principal | None
    session: str = ""
    form_token: str = ""  # auth off: the form cookie's value (or a new one, to be set)
    new_form_cookie: bool = False

    @property
    def anonymous(self) -> bool:
        return self.principal is not None and self.principal.kind == "anonymous"

    @property
    def sees_identities(self) -> bool:
        """Who pushed or moved a tag names a user or robot of the registry: the registry's
        own people see it, an anonymous visitor does not (the API tells them nothing of its
        principals either)."""
        return not self.anonymous

    @property
    def name(self) -> str | None:
        if self.principal is None or self.anonymous:
            return None
        return (
            self.principal.name
            if self.principal.kind != "robot"
            else f"robot${self.principal.name}"
        )

    @property
    def csrf(self) -> str:
        return csrf_for(self.session) if self.session else self.form_token

    @property
    def admin(self) -> bool:
        """Registry administration, as the admin API grants it (auth off: everyone, as the
        API is then open to everyone)."""
        if self.principal is None:
            return True
        if self.anonymous:
            return False
        from chalicelib.auth.permissions import is_admin

        return is_admin(self.principal, now=time.time())

    def may(self, repository: str, action: str = "pull") -> bool:
        if self.principal is None:
            return True
        from chalicelib.auth import gate
        from chalicelib.auth.scope import ResourceScope

        return gate.allowed(self.principal, ResourceScope("repository", repository, (action,)))


def cookies(request: HttpRequest) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(request.header("cookie") or "")
    except Exception:
        return {}
    return {k: v.value for k, v in jar.items()}


def csrf_for(session: str) -> str:
    return hashlib.sha256(b"berth-ui-csrf\0" + session.encode()).hexdigest()[:32]


def same(a: str, b: str) -> bool:
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


def secure(request: HttpRequest) -> bool:
    proto = (request.header("x-forwarded-proto") or "").lower()
    return proto == "https" or (request.header("cloudfront-forwarded-proto") or "") == "https"


def cookie(name: str, value: str, request: HttpRequest, *, max_age: int) -> str:
    flags = f"; Path=/ui; Max-Age={max_age}; HttpOnly; SameSite=Strict"
    return f"{name}={value}{flags}{'; Secure' if secure(request) else ''}"


def viewer(request: HttpRequest) -> Viewer | None:
    """The viewer, or None when auth is on and nobody (valid) is signed in."""
    from chalicelib.auth.auth_settings import auth_settings

    if not auth_settings().enabled:
        held = cookies(request).get(FORM_COOKIE, "")
        if 16 <= len(held) <= 64:
            return Viewer(None, form_token=held)
        return Viewer(None, form_token=new_csrf(), new_form_cookie=True)
    token = cookies(request).get(SESSION_COOKIE, "")
    if not token:
        return None
    from chalicelib.auth import gate, refresh

    grant = refresh.redeem(token, AUDIENCE)
    principal = gate.principal_of(grant.subject) if grant is not None else None
    if (
        grant is None
        or principal is None
        or principal.kind == "anonymous"
        or principal.generation != grant.generation
        or not principal.active(time.time())
    ):
        return None
    return Viewer(principal, token)


def sign_in(username: str, password: str, source_ip: str) -> str:
    """A new session for these credentials (raises the gate's UNAUTHORIZED or 429)."""
    from chalicelib.auth import gate, refresh

    principal = gate.login(username, password, source_ip)
    return refresh.create(
        principal.subject, AUDIENCE, ttl=SESSION_SECONDS, generation=principal.generation
    )


def sign_out(session: str) -> None:
    from chalicelib.auth import refresh

    refresh.revoke(session)


def new_csrf() -> str:
    return secrets.token_urlsafe(24)
