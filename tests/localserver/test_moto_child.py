"""The moto child of `berth serve` runs with `berth.moto_s3_spool`: assembling a blob from
copied parts does not hold it in memory (moto alone held it four times over); and it may keep
as many files open as the system lets it (a blob keeps one per part)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from berth.localserver.backend import MotoBackend
from berth.localserver.stack import FAKE_CREDENTIALS, REGION

MiB = 1024 * 1024
PART = 6 * MiB
PARTS = 8  # a 48 MiB object from one 6 MiB source, copied eight times


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_moto_child_assembles_a_blob_without_holding_it() -> None:
    import botocore.session

    with MotoBackend.start() as backend:
        s3: Any = botocore.session.get_session().create_client(
            "s3",
            region_name=REGION,
            endpoint_url=backend.url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        s3.create_bucket(Bucket="assembly")
        source = os.urandom(PART)
        s3.put_object(Bucket="assembly", Key="staged", Body=source)
        upload = s3.create_multipart_upload(Bucket="assembly", Key="blob")["UploadId"]
        before = _peak_kib(backend.process.pid)
        parts = []
        for number in range(1, PARTS + 1):
            answer = s3.upload_part_copy(
                Bucket="assembly",
                Key="blob",
                UploadId=upload,
                PartNumber=number,
                CopySource={"Bucket": "assembly", "Key": "staged"},
            )
            parts.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
        s3.complete_multipart_upload(
            Bucket="assembly", Key="blob", UploadId=upload, MultipartUpload={"Parts": parts}
        )
        grown = (_peak_kib(backend.process.pid) - before) * 1024

        assert grown < PART * PARTS // 2, f"moto grew by {grown} bytes to assemble the blob"
        head = s3.head_object(Bucket="assembly", Key="blob")
        assert head["ContentLength"] == PART * PARTS
        body = s3.get_object(Bucket="assembly", Key="blob", Range=f"bytes={PART - 3}-{PART + 2}")
        assert body["Body"].read() == source[-3:] + source[:3]
        # A part's file stays open while the blob lives: the child may open all it can.
        limits = Path(f"/proc/{backend.process.pid}/limits").read_text().splitlines()
        soft, hard = next(line for line in limits if line.startswith("Max open files")).split()[3:5]
        assert soft == hard
