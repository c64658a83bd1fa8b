"""Manifest parsing and validation (chalicelib/oci/manifest.py)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chalicelib.oci import media_types as mt
from chalicelib.oci.digest import parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.manifest import (
    MAX_MANIFEST_BYTES,
    Descriptor,
    ParsedManifest,
    parse_manifest,
)
from tests.unit.spec import EMPTY_JSON_DIGEST, SPEC_DIR, SPEC_ERROR_CODES, spec_text
from tests.unit.strategies import LOWER_ALNUM, registered_digests

LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha512:" + "3" * 128

# --- documents ------------------------------------------------------------------------------


def desc(media_type: str = LAYER, digest: str = D1, size: int = 1, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest, "size": size, **extra}


EMPTY = desc(mt.OCI_EMPTY, EMPTY_JSON_DIGEST, 2)


def oci_manifest(**fields: Any) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": desc(CONFIG, D1, 7023),
        "layers": [desc(LAYER, D2, 32654), desc(LAYER, D3, 16724)],
        **fields,
    }


def oci_index(**fields: Any) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": mt.OCI_INDEX,
        "manifests": [
            desc(mt.OCI_MANIFEST, D1, 7143, platform={"architecture": "ppc64le", "os": "linux"}),
            desc(mt.OCI_INDEX, D2, 7682),
        ],
        **fields,
    }


def docker_manifest(**fields: Any) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": mt.DOCKER_MANIFEST,
        "config": desc(DOCKER_CONFIG, D1, 1469),
        "layers": [desc(DOCKER_LAYER, D2, 2797541)],
        **fields,
    }


def docker_list(**fields: Any) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": mt.DOCKER_MANIFEST_LIST,
        "manifests": [
            desc(mt.DOCKER_MANIFEST, D1, 528, platform={"architecture": "amd64", "os": "linux"}),
            desc(mt.DOCKER_MANIFEST, D2, 528, platform={"architecture": "arm64", "os": "linux"}),
        ],
        **fields,
    }


def encode(document: Any) -> bytes:
    return json.dumps(document).encode()


def parse(document: Any, content_type: str | None = None) -> ParsedManifest:
    return parse_manifest(encode(document), content_type)


def descriptor(value: dict[str, Any]) -> Descriptor:
    return Descriptor(
        value["mediaType"], value["digest"], value["size"], tuple(value.get("urls") or ())
    )


def assert_invalid(body: bytes, content_type: str | None = None) -> OCIError:
    with pytest.raises(OCIError) as raised:
        parse_manifest(body, content_type)
    assert raised.value.code == "MANIFEST_INVALID"
    assert raised.value.status == 400
    return raised.value


def parse_or_oci_error(body: bytes, content_type: str | None) -> ParsedManifest | None:
    """Parse, allowing only an OCIError with a 4xx status and a spec error code to escape."""
    try:
        return parse_manifest(body, content_type)
    except OCIError as error:
        assert 400 <= error.status < 500
        assert error.code in SPEC_ERROR_CODES
        return None


# --- the four manifest kinds ----------------------------------------------------------------


def test_oci_image_manifest() -> None:
    document = oci_manifest(annotations={"com.example.key1": "value1"})
    parsed = parse(document, mt.OCI_MANIFEST)
    assert parsed.media_type == mt.OCI_MANIFEST
    assert not parsed.is_index
    assert parsed.blobs == tuple(descriptor(d) for d in [document["config"], *document["layers"]])
    assert parsed.manifests == ()
    assert parsed.subject is None
    # "If the artifactType is empty or missing in the image manifest, the value of
    # artifactType MUST be set to the config descriptor mediaType value."
    assert parsed.artifact_type == CONFIG
    assert parsed.annotations == {"com.example.key1": "value1"}


def test_oci_image_index() -> None:
    document = oci_index(annotations={"k": "v"})
    parsed = parse(document, mt.OCI_INDEX)
    assert parsed.media_type == mt.OCI_INDEX
    assert parsed.is_index
    assert parsed.manifests == tuple(descriptor(d) for d in document["manifests"])
    assert parsed.blobs == ()
    # "If the artifactType is empty or missing in an index, the artifactType MUST be omitted."
    assert parsed.artifact_type is None
    assert parsed.annotations == {"k": "v"}


def test_oci_index_may_be_empty() -> None:
    # "While this property MUST be present, the size of the array MAY be zero."
    parsed = parse(oci_index(manifests=[]), mt.OCI_INDEX)
    assert parsed.is_index
    assert parsed.manifests == ()


def test_docker_schema2_manifest() -> None:
    document = docker_manifest()
    parsed = parse(document, mt.DOCKER_MANIFEST)
    assert parsed.media_type == mt.DOCKER_MANIFEST
    assert not parsed.is_index
    assert parsed.blobs == (descriptor(document["config"]), descriptor(document["layers"][0]))
    assert parsed.manifests == ()


def test_docker_manifest_list() -> None:
    document = docker_list()
    parsed = parse(document, mt.DOCKER_MANIFEST_LIST)
    assert parsed.media_type == mt.DOCKER_MANIFEST_LIST
    assert parsed.is_index
    assert parsed.manifests == tuple(descriptor(d) for d in document["manifests"])
    assert parsed.blobs == ()


def test_docker_manifest_requires_layers() -> None:
    document = docker_manifest()
    del document["layers"]
    assert_invalid(encode(document), mt.DOCKER_MANIFEST)


@pytest.mark.parametrize("kind", [oci_index, docker_list])
def test_indexes_require_manifests(kind: Any) -> None:
    document = kind()
    del document["manifests"]
    assert_invalid(encode(document), document["mediaType"])


@pytest.mark.parametrize("kind", [oci_manifest, docker_manifest])
def test_image_manifests_require_a_config(kind: Any) -> None:
    document = kind()
    del document["config"]
    assert_invalid(encode(document), document["mediaType"])


# --- artifacts ------------------------------------------------------------------------------


def test_minimal_artifact_with_the_empty_config() -> None:
    # image-spec manifest.md, "Minimal artifact".
    document = oci_manifest(
        artifactType="application/vnd.example+type",
        config=EMPTY,
        layers=[EMPTY],
        annotations={"oci.opencontainers.image.created": "2023-01-02T03:04:05Z"},
    )
    parsed = parse(document, mt.OCI_MANIFEST)
    assert parsed.artifact_type == "application/vnd.example+type"
    assert parsed.blobs == (descriptor(EMPTY), descriptor(EMPTY))


def test_artifact_with_subject() -> None:
    subject = desc(mt.OCI_MANIFEST, D3, 7682)
    document = oci_manifest(
        artifactType="application/vnd.example.sbom.v1", config=EMPTY, layers=[], subject=subject
    )
    parsed = parse(document, mt.OCI_MANIFEST)
    assert parsed.subject == descriptor(subject)
    assert parsed.artifact_type == "application/vnd.example.sbom.v1"
    # "the list of blobs MAY be empty": only the config is referenced.
    assert parsed.blobs == (descriptor(EMPTY),)


def test_artifact_without_artifact_type_reports_the_config_media_type() -> None:
    document = oci_manifest(config=desc("application/vnd.example.config.v1+json", D1, 3))
    assert parse(document).artifact_type == "application/vnd.example.config.v1+json"


def test_index_with_artifact_type_and_subject() -> None:
    subject = desc(mt.OCI_MANIFEST, D3, 7682)
    document = oci_index(artifactType="application/vnd.example.list", subject=subject)
    parsed = parse(document, mt.OCI_INDEX)
    assert parsed.artifact_type == "application/vnd.example.list"
    assert parsed.subject == descriptor(subject)


def test_empty_artifact_type_in_a_manifest_falls_back_to_the_config_media_type() -> None:
    # distribution-spec, "Pushing Manifests with Subject": "If the `artifactType` is empty or
    # missing in a pushed image manifest, the value of `artifactType` MUST be set to the
    # config descriptor `mediaType` value." An empty artifactType is thus to be accepted.
    parsed = parse(oci_manifest(artifactType=""), mt.OCI_MANIFEST)
    assert parsed.artifact_type == CONFIG


def test_empty_artifact_type_in_an_index_is_omitted() -> None:
    # distribution-spec, "Listing Referrers": "If the `artifactType` is empty or missing in an
    # index, the `artifactType` MUST be omitted."
    parsed = parse(oci_index(artifactType=""), mt.OCI_INDEX)
    assert parsed.artifact_type is None


# --- media type: Content-Type and the mediaType field ---------------------------------------


@pytest.mark.parametrize(
    "kind", [oci_manifest, oci_index, docker_manifest, docker_list], ids=lambda k: k.__name__
)
def test_without_content_type_the_media_type_field_decides(kind: Any) -> None:
    document = kind()
    assert parse(document, None).media_type == document["mediaType"]
    assert parse(document, "").media_type == document["mediaType"]


@pytest.mark.parametrize(
    "kind", [oci_manifest, oci_index, docker_manifest, docker_list], ids=lambda k: k.__name__
)
def test_without_media_type_field_the_content_type_decides(kind: Any) -> None:
    document = kind()
    media_type = document.pop("mediaType")
    assert parse(document, media_type).media_type == media_type


@pytest.mark.parametrize(
    "content_type",
    [
        mt.OCI_MANIFEST + "; charset=utf-8",
        mt.OCI_MANIFEST + ";charset=utf-8;q=1",
        " " + mt.OCI_MANIFEST + " ",
        mt.OCI_MANIFEST.upper(),
    ],
)
def test_content_type_parameters_and_case_are_ignored(content_type: str) -> None:
    # "The registry SHOULD ignore parameters on the Content-Type header."
    assert parse(oci_manifest(), content_type).media_type == mt.OCI_MANIFEST


def test_neither_content_type_nor_media_type_infers_from_the_shape() -> None:
    manifest = oci_manifest()
    del manifest["mediaType"]
    index = oci_index()
    del index["mediaType"]
    assert parse(manifest).media_type == mt.OCI_MANIFEST
    assert parse(index).media_type == mt.OCI_INDEX
    assert_invalid(encode({"schemaVersion": 2}))


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        (oci_manifest, mt.DOCKER_MANIFEST),
        (oci_manifest, mt.OCI_INDEX),
        (docker_manifest, mt.OCI_MANIFEST),
        (oci_index, mt.OCI_MANIFEST),
        (oci_index, mt.DOCKER_MANIFEST_LIST),
        (docker_list, mt.OCI_INDEX),
        (oci_manifest, "application/json"),
        (oci_manifest, "application/octet-stream"),
    ],
)
def test_content_type_must_match_the_media_type_field(kind: Any, content_type: str) -> None:
    # "If a manifest includes a mediaType field, clients MUST set the Content-Type header to
    # the value specified by the mediaType field."
    error = assert_invalid(encode(kind()), content_type)
    assert "mediaType" in error.message


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/octet-stream", "text/plain", "application/vnd.oci.x"],
)
def test_unsupported_media_types_are_refused(content_type: str) -> None:
    document = oci_manifest()
    del document["mediaType"]
    assert_invalid(encode(document), content_type)


def test_unsupported_media_type_field_is_refused() -> None:
    assert_invalid(encode(oci_manifest(mediaType="application/vnd.example+json")))


# --- schema 1 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        mt.DOCKER_SCHEMA1,
        mt.DOCKER_SCHEMA1_SIGNED,
        mt.DOCKER_SCHEMA1_SIGNED + "; charset=utf-8",
        mt.DOCKER_SCHEMA1.upper(),
    ],
)
def test_schema1_content_types_are_refused(content_type: str) -> None:
    schema1 = {"schemaVersion": 1, "name": "a/b", "tag": "latest", "fsLayers": [], "history": []}
    error = assert_invalid(encode(schema1), content_type)
    assert "schema 1" in error.message
    # Even with a schema 2 body: the declared type decides.
    document = docker_manifest()
    del document["mediaType"]
    assert_invalid(encode(document), content_type)


@pytest.mark.parametrize("content_type", [None, mt.DOCKER_MANIFEST, mt.OCI_MANIFEST])
def test_schema1_bodies_are_refused(content_type: str | None) -> None:
    schema1 = {"schemaVersion": 1, "name": "a/b", "tag": "latest", "fsLayers": [], "history": []}
    error = assert_invalid(encode(schema1), content_type)
    assert "schema 1" in error.message


@pytest.mark.parametrize("child", [mt.DOCKER_SCHEMA1, mt.DOCKER_SCHEMA1_SIGNED])
def test_index_children_of_schema1_are_refused(child: str) -> None:
    document = docker_list()
    document["manifests"][1]["mediaType"] = child
    assert_invalid(encode(document), mt.DOCKER_MANIFEST_LIST)


# --- size -----------------------------------------------------------------------------------


def _padded(document: dict[str, Any], size: int) -> bytes:
    body = encode(document)
    assert len(body) <= size
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_a_manifest_of_exactly_the_limit_is_accepted() -> None:
    # "Client and registry implementations SHOULD expect to be able to support manifest pushes
    # of at least 4 megabytes."
    assert MAX_MANIFEST_BYTES >= 4 * 1024 * 1024
    body = _padded(oci_manifest(), MAX_MANIFEST_BYTES)
    assert len(body) == MAX_MANIFEST_BYTES
    assert parse_manifest(body, mt.OCI_MANIFEST).media_type == mt.OCI_MANIFEST


@pytest.mark.parametrize("extra", [1, 1000])
def test_a_manifest_over_the_limit_is_413(extra: int) -> None:
    # "A registry that enforces this limit SHOULD respond to a request to push a manifest over
    # this limit with a response code 413 Payload Too Large."
    body = _padded(oci_manifest(), MAX_MANIFEST_BYTES + extra)
    with pytest.raises(OCIError) as raised:
        parse_manifest(body, mt.OCI_MANIFEST)
    assert raised.value.status == 413
    assert raised.value.code in SPEC_ERROR_CODES
    # Checked before anything is parsed.
    with pytest.raises(OCIError) as raised:
        parse_manifest(b"\xff" * (MAX_MANIFEST_BYTES + extra), None)
    assert raised.value.status == 413


# --- wrong types and missing fields ---------------------------------------------------------

_NO = object()  # delete the field


def _with(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(document)
    target: Any = result
    for key in path[:-1]:
        target = target[key]
    if value is _NO:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


INVALID_CHANGES: list[tuple[Any, tuple[Any, ...], Any]] = [
    (oci_manifest, ("schemaVersion",), _NO),
    (oci_manifest, ("schemaVersion",), "2"),
    (oci_manifest, ("schemaVersion",), 3),
    (oci_manifest, ("schemaVersion",), None),
    (oci_manifest, ("schemaVersion",), [2]),
    (oci_manifest, ("mediaType",), 5),
    (oci_manifest, ("mediaType",), ["x"]),
    (oci_manifest, ("config",), None),
    (oci_manifest, ("config",), "sha256:" + "1" * 64),
    (oci_manifest, ("config",), [desc()]),
    (oci_manifest, ("config", "mediaType"), _NO),
    (oci_manifest, ("config", "mediaType"), ""),
    (oci_manifest, ("config", "mediaType"), 5),
    (oci_manifest, ("config", "digest"), _NO),
    (oci_manifest, ("config", "digest"), 5),
    (oci_manifest, ("config", "digest"), ""),
    (oci_manifest, ("config", "digest"), "sha256:xyz"),
    (oci_manifest, ("config", "digest"), "sha256:" + "A" * 64),
    (oci_manifest, ("config", "digest"), "md5:" + "a" * 32),
    (oci_manifest, ("config", "size"), _NO),
    (oci_manifest, ("config", "size"), -1),
    (oci_manifest, ("config", "size"), "1"),
    (oci_manifest, ("config", "size"), 1.5),
    (oci_manifest, ("config", "size"), 1.0),
    (oci_manifest, ("config", "size"), True),
    (oci_manifest, ("config", "size"), None),
    (oci_manifest, ("layers",), "x"),
    (oci_manifest, ("layers",), {}),
    (oci_manifest, ("layers",), desc()),
    (oci_manifest, ("layers", 0), None),
    (oci_manifest, ("layers", 0), 1),
    (oci_manifest, ("layers", 1), {}),
    (oci_manifest, ("layers", 1, "digest"), "sha256:" + "1" * 63),
    (oci_manifest, ("annotations",), []),
    (oci_manifest, ("annotations",), "k=v"),
    (oci_manifest, ("annotations",), {"k": 1}),
    (oci_manifest, ("annotations",), {"k": None}),
    (oci_manifest, ("annotations",), {"k": ["v"]}),
    (oci_manifest, ("artifactType",), 5),
    (oci_manifest, ("artifactType",), ["a/b"]),
    (oci_manifest, ("subject",), None),
    (oci_manifest, ("subject",), "sha256:" + "1" * 64),
    (oci_manifest, ("subject",), {}),
    (oci_manifest, ("subject",), {"mediaType": mt.OCI_MANIFEST, "size": 1}),
    (oci_index, ("manifests",), _NO),
    (oci_index, ("manifests",), None),
    (oci_index, ("manifests",), {}),
    (oci_index, ("manifests",), "x"),
    (oci_index, ("manifests", 0), None),
    (oci_index, ("manifests", 0, "size"), -5),
    (oci_index, ("manifests", 1, "digest"), "sha256:" + "z" * 64),
    (oci_index, ("annotations",), {"k": 2}),
    (docker_manifest, ("layers",), _NO),
    (docker_manifest, ("layers",), None),
    (docker_manifest, ("config",), _NO),
    (docker_list, ("manifests",), _NO),
    (docker_list, ("manifests", 0, "mediaType"), None),
]


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    INVALID_CHANGES,
    ids=[f"{k.__name__}-{'.'.join(map(str, p))}-{v!r:.20}" for k, p, v in INVALID_CHANGES],
)
def test_invalid_fields(kind: Any, path: tuple[Any, ...], value: Any) -> None:
    document = kind()
    changed = _with(document, path, value)
    assert parse(document, document["mediaType"])  # the unchanged document is valid
    assert_invalid(encode(changed), document["mediaType"])
    if path != ("mediaType",):
        assert_invalid(encode(changed), None)


def test_schema_version_must_be_the_integer_2() -> None:
    # image-spec manifest.md: "schemaVersion *int* ... this MUST be 2". A fractional JSON
    # number is not an int (the reference Go types refuse it), and Berth already refuses
    # `"size": 1.0` for the same reason.
    assert_invalid(encode(oci_manifest(schemaVersion=2.0)), mt.OCI_MANIFEST)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b" ",
        b"null",
        b"2",
        b'"manifest"',
        b"[]",
        b"[{}]",
        b"{",
        b"{}",
        b"{}{}",
        b"{'schemaVersion': 2}",
        b"\xff\xfe\xfd",
        b"\x80{}",
        b'{"schemaVersion": 2, "mediaType": "\xff"}',
        b"\x00" * 10,
    ],
)
def test_malformed_bodies(body: bytes) -> None:
    assert_invalid(body, None)
    assert_invalid(body, mt.OCI_MANIFEST)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"schemaVersion": 2, "config": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"schemaVersion": 2, "annotations": {"a": ' + b"[" * 50_000,
    ],
    ids=["arrays", "objects", "in-config", "unterminated"],
)
def test_deeply_nested_json_is_a_400_not_a_crash(body: bytes) -> None:
    # Well under the 4 MiB limit; the JSON decoder recurses once per level.
    assert len(body) < MAX_MANIFEST_BYTES
    assert_invalid(body, mt.OCI_MANIFEST)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_literals_are_refused(literal: str) -> None:
    # RFC 8259 section 6: "Numeric values that cannot be represented in the grammar below
    # (such as Infinity and NaN) are not permitted." Such a body is not JSON, and the
    # registry would store and serve bytes that JSON clients cannot parse.
    body = encode(oci_manifest(annotations={"k": "v"}))
    body = body[:-1] + f', "x-extension": {literal}}}'.encode()
    assert_invalid(body, mt.OCI_MANIFEST)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32-le"])
def test_non_utf8_encodings_are_refused(encoding: str) -> None:
    # RFC 8259 section 8.1: "JSON text exchanged between systems that are not part of a closed
    # ecosystem MUST be encoded using UTF-8."
    assert_invalid(json.dumps(oci_manifest()).encode(encoding), mt.OCI_MANIFEST)


# --- image-spec examples --------------------------------------------------------------------


def _spec_examples() -> list[tuple[str, str, dict[str, Any]]]:
    examples = []
    for name in ("manifest.md", "image-index.md"):
        text = spec_text(SPEC_DIR / "image-spec" / name)
        for block in re.finditer(
            r"```json,title=([^&\n]*)&mediatype=([^\s]+)\n(.*?)```", text, re.S
        ):
            media_type = block.group(2).replace("%2B", "+")
            if media_type in (mt.OCI_MANIFEST, mt.OCI_INDEX):
                examples.append(
                    (f"{name}:{block.group(1)}", media_type, json.loads(block.group(3)))
                )
    return examples


def test_every_manifest_and_index_example_of_the_image_spec() -> None:
    examples = _spec_examples()
    assert len(examples) >= 6
    for title, media_type, document in examples:
        parsed = parse(document, media_type)
        assert parsed.media_type == media_type, title
        if media_type == mt.OCI_INDEX:
            assert parsed.manifests == tuple(descriptor(d) for d in document["manifests"]), title
        else:
            blobs = [document["config"], *document.get("layers", [])]
            assert parsed.blobs == tuple(descriptor(d) for d in blobs), title
            assert parsed.artifact_type == document.get(
                "artifactType", document["config"]["mediaType"]
            ), title


# --- generated valid manifests --------------------------------------------------------------

_token = st.text(LOWER_ALNUM, min_size=1, max_size=8)
media_types = st.one_of(
    st.sampled_from([LAYER, CONFIG, mt.OCI_EMPTY, mt.OCI_MANIFEST, DOCKER_LAYER]),
    st.builds(
        lambda vendor, kind, suffix: f"application/vnd.{vendor}.{kind}{suffix}",
        _token,
        _token,
        st.sampled_from(["", "+json", "+gzip", ".v1.tar+zstd"]),
    ),
)
annotation_maps = st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
descriptors = st.fixed_dictionaries(
    {
        "mediaType": media_types,
        "digest": registered_digests,
        "size": st.integers(0, 2**63 - 1),
    },
    optional={
        "annotations": annotation_maps,
        "urls": st.lists(st.just("https://example.com/blob"), max_size=1),
        "data": st.just("e30="),
        "platform": st.just({"architecture": "amd64", "os": "linux"}),
    },
)


@st.composite
def valid_documents(draw: st.DrawFn) -> tuple[dict[str, Any], str | None]:
    media_type = draw(st.sampled_from(sorted(mt.MANIFESTS)))
    document: dict[str, Any] = {"schemaVersion": 2}
    if media_type in mt.INDEXES:
        document["manifests"] = draw(st.lists(descriptors, max_size=3))
    else:
        document["config"] = draw(descriptors)
        document["layers"] = draw(st.lists(descriptors, min_size=1, max_size=3))
    if media_type in (mt.OCI_MANIFEST, mt.OCI_INDEX):
        if draw(st.booleans()):
            document["artifactType"] = draw(media_types)
        if draw(st.booleans()):
            document["subject"] = draw(descriptors)
    if draw(st.booleans()):
        document["annotations"] = draw(annotation_maps)
    # Say the type in the body, in the Content-Type, or both.
    where = draw(st.sampled_from(["body", "header", "both"]))
    if where != "header":
        document["mediaType"] = media_type
    content_type = None if where == "body" else media_type
    return document, content_type


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(valid_documents())
def test_generated_valid_documents(case: tuple[dict[str, Any], str | None]) -> None:
    document, content_type = case
    parsed = parse(document, content_type)
    media_type = document.get("mediaType", content_type)
    assert parsed.media_type == media_type
    assert parsed.is_index == (media_type in mt.INDEXES)
    if parsed.is_index:
        assert parsed.manifests == tuple(descriptor(d) for d in document["manifests"])
        assert parsed.blobs == ()
    else:
        blobs = [document["config"], *document["layers"]]
        assert parsed.blobs == tuple(descriptor(d) for d in blobs)
        assert parsed.manifests == ()
    expected_subject = descriptor(document["subject"]) if "subject" in document else None
    assert parsed.subject == expected_subject
    if "artifactType" in document:
        assert parsed.artifact_type == document["artifactType"]
    elif media_type == mt.OCI_MANIFEST:
        assert parsed.artifact_type == document["config"]["mediaType"]
    elif media_type == mt.OCI_INDEX:
        assert parsed.artifact_type is None
    assert parsed.annotations == document.get("annotations", {})


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(valid_documents(), st.sampled_from(sorted(mt.MANIFESTS)))
def test_generated_documents_with_a_conflicting_content_type(
    case: tuple[dict[str, Any], str | None], other: str
) -> None:
    document, _ = case
    assume("mediaType" in document and other != document["mediaType"])
    assert_invalid(encode(document), other)


# --- fuzzing: only OCIError (4xx) may escape ------------------------------------------------

content_types = st.one_of(
    st.none(),
    st.sampled_from([*sorted(mt.MANIFESTS | mt.SCHEMA1), "", "application/json", ";", "a/b;c"]),
    st.text(max_size=30),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Values in the shapes the parser looks for, so fuzzing gets past the first checks.
plausible_values = st.one_of(
    json_values,
    descriptors,
    st.lists(descriptors | json_values, max_size=3),
    st.sampled_from([2, 1, 0, -1, 2.5, "2", True, None, "", mt.OCI_MANIFEST, mt.DOCKER_SCHEMA1]),
    registered_digests,
)


@settings(max_examples=200)
@given(st.binary(max_size=200), content_types)
def test_fuzz_arbitrary_bytes(body: bytes, content_type: str | None) -> None:
    parse_or_oci_error(body, content_type)


@settings(max_examples=100)
@given(json_values, content_types)
def test_fuzz_arbitrary_json(value: Any, content_type: str | None) -> None:
    parse_or_oci_error(encode(value), content_type)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(valid_documents(), st.data())
def test_fuzz_one_field_of_a_valid_document(
    case: tuple[dict[str, Any], str | None], data: st.DataObject
) -> None:
    document, content_type = case
    # Strategies may hand out shared objects: mutate copies only, or a later example sees the
    # change (and a value put inside itself makes a cycle).
    document = copy.deepcopy(document)
    # Walk down to a random container, then replace, delete or add one of its entries.
    target: Any = document
    while True:
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        child = target[key]
        if isinstance(child, dict | list) and child and data.draw(st.booleans()):
            target = child
            continue
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            target[key] = copy.deepcopy(data.draw(plausible_values))
        elif action == "delete":
            del target[key]
        elif isinstance(target, dict):
            target[data.draw(st.sampled_from(["subject", "artifactType", "x"]))] = copy.deepcopy(
                data.draw(plausible_values)
            )
        else:
            target.append(copy.deepcopy(data.draw(plausible_values)))
        break
    parsed = parse_or_oci_error(encode(document), data.draw(st.none() | st.just(content_type)))
    if parsed is not None:
        # Whatever is accepted references only well-formed descriptors.
        for item in (*parsed.blobs, *parsed.manifests, parsed.subject):
            if item is None:
                continue
            parse_digest(item.digest)
            assert isinstance(item.size, int) and not isinstance(item.size, bool)
            assert item.size >= 0
            assert isinstance(item.media_type, str) and item.media_type
        assert parsed.media_type in mt.MANIFESTS


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(valid_documents(), st.data())
def test_fuzz_bytes_of_a_valid_document(
    case: tuple[dict[str, Any], str | None], data: st.DataObject
) -> None:
    document, content_type = case
    body = bytearray(encode(document))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(body) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        byte = data.draw(st.sampled_from(b'{}[]",:0 \\\xff\x00a-'))
        if action == "flip":
            body[position] = byte
        elif action == "delete":
            del body[position]
        else:
            body.insert(position, byte)
    parse_or_oci_error(bytes(body), content_type)


def test_foreign_layers_with_urls_need_not_be_pushed() -> None:
    """Non-distributable layers are fetched from their `urls`; the registry must not demand
    them (image-spec layer.md, "Non-Distributable Layers")."""
    import json as _json

    from chalicelib.oci.manifest import parse_manifest as _parse

    foreign = {
        "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "digest": "sha256:" + "b" * 64,
        "size": 10,
        "urls": ["https://example.com/layer"],
    }
    ordinary = {
        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "digest": "sha256:" + "c" * 64,
        "size": 10,
    }
    config = {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "digest": "sha256:" + "a" * 64,
        "size": 2,
    }
    body = _json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": config,
            "layers": [foreign, ordinary],
        }
    ).encode()
    parsed = _parse(body, "application/vnd.docker.distribution.manifest.v2+json")
    assert [d.digest for d in parsed.blobs] == [config["digest"], ordinary["digest"]]
    # Without urls, the same media type is an ordinary blob that must exist.
    del foreign["urls"]
    body = _json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": config,
            "layers": [foreign],
        }
    ).encode()
    parsed = _parse(body, "application/vnd.docker.distribution.manifest.v2+json")
    assert foreign["digest"] in [d.digest for d in parsed.blobs]
