"""Descriptor fields have the image spec's types (chalicelib/oci/descriptor_fields.py, through
parse_manifest): well-typed optional fields pass wherever a descriptor appears, and any one
field of the wrong type is MANIFEST_INVALID, never silently accepted (issue 11, D11)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.oci import media_types as mt
from chalicelib.oci.errors import OCIError
from chalicelib.oci.manifest import ParsedManifest, parse_manifest
from tests.unit.strategies import registered_digests

FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

text = st.text(max_size=12)
text_lists = st.lists(text, max_size=3)
platforms = st.fixed_dictionaries(
    {"architecture": text, "os": text},
    optional={
        "os.version": text,
        "os.features": text_lists,
        "variant": text,
        "features": text_lists,
    },
)
# Every optional field of a descriptor, each with values of the spec's type.
WELL_TYPED: dict[str, st.SearchStrategy[Any]] = {
    "urls": st.lists(st.text(min_size=1, max_size=20), max_size=3),
    "annotations": st.dictionaries(text, text, max_size=3),
    "data": st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode()),
    "artifactType": text,
    "platform": platforms,
}
# Values of every JSON type, for drawing one that the field's type excludes.
any_json = st.recursive(
    st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(text, inner, max_size=2),
    max_leaves=4,
)


def _fits(field: str, value: Any) -> bool:
    """Whether `value` has the spec's type for `field` (what a well-typed value may be)."""
    if field == "urls":
        return isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    if field == "annotations":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if field == "data":
        if not isinstance(value, str):
            return False
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            return False
        return True
    if field == "artifactType":
        return isinstance(value, str)
    assert field == "platform"
    return (
        isinstance(value, dict)
        and isinstance(value.get("architecture"), str)
        and isinstance(value.get("os"), str)
        and all(isinstance(value.get(k, ""), str) for k in ("os.version", "variant"))
        and all(
            isinstance(value.get(k, []), list) and all(isinstance(f, str) for f in value.get(k, []))
            for k in ("os.features", "features")
        )
    )


def _descriptor(media_type: str, digest: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest, "size": 3, **fields}


@st.composite
def descriptors(draw: st.DrawFn, media_type: str) -> dict[str, Any]:
    chosen = draw(st.sets(st.sampled_from(sorted(WELL_TYPED))))
    fields = {name: draw(WELL_TYPED[name]) for name in sorted(chosen)}
    return _descriptor(media_type, draw(registered_digests), fields)


# Where a descriptor can sit: (document around it, Content-Type).
def _in_config(d: dict[str, Any]) -> tuple[dict[str, Any], str]:
    layer = _descriptor(LAYER, "sha256:" + "b" * 64, {})
    return {"schemaVersion": 2, "config": d, "layers": [layer]}, mt.OCI_MANIFEST


def _in_layers(d: dict[str, Any]) -> tuple[dict[str, Any], str]:
    config = _descriptor(CONFIG, "sha256:" + "a" * 64, {})
    return {"schemaVersion": 2, "config": config, "layers": [d]}, mt.OCI_MANIFEST


def _as_subject(d: dict[str, Any]) -> tuple[dict[str, Any], str]:
    document, content_type = _in_layers(_descriptor(LAYER, "sha256:" + "b" * 64, {}))
    return {**document, "subject": d}, content_type


def _in_index(d: dict[str, Any]) -> tuple[dict[str, Any], str]:
    return {"schemaVersion": 2, "manifests": [d]}, mt.OCI_INDEX


PLACES = [_in_config, _in_layers, _as_subject, _in_index]


def _parse(document: dict[str, Any], content_type: str) -> ParsedManifest:
    return parse_manifest(json.dumps(document).encode(), content_type)


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(descriptors(LAYER), st.sampled_from(PLACES))
def test_well_typed_optional_fields_are_accepted(descriptor: dict[str, Any], place: Any) -> None:
    _parse(*place(descriptor))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    descriptors(LAYER),
    st.sampled_from(PLACES),
    st.sampled_from(sorted(WELL_TYPED)),
    any_json,
)
def test_any_field_of_the_wrong_type_is_manifest_invalid(
    descriptor: dict[str, Any], place: Any, field: str, value: Any
) -> None:
    if _fits(field, value):
        return  # drawn a well-typed value after all: covered by the test above
    descriptor[field] = value
    with pytest.raises(OCIError) as raised:
        _parse(*place(descriptor))
    assert raised.value.code == "MANIFEST_INVALID" and raised.value.status == 400
    assert field in raised.value.message


@pytest.mark.parametrize("urls", [5, "https://example.com/layer", {"a": "b"}, [5], [""], True])
def test_foreign_layer_with_malformed_urls_is_refused(urls: Any) -> None:
    """D11: `"urls": 5` used to be accepted and to skip the layer's existence check."""
    foreign = _descriptor(FOREIGN, "sha256:" + "f" * 64, {"urls": urls})
    with pytest.raises(OCIError) as raised:
        _parse(*_in_layers(foreign))
    assert raised.value.code == "MANIFEST_INVALID"
    assert "urls" in raised.value.message


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=3))
def test_foreign_layer_with_urls_need_not_be_pushed(urls: list[str]) -> None:
    foreign = _descriptor(FOREIGN, "sha256:" + "f" * 64, {"urls": urls})
    parsed = _parse(*_in_layers(foreign))
    assert "sha256:" + "f" * 64 not in {d.digest for d in parsed.blobs}


@pytest.mark.parametrize("urls", [None, []])
def test_foreign_layer_without_urls_must_be_pushed(urls: Any) -> None:
    foreign = _descriptor(FOREIGN, "sha256:" + "f" * 64, {"urls": urls})
    parsed = _parse(*_in_layers(foreign))
    assert "sha256:" + "f" * 64 in {d.digest for d in parsed.blobs}


@pytest.mark.parametrize("data", ["e30", "e3=0", "not base64!", "e30=\n", "ZZ==ZZ==", "é"])
def test_data_that_is_not_padded_standard_base64_is_refused(data: str) -> None:
    with pytest.raises(OCIError, match="data"):
        _parse(*_in_config(_descriptor(CONFIG, "sha256:" + "a" * 64, {"data": data})))
