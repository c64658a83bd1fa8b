"""Client side of the IAM login: a registry password from the caller's AWS credentials.

The registry's half (checking and replaying it) is `chalicelib.auth.iam`."""

from __future__ import annotations

from typing import Any

from chalicelib.auth.iam import MAX_AGE, SERVICE_HEADER, encode_password


def login_password(sts_client: Any, service: str, expires: int = MAX_AGE) -> str:
    """Client side: a password for `service` from a botocore/boto3 STS client's credentials."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers[SERVICE_HEADER] = service

    events = sts_client.meta.events
    events.register_first("before-sign.sts.GetCallerIdentity", add_header)
    try:
        url = sts_client.generate_presigned_url(
            "get_caller_identity", Params={}, ExpiresIn=expires, HttpMethod="GET"
        )
    finally:
        events.unregister("before-sign.sts.GetCallerIdentity", add_header)
    return encode_password(url)
