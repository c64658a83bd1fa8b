"""`GET /v2/`: tells clients this is an OCI distribution registry."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response


def get(request: HttpRequest, _name: str, _argument: str) -> Response:
    return json_response(200, {}, head=request.method == "HEAD")
