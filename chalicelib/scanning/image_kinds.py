"""Which manifests are images the scanner scans (and a scan pull policy judges): image
manifests and indexes, not artifacts (signatures, SBOMs, the scanner's own reports), which
carry no filesystem and would otherwise stay "not scanned" for ever."""

from __future__ import annotations

import json

from chalicelib.oci import media_types as mt

# A manifest without artifactType reports its config's media type as one (image spec): these
# are images, anything else is an artifact.
IMAGE_CONFIGS = frozenset(
    {
        "application/vnd.oci.image.config.v1+json",
        "application/vnd.docker.container.image.v1+json",
    }
)


def is_scanned_image(media_type: str, body: bytes) -> bool:
    """From the bytes a pull already holds: no AWS call, no full manifest validation."""
    if media_type not in mt.MANIFESTS:
        return False
    try:
        document = json.loads(body)
    except ValueError:
        return False
    if not isinstance(document, dict) or document.get("subject") is not None:
        return False
    artifact_type = document.get("artifactType")
    if artifact_type is not None:
        return artifact_type in IMAGE_CONFIGS
    if media_type in mt.INDEXES:
        return True
    config = document.get("config")
    return isinstance(config, dict) and config.get("mediaType") in IMAGE_CONFIGS
