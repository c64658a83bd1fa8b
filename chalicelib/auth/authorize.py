"""`authorize`: the check before every /v2 request. Who is asking (Bearer token, Basic
credentials or nobody), and may they have every scope the route needs; the caller's `Access`,
or a 401 challenge or 403."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from chalicelib.auth import permissions, revocations
from chalicelib.auth.challenges import Challenge, denied
from chalicelib.auth.credentials import basic_credentials, scheme_of
from chalicelib.auth.decisions import Access, allowed, principal_of
from chalicelib.auth.login import login
from chalicelib.auth.permissions import ANONYMOUS, Principal
from chalicelib.auth.process_caches import (
    remember_login,
    remembered_login,
    revocation_view,
    verified_claims,
)
from chalicelib.auth.scope import ResourceScope
from chalicelib.auth.tokens import TokenError
from chalicelib.oci.errors import OCIError


def authorize(
    headers: Mapping[str, str],
    source_ip: str,
    wanted: Sequence[ResourceScope],
    *,
    realm: str,
    authenticated: bool = False,
) -> Access:
    """The caller, if it may have every `wanted` scope; raises Challenge (401) or DENIED.

    `authenticated`: the route needs a caller who logged in (`/v2/`), even with no scope."""
    scheme, value = scheme_of(headers.get("authorization"))
    if scheme == "bearer":
        return _bearer(value, wanted, realm)
    if scheme == "basic":
        credentials = basic_credentials(value)
        if credentials is None:
            raise Challenge(realm, wanted)
        principal = _cached_login(*credentials, source_ip, realm=realm, wanted=wanted)
        if not all(allowed(principal, scope) for scope in wanted):
            raise denied(wanted, principal.subject)
        return Access(principal.subject, principal)
    if scheme:  # an unknown scheme or garbage: as good as none
        raise Challenge(realm, wanted)
    if authenticated or not wanted or not all(allowed(ANONYMOUS, s) for s in wanted):
        raise Challenge(realm, wanted)
    return Access(ANONYMOUS.subject, ANONYMOUS)


def _bearer(token: str, wanted: Sequence[ResourceScope], realm: str) -> Access:
    try:
        claims = verified_claims(token)
    except TokenError:
        raise Challenge(realm, wanted, error="invalid_token") from None
    view = revocation_view()
    if view.token_refused(claims.subject, claims.issued_at_ms) or (
        claims.public and view.token_refused(revocations.PUBLIC, claims.issued_at_ms)
    ):
        raise Challenge(realm, wanted, error="invalid_token")
    missing = [scope for scope in wanted if not permissions.covers(claims.access, scope)]
    if missing:
        # Would a new token cover it? Then 401 (the client asks for one); else 403.
        principal = principal_of(claims.subject)
        if (
            principal is None
            or principal.kind == "anonymous"
            or all(allowed(principal, s) for s in missing)
        ):
            raise Challenge(realm, wanted, error="insufficient_scope")
        raise denied(missing, claims.subject)
    return Access(claims.subject, claims=claims.access)


def _cached_login(
    username: str, password: str, source_ip: str, *, realm: str, wanted: Sequence[ResourceScope]
) -> Principal:
    key, remembered = remembered_login(username, password)
    if remembered is not None:
        return remembered
    logged_in_at = time.time()
    try:
        principal = login(username, password, source_ip)
    except OCIError as error:
        if error.code == "UNAUTHORIZED":
            raise Challenge(realm, wanted) from None
        raise
    remember_login(key, principal, logged_in_at)
    return principal
