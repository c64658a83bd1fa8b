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
    # Direct-to-S3 uploads (chalicelib/storage/direct_verify.py). True only where the store is real
    # S3, which refuses content whose SHA-256 differs from the signed checksum: completion
    # then trusts the stored checksum. Otherwise (moto) it re-reads and hashes the object.
    s3_enforces_checksums: bool = False
    # Presigned upload URLs live this long (a part must start uploading within it; a client
    # asks for fresh URLs for what is left).
    upload_url_ttl: int = 3600
    # Blobs up to this size go in one presigned PUT (S3 allows 5 GiB); larger in parts of
    # s3_part_size. Smaller values only exist to test multipart without 5 GiB of data.
    s3_single_put_max: int = 5 * 1024**3
    s3_part_size: int = 64 * 1024**2
    # Seconds one completion request spends re-hashing before it answers "continue" (202):
    # API Gateway gives up after 29 s, and the copy to the content address follows.
    verify_seconds: float = 15.0
    # primary, or standby: a second region's deployment (docs/regions.md) that serves pulls
    # from the replicated table and bucket, refuses writes and runs no background jobs until
    # it is promoted. primary_url is where a standby sends writers.
    region_role: str = "primary"
    primary_url: str | None = None

    @property
    def standby(self) -> bool:
        return self.region_role == "standby"


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
        s3_enforces_checksums=env.get("BERTH_S3_ENFORCES_CHECKSUMS", "") in ("1", "true", "on"),
        upload_url_ttl=int(env.get("BERTH_UPLOAD_URL_TTL", "3600")),
        s3_single_put_max=int(env.get("BERTH_S3_SINGLE_PUT_MAX", str(5 * 1024**3))),
        s3_part_size=int(env.get("BERTH_S3_PART_SIZE", str(64 * 1024**2))),
        verify_seconds=float(env.get("BERTH_VERIFY_SECONDS", "15")),
        region_role=env.get("BERTH_REGION_ROLE", "primary"),
        primary_url=env.get("BERTH_PRIMARY_URL") or None,
    )
