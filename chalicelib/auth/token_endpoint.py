"""The token endpoint's logic (`GET /token` with Basic credentials and repeated `scope`, the
OAuth2 `POST /token` form): log in, intersect the scopes asked for with the principal's
access, sign a token, and a refresh token when one is asked for. chalicelib/api/token.py
speaks the HTTP."""

from __future__ import annotations

import time
from collections.abc import Mapping

from chalicelib.auth import permissions, revocations
from chalicelib.auth.auth_settings import auth_settings
from chalicelib.auth.credentials import basic_credentials, scheme_of
from chalicelib.auth.login import login, redeem, unauthorized
from chalicelib.auth.permissions import ANONYMOUS, Principal
from chalicelib.auth.process_caches import key_ring, public_patterns
from chalicelib.auth.scope import ScopeError, parse_scopes
from chalicelib.oci.errors import OCIError


def _bad_request(message: str) -> OCIError:
    return OCIError("UNSUPPORTED", message, status=400)


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    return values[-1] if values else None


def _login_once(username: str, password: str, source_ip: str) -> Principal:
    """A client asks for a token before every pull: credentials this instance verified within
    the token TTL are not verified again (no argon2id, no principal read), under the same
    cache and revocation bound as Basic credentials on a registry request
    (chalicelib/auth/process_caches.py); a new login is verified, rate-limited and audited."""
    from chalicelib.auth.process_caches import remember_login, remembered_login

    key, remembered = remembered_login(username, password)
    if remembered is not None:
        return remembered
    logged_in_at = time.time()
    principal = login(username, password, source_ip)
    remember_login(key, principal, logged_in_at)
    return principal


def issue_token(
    params: Mapping[str, list[str]],
    headers: Mapping[str, str],
    source_ip: str,
    *,
    method: str = "GET",
) -> dict[str, object]:
    """The token endpoint: GET (Basic credentials, repeated `scope`) or the OAuth2 POST form."""
    from chalicelib.auth import refresh

    settings = auth_settings()
    service = _one(params, "service")
    if service is not None and service != settings.service:
        raise _bad_request(f"this registry's service is {settings.service!r}")
    try:
        requested = parse_scopes(params.get("scope") or [])
    except ScopeError as error:
        raise _bad_request(str(error)) from None

    offline = False
    if method == "POST":
        grant_type = _one(params, "grant_type")
        if grant_type == "password":
            username, password = _one(params, "username"), _one(params, "password")
            if not username or password is None:
                raise _bad_request("grant_type=password needs username and password")
            principal = login(username, password, source_ip)
            offline = _one(params, "access_type") == "offline"
        elif grant_type == "refresh_token":
            principal = redeem(_one(params, "refresh_token") or "")
        else:
            raise _bad_request("grant_type must be password or refresh_token")
    else:
        scheme, value = scheme_of(headers.get("authorization"))
        if scheme == "basic":
            credentials = basic_credentials(value)
            if credentials is None:
                raise unauthorized()
            principal = _login_once(*credentials, source_ip)
            offline = (_one(params, "offline_token") or "").lower() == "true"
        elif scheme:
            raise unauthorized()
        else:
            principal = ANONYMOUS

    now = time.time()
    # Fresh, not the cached view: a token dated in the millisecond of a revocation made a
    # moment ago would be refused by every function that has seen it; and a pattern made
    # private a moment ago must not reach the token through a stale cache.
    entries = revocations.read_all(now)
    public = public_patterns(entries)
    access = permissions.grant_scopes(principal, requested, now=now, public=public)
    # Access through a public pattern ends when a pattern is made private (`pub`).
    through_public = bool(public) and access != permissions.grant_scopes(
        principal, requested, now=now
    )
    now = revocations.issued_after(entries, principal.subject, now)
    if through_public:
        now = revocations.issued_after(entries, revocations.PUBLIC, now)
    token, claims = key_ring().issue(
        issuer=settings.issuer,
        subject=principal.subject,
        audience=settings.service,
        access=access,
        ttl=settings.token_ttl,
        now=now,
        public=through_public,
    )
    answer: dict[str, object] = {
        "token": token,
        "access_token": token,
        "expires_in": claims.expires_at - claims.issued_at,
        "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(claims.issued_at)),
        "scope": " ".join(scope.format() for scope in access),
    }
    if offline and principal.kind != "anonymous":
        answer["refresh_token"] = refresh.create(
            principal.subject,
            settings.service,
            ttl=settings.refresh_ttl,
            generation=principal.generation,
        )
    return answer
