"""A small, Chalice-independent view of the request, parsed once at the door it came through
(`from_chalice` for API Gateway and `chalice.test.Client`, chalicelib/api/front_door.py for a
Function URL), and helpers to build responses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.oci.errors import OCIError

if TYPE_CHECKING:  # the gate is imported only when auth is on
    from chalicelib.auth.decisions import Access

API_VERSION_HEADER = {"Docker-Distribution-API-Version": "registry/2.0"}


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    request_id: str = ""
    source_ip: str = ""
    # The path before `/v2` as the client saw it (an API Gateway stage, `/api`), for the
    # token realm.
    base_path: str = ""
    # What the gate let through, and whom (`user:alice`): None with auth off, or before the
    # gate has run.
    access: Access | None = None
    principal: str | None = None
    # The bytes of a blob GET answered by a redirect to S3, for the log line and metrics.
    redirected_bytes: int | None = None
    # A manifest pulled under the signing policy's audit mode without a valid signature
    # ("unsigned (audit)"), for the log line.
    signature: str | None = None

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def from_chalice(request: Any) -> HttpRequest:
    """Build an HttpRequest from a chalice Request (REST API proxy event)."""
    params = request.uri_params or {}
    segments = [params[f"p{i}"] for i in range(1, len(params) + 1) if f"p{i}" in params]
    path = "/v2/" + "/".join(segments) if segments else "/v2/"
    query: dict[str, list[str]] = {}
    multi = (request.to_original_event() or {}).get("multiValueQueryStringParameters") or {}
    if multi:
        query = {k: list(v) for k, v in multi.items()}
    elif request.query_params:
        query = {k: [v] for k, v in request.query_params.items()}
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    context = request.context or {}
    seen = str(context.get("path") or "").rstrip("/")
    tail = path.rstrip("/")
    base_path = seen[: len(seen) - len(tail)] if tail and seen.endswith(tail) else ""
    return HttpRequest(
        method=request.method.upper(),
        path=path,
        query=query,
        headers=headers,
        body=request.raw_body or b"",
        request_id=str(context.get("requestId", "")),
        source_ip=str((context.get("identity") or {}).get("sourceIp", "")),
        base_path=base_path,
    )


# A JSON document sent to an extension endpoint (settings, a policy, an admin change).
MAX_JSON_BODY = 64 * 1024


def json_body(
    request: HttpRequest,
    what: str,
    *,
    limit: int = MAX_JSON_BODY,
    code: str = "UNSUPPORTED",
) -> Any:
    """The request's JSON document (`{}` when empty); 413 past `limit` bytes, 400 `code`
    when not JSON or nested too deep to parse safely. `what` names the document in the
    message ("the policy"). The size is checked first, so the depth scan stays cheap."""
    from chalicelib.oci import shallow_json

    if len(request.body) > limit:
        raise OCIError("SIZE_INVALID", f"{what} is limited to {limit} bytes", status=413)
    try:
        return shallow_json.loads(request.body or b"{}")
    except ValueError as error:
        raise OCIError(code, f"{what} is not JSON: {str(error)[:200]}", status=400) from None


def respond(
    status: int,
    headers: dict[str, str] | None = None,
    body: str = "",
    *,
    head: bool = False,
) -> Response:
    """A response with a text body (or none).

    Bodies are always text: a binary Content-Type in a response makes API Gateway (and
    Chalice) demand a matching Accept header, which skopeo does not send on blob HEAD/GET.
    Manifests are JSON, so their bytes survive as UTF-8 text and their digest holds."""
    out: dict[str, str | list[str]] = {**API_VERSION_HEADER, **(headers or {})}
    return Response(body="" if head else body, status_code=status, headers=dict(out))


def json_response(
    status: int, document: Any, headers: dict[str, str] | None = None, *, head: bool = False
) -> Response:
    body = json.dumps(document, separators=(",", ":"))
    out = {"Content-Type": "application/json", **(headers or {})}
    out.setdefault("Content-Length", str(len(body.encode())))
    return respond(status, out, body, head=head)


def error_response(error: OCIError, *, head: bool = False) -> Response:
    return json_response(error.status, error.body(), error.headers, head=head)
