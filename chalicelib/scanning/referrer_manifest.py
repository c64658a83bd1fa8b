"""The OCI artifact manifest that attaches a scan document to the image it describes (image
spec, artifacts guidance): the empty config, the document as its one layer, `subject` naming
the image, annotations saying what produced it and when."""

from __future__ import annotations

import hashlib
import json
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
EMPTY_CONFIG = b"{}"
PRODUCER = "dev.berth.scan.producer"
KIND = "dev.berth.scan.kind"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def artifact_manifest(
    document: bytes,
    media_type: str,
    title: str,
    kind: str,
    subject: dict[str, Any],
    created: str,
) -> bytes:
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": media_type,
        "config": {"mediaType": OCI_EMPTY, "digest": sha256(EMPTY_CONFIG), "size": 2},
        "layers": [
            {
                "mediaType": media_type,
                "digest": sha256(document),
                "size": len(document),
                "annotations": {"org.opencontainers.image.title": title},
            }
        ],
        "subject": subject,
        "annotations": {
            "org.opencontainers.image.created": created,
            PRODUCER: "berth",
            KIND: kind,
        },
    }
    return json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
