"""Push blobs and manifests through `chalice.test.Client`, the way a registry client would."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from bench.content import (
    OCI_CONFIG,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    OCTET,
    Descriptor,
    config_blob,
    digest_of,
    image_manifest,
)


class UnexpectedStatus(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class ApiClient:
    """A thin wrapper over chalice.test.Client's `http`."""

    def __init__(self, chalice_client: Any) -> None:
        self._http = chalice_client.http

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer:
        response = self._http.request(method, path, headers=headers or {}, body=body)
        flat = {
            str(k).lower(): ", ".join(map(str, v)) if isinstance(v, list) else str(v)
            for k, v in (response.headers or {}).items()
        }
        return Answer(int(response.status_code), flat, bytes(response.body or b""))

    def expect(
        self,
        status: int,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Answer:
        answer = self.request(method, path, headers, body)
        if answer.status != status:
            raise UnexpectedStatus(
                f"{method} {path}: expected {status}, got {answer.status}: {answer.body[:300]!r}"
            )
        return answer

    def push_blob(self, repo: str, data: bytes) -> str:
        """Monolithic POST ?digest= ; returns the digest."""
        digest = digest_of(data)
        self.expect(
            201,
            "POST",
            f"/v2/{repo}/blobs/uploads/?digest={digest}",
            {"Content-Type": OCTET, "Content-Length": str(len(data))},
            data,
        )
        return digest

    def push_manifest(self, repo: str, reference: str, manifest: bytes) -> str:
        self.expect(
            201,
            "PUT",
            f"/v2/{repo}/manifests/{reference}",
            {"Content-Type": OCI_MANIFEST},
            manifest,
        )
        return digest_of(manifest)

    def push_small_image(self, repo: str, tag: str) -> tuple[str, str, bytes]:
        """A config and a 1 KiB layer, then the manifest under `tag`.
        Returns (manifest digest, layer digest, manifest bytes)."""
        layer = os.urandom(1024)
        layer_digest = self.push_blob(repo, layer)
        config = config_blob([layer_digest])
        config_digest = self.push_blob(repo, config)
        manifest = image_manifest(
            Descriptor(OCI_CONFIG, config_digest, len(config)),
            [Descriptor(OCI_LAYER_GZIP, layer_digest, len(layer))],
        )
        return self.push_manifest(repo, tag, manifest), layer_digest, manifest
