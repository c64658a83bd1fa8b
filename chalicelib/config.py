"""Settings, read once from the environment the deployment (or `berth serve`) provides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Settings:
    table: str
    bucket: str
    region: str
    # Presigned blob GET URLs live this long: long enough to start a download, short enough
    # that a leaked URL is soon useless.
    presign_ttl: int
    # Upload sessions not touched for this long are abandoned (DynamoDB TTL removes them).
    upload_ttl: int
    # Endpoint of an S3/DynamoDB stand-in (moto) for the local server; None in AWS.
    endpoint_url: str | None
    # Where presigned URLs send clients, if not to the S3 endpoint: the local server's S3
    # front, which checks them as S3 would (moto does not). None in AWS.
    presign_endpoint_url: str | None = None


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        table=env.get("BERTH_TABLE", "berth-dev-meta"),
        bucket=env.get("BERTH_BUCKET", "berth-dev-blobs"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        presign_ttl=int(env.get("BERTH_PRESIGN_TTL", "300")),
        upload_ttl=int(env.get("BERTH_UPLOAD_TTL", str(24 * 3600))),
        endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        presign_endpoint_url=env.get("BERTH_PRESIGN_ENDPOINT_URL") or None,
    )
