"""Chalice's record of a stage's deployment, kept in the stage's bucket as well as locally.

`chalice deploy` decides what to create and what to update from `deployed/<stage>.json`,
and `chalice delete` from the same file: without it a second checkout (another operator, a
CI job) would create a second function and API beside the first, or fail on their names.
The local copy (`.chalice/deployed/`) is git-ignored, so every deploy and destroy also
stores it in the stack's bucket under `_berth/deploy/<stage>/chalice-deployed.json`, and
fetches it from there first. The bucket is the stage's own (named after stage, account and
region), outlives `berth destroy` (DeletionPolicy Retain) and costs nothing more; the
record holds names and ARNs, no secret. The collector sweeps `blobs/` and `uploads/` only.

When both copies exist and differ, the bucket's wins: it is written by every deploy from
anywhere, the local one only by this checkout's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "_berth/deploy"


def state_key(stage: str) -> str:
    return f"{PREFIX}/{stage}/chalice-deployed.json"


@dataclass(frozen=True, slots=True)
class DeployState:
    """The stage's record: `records/<name>.json` here, `state_key(stage)` in `bucket`."""

    s3: Any
    bucket: str | None  # None before the stack exists: nothing remote yet
    stage: str
    records: Path
    # The local record's name: the stage, or `<stage>.<region>` for a second region's
    # function (berth/deploy/regions.py: record_name); each region's bucket holds its own.
    name: str | None = None

    @property
    def local(self) -> Path:
        return self.records / f"{self.name or self.stage}.json"

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{state_key(self.stage)}"

    def remote(self) -> bytes | None:
        from botocore.exceptions import ClientError

        if self.bucket is None:
            return None
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=state_key(self.stage))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
                return None
            raise
        body: bytes = answer["Body"].read()
        return body

    def describe(self) -> str:
        """Where the next deploy's record comes from; changes nothing (`--dry-run`)."""
        remote = self.remote()
        here = self.local.read_bytes() if self.local.exists() else None
        if remote is None and here is None:
            return "none: the function and its API would be created"
        if remote is None:
            return f"{self.local} (this checkout only; the deploy stores it in the bucket)"
        if here is None:
            return f"{self.url} (fetched into {self.local})"
        if here == remote:
            return f"{self.local}, the same as {self.url}"
        return f"{self.url} (differs from {self.local}, which it would replace)"

    def pull(self) -> str:
        """Make the local record the bucket's, if the bucket has one; say what happened."""
        remote = self.remote()
        if remote is None:
            if self.local.exists():
                return f"deployment record: {self.local} (not yet in the bucket)"
            return "deployment record: none (the stage's function is created)"
        if self.local.exists() and self.local.read_bytes() == remote:
            return f"deployment record: {self.local}, the same as {self.url}"
        said = "replaced the local one, which differed" if self.local.exists() else "fetched"
        self.local.parent.mkdir(parents=True, exist_ok=True)
        self.local.write_bytes(remote)
        return f"deployment record: {self.url} ({said})"

    def push(self) -> str:
        """Store the local record in the bucket (after Chalice wrote it); say where."""
        if self.bucket is None or not self.local.exists():
            return "deployment record: nothing to store"
        self.s3.put_object(
            Bucket=self.bucket,
            Key=state_key(self.stage),
            Body=self.local.read_bytes(),
            ContentType="application/json",
        )
        return f"deployment record stored: {self.url}"
