"""ECR's `GetAuthorizationToken`: Basic credentials (`AWS:<token>`, 12 hours) for the OCI
endpoint `<account>.dkr.ecr.<region>.amazonaws.com`, for a replica pushed over HTTP."""

from __future__ import annotations

import base64

from chalicelib.remote.basic_credentials import Credentials
from chalicelib.remote.ecr_client import ecr
from chalicelib.remote.transport import RemoteError


def registry_host(account: str, region: str) -> str:
    suffix = ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"
    return f"{account}.dkr.ecr.{region}{suffix}"


def credentials(account: str, region: str) -> Credentials:
    answer = ecr(region).get_authorization_token(registryIds=[account])
    for data in answer.get("authorizationData", []):
        decoded = base64.b64decode(data["authorizationToken"]).decode()
        username, _, password = decoded.partition(":")
        return Credentials(username, password)
    raise RemoteError(f"ECR gave no authorization token for {account}")
