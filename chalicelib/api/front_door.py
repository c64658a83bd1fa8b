"""The Lambda Function URL front door: its events (payload format 2.0) read as they are.

A Function URL serves the registry at the root of its host (OCI clients need `/v2/` there),
has no 29 s limit and no API Gateway request fee; its events carry `rawPath`/`rawQueryString`,
comma-joined headers and `cookies` apart. `handle` matches the path the way API Gateway
matches the routes app.py declares (`/v2/{p1}/.../{pN}`, `/token`), builds the `HttpRequest`
straight from the event and hands it to the same dispatcher the Chalice routes call, then
answers in format 2.0. Chalice never sees these events: only what it would have added around
a route (405 for a method the route lacks, 400 for a binary answer the client did not
accept, 500 for a header with a newline) is done here too, so both doors answer alike.

The web interface's pages (chalicelib/web/) are Chalice routes: for their fixed paths
(chalicelib/web/paths.py) `serve_page` reads the event into an `HttpRequest` too and calls the
page's route from Chalice's own route table, with the checks Chalice makes around it (405,
415 for a form of another type, 500 for a page that fails), so the pages need no second
table and no forged API Gateway event.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from chalice.app import Response
from chalice.app import error_response as chalice_error

from chalicelib.api.http import HttpRequest
from chalicelib.api.router import MAX_DEPTH, METHODS, serve

TOKEN_METHODS = ["GET", "POST"]  # app.py's /token route
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
    if not path.startswith("/v2/"):
        return None
    segments = path[4:].split("/")
    if len(segments) > MAX_DEPTH or not all(segments):
        return None
    names = [f"p{i}" for i in range(1, len(segments) + 1)]
    template = "/v2/" + "/".join(f"{{{n}}}" for n in names)
    return template, {n: unquote(s) for n, s in zip(names, segments, strict=True)}


def web_route_of(raw_path: str) -> tuple[str, dict[str, str]] | None:
    """A web page's route template and path parameters, or None for any other path."""
    from chalicelib.web.paths import PAGES, STATIC_PREFIX, STATIC_ROUTE

    path = raw_path[:-1] if raw_path.endswith("/") and raw_path != "/" else raw_path
    if path in PAGES:
        return path, {}
    name = path[len(STATIC_PREFIX) :] if path.startswith(STATIC_PREFIX) else ""
    if name and "/" not in name:
        return STATIC_ROUTE, {"filename": unquote(name)}
    return None


def _headers_of(event: dict[str, Any]) -> dict[str, str]:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    return headers


def _query_of(event: dict[str, Any]) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(event.get("rawQueryString") or "", keep_blank_values=True):
        query.setdefault(key, []).append(value)
    return query


def _body_of(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def request_of(event: dict[str, Any], template: str, params: dict[str, str]) -> HttpRequest:
    """The request a Function URL event matched to `template` carries, in the shape the
    Chalice door gives it (`from_chalice`): `/v2/` and the decoded segments as the path,
    lower-case headers, every value of a repeated query parameter."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    segments = [params[f"p{i}"] for i in range(1, len(params) + 1)]
    return HttpRequest(
        method=str(http.get("method", "GET")).upper(),
        path="/v2/" + "/".join(segments) if segments else "/v2/",
        query=_query_of(event),
        headers=_headers_of(event),
        body=_body_of(event),
        request_id=str(context.get("requestId", "")),
        source_ip=str(http.get("sourceIp", "")),
    )


def page_request_of(event: dict[str, Any]) -> HttpRequest:
    """The request of a web page's Function URL event, as the pages read Chalice's
    (chalicelib/web/respond.py): the decoded path, one value per query parameter (the last,
    as Chalice's `query_params` gives it)."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    return HttpRequest(
        method=str(http.get("method", "GET")).upper(),
        path=unquote(event.get("rawPath") or "/"),
        query={k: v[-1:] for k, v in _query_of(event).items()},
        headers=_headers_of(event),
        body=_body_of(event),
        request_id=str(context.get("requestId", "")),
        source_ip=str(http.get("sourceIp", "")),
    )


def serve_page(app: Any, event: dict[str, Any], template: str, params: dict[str, str]) -> Response:
    """A web page's answer to its Function URL event: its route from `app`'s route table
    (the one app.py declares), called with the typed request as the app's current request,
    and what Chalice does around a route (405, 415, a 500 for a page that raised)."""
    request = page_request_of(event)
    methods = app.routes[template]
    entry = methods.get(request.method)
    if entry is None:
        return chalice_error(
            error_code="MethodNotAllowedError",
            message=f"Unsupported method: {request.method}",
            http_status_code=405,
            headers={"Allow": ", ".join(methods)},
        )
    content_type = request.header("content-type") or "application/json"
    if entry.content_types and not _matches(content_type, entry.content_types):
        return chalice_error(
            error_code="UnsupportedMediaType",
            message=f"Unsupported media type: {content_type}",
            http_status_code=415,
        )
    app.current_request = request
    try:
        response = entry.view_function(**{name: params[name] for name in entry.view_args})
    except Exception:
        app.log.error("Caught exception for path %s", request.path, exc_info=True)
        return Response(
            body={"Code": "InternalServerError", "Message": "An internal server error occurred."},
            status_code=500,
        )
    return _as_chalice_would(request, response, app.api.binary_types)


def handle(event: dict[str, Any], binary_types: list[str]) -> dict[str, Any]:
    """Answer a Function URL event in format 2.0."""
    route = route_of(str(event["rawPath"]))
    if route is None:
        return not_found()
    template, params = route
    request = request_of(event, template, params)
    allowed = TOKEN_METHODS if template == "/token" else METHODS
    if request.method not in allowed:
        response = chalice_error(
            error_code="MethodNotAllowedError",
            message=f"Unsupported method: {request.method}",
            http_status_code=405,
            headers={"Allow": ", ".join(allowed)},
        )
    elif template == "/token":
        from chalicelib.api import token

        response = token.serve(request)
    else:
        response = serve(request)
    response = _as_chalice_would(request, response, binary_types)
    return to_url_result(response.to_dict(binary_types))


def _as_chalice_would(request: HttpRequest, response: Response, binary: list[str]) -> Response:
    """The checks Chalice makes of a view's answer, so both doors refuse the same answers."""
    if any("\n" in str(value) for value in response.headers.values()):
        return Response(
            body={"Code": "InternalServerError", "Message": "An internal server error occurred."},
            status_code=500,
        )
    content_type = next(
        (str(v) for k, v in response.headers.items() if k.lower() == "content-type"),
        "application/json",
    )
    accept = request.header("accept")
    if _matches(content_type, binary) and not (accept is not None and _matches(accept, binary)):
        return chalice_error(
            error_code="BadRequest",
            message=(
                f"Request did not specify an Accept header with {content_type}, The response "
                f"has a Content-Type of {content_type}. If a response has a binary "
                "Content-Type then the request must specify an Accept header that matches."
            ),
            http_status_code=400,
        )
    return response


def _matches(value: str, types: list[str]) -> bool:
    """Does a Content-Type or Accept value name one of `types` (or `*/*`)?"""
    wanted = {t.lower() for t in types}
    value = value.lower()
    if "*/*" in value or "*/*" in wanted:
        return True
    return any(part.strip() in wanted for part in value.replace(";", ",").split(","))


def to_url_result(result: dict[str, Any]) -> dict[str, Any]:
    """A REST proxy result (what `Response.to_dict` gives) as a format 2.0 result.

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
