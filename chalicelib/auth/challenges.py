"""The gate's refusals: 401 with a Bearer challenge naming the token endpoint (`realm`) and
the scopes to ask for, and 403 DENIED, which keeps who was refused for the audit log."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from chalicelib.auth.auth_settings import auth_settings
from chalicelib.auth.scope import ResourceScope, bearer_challenge
from chalicelib.oci.errors import CODES, OCIError

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
