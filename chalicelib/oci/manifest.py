"""Parse and check a pushed manifest: its type, what it references and its subject.

The bytes are never re-serialised: the registry stores exactly what was pushed, and this
module only reads them to learn what must exist before the manifest may be accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.oci import media_types as mt
from chalicelib.oci import shallow_json
from chalicelib.oci.descriptor_fields import check_optional, is_text, is_text_map, urls_of
from chalicelib.oci.digest import parse_digest
from chalicelib.oci.errors import OCIError

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
_INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    urls: tuple[str, ...] = ()  # where a non-distributable layer is fetched from


@dataclass(frozen=True, slots=True)
class ParsedManifest:
    media_type: str
    blobs: tuple[Descriptor, ...] = ()  # config and layers: must be linked blobs
    manifests: tuple[Descriptor, ...] = ()  # index children: must be manifests in the repo
    subject: Descriptor | None = None
    artifact_type: str | None = None  # as the referrers API reports it
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def is_index(self) -> bool:
        return self.media_type in mt.INDEXES


def _invalid(message: str) -> OCIError:
    return OCIError("MANIFEST_INVALID", message)


def _descriptor(value: Any, where: str) -> Descriptor:
    if not isinstance(value, dict):
        raise _invalid(f"{where} must be a descriptor object")
    media_type = value.get("mediaType")
    digest = value.get("digest")
    size = value.get("size")
    if not is_text(media_type) or not media_type:
        raise _invalid(f"{where}.mediaType must be a non-empty string")
    if not isinstance(digest, str):
        raise _invalid(f"{where}.digest must be a string")
    try:
        parse_digest(digest, what=f"{where}.digest")
    except OCIError as error:
        raise _invalid(error.message) from None
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= _INT64_MAX:
        raise _invalid(f"{where}.size must be a non-negative 64-bit integer")
    check_optional(value, where)
    return Descriptor(media_type, digest, size, urls_of(value, where))


def _descriptors(document: dict[str, Any], key: str, *, required: bool) -> tuple[Descriptor, ...]:
    value = document.get(key)
    if value is None:
        if required:
            raise _invalid(f"{key} is required")
        return ()
    if not isinstance(value, list):
        raise _invalid(f"{key} must be an array")
    return tuple(_descriptor(item, f"{key}[{i}]") for i, item in enumerate(value))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _load_json(body: bytes) -> dict[str, Any]:
    """Strict JSON (RFC 8259): UTF-8 only, no NaN or Infinity; deep nesting is refused."""
    try:
        text = body.decode("utf-8")
        document = shallow_json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise _invalid(f"manifest is not valid UTF-8 JSON: {str(error)[:200]}") from None
    if not isinstance(document, dict):
        raise _invalid("manifest must be a JSON object")
    return document


def _annotations(document: dict[str, Any]) -> dict[str, str]:
    value = document.get("annotations")
    if value is None:
        return {}
    if not is_text_map(value):
        raise _invalid("annotations must be a map of strings to strings")
    return dict(value)


def parse_manifest(body: bytes, content_type: str | None) -> ParsedManifest:
    """Validate `body` as a manifest of `content_type` and return what it references."""
    if len(body) > MAX_MANIFEST_BYTES:
        raise OCIError(
            "SIZE_INVALID",
            f"manifest is {len(body)} bytes; the limit is {MAX_MANIFEST_BYTES}",
            status=413,
        )
    declared = mt.bare(content_type)
    if declared in mt.SCHEMA1:
        raise _invalid(
            "Docker schema 1 manifests are not supported; push schema 2 or OCI "
            "(skopeo: --format v2s2 or --format oci)"
        )
    document = _load_json(body)
    version = document.get("schemaVersion")
    if version == 1:
        raise _invalid("Docker schema 1 manifests are not supported; push schema 2 or OCI")
    if type(version) is not int or version != 2:
        raise _invalid("schemaVersion must be the integer 2")

    field_type = document.get("mediaType")
    if field_type is not None and not is_text(field_type):
        raise _invalid("mediaType must be a string")
    if field_type and declared and field_type != declared:
        raise _invalid(
            f"Content-Type {declared!r} does not match the manifest's mediaType {field_type!r}"
        )
    media_type = declared or field_type or _guess(document)
    if media_type not in mt.MANIFESTS:
        raise _invalid(
            f"unsupported manifest media type {media_type[:200]!r}; supported: "
            + ", ".join(sorted(mt.MANIFESTS))
        )

    # An empty artifactType counts as absent (the referrers API then falls back).
    artifact_type = document.get("artifactType") or None
    if artifact_type is not None and not is_text(artifact_type):
        raise _invalid("artifactType must be a string")
    subject = None
    if "subject" in document:
        subject = _descriptor(document["subject"], "subject")
    annotations = _annotations(document)

    if media_type in mt.INDEXES:
        children = _descriptors(document, "manifests", required=True)
        for i, child in enumerate(children):
            if child.media_type in mt.SCHEMA1:
                raise _invalid(f"manifests[{i}] is a schema 1 manifest, which is not supported")
        return ParsedManifest(
            media_type=media_type,
            manifests=children,
            subject=subject,
            artifact_type=artifact_type,
            annotations=annotations,
        )

    config = _descriptor(document.get("config"), "config")
    layers = _descriptors(document, "layers", required=media_type == mt.DOCKER_MANIFEST)
    # Non-distributable (foreign) layers are fetched from their `urls`, never pushed: they
    # need not exist in the registry (Windows base images rely on this).
    layers = tuple(
        layer for layer in layers if not (layer.media_type in mt.FOREIGN_LAYERS and layer.urls)
    )
    if artifact_type is None and media_type == mt.OCI_MANIFEST:
        # The referrers API reports the config media type when artifactType is absent.
        artifact_type = config.media_type
    return ParsedManifest(
        media_type=media_type,
        blobs=(config, *layers),
        subject=subject,
        artifact_type=artifact_type,
        annotations=annotations,
    )


def _guess(document: dict[str, Any]) -> str:
    """A manifest pushed with neither Content-Type nor mediaType: infer from its shape."""
    if "manifests" in document:
        return mt.OCI_INDEX
    if "config" in document:
        return mt.OCI_MANIFEST
    return ""
