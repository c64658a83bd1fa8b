"""What each layer the scanner has read keeps (chalicelib/scanning/layer_changes_document.py),
one S3 object per layer digest, so an image built on an already scanned base reads only its
own new layers. The key carries the inventory format: a scanner that finds more ignores what
an older one kept and reads the layer again."""

from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.oci.digest import Digest
from chalicelib.scanning import layer_changes_document
from chalicelib.scanning.layer_changes import LayerChanges
from chalicelib.scanning.stored_inventory import FORMAT
from chalicelib.storage import aws


def changes_key(digest: Digest) -> str:
    return f"scans/layers/v{FORMAT}/{digest.algorithm}/{digest.hex}"


def get(digest: Digest) -> tuple[LayerChanges, int] | None:
    """The layer's stored changes and the bytes read for them; None when it was never read
    by this format of the scanner (or what is stored does not decode)."""
    try:
        body = aws.s3().get_object(Bucket=settings().bucket, Key=changes_key(digest))["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    data: bytes = body.read()
    changes = layer_changes_document.decode(data, FORMAT)
    return None if changes is None else (changes, len(data))


def put(digest: Digest, changes: LayerChanges) -> None:
    aws.s3().put_object(
        Bucket=settings().bucket,
        Key=changes_key(digest),
        Body=layer_changes_document.encode(changes, FORMAT),
        ContentType="application/octet-stream",
    )
