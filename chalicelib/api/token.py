"""`/token`: the token endpoint of the Docker token auth spec, served by the registry itself.

GET with optional Basic credentials and repeated `scope` (plus `service`, `offline_token`),
or the OAuth2 POST form (`grant_type=password|refresh_token`) that containerd and podman
send. The logic is `chalicelib.auth.gate.issue_token`; this module only speaks HTTP."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Response

from chalicelib.api.http import HttpRequest, error_response, from_chalice, json_response
from chalicelib.auth.auth_settings import auth_settings
from chalicelib.log import log_request
from chalicelib.oci.errors import OCIError

MAX_FORM_BYTES = 64 * 1024


def handle(chalice_request: Any) -> Response:
    """`/token` behind Chalice (API Gateway, the test client)."""
    started = time.perf_counter()
    return serve(from_chalice(chalice_request), started)


def serve(request: HttpRequest, started: float | None = None) -> Response:
    """Answer a parsed token request, whichever door it came through."""
    started = time.perf_counter() if started is None else started
    request.path = "/token"
    try:
        if not auth_settings().enabled:
            raise OCIError("UNSUPPORTED", "authentication is off on this registry", status=404)
        params = request.query
        if request.method == "POST":
            if len(request.body) > MAX_FORM_BYTES:
                raise OCIError("UNSUPPORTED", "form too large", status=400)
            try:
                form = request.body.decode("utf-8")
            except UnicodeDecodeError:
                raise OCIError("UNSUPPORTED", "form is not UTF-8", status=400) from None
            params = parse_qs(form, keep_blank_values=True)
        from chalicelib.audit.record import set_origin
        from chalicelib.auth import gate

        set_origin(request)
        answer = gate.issue_token(params, request.headers, request.source_ip, method=request.method)
        response = json_response(200, answer, {"Cache-Control": "no-store"})
    except OCIError as error:
        response = error_response(error)
    except Exception as error:
        from chalicelib.api.router import _failure

        response = _failure(error, head=False)
    log_request(request, response.status_code, time.perf_counter() - started)
    return response
