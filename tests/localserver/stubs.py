"""A stand-in Lambda handler that records events and answers like Berth's upload endpoints."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from berth.localserver.gateway import Gateway, GatewayOptions

METHODS = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]
# The same route shape as app.py: /v2 and /v2/{p1} ... /v2/{p1}/.../{p16}.
ROUTES = {"/v2": METHODS} | {
    "/v2/" + "/".join(f"{{p{i}}}" for i in range(1, depth + 1)): METHODS for depth in range(1, 17)
}


class RecordingApp:
    """Records every event; keeps upload sessions as a byte count and a running SHA-256.

    `fail_patch_at` makes the n-th PATCH (counting from 1) answer 416.
    """

    def __init__(self, fail_patch_at: int | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.sizes: dict[str, int] = {}
        self.hashes: dict[str, Any] = {}
        self.fail_patch_at = fail_patch_at
        self._patches = 0

    def __call__(self, event: dict[str, Any], context: Any) -> Mapping[str, Any]:
        body = event["body"] or b""
        if event["isBase64Encoded"]:
            body = base64.b64decode(body)
        elif isinstance(body, str):
            body = body.encode()
        self.events.append({**event, "body": None, "raw": body})
        path, method = event["path"], event["httpMethod"]
        headers = {k.lower(): v for k, v in (event["headers"] or {}).items()}
        if method == "POST" and path.endswith("/blobs/uploads"):
            session = f"{path}/s{len(self.sizes)}"
            self.sizes[session] = 0
            self.hashes[session] = hashlib.sha256()
            return _answer(202, Location=session, Range="0-0")
        if method == "PATCH":
            self._patches += 1
            if self._patches == self.fail_patch_at:
                return _answer(416, Range=f"0-{self.sizes[path] - 1}")
            if "content-range" in headers:
                start = int(headers["content-range"].split("-")[0])
                assert start == self.sizes[path], (start, self.sizes[path])
            assert int(headers["content-length"]) == len(body)
            self.sizes[path] += len(body)
            self.hashes[path].update(body)
            return _answer(202, Location=path, Range=f"0-{self.sizes[path] - 1}")
        if method == "PUT":
            self.sizes[path] += len(body)
            self.hashes[path].update(body)
            digest = "sha256:" + self.hashes[path].hexdigest()
            wanted = (event["queryStringParameters"] or {}).get("digest")
            if wanted != digest:
                return _answer(400, body='{"errors":[{"code":"DIGEST_INVALID"}]}')
            return _answer(201, Location=f"/v2/blob/{digest}", **{"Docker-Content-Digest": digest})
        return _answer(200, body="{}")


def _answer(status: int, body: str = "", **headers: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": headers, "multiValueHeaders": {}, "body": body}


def gateway(app: Any, *, lambda_limits: bool = False) -> Gateway:
    return Gateway(app, ROUTES, GatewayOptions(stage="test", lambda_limits=lambda_limits))
