"""Decide how one HTTP request reaches the handler: whole, split into upload chunks, or refused.

Without `--lambda-limits` any upload works, split so no process holds it whole. With it, the
server refuses what API Gateway and Lambda would refuse, so the limits show up on a laptop.
"""

from __future__ import annotations

import json
from dataclasses import replace

from berth.localserver.bodies import Body, Prepended
from berth.localserver.gateway import Gateway
from berth.localserver.messages import GatewayRequest, GatewayResponse
from berth.localserver.splitting import SPLIT_THRESHOLD, split_upload, upload_kind

# Lambda takes 6 MB of event; API Gateway sends a binary body base64-encoded (4 bytes for 3),
# and the headers and request context take some of the rest.
LAMBDA_BODY_LIMIT = 6_000_000 * 3 // 4 - 64 * 1024
# A body that cannot be split (a manifest, say) is held whole; refuse absurd ones.
WHOLE_BODY_LIMIT = 64 * 1024 * 1024


def too_large(limit: int, *, lambda_limits: bool) -> GatewayResponse:
    """413 with an OCI error body naming the way to push large layers."""
    if lambda_limits:
        message = (
            f"request body over {limit} bytes: AWS Lambda takes at most 6 MB per request "
            "(about 4.5 MiB of binary body once base64-encoded); push large layers with "
            "`berth push`, which sends them straight to S3 (Berth's s3-uploads extension) "
            "or in chunks of at most 4 MiB, or let docker/podman/buildah push through "
            "`berth proxy` (docs/deploy.md, CI)"
        )
    else:
        message = f"request body over {limit} bytes; only blob uploads may be that large"
    body = json.dumps({"errors": [{"code": "SIZE_INVALID", "message": message}]}).encode()
    return GatewayResponse(413, (("Content-Type", "application/json"),), body)


def _read_whole(body: Body, limit: int) -> bytes | None:
    """The whole body, or None if it is longer than `limit`."""
    if body.length is not None and body.length > limit:
        return None
    data = body.read(limit + 1)
    return None if len(data) > limit else data


def forward(gateway: Gateway, request: GatewayRequest, body: Body) -> GatewayResponse:
    """Answer `request` (whose body is still unread in `body`) through the gateway."""
    if gateway.options.lambda_limits:
        data = _read_whole(body, LAMBDA_BODY_LIMIT)
        if data is None:
            return too_large(LAMBDA_BODY_LIMIT, lambda_limits=True)
        return gateway.invoke(_whole(request, data))
    kind = upload_kind(request)
    if kind is None:
        data = _read_whole(body, WHOLE_BODY_LIMIT)
        if data is None:
            return too_large(WHOLE_BODY_LIMIT, lambda_limits=False)
        return gateway.invoke(_whole(request, data))
    if body.length is not None and body.length <= SPLIT_THRESHOLD:
        return gateway.invoke(_whole(request, body.read(body.length)))
    if body.length is None:  # chunked: small ones still go through whole
        prefix = body.read(SPLIT_THRESHOLD + 1)
        if len(prefix) <= SPLIT_THRESHOLD:
            return gateway.invoke(_whole(request, prefix))
        body = Prepended(prefix, body)
    return split_upload(gateway, request, kind, body)


def _whole(request: GatewayRequest, data: bytes) -> GatewayRequest:
    """The request with its body, framed by Content-Length as API Gateway forwards it."""
    length = str(len(data)) if data or request.header("Content-Length") else None
    headers = request.with_headers(Content_Length=length, Transfer_Encoding=None)
    return replace(request, headers=headers, body=data)
