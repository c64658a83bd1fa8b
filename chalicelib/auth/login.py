"""Logging in: the principal a username and password (or an IAM presigned request, or a
refresh token) name. Rate-limited before any password is checked, and every attempt is in
the audit log."""

from __future__ import annotations

import time

from chalicelib.auth.auth_settings import auth_settings
from chalicelib.auth.decisions import principal_of
from chalicelib.auth.permissions import Principal
from chalicelib.oci.errors import OCIError


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


def redeem(token: str) -> Principal:
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
