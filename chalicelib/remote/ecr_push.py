"""Pushing into ECR through its API (`BatchCheckLayerAvailability`, `InitiateLayerUpload`,
`UploadLayerPart`, `CompleteLayerUpload`, `PutImage`) rather than its OCI endpoint.

Both reach the same repository; the API needs no token exchange, speaks IAM directly (the
function's role, least privilege per repository ARN), and is what moto implements, so the
Lambda story is tested end to end. A layer goes up a part at a time, as S3 hands its bytes:
never held whole."""

from __future__ import annotations

from collections.abc import Iterable

from botocore.exceptions import ClientError

from chalicelib.remote.ecr_client import ecr
from chalicelib.remote.transport import RemoteError


def ensure_repository(region: str, account: str, name: str, stage: str) -> None:
    """Create the repository unless it exists, tagged `berth-replica=<stage>`: the function's
    policy lets it write only to repositories with that tag (berth/deploy/iam_policy.py)."""
    client = ecr(region)
    try:
        client.describe_repositories(registryId=account, repositoryNames=[name])
        return
    except ClientError as error:
        if error.response["Error"]["Code"] != "RepositoryNotFoundException":
            raise
    try:
        client.create_repository(
            registryId=account,
            repositoryName=name,
            tags=[{"Key": "berth-replica", "Value": stage}],
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "RepositoryAlreadyExistsException":
            raise


def missing_layers(region: str, account: str, name: str, digests: list[str]) -> set[str]:
    """Which of `digests` ECR does not hold in the repository yet (100 per call)."""
    missing: set[str] = set()
    client = ecr(region)
    for start in range(0, len(digests), 100):
        batch = digests[start : start + 100]
        answer = client.batch_check_layer_availability(
            registryId=account, repositoryName=name, layerDigests=batch
        )
        available = {
            layer["layerDigest"]
            for layer in answer.get("layers", [])
            if layer.get("layerAvailability") == "AVAILABLE"
        }
        missing.update(d for d in batch if d not in available)
    return missing


def upload_layer(
    region: str, account: str, name: str, digest: str, chunks: Iterable[bytes]
) -> None:
    """One upload, a part per chunk, in order; ECR checks the digest on completion."""
    client = ecr(region)
    upload_id = client.initiate_layer_upload(registryId=account, repositoryName=name)["uploadId"]
    offset = 0
    for chunk in chunks:
        if not chunk:
            continue
        client.upload_layer_part(
            registryId=account,
            repositoryName=name,
            uploadId=upload_id,
            partFirstByte=offset,
            partLastByte=offset + len(chunk) - 1,
            layerPartBlob=chunk,
        )
        offset += len(chunk)
    try:
        client.complete_layer_upload(
            registryId=account, repositoryName=name, uploadId=upload_id, layerDigests=[digest]
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "LayerAlreadyExistsException":
            raise


def put_image(
    region: str,
    account: str,
    name: str,
    body: bytes,
    media_type: str,
    digest: str,
    tag: str | None,
) -> None:
    """The manifest's exact bytes, by digest, with the tag if any; the same image with the
    same tag again is not an error (a retry after a lost answer)."""
    params: dict[str, object] = {
        "registryId": account,
        "repositoryName": name,
        "imageManifest": body.decode("utf-8"),
        "imageManifestMediaType": media_type,
        "imageDigest": digest,
    }
    if tag is not None:
        params["imageTag"] = tag
    try:
        ecr(region).put_image(**params)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ImageAlreadyExistsException":
            raise RemoteError(f"ECR PutImage: {error}") from error


def delete_image(region: str, account: str, name: str, reference: str) -> None:
    """By digest (`sha256:…`) or tag; gone already is fine."""
    image_id = {"imageDigest": reference} if ":" in reference else {"imageTag": reference}
    ecr(region).batch_delete_image(registryId=account, repositoryName=name, imageIds=[image_id])


def has_image(region: str, account: str, name: str, digest: str) -> bool:
    answer = ecr(region).batch_get_image(
        registryId=account, repositoryName=name, imageIds=[{"imageDigest": digest}]
    )
    return bool(answer.get("images"))
