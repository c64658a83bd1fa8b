"""Helpers for the endpoint conformance tests: pushing blobs and manifests, reading headers,
checking OCI error bodies, and fetching the bytes behind a presigned S3 redirect.

They speak to the registry only through HTTP (the `client` fixture), as a real client would.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCTET = "application/octet-stream"

EMPTY_JSON = b"{}"
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

# The error codes of the spec's table ("The `code` field MUST be one of the following").
SPEC_CODES = frozenset(
    {
        "BLOB_UNKNOWN",
        "BLOB_UPLOAD_INVALID",
        "BLOB_UPLOAD_UNKNOWN",
        "DIGEST_INVALID",
        "MANIFEST_BLOB_UNKNOWN",
        "MANIFEST_INVALID",
        "MANIFEST_UNKNOWN",
        "NAME_INVALID",
        "NAME_UNKNOWN",
        "SIZE_INVALID",
        "UNAUTHORIZED",
        "DENIED",
        "UNSUPPORTED",
        "TOOMANYREQUESTS",
    }
)

UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


# --------------------------------------------------------------------------- digests


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def random_bytes(size: int = 64) -> bytes:
    return os.urandom(size)


# --------------------------------------------------------------------------- headers


def header(response: Any, name: str) -> str | None:
    """A response header, case-insensitively; several values are joined with ', '."""
    values = header_values(response, name)
    return ", ".join(values) if values else None


def header_values(response: Any, name: str) -> list[str]:
    """Every value of a response header (each repeated header line is one value)."""
    out: list[str] = []
    for key, value in (response.headers or {}).items():
        if key.lower() != name.lower():
            continue
        if isinstance(value, list):
            out.extend(str(v) for v in value)
        else:
            out.append(str(value))
    return out


def list_header(response: Any, name: str) -> list[str]:
    """A comma-separated list header (RFC 9110 section 5.3), every element stripped."""
    items: list[str] = []
    for value in header_values(response, name):
        items.extend(part.strip() for part in value.split(",") if part.strip())
    return items


def content_length(response: Any) -> int | None:
    value = header(response, "Content-Length")
    return None if value is None else int(value)


def next_link(response: Any) -> str | None:
    """The target of the `Link: <...>; rel="next"` header (RFC 5988) as a path with query."""
    for value in header_values(response, "Link"):
        for link in value.split(","):
            match = re.match(r"\s*<([^>]*)>\s*;(.*)$", link)
            if match and re.search(r'rel\s*=\s*"?next"?', match.group(2)):
                return path_of(match.group(1))
    return None


# --------------------------------------------------------------------------- URLs


def path_of(location: str) -> str:
    """A Location (absolute or relative, RFC 7231 section 7.1.2) as a path with its query."""
    parts = urlsplit(location)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def with_query(url: str, params: dict[str, str | list[str]] | list[tuple[str, str]]) -> str:
    """`url` with `params` appended, keeping any query the URL already has."""
    pairs: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, dict) else params
    for key, value in items:
        if isinstance(value, list):
            pairs.extend((key, v) for v in value)
        else:
            pairs.append((key, value))
    query = urlencode(pairs, quote_via=quote, safe=":")
    return f"{url}{'&' if '?' in url else '?'}{query}"


def presigned_object(s3: Any, url: str) -> bytes:
    """Follow a presigned URL as a client would: the bytes it serves.

    moto (in-process here) serves presigned GETs without checking them, so the URL is first
    checked as S3 would, by the local S3 front's verifier (berth/localserver/presigned.py):
    signed with the runtime's credentials for GET of exactly this host and path, valid when
    the client follows it, for the configured TTL and not a second more. Then it is fetched
    (moto answers the request itself). `s3` reads nothing: the URL alone decides."""
    import requests

    from berth.localserver.presigned import PresignError, parse, verify
    from chalicelib.config import settings

    parts = urlsplit(url)
    signed_at = parse(parts.query).signed_at

    def check(at: Any) -> Any:
        return verify(
            "GET",
            parts.path,
            parts.query,
            {"host": parts.netloc},
            access_key=os.environ["AWS_ACCESS_KEY_ID"],
            secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
            now=at,
        )

    presigned = check(signed_at)
    assert presigned.expires_in == settings().presign_ttl
    try:
        check(presigned.expires_at)
    except PresignError as error:
        assert error.code == "AccessDenied", error
    else:
        raise AssertionError(f"{url} is still valid past its TTL")
    response = requests.get(url, timeout=60)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return bytes(response.content)


def presigned_target(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    bucket = os.environ["BERTH_BUCKET"]
    path = unquote(parts.path)
    if parts.netloc.startswith(f"{bucket}."):
        return bucket, path.lstrip("/")
    first, _, key = path.lstrip("/").partition("/")
    return first, key


def presigned_params(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


# --------------------------------------------------------------------------- errors


def error_codes(response: Any) -> list[str]:
    """The codes of an OCI error body, after checking its shape against the spec."""
    assert response.body, f"error {response.status_code} without a body"
    document = json.loads(response.body)
    assert isinstance(document, dict), document
    errors = document.get("errors")
    assert isinstance(errors, list), document
    assert errors, document
    codes: list[str] = []
    for error in errors:
        assert isinstance(error, dict), error
        code = error.get("code")
        assert isinstance(code, str), error
        assert re.fullmatch(r"[A-Z_]+", code), error
        assert code in SPEC_CODES, f"{code} is not one of the spec's error codes"
        if "message" in error:
            assert isinstance(error["message"], str), error
        codes.append(code)
    return codes


def assert_error(response: Any, status: int | tuple[int, ...], *codes: str) -> list[str]:
    """Check a failure: its status, its OCI error body, and that it carries one of `codes`."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (
        f"expected {statuses}, got {response.status_code}: {response.body[:400]!r}"
    )
    got = error_codes(response)
    if codes:
        assert set(got) & set(codes), f"expected one of {codes}, got {got}"
    return got


def assert_head_error(response: Any, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.body[:400])
    assert response.body == b"", "a HEAD response has no body"


def assert_ok(response: Any, status: int) -> None:
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.body[:400]!r}"
    )


# --------------------------------------------------------------------------- blobs


def start_upload(client: Any, repo: str, query: str = "") -> str:
    """POST an upload session; its Location as a path."""
    response = client.http.post(
        f"/v2/{repo}/blobs/uploads/{query}", headers={"content-length": "0"}, body=b""
    )
    assert_ok(response, 202)
    location = header(response, "Location")
    assert location, "a 202 to POST /blobs/uploads/ carries a Location"
    return path_of(location)


def put_upload(
    client: Any, location: str, data: bytes, digest: str, headers: dict[str, str] | None = None
) -> Any:
    return client.http.put(
        with_query(location, {"digest": digest}),
        headers={"content-type": OCTET, "content-length": str(len(data)), **(headers or {})},
        body=data,
    )


def patch_upload(client: Any, location: str, data: bytes, content_range: str | None = None) -> Any:
    headers = {"content-type": OCTET, "content-length": str(len(data))}
    if content_range is not None:
        headers["content-range"] = content_range
    return client.http.patch(location, headers=headers, body=data)


def push_blob(client: Any, repo: str, data: bytes, algorithm: str = "sha256") -> str:
    """Push a blob by POST then PUT; its digest."""
    digest = digest_of(data, algorithm)
    query = "" if algorithm == "sha256" else f"?digest-algorithm={algorithm}"
    location = start_upload(client, repo, query)
    response = put_upload(client, location, data, digest)
    assert_ok(response, 201)
    return digest


def blob_head(client: Any, repo: str, digest: str) -> Any:
    return client.http.head(f"/v2/{repo}/blobs/{digest}")


def fetch_blob(client: Any, s3: Any, repo: str, digest: str) -> bytes:
    """GET a blob, follow the 307 into S3 (through the s3 client), return the bytes."""
    response = client.http.get(f"/v2/{repo}/blobs/{digest}")
    assert_ok(response, 307)
    location = header(response, "Location")
    assert location
    return presigned_object(s3, location)


# --------------------------------------------------------------------------- manifests


def canonical(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=False).encode()


def descriptor(media_type: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest_of(data), "size": len(data), **extra}


@dataclass
class Pushed:
    """A manifest the test pushed: its bytes, digest and media type, and the blobs it needs."""

    body: bytes
    media_type: str
    blobs: list[bytes] = field(default_factory=list)
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return digest_of(self.body)

    @property
    def size(self) -> int:
        return len(self.body)

    def descriptor(self, **extra: Any) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}


def config_blob() -> bytes:
    return canonical(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": []},
            "config": {"Labels": {"nonce": uuid.uuid4().hex}},
        }
    )


def image(
    *,
    layers: int = 1,
    media_type: str = OCI_MANIFEST,
    config: bytes | None = None,
    config_type: str | None = None,
    layer_type: str | None = None,
    subject: Pushed | None = None,
    artifact_type: str | None = None,
    annotations: dict[str, str] | None = None,
    with_media_type_field: bool = True,
) -> Pushed:
    """A fresh random image manifest (not pushed) and the blobs it references."""
    docker = media_type == DOCKER_MANIFEST
    config = config_blob() if config is None else config
    config_type = config_type or (DOCKER_CONFIG if docker else OCI_CONFIG)
    layer_type = layer_type or (DOCKER_LAYER if docker else OCI_LAYER)
    layer_blobs = [random_bytes(32 + i) for i in range(layers)]
    document: dict[str, Any] = {"schemaVersion": 2}
    if with_media_type_field:
        document["mediaType"] = media_type
    if artifact_type is not None:
        document["artifactType"] = artifact_type
    document["config"] = descriptor(config_type, config)
    document["layers"] = [descriptor(layer_type, blob) for blob in layer_blobs]
    if subject is not None:
        document["subject"] = subject.descriptor()
    if annotations is not None:
        document["annotations"] = annotations
    return Pushed(canonical(document), media_type, [config, *layer_blobs], document)


def artifact(
    *,
    artifact_type: str | None = "application/vnd.example.sbom.v1",
    subject: Pushed | None = None,
    annotations: dict[str, str] | None = None,
    config_type: str = OCI_EMPTY,
    blobs: int = 1,
) -> Pushed:
    """An artifact manifest with the empty config (or another config type) and small blobs."""
    config = EMPTY_JSON if config_type == OCI_EMPTY else canonical({"nonce": uuid.uuid4().hex})
    layer_blobs = [random_bytes(40) for _ in range(blobs)]
    document: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_MANIFEST}
    if artifact_type is not None:
        document["artifactType"] = artifact_type
    document["config"] = descriptor(config_type, config)
    document["layers"] = [descriptor("application/vnd.example.data", b) for b in layer_blobs]
    if subject is not None:
        document["subject"] = subject.descriptor()
    if annotations is not None:
        document["annotations"] = annotations
    return Pushed(canonical(document), OCI_MANIFEST, [config, *layer_blobs], document)


def index(
    children: list[Pushed],
    *,
    media_type: str = OCI_INDEX,
    subject: Pushed | None = None,
    artifact_type: str | None = None,
    annotations: dict[str, str] | None = None,
) -> Pushed:
    document: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_type}
    if artifact_type is not None:
        document["artifactType"] = artifact_type
    document["manifests"] = [
        child.descriptor(platform={"architecture": f"arch{i}", "os": "linux"})
        for i, child in enumerate(children)
    ]
    if subject is not None:
        document["subject"] = subject.descriptor()
    if annotations is not None:
        document["annotations"] = annotations
    return Pushed(canonical(document), media_type, [], document)


def put_manifest(
    client: Any,
    repo: str,
    reference: str,
    body: bytes,
    media_type: str | None,
    query: dict[str, str | list[str]] | None = None,
) -> Any:
    path = f"/v2/{repo}/manifests/{reference}"
    if query:
        path = with_query(path, query)
    headers = {"content-length": str(len(body))}
    if media_type is not None:
        headers["content-type"] = media_type
    return client.http.put(path, headers=headers, body=body)


def push(client: Any, repo: str, manifest: Pushed, reference: str | None = None) -> Any:
    """Push a manifest's blobs, then the manifest (by `reference`, or by digest); expect 201."""
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    response = put_manifest(
        client, repo, reference or manifest.digest, manifest.body, manifest.media_type
    )
    assert_ok(response, 201)
    return response


def push_image(client: Any, repo: str, tag: str | None = None, **kwargs: Any) -> Pushed:
    manifest = image(**kwargs)
    push(client, repo, manifest, tag)
    return manifest


def push_index(
    client: Any, repo: str, tag: str | None = None, children: int = 2, **kwargs: Any
) -> tuple[Pushed, list[Pushed]]:
    docker = kwargs.get("media_type") == DOCKER_MANIFEST_LIST
    kids = [
        push_image(client, repo, media_type=DOCKER_MANIFEST if docker else OCI_MANIFEST)
        for _ in range(children)
    ]
    manifest = index(kids, **kwargs)
    push(client, repo, manifest, tag)
    return manifest, kids


def get_manifest(client: Any, repo: str, reference: str, accept: str | None = None) -> Any:
    accept = accept or ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST])
    return client.http.get(f"/v2/{repo}/manifests/{reference}", headers={"accept": accept})


def head_manifest(client: Any, repo: str, reference: str) -> Any:
    accept = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST])
    return client.http.head(f"/v2/{repo}/manifests/{reference}", headers={"accept": accept})


def json_of(response: Any) -> Any:
    return json.loads(response.body)
