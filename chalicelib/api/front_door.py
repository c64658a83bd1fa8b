"""The Lambda Function URL front door: its events (payload format 2.0) in REST-proxy shape.

Chalice understands only API Gateway REST proxy events (format 1.0). A Function URL serves
the registry at the root of its host (OCI clients need `/v2/` there), has no 29 s limit and
no API Gateway request fee; its events carry `rawPath`/`rawQueryString` and comma-joined
headers instead. `to_rest_event` rebuilds the event API Gateway would have sent for the same
request, resource template and path parameters included (`/v2/{p1}/.../{pN}`, see app.py),
so every route sees one shape; `to_url_result` turns Chalice's answer into format 2.0.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from chalicelib.api.router import MAX_DEPTH

_NOT_FOUND = {
    "errors": [{"code": "UNSUPPORTED", "message": "no endpoint here; the API is under /v2/"}]
}


def is_function_url_event(event: Any) -> bool:
    return isinstance(event, dict) and event.get("version") == "2.0" and "rawPath" in event


def route_of(raw_path: str) -> tuple[str, dict[str, str]] | None:
    """The route template and path parameters API Gateway would match, or None.

    Like API Gateway: one trailing slash is ignored, and each segment is percent-decoded."""
    path = raw_path[:-1] if raw_path.endswith("/") and raw_path != "/" else raw_path
    if path in ("/v2", "/token"):
        return path, {}
    if path == "/ui" or path.startswith("/ui/"):
        return _web_route(path)
    if not path.startswith("/v2/"):
        return None
    segments = path[4:].split("/")
    if len(segments) > MAX_DEPTH or not all(segments):
        return None
    names = [f"p{i}" for i in range(1, len(segments) + 1)]
    template = "/v2/" + "/".join(f"{{{n}}}" for n in names)
    return template, {n: unquote(s) for n, s in zip(names, segments, strict=True)}


def _web_route(path: str) -> tuple[str, dict[str, str]] | None:
    """The web interface's fixed paths (chalicelib/web/paths.py) and its static files."""
    from chalicelib.web.paths import PAGES, STATIC_PREFIX, STATIC_ROUTE

    if path in PAGES:
        return path, {}
    name = path[len(STATIC_PREFIX) :] if path.startswith(STATIC_PREFIX) else ""
    if name and "/" not in name:
        return STATIC_ROUTE, {"filename": unquote(name)}
    return None


def to_rest_event(event: dict[str, Any], template: str, params: dict[str, str]) -> dict[str, Any]:
    """The REST proxy event for a Function URL event matched to `template`."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    method = str(http.get("method", "GET")).upper()
    headers: dict[str, str] = dict(event.get("headers") or {})
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(event.get("rawQueryString") or "", keep_blank_values=True):
        query.setdefault(key, []).append(value)
    path = unquote(event.get("rawPath") or "/")
    return {
        "resource": template,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": template,
            "httpMethod": method,
            "path": path,
            "stage": context.get("stage", "$default"),
            "requestId": context.get("requestId", ""),
            "accountId": context.get("accountId", ""),
            "apiId": context.get("apiId", ""),
            "domainName": context.get("domainName", ""),
            "protocol": http.get("protocol", "HTTP/1.1"),
            "identity": {"sourceIp": http.get("sourceIp", ""), "userAgent": http.get("userAgent")},
            "frontDoor": "function-url",
        },
        "body": event.get("body"),
        "isBase64Encoded": bool(event.get("isBase64Encoded")),
    }


def to_url_result(result: dict[str, Any]) -> dict[str, Any]:
    """Chalice's REST proxy result as a format 2.0 result.

    Format 2.0 has no multiValueHeaders: repeated headers are joined with ", " (what HTTP
    allows for every list-valued header), except Set-Cookie, which goes to `cookies`."""
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    cookies: list[str] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if name.lower() == "set-cookie":
            cookies.extend(str(v) for v in values)
        else:
            headers[name] = ", ".join(str(v) for v in values)
    out: dict[str, Any] = {
        "statusCode": int(result.get("statusCode", 200)),
        "headers": headers,
        "body": result.get("body") or "",
        "isBase64Encoded": bool(result.get("isBase64Encoded")),
    }
    if cookies:
        out["cookies"] = cookies
    return out


def not_found() -> dict[str, Any]:
    body = json.dumps(_NOT_FOUND, separators=(",", ":"))
    return {
        "statusCode": 404,
        "headers": {"Content-Type": "application/json", "Content-Length": str(len(body))},
        "body": body,
        "isBase64Encoded": False,
    }
