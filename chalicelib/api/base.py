"""`GET /v2/`: tells clients this is an OCI distribution registry."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response

# Berth's extensions a client may use (docs/push.md): `s3-uploads` is direct-to-S3 blob
# uploads, described at `GET /v2/<name>/_berth/s3-uploads`.
EXTENSIONS_HEADER = {"Berth-Extensions": "s3-uploads"}


def get(request: HttpRequest, _name: str, _argument: str) -> Response:
    return json_response(200, {}, EXTENSIONS_HEADER, head=request.method == "HEAD")
