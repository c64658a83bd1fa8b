"""Berth extension: the admin API, `/v2/_berth/admin/<what>[/<name>[/<verb>]]`.

Registry administration (`registry:admin:*`, held by principals with `admin` on `*`; the
router checks it before this module is imported). JSON in, JSON out; bad input is 400
(NAME_INVALID for names and patterns, UNSUPPORTED for the rest), an unknown principal,
grant or public pattern 404 NAME_UNKNOWN, a duplicate 409 NAME_INVALID (4xx codes must be
the spec's).

    GET    users | robots | iam               list, with grants
    POST   users   {"name","password","description"?,"grants"?}
    POST   robots  {"name","grants" (at least one),"expiresIn"? seconds,"description"?}
                   -> the robot's secret, this once (only its SHA-256 is stored)
    POST   iam     {"name","arnPattern","grants"?,"description"?}
    GET    users/<n> | robots/<n> | iam/<n>
    DELETE users/<n> | robots/<n> | iam/<n>   the principal and its grants
    PUT    users/<n>/password {"password"}
    PUT    users/<n>/disabled {"disabled": true|false}   (robots and iam mappings too)
    POST   robots/<n>/revoke                   for good: its secret stops working
    POST   robots/<n>/secret                   a new secret, this once; the old one stops working
    GET    grants                              every grant of every principal
    POST   grants  {"kind","name","pattern","level","expiresIn"?}  (replaces that pattern's)
    DELETE grants?kind=&name=&pattern=
    GET    public
    POST   public  {"pattern"}
    DELETE public?pattern=

`grants` entries are `{"pattern": "team/*", "level": "push", "expiresIn"?: seconds}`.
Every change is recorded in the audit log (`chalicelib.audit`), never with a secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.auth import principals
from chalicelib.auth.permissions import Level, check_pattern
from chalicelib.oci.errors import OCIError

MAX_GRANTS = 100
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_DESCRIPTION = 256
KIND_OF = {"users": "user", "robots": "robot", "iam": "iam"}


def _bad(message: str, code: str = "UNSUPPORTED") -> OCIError:
    return OCIError(code, message, status=400)


def _body(request: HttpRequest) -> dict[str, Any]:
    document = json_body(request, "the body")
    if not isinstance(document, dict):
        raise _bad("the body is not a JSON object")
    return document


def _text(document: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = document.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _bad(f"{key!r} must be a non-empty string")
    return value


def _name(value: Any) -> str:
    try:
        return principals.check_name(value)
    except principals.PrincipalError as error:
        raise _bad(str(error), "NAME_INVALID") from None


def _pattern(value: Any) -> str:
    if not isinstance(value, str):
        raise _bad("'pattern' must be a string", "NAME_INVALID")
    try:
        return check_pattern(value)
    except ValueError as error:
        raise _bad(str(error), "NAME_INVALID") from None


def _level(value: Any) -> Level:
    try:
        return Level.parse(value if isinstance(value, str) else "")
    except ValueError as error:
        raise _bad(str(error)) from None


def _expiry(document: dict[str, Any], now: float) -> float | None:
    value = document.get("expiresIn")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10 * 365 * 86400:
        raise _bad("'expiresIn' must be a number of seconds (up to ten years)")
    return now + value


def _description(document: dict[str, Any]) -> str | None:
    value = _text(document, "description", required=False)
    if value is not None and len(value) > MAX_DESCRIPTION:
        raise _bad(f"'description' is limited to {MAX_DESCRIPTION} characters")
    return value


def _password(document: dict[str, Any]) -> str:
    value = document.get("password")
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise _bad(f"'password' must be a string of {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return value


def _grants(document: dict[str, Any], now: float) -> list[principals.InitialGrant]:
    value = document.get("grants", [])
    if not isinstance(value, list) or len(value) > MAX_GRANTS:
        raise _bad(f"'grants' must be a list of at most {MAX_GRANTS} grants")
    out: dict[str, principals.InitialGrant] = {}
    for entry in value:
        if not isinstance(entry, dict):
            raise _bad('a grant is {"pattern": …, "level": …}')
        pattern = _pattern(entry.get("pattern"))
        out[pattern] = (pattern, _level(entry.get("level")), _expiry(entry, now))
    return list(out.values())


def _actor(request: HttpRequest) -> str | None:
    return request.principal


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def describe(kind: str, name: str) -> dict[str, Any] | None:
    """A principal as the API shows it (never its secret hash); None when it does not exist."""
    found = principals.details(kind, name)
    if found is None:
        return None
    profile, stored = found
    principal = stored.principal
    login = f"{principals.ROBOT_PREFIX}{name}" if kind == "robot" else name
    return {
        "kind": kind,
        "name": name,
        "login": login if kind != "iam" else None,
        "description": profile.description,
        "disabled": profile.disabled,
        "revoked": profile.revoked,
        "validUntil": _iso(principal.valid_until),
        "active": principal.active(time.time()),
        "arnPattern": stored.arn_pattern,
        "createdAt": profile.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "grants": [
            {"pattern": g.pattern, "level": g.level.label(), "expiresAt": _iso(g.expires_at)}
            for g in sorted(principal.grants, key=lambda g: g.pattern)
        ],
    }


# --- handlers, by (collection, method, verb) --------------------------------------------------


def _list(kind: str) -> Callable[[HttpRequest, str], Response]:
    def run(_request: HttpRequest, _name: str) -> Response:
        entries = [describe(kind, entry.name) for entry in principals.directory(kind)]
        key = {"user": "users", "robot": "robots", "iam": "iam"}[kind]
        return json_response(200, {key: [e for e in entries if e is not None]})

    return run


def _get(kind: str) -> Callable[[HttpRequest, str], Response]:
    def run(_request: HttpRequest, name: str) -> Response:
        found = describe(kind, _name(name))
        if found is None:
            raise OCIError("NAME_UNKNOWN", f"{kind} {name!r} does not exist")
        return json_response(200, found)

    return run


def _not_yourself(request: HttpRequest, kind: str, name: str, verb: str) -> None:
    """An admin cannot delete or disable the account it is using: the last admin would lock
    everyone out of the registry (another admin can, or the stage's first-admin recovery)."""
    if _actor(request) == f"{kind}:{name}":
        raise OCIError("DENIED", f"you cannot {verb} the account you are logged in with")


def _delete(kind: str) -> Callable[[HttpRequest, str], Response]:
    def run(request: HttpRequest, name: str) -> Response:
        _not_yourself(request, kind, _name(name), "delete")
        principals.delete(kind, _name(name))
        _record(request, f"{kind}.delete", subject=f"{kind}:{name}")
        return json_response(200, {"kind": kind, "name": name, "deleted": True})

    return run


def _create_user(request: HttpRequest, _unused: str) -> Response:
    document, now = _body(request), time.time()
    name, password = _name(document.get("name")), _password(document)
    grants = _grants(document, now)
    principals.create_user(
        name,
        password,
        description=_description(document),
        grants=grants,
        granted_by=_actor(request),
    )
    _record(request, "user.create", subject=f"user:{name}", grants=grants)
    return json_response(201, describe("user", name))


def _create_robot(request: HttpRequest, _unused: str) -> Response:
    document, now = _body(request), time.time()
    name = _name(document.get("name"))
    grants = _grants(document, now)
    if not grants:
        raise _bad("a robot needs at least one grant (the repositories it may use)")
    valid_until = _expiry(document, now)
    secret = principals.create_robot(
        name,
        valid_until=valid_until,
        description=_description(document),
        grants=grants,
        granted_by=_actor(request),
    )
    _record(request, "robot.create", subject=f"robot:{name}", grants=grants)
    answer = {**(describe("robot", name) or {}), "secret": secret}
    return json_response(201, answer, {"Cache-Control": "no-store"})


def _create_iam(request: HttpRequest, _unused: str) -> Response:
    from chalicelib.auth.iam import IamError

    document, now = _body(request), time.time()
    name = _name(document.get("name"))
    arn_pattern = _text(document, "arnPattern") or ""
    grants = _grants(document, now)
    try:
        principals.create_iam_mapping(
            name,
            arn_pattern,
            description=_description(document),
            grants=grants,
            granted_by=_actor(request),
        )
    except (IamError, ValueError) as error:
        raise _bad(getattr(error, "reason", None) or str(error)) from None
    _record(request, "iam.create", subject=f"iam:{name}", grants=grants)
    return json_response(201, describe("iam", name))


def _set_password(request: HttpRequest, name: str) -> Response:
    password = _password(_body(request))
    principals.set_password(_name(name), password)
    _record(request, "user.password", subject=f"user:{name}")
    return json_response(200, {"kind": "user", "name": name, "passwordChanged": True})


def _set_disabled(kind: str) -> Callable[[HttpRequest, str], Response]:
    def run(request: HttpRequest, name: str) -> Response:
        value = _body(request).get("disabled")
        if not isinstance(value, bool):
            raise _bad("'disabled' must be true or false")
        if value:
            _not_yourself(request, kind, _name(name), "disable")
        principals.set_disabled(kind, _name(name), value)
        _record(request, f"{kind}.{'disable' if value else 'enable'}", subject=f"{kind}:{name}")
        return json_response(200, describe(kind, name))

    return run


def _revoke_robot(request: HttpRequest, name: str) -> Response:
    principals.revoke_robot(_name(name))
    _record(request, "robot.revoke", subject=f"robot:{name}")
    return json_response(200, describe("robot", name))


def _rotate_robot(request: HttpRequest, name: str) -> Response:
    secret = principals.rotate_robot_secret(_name(name))
    _record(request, "robot.rotate", subject=f"robot:{name}")
    answer = {**(describe("robot", name) or {}), "secret": secret}
    return json_response(200, answer, {"Cache-Control": "no-store"})


def _kind(value: Any) -> str:
    if value not in principals.KINDS:
        raise _bad(f"'kind' must be one of {', '.join(principals.KINDS)}")
    return str(value)


def _list_grants(_request: HttpRequest, _unused: str) -> Response:
    out: list[dict[str, Any]] = []
    for entry in principals.directory():
        found = describe(entry.kind, entry.name)
        for grant in (found or {}).get("grants", []):
            out.append({"kind": entry.kind, "name": entry.name, **grant})
    return json_response(200, {"grants": out})


def _grant(request: HttpRequest, _unused: str) -> Response:
    document, now = _body(request), time.time()
    kind, name = _kind(document.get("kind")), _name(document.get("name"))
    pattern, level = _pattern(document.get("pattern")), _level(document.get("level"))
    expires_at = _expiry(document, now)
    principals.grant(kind, name, pattern, level, expires_at=expires_at, granted_by=_actor(request))
    _record(request, "grant", subject=f"{kind}:{name}", grants=[(pattern, level, expires_at)])
    return json_response(200, describe(kind, name))


def _ungrant(request: HttpRequest, _unused: str) -> Response:
    kind, name = _kind(request.arg("kind")), _name(request.arg("name"))
    pattern = _pattern(request.arg("pattern"))
    principals.revoke_grant(kind, name, pattern)
    _record(request, "ungrant", subject=f"{kind}:{name}", repository=pattern)
    return json_response(200, describe(kind, name))


def _list_public(_request: HttpRequest, _unused: str) -> Response:
    return json_response(200, {"public": principals.public_patterns()})


def _make_public(request: HttpRequest, _unused: str) -> Response:
    pattern = _pattern(_body(request).get("pattern"))
    principals.make_public(pattern, by=_actor(request))
    _record(request, "public.add", repository=pattern)
    return json_response(200, {"public": principals.public_patterns()})


def _make_private(request: HttpRequest, _unused: str) -> Response:
    pattern = _pattern(request.arg("pattern"))
    principals.make_private(pattern)
    _record(request, "public.remove", repository=pattern)
    return json_response(200, {"public": principals.public_patterns()})


Route = Callable[[HttpRequest, str], Response]

# (collection, method, verb after the name; "" for none). A None name slot means the route
# takes no name (`users`), "*" one name (`users/<n>`).
_ROUTES: dict[tuple[str, str, bool, str], Route] = {
    ("users", "GET", False, ""): _list("user"),
    ("robots", "GET", False, ""): _list("robot"),
    ("iam", "GET", False, ""): _list("iam"),
    ("users", "POST", False, ""): _create_user,
    ("robots", "POST", False, ""): _create_robot,
    ("iam", "POST", False, ""): _create_iam,
    ("users", "PUT", True, "password"): _set_password,
    ("robots", "POST", True, "revoke"): _revoke_robot,
    ("robots", "POST", True, "secret"): _rotate_robot,
    ("grants", "GET", False, ""): _list_grants,
    ("grants", "POST", False, ""): _grant,
    ("grants", "DELETE", False, ""): _ungrant,
    ("public", "GET", False, ""): _list_public,
    ("public", "POST", False, ""): _make_public,
    ("public", "DELETE", False, ""): _make_private,
}
for _collection, _kind_name in KIND_OF.items():
    _ROUTES[(_collection, "GET", True, "")] = _get(_kind_name)
    _ROUTES[(_collection, "DELETE", True, "")] = _delete(_kind_name)
    _ROUTES[(_collection, "PUT", True, "disabled")] = _set_disabled(_kind_name)


def handle(request: HttpRequest, _name: str, argument: str) -> Response:
    parts = argument.split("/")
    if len(parts) > 3 or any(not part for part in parts):
        raise OCIError("UNSUPPORTED", f"no admin endpoint at {argument[:100]!r}", status=404)
    collection = parts[0]
    name = parts[1] if len(parts) > 1 else ""
    verb = parts[2] if len(parts) > 2 else ""
    route = _ROUTES.get((collection, request.method, bool(name), verb))
    if route is None:
        allowed = sorted(
            m for (c, m, n, v) in _ROUTES if (c, n, v) == (collection, bool(name), verb)
        )
        if not allowed:
            raise OCIError("UNSUPPORTED", f"no admin endpoint at {argument[:100]!r}", status=404)
        raise OCIError(
            "UNSUPPORTED",
            f"{request.method} is not allowed here; allowed: {', '.join(allowed)}",
            status=405,
            headers={"Allow": ", ".join(allowed)},
        )
    try:
        return route(request, name)
    except principals.Duplicate as error:
        # 4xx bodies must carry a spec code: the name is not valid because it is taken.
        raise OCIError("NAME_INVALID", str(error), status=409) from None
    except principals.Missing as error:
        raise OCIError("NAME_UNKNOWN", str(error)) from None
    except principals.Revoked as error:
        raise OCIError("DENIED", str(error), status=409) from None
    except principals.PrincipalError as error:
        raise _bad(str(error), "NAME_INVALID") from None


def _record(
    request: HttpRequest,
    action: str,
    *,
    subject: str | None = None,
    repository: str | None = None,
    grants: list[principals.InitialGrant] | None = None,
) -> None:
    """The permission change in the audit log (by the actor, the principal changed and the
    repository pattern concerned)."""
    from chalicelib.audit import record

    detail: dict[str, Any] = {}
    if grants:
        detail["grants"] = [
            {"pattern": p, "level": lv.label(), "expiresAt": _iso(e)} for p, lv, e in grants
        ]
    record.permission_change(request, action, subject=subject, pattern=repository, detail=detail)
