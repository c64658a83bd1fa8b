"""Audit events from requests: what the handlers, the router and the gate call.

The gate's login has no request in hand, so the router and the token endpoint set `origin`
(source address, user agent, request id) for the request being served."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.audit.events import MAX_PATH, MAX_USER_AGENT, Event, anonymised, clean
from chalicelib.log import logger
from chalicelib.storage.clock import now as utcnow

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

    from chalicelib.api.http import HttpRequest
    from chalicelib.auth.permissions import Principal
    from chalicelib.oci.errors import OCIError


@dataclass(frozen=True, slots=True)
class Origin:
    source_ip: str | None
    user_agent: str | None
    request_id: str | None


_origin: contextvars.ContextVar[Origin | None] = contextvars.ContextVar("audit_origin")


def set_origin(request: HttpRequest) -> None:
    _origin.set(origin_of(request))


def origin_of(request: HttpRequest) -> Origin:
    return Origin(
        request.source_ip or None,
        clean(request.header("user-agent"), MAX_USER_AGENT),
        request.request_id or None,
    )


def actor(request: HttpRequest) -> str:
    """Who the audit log says acted: the principal, or "-" when auth is off (the log's own
    spelling of nobody; the request itself says None)."""
    return request.principal or "-"


def event(request: HttpRequest, action: str, **fields: Any) -> Event:
    """An event by the request's caller, from its address, now."""
    origin = origin_of(request)
    return Event(
        action=action,
        outcome=fields.pop("outcome", "ok"),
        who=actor(request),
        at=utcnow(),
        source_ip=origin.source_ip,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
        **fields,
    )


def stage(tx: TransactWrite, item: Event) -> None:
    """Into the transaction the request makes anyway (push, delete, rollback)."""
    from chalicelib.audit import store

    store.stage(tx, item)


def change(
    request: HttpRequest,
    action: str,
    *,
    repository: str | None = None,
    subject: str | None = None,
    detail: dict[str, Any],
) -> None:
    """After a state change made through the API (settings, a lifecycle policy, a lifecycle
    or GC run): one BatchWriteItem by the request's caller. Should it fail, the change stands
    and the failure propagates (the client sees a 503 it may retry, not a silent gap)."""
    from chalicelib.audit import store

    store.write(event(request, action, repository=repository, subject=subject, detail=detail))


def permission_change(
    request: HttpRequest,
    action: str,
    *,
    subject: str | None,
    pattern: str | None,
    detail: dict[str, Any],
) -> None:
    """After an admin API change: one BatchWriteItem. Should it fail, the change stands and
    the failure is logged (the client still learns of the fault: a 503 it may retry)."""
    from chalicelib.audit import store

    store.write(event(request, action, subject=subject, repository=pattern, detail=detail))


def _bounded(
    kind: str, who: str, outcome: str, resolve: Callable[[], str] | None = None, **fields: Any
) -> None:
    """Write a login or denial record, if the bound lets it through (see throttle.py).
    `resolve` names the actor better than `who` at a cost: only called for a write."""
    from chalicelib.audit import store, throttle

    origin = _origin.get(None) or Origin(None, None, None)
    count = throttle.admit(f"{kind}:{outcome}", who, origin.source_ip or "-")
    if count is None:
        return
    try:
        actor = resolve() if resolve is not None else who
    except Exception:
        actor = who
    item = Event(
        action=kind,
        outcome=outcome,
        who=actor,
        at=utcnow(),
        source_ip=origin.source_ip,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
        count=count,
        **fields,
    )
    try:
        store.write(item)
    except Exception as error:  # the answer to the caller must not depend on the audit
        logger.warning("audit write failed", extra={"fields": {"action": kind}}, exc_info=error)


def login(username: str, principal: Principal | None, failure: str | None) -> None:
    """A login through the gate: `principal` on success, else the error code."""
    if principal is not None:
        _bounded("login", principal.subject, "ok")
        return
    _bounded(
        "login",
        anonymised(username),
        "failed",
        lambda: _known_name(username),
        detail={"reason": failure or "UNKNOWN"},
    )


def _known_name(username: str) -> str:
    """The subject a failed login named, if that principal exists; else a digest of the name."""
    from chalicelib.auth import principals

    kind, name = "user", username
    if username.startswith(principals.ROBOT_PREFIX):
        kind, name = "robot", username[len(principals.ROBOT_PREFIX) :]
    if principals.valid_name(name) and principals.load(kind, name) is not None:
        return f"{kind}:{name}"
    return anonymised(username)


def denied(request: HttpRequest, error: OCIError, repository: str | None) -> None:
    """A 403, or a 401 for a Bearer token that is bad or expired (a 401 without credentials
    is the normal start of the token flow; a failed Basic login is recorded as a login)."""
    challenge = error.headers.get("WWW-Authenticate", "")
    if error.status == 401 and 'error="invalid_token"' not in challenge:
        return
    set_origin(request)
    # The gate names whom it refused; a handler's refusal (an immutable tag, an admin acting
    # on itself) comes after the gate let the caller in.
    who = getattr(error, "subject", None) or request.principal or "unknown:token"
    _bounded(
        "denied",
        who,
        "denied",
        repository=repository or None,
        detail={
            "method": request.method,
            "path": clean(request.path, MAX_PATH),
            "status": error.status,
            "wanted": error.detail,
        },
    )
