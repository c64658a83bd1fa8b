"""One layer into ECR across Lambda runs: ECR's layer upload (`InitiateLayerUpload`, then
`UploadLayerPart` with byte ranges, then `CompleteLayerUpload`) keeps its upload id between
calls, so a layer too large for one run goes on in the next, as a registry's chunked upload
does (resumable_upload.py). The upload id and the bytes ECR accepted are saved after every
part (upload_checkpoints.py, the location written `ecr:<upload id>`); a run that reaches its
deadline stops between parts. ECR has no call that says how much an upload holds, so the
saved offset is trusted; a part ECR refuses as out of place (a part accepted just before a
run ended, its checkpoint not yet saved) goes on from the `lastValidByteReceived` ECR names,
or from a new upload when it names none. Memory: one part."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.remote.ecr_client import ecr
from chalicelib.replication.deadline import Deadline, OutOfTime
from chalicelib.replication.resumable_upload import Reader
from chalicelib.replication.upload_checkpoints import Checkpoint, Checkpoints

PREFIX = "ecr:"


def _start(client: Any, account: str, name: str) -> str:
    answer = client.initiate_layer_upload(registryId=account, repositoryName=name)
    return PREFIX + str(answer["uploadId"])


def send(
    region: str,
    account: str,
    name: str,
    digest: str,
    size: int,
    read: Reader,
    checkpoints: Checkpoints,
    deadline: Deadline,
) -> int:
    """Upload `digest` into ECR (continuing a saved upload); the bytes sent by this run.
    Raises OutOfTime, progress saved, when the deadline passes."""
    client = ecr(region)
    saved = checkpoints.load(digest)
    point = saved if saved is not None and saved.location.startswith(PREFIX) else None
    if point is None or point.offset > size:
        point = Checkpoint(_start(client, account, name), 0)
        checkpoints.save(digest, size, point)
    upload, offset, sent = point.location, point.offset, 0
    while offset < size:
        chunks = read(offset)
        try:
            for chunk in chunks:
                if not chunk:
                    continue
                if deadline.passed():
                    raise OutOfTime(f"{digest[:80]}: {offset} of {size} bytes in ECR")
                try:
                    client.upload_layer_part(
                        registryId=account,
                        repositoryName=name,
                        uploadId=upload.removeprefix(PREFIX),
                        partFirstByte=offset,
                        partLastByte=offset + len(chunk) - 1,
                        layerPartBlob=chunk,
                    )
                except ClientError as error:
                    if error.response["Error"]["Code"] not in (
                        "InvalidLayerPartException",
                        "UploadNotFoundException",
                    ):
                        raise
                    upload, offset = _realign(client, account, name, error, upload, offset)
                    checkpoints.save(digest, size, Checkpoint(upload, offset))
                    break  # read again from where ECR stands
                offset += len(chunk)
                sent += len(chunk)
                checkpoints.save(digest, size, Checkpoint(upload, offset))
        finally:
            chunks.close()  # the S3 body, if the run stops halfway
    try:
        client.complete_layer_upload(
            registryId=account,
            repositoryName=name,
            uploadId=upload.removeprefix(PREFIX),
            layerDigests=[digest],
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "LayerAlreadyExistsException":
            checkpoints.clear(digest)  # an upload that cannot complete is not worth resuming
            raise
    checkpoints.clear(digest)
    return sent


def _realign(
    client: Any, account: str, name: str, error: ClientError, upload: str, offset: int
) -> tuple[str, int]:
    """Where to go on after ECR refused a part: the byte after the last it holds, when it
    says; else a new upload from the start."""
    last = error.response.get("lastValidByteReceived")
    if error.response["Error"]["Code"] == "InvalidLayerPartException" and isinstance(last, int):
        return upload, last + 1
    return _start(client, account, name), 0
