"""Send one HTTP request to the handler through either front door, as AWS would shape it.

`rest`: the API Gateway REST proxy event (berth.localserver.events, the local server's own
gateway). `url`: a Lambda Function URL event, payload format 2.0, as AWS documents it:
lower-case headers with repeats joined by commas, cookies apart, the raw path and query,
and a body base64-encoded unless it is text.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from berth.localserver.events import LambdaContext, RouteTable, build_event, decode_response
from berth.localserver.messages import GatewayRequest

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, list[str]]  # lower-case name -> values
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return ", ".join(values) if values else None


def _context(request_id: str) -> LambdaContext:
    return LambdaContext(request_id, "berth-test", 60.0)


def rest(
    app: Any,
    method: str,
    path: str,
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> Answer:
    request = GatewayRequest(method, quote(path, safe="/:@"), query, headers, body)
    routes = RouteTable({p: list(m) for p, m in app.routes.items()})
    route = routes.match(request.path)
    if route is None or method not in route.methods:
        return Answer(403, {}, b'{"message":"Missing Authentication Token"}')
    request_id = str(uuid.uuid4())
    event = build_event(request, route, stage="api", request_id=request_id)
    response = decode_response(app(event, _context(request_id)))
    out: dict[str, list[str]] = {}
    for name, value in response.headers:
        out.setdefault(name.lower(), []).append(value)
    return Answer(response.status, out, response.body)


def url_event(
    method: str,
    path: str,
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> dict[str, Any]:
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        if name.lower() == "cookie":
            cookies.extend(c.strip() for c in value.split(";"))
            continue
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    text = joined.get("content-type", "").startswith(TEXT_TYPES)
    encoded = bool(body) and not text
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": quote(path, safe="/:@"),
        "rawQueryString": query,
        "headers": joined,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghijklmnopqrstuvwxyz",
            "domainName": "abcdefghijklmnopqrstuvwxyz.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": joined.get("user-agent", "test"),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if query:
        event["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    if cookies:
        event["cookies"] = cookies
    if body:
        event["body"] = base64.b64encode(body).decode() if encoded else body.decode()
    return event


def url(
    app: Any,
    method: str,
    path: str,
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> Answer:
    event = url_event(method, path, query, headers, body)
    result = app(event, _context(event["requestContext"]["requestId"]))
    assert set(result) <= {"statusCode", "headers", "body", "isBase64Encoded", "cookies"}
    raw = result.get("body") or ""
    data = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    out: dict[str, list[str]] = {}
    for name, value in (result.get("headers") or {}).items():
        out.setdefault(name.lower(), []).append(str(value))
    if result.get("cookies"):
        out["set-cookie"] = list(result["cookies"])
    return Answer(int(result["statusCode"]), out, data)


DOORS = {"rest": rest, "url": url}
