"""The media types Berth's clients read and write: manifests, indexes, configs, layers.

Not imported from `chalicelib.oci.media_types` (the server's table: what it stores and what it
refuses): the client stays free of the Lambda runtime, and both tables copy constants fixed by
the OCI and Docker specs, so they cannot drift apart in meaning. A name both tables hold means
the same value and the same set on both sides; tests/client/test_media_types.py checks that.
"""

from __future__ import annotations

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

IMAGE_MANIFESTS = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEXES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
# The annotation an OCI layout's index.json names its images by (not a media type).
REF_NAME = "org.opencontainers.image.ref.name"
