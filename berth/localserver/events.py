"""Translate between HTTP and the Lambda handler's API Gateway REST proxy events (format 1.0).

The app runs exactly as it does behind API Gateway: the same event shape, the same base64
body, the same response dictionary, so a behaviour seen locally is the one deployed.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from berth.localserver.messages import GatewayRequest, GatewayResponse

ACCOUNT_ID = "123456789012"  # moto's default account


@dataclass(frozen=True, slots=True)
class RouteMatch:
    resource: str  # the route template, e.g. "/v2/{p1}/{p2}"
    parameters: dict[str, str]
    methods: frozenset[str]


class RouteTable:
    """API Gateway's resource tree: the route template matching a path, literal segments first."""

    def __init__(self, routes: Mapping[str, Iterable[str]]) -> None:
        self._routes = [
            (template, template.strip("/").split("/"), frozenset(m.upper() for m in methods))
            for template, methods in routes.items()
        ]
        # More literal segments win, as in API Gateway ("/v2/_catalog" before "/v2/{p1}").
        self._routes.sort(key=lambda r: -sum(not _is_capture(s) for s in r[1]))

    def match(self, path: str) -> RouteMatch | None:
        """Match a percent-encoded path; API Gateway ignores one trailing slash."""
        if path != "/" and path.endswith("/"):
            path = path[:-1]
        segments = path.strip("/").split("/")
        for template, parts, methods in self._routes:
            if len(parts) != len(segments):
                continue
            captured: dict[str, str] = {}
            for part, segment in zip(parts, segments, strict=True):
                if _is_capture(part) and segment:
                    captured[part[1:-1]] = unquote(segment)
                elif part != unquote(segment):
                    break
            else:
                return RouteMatch(template, captured, methods)
        return None


def _is_capture(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _multi(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]] | None:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out or None


def _last(multi: dict[str, list[str]] | None) -> dict[str, str] | None:
    return {k: v[-1] for k, v in multi.items()} if multi else None


def _forwarded(request: GatewayRequest) -> tuple[tuple[str, str], ...]:
    """The request's headers plus the X-Forwarded-* ones API Gateway adds."""
    chain = request.header("X-Forwarded-For")
    return request.with_headers(
        X_Forwarded_For=f"{chain}, {request.source_ip}" if chain else request.source_ip,
        X_Forwarded_Proto=request.header("X-Forwarded-Proto") or "http",
    )


def build_event(
    request: GatewayRequest, route: RouteMatch, *, stage: str, request_id: str
) -> dict[str, Any]:
    """The REST proxy event API Gateway would send for `request` on `route`."""
    path = unquote(request.path)
    if path != "/" and path.endswith("/"):
        path = path[:-1]
    headers = _multi(_forwarded(request)) or {}
    query = _multi(parse_qsl(request.query, keep_blank_values=True))
    host = request.header("Host") or "localhost"
    now = time.time()
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": request.method,
        "headers": _last(headers),
        "multiValueHeaders": headers,
        "queryStringParameters": _last(query),
        "multiValueQueryStringParameters": query,
        "pathParameters": route.parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": route.resource,
            "httpMethod": request.method,
            "path": path,
            "extendedRequestId": request_id,
            "requestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "stage": stage,
            "domainName": host,
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": request.source_ip, "userAgent": request.header("User-Agent")},
        },
        **_body(request),
    }


def _body(request: GatewayRequest) -> dict[str, Any]:
    """API Gateway's base64 body; bytes as they are for a split upload chunk (`unencoded`)."""
    if request.unencoded and request.body:
        return {"body": request.body, "isBase64Encoded": False}
    encoded = base64.b64encode(request.body).decode("ascii") if request.body else None
    return {"body": encoded, "isBase64Encoded": bool(request.body)}


def decode_response(result: Mapping[str, Any]) -> GatewayResponse:
    """The HTTP response API Gateway makes of the handler's result dictionary."""
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    for name, values in multi.items():
        headers.extend((name, str(v)) for v in values)
    for name, value in (result.get("headers") or {}).items():
        if name not in multi:
            headers.append((name, str(value)))
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    elif isinstance(body, bytes):
        raw = body
    else:
        raw = str(body).encode("utf-8")
    return GatewayResponse(int(result.get("statusCode", 200)), tuple(headers), raw)


class LambdaContext:
    """The parts of the Lambda context object handlers use."""

    def __init__(self, request_id: str, function_name: str, timeout_seconds: float) -> None:
        self.aws_request_id = request_id
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{function_name}"
        )
        self.memory_limit_in_mb = "1024"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def new_request_id() -> str:
    return str(uuid.uuid4())
