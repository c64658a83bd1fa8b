"""The gate: who is asking (Bearer token, Basic credentials or nobody) and may they do this.

Entry points (see the package docstring): `authorize` for every /v2 request, `issue_token`
for the token endpoint, and `login`, which both share. Imported only when auth is on, so a
registry with `BERTH_AUTH=off` pays nothing for it.

AWS calls, once warm:
- a Bearer token: none (the public keys are resolved once per process, `KeyRing.lookup`).
  Only a token that falls short of a scope costs one query, to tell 401 (ask for a new token)
  from 403 (the principal really may not);
- Basic credentials: none while the login is cached (in memory for the token TTL, under an
  HMAC of the credentials with a per-process key, so the cache holds no password); public
  patterns are cached for `PUBLIC_TTL` seconds, and read again within the revocation bound
  when a pattern is made private or public (`public_patterns`).
- both: the revocations (`chalicelib.auth.revocations`), one Query at most once per
  `BERTH_REVOCATION_REFRESH` seconds (15): a token issued, or a login cached, before its
  principal was revoked is refused within that bound.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chalicelib.auth import permissions, revocations
from chalicelib.auth.auth_settings import auth_settings
from chalicelib.auth.keyring import KeyRing
from chalicelib.auth.permissions import ANONYMOUS, Principal
from chalicelib.auth.revocations import View
from chalicelib.auth.scope import ResourceScope, ScopeError, bearer_challenge, parse_scopes
from chalicelib.auth.tokens import Claims, Signer, TokenError, Verifier
from chalicelib.oci.errors import CODES, OCIError

PUBLIC_TTL = 30.0
MAX_CREDENTIAL_LENGTH = 16 * 1024
CATALOG = ResourceScope("registry", "catalog", ("*",))
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?"
)


class Challenge(OCIError):
    """401 with a Bearer challenge (no or bad credentials, or a token short of a scope)."""

    def __init__(
        self, realm: str, wanted: Sequence[ResourceScope], *, error: str | None = None
    ) -> None:
        service = auth_settings().service
        message = {
            None: "authentication required",
            "invalid_token": "the access token is invalid or has expired",
            "insufficient_scope": "the access token does not cover this request",
        }.get(error, "authentication required")
        super().__init__(
            "UNAUTHORIZED",
            message,
            detail=[scope.claim() for scope in wanted] or None,
            headers={"WWW-Authenticate": bearer_challenge(realm, service, wanted, error=error)},
        )


# Scope actions in the level words of grants (`berth grant add ... LEVEL`).
_LEVEL_OF_ACTION = {"pull": "pull", "push": "push", "delete": "delete", "*": "admin"}


def needed(wanted: Sequence[ResourceScope]) -> str:
    """What a refused request needed, in grant words: `push on repository team/app`."""
    parts = []
    for scope in wanted:
        if scope.type == "registry":
            parts.append("registry admin (admin on *)" if scope.name == "admin" else "catalog")
            continue
        levels = [_LEVEL_OF_ACTION.get(a, a) for a in scope.actions]
        parts.append(f"{' and '.join(levels)} on {scope.type} {scope.name}")
    return "; ".join(parts)


def denied(wanted: Sequence[ResourceScope], subject: str | None = None) -> OCIError:
    """403 naming the level and repository needed; `subject` (who was refused) is kept on
    the error for the audit log."""
    message = CODES["DENIED"][1]
    if wanted:
        message += f": it needs {needed(wanted)}"
        if subject and not subject.startswith("anonymous"):
            message += f", which {subject} does not have"
    error = OCIError("DENIED", message, detail=[scope.claim() for scope in wanted] or None)
    error.subject = subject  # type: ignore[attr-defined]
    return error


@dataclass
class Access:
    """What the gate let through: who, and how to ask about other repositories."""

    subject: str
    principal: Principal | None = None  # known for Basic and anonymous callers
    claims: tuple[ResourceScope, ...] | None = None  # a Bearer token's access
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def may(self, scope: ResourceScope) -> bool:
        """Does this caller hold `scope` (used for a mount's source)?"""
        if self.claims is not None:
            return permissions.covers(self.claims, scope)
        return _allowed(self.principal or ANONYMOUS, scope)

    def may_pull(self, repository: str) -> bool:
        """For `_catalog`: may the caller pull `repository` (by its principal's grants)?"""
        with self._lock:
            if self.principal is None:
                self.principal = principal_of(self.subject) or ANONYMOUS
        return _allowed(self.principal, ResourceScope("repository", repository, ("pull",)))


# --- caches ----------------------------------------------------------------------------------

_lock = threading.Lock()
_ring: KeyRing | None = None
_verifier: Verifier | None = None
# (monotonic time, wall time) of the read, and the public patterns read
_public: tuple[float, float, tuple[str, ...]] | None = None
_revocations: View | None = None
# HMAC of the credentials -> (monotonic expiry, principal, wall time of the login)
_logins: dict[bytes, tuple[float, Principal, float]] = {}
_login_key = secrets.token_bytes(32)
MAX_CACHED_LOGINS = 1024
# token -> (its claims, its key's kid): a warm function checks a token's ECDSA signature once
# (about 0.2-0.4 ms, a tenth of a warm manifest GET), not on every request that carries it.
_verified: dict[str, tuple[Claims, str]] = {}
MAX_VERIFIED_TOKENS = 4096


def key_ring() -> KeyRing:
    """The signing key and the keys tokens may be signed with (`chalicelib.auth.keyring`)."""
    global _ring
    if _ring is None:
        settings = auth_settings()
        with _lock:
            if _ring is None:
                _ring = KeyRing(
                    settings.signing_key,
                    settings.previous_signing_key,
                    resolve_every=settings.key_resolve_every,
                )
    return _ring


def signer() -> Signer:
    """A signer bound to the current key (re-resolved at most every `key_resolve_every`)."""
    return key_ring().signer()


def verifier() -> Verifier:
    """One per process: keys come from the ring, one KMS GetPublicKey per alias when it
    resolves (at most every few minutes), none per token."""
    global _verifier
    if _verifier is None:
        settings = auth_settings()
        ring = key_ring()
        with _lock:
            if _verifier is None:
                _verifier = Verifier(
                    [],
                    issuer=settings.issuer,
                    audience=settings.service,
                    lookup=ring.lookup,
                    max_lifetime=settings.token_max_lifetime,
                )
    return _verifier


def revocation_view() -> View:
    """The process's revocations, re-read at most every `revocation_refresh` seconds."""
    global _revocations
    if _revocations is None:
        with _lock:
            if _revocations is None:
                _revocations = View(auth_settings().revocation_refresh)
    return _revocations


def public_patterns(entries: Mapping[str, float] | None = None) -> tuple[str, ...]:
    """The public patterns, cached for `PUBLIC_TTL`, but read again as soon as the
    revocations (`entries`, else the process's view, itself at most `revocation_refresh` old)
    record a pattern made private or public after the cached read: either change takes effect
    within the revocation bound, not 30 s."""
    from chalicelib.auth import revocations

    global _public
    now = time.monotonic()
    cached = _public
    seen = entries if entries is not None else revocation_view().entries()
    changed = max(seen.get(revocations.PUBLIC, 0.0), seen.get(revocations.PUBLIC_ADDED, 0.0))
    if cached is None or now - cached[0] > PUBLIC_TTL or (changed and changed >= cached[1]):
        from chalicelib.auth import principals

        read_at = time.time()
        cached = _public = (now, read_at, tuple(principals.public_patterns()))
    return cached[2]


def reset() -> None:
    """Forget every cache (tests that change keys, settings or grants)."""
    global _ring, _verifier, _public, _revocations
    with _lock:
        _ring = _verifier = _public = _revocations = None
        _logins.clear()
        _verified.clear()


# --- decisions -------------------------------------------------------------------------------


def _allowed(principal: Principal, scope: ResourceScope) -> bool:
    now = time.time()
    if scope.type == "registry" and scope.name == "catalog":
        return principal.kind != "anonymous" and principal.active(now)
    if scope.type == "registry" and scope.name == "admin":
        return principal.kind != "anonymous" and permissions.is_admin(principal, now=now)
    if scope.type != "repository":
        return False
    public = public_patterns()
    return all(
        permissions.allowed(principal, None, scope.name, action, now=now, public=public)
        for action in scope.actions
    )


def principal_of(subject: str) -> Principal | None:
    """The principal a token's `sub` names, with its CURRENT grants (None: gone)."""
    from chalicelib.auth import principals

    kind, _, name = subject.partition(":")
    if kind == "anonymous":
        return ANONYMOUS
    if kind == "iam":
        return principals.iam_principal(name)
    if kind not in ("user", "robot"):
        return None
    try:
        stored = principals.load(kind, name)
    except Exception:
        return None
    return stored.principal if stored is not None else None


def realm_of(headers: Mapping[str, str], prefix: str = "") -> str:
    """`<proto>://<host><prefix>/token`: the token endpoint of the app that was asked.

    `X-Forwarded-Host` counts only when it names a host the operator listed
    (`BERTH_TRUSTED_FORWARDED_HOSTS`, the proxy's public names); otherwise `Host`."""
    forwarded = (headers.get("x-forwarded-host") or "").split(",")[0].strip().lower()
    trusted = forwarded in auth_settings().trusted_forwarded_hosts
    host = (forwarded if trusted else None) or headers.get("host") or "localhost"
    proto = (headers.get("x-forwarded-proto") or "https").split(",")[0].strip().lower()
    if proto not in ("http", "https"):
        proto = "https"
    host = host.split(",")[0].strip()
    if _HOST.fullmatch(host) is None:  # not a host[:port]: no quote, slash or @ in a realm
        host = "localhost"
    return f"{proto}://{host}{prefix}/token"


def _credentials(value: str) -> tuple[str, str] | None:
    """`Basic base64(user:password)`, or None when malformed."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        return None
    return username, password


def _scheme(header: str | None) -> tuple[str, str]:
    if not header or len(header) > MAX_CREDENTIAL_LENGTH:
        return "", ""
    scheme, _, value = header.strip().partition(" ")
    return scheme.lower(), value.strip()


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
    scheme, value = _scheme(headers.get("authorization"))
    if scheme == "bearer":
        return _bearer(value, wanted, realm)
    if scheme == "basic":
        credentials = _credentials(value)
        if credentials is None:
            raise Challenge(realm, wanted)
        principal = _cached_login(*credentials, source_ip, realm=realm, wanted=wanted)
        if not all(_allowed(principal, scope) for scope in wanted):
            raise denied(wanted, principal.subject)
        return Access(principal.subject, principal)
    if scheme:  # an unknown scheme or garbage: as good as none
        raise Challenge(realm, wanted)
    if authenticated or not wanted or not all(_allowed(ANONYMOUS, s) for s in wanted):
        raise Challenge(realm, wanted)
    return Access(ANONYMOUS.subject, ANONYMOUS)


def _verified_claims(token: str) -> Claims:
    """`verifier().verify(token)`, remembered: a token seen before is still checked for
    expiry and for its key being listed (a key retired by rotation ends it), not re-verified."""
    found = _verified.get(token)
    if found is not None:
        claims, kid = found
        if time.time() < claims.expires_at + verifier().leeway and key_ring().lookup(kid):
            return claims
        _verified.pop(token, None)
    claims = verifier().verify(token)
    kid = verifier().kid_of(token)
    if len(_verified) >= MAX_VERIFIED_TOKENS:
        _verified.clear()
    _verified[token] = (claims, kid)
    return claims


def _bearer(token: str, wanted: Sequence[ResourceScope], realm: str) -> Access:
    try:
        claims = _verified_claims(token)
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
            or all(_allowed(principal, s) for s in missing)
        ):
            raise Challenge(realm, wanted, error="insufficient_scope")
        raise denied(missing, claims.subject)
    return Access(claims.subject, claims=claims.access)


def _cached_login(
    username: str, password: str, source_ip: str, *, realm: str, wanted: Sequence[ResourceScope]
) -> Principal:
    key = hmac.new(_login_key, f"{username}\0{password}".encode(), hashlib.sha256).digest()
    now = time.monotonic()
    found = _logins.get(key)
    if (
        found is not None
        and found[0] > now
        and not revocation_view().login_refused(found[1].subject, found[2])
    ):
        return found[1]
    logged_in_at = time.time()
    try:
        principal = login(username, password, source_ip)
    except OCIError as error:
        if error.code == "UNAUTHORIZED":
            raise Challenge(realm, wanted) from None
        raise
    if len(_logins) >= MAX_CACHED_LOGINS:
        _logins.clear()
    _logins[key] = (now + auth_settings().token_ttl, principal, logged_in_at)
    return principal


# --- login -----------------------------------------------------------------------------------


def unauthorized(username: str = "", why: str | None = None) -> OCIError:
    """The 401 of a failed login. Right credentials of a revoked, disabled or expired account
    say so (`why`, in the detail the audit records): only the secret's holder learns it."""
    if why is None:
        return OCIError("UNAUTHORIZED", "incorrect username or password")
    state = {"REVOKED": "was revoked", "EXPIRED": "has expired"}.get(why, "is disabled")
    return OCIError(
        "UNAUTHORIZED",
        f"{username[:80]} {state}: ask a registry admin for a new login",
        {"reason": why},
    )


def login(username: str, password: str, source_ip: str) -> Principal:
    """The principal these credentials name; raises RateLimited (429) or UNAUTHORIZED.
    Either way the login is in the audit log (bounded: chalicelib/audit/throttle.py)."""
    from chalicelib.audit import record

    try:
        principal = _login(username, password, source_ip)
    except OCIError as error:
        reason = error.detail.get("reason") if isinstance(error.detail, dict) else None
        record.login(username if isinstance(username, str) else "", None, reason or error.code)
        raise
    record.login(username, principal, None)
    return principal


def _login(username: str, password: str, source_ip: str) -> Principal:
    from chalicelib.auth import iam, principals, ratelimit

    settings = auth_settings()
    if (
        not isinstance(username, str)
        or not isinstance(password, str)
        or len(username) > 256
        or len(password) > iam.MAX_PASSWORD_LENGTH
    ):
        raise unauthorized()
    # Robots' secrets and IAM passwords cannot be guessed: no per-name backstop for them.
    # (`robot:ci`, through Basic the user `robot` with `ci:<secret>`, is a robot too.)
    robot = username.startswith((principals.ROBOT_PREFIX, principals.ROBOT_SUBJECT)) or (
        username == "robot" and ":" in password
    )
    random_secret = robot or iam.is_iam_password(password)
    ratelimit.check(
        username,
        source_ip,
        max_per_name=settings.max_failures_per_name,
        max_per_ip=settings.max_failures_per_ip,
        max_per_name_global=settings.max_failures_per_name_global,
        random_secret=random_secret,
        window=settings.failure_window,
    )
    principal: Principal | None
    why: str | None = None
    if iam.is_iam_password(password):
        try:
            identity = iam.caller_identity(
                password, settings.service, local_endpoint=_local_sts_endpoint()
            )
            principal = principals.iam_principal(identity.arn)
        except iam.IamError:
            principal = None
    else:
        found = principals.check_login(username, password)
        principal, why = (found, None) if not isinstance(found, str) else (None, found)
    if principal is None:
        ratelimit.record_failure(
            username, source_ip, window=settings.failure_window, random_secret=random_secret
        )
        raise unauthorized(username, why)
    return principal


def _local_sts_endpoint() -> str | None:
    from chalicelib.config import settings

    return settings().endpoint_url


# --- the token endpoint ----------------------------------------------------------------------


def _bad_request(message: str) -> OCIError:
    return OCIError("UNSUPPORTED", message, status=400)


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    return values[-1] if values else None


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
            principal = _redeem(_one(params, "refresh_token") or "")
        else:
            raise _bad_request("grant_type must be password or refresh_token")
    else:
        scheme, value = _scheme(headers.get("authorization"))
        if scheme == "basic":
            credentials = _credentials(value)
            if credentials is None:
                raise unauthorized()
            principal = login(*credentials, source_ip)
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


def _redeem(token: str) -> Principal:
    """A refresh token's principal, if it is still the generation the token was issued to
    (`chalicelib.auth.refresh`); a login in the audit log (the name of a failed one is a
    digest of the token's id, never the token)."""
    from chalicelib.audit import record
    from chalicelib.auth import refresh

    grant = refresh.redeem(token, auth_settings().service)
    principal = principal_of(grant.subject) if grant is not None else None
    if (
        grant is None
        or principal is None
        or principal.kind == "anonymous"
        or principal.generation != grant.generation
        or not principal.active(time.time())
    ):
        if grant is not None and principal is not None and principal.generation != grant.generation:
            refresh.revoke(token)  # worthless for good: a generation never comes back
        record.login("refresh-token:" + token.partition(".")[0][:64], None, "UNAUTHORIZED")
        raise unauthorized()
    record.login(principal.subject, principal, None)
    return principal
