"""A destination as the copy sees it: has a blob?, mount one, send one from chunks, put a
manifest, delete. Two kinds: a registry spoken to over the distribution API (any OCI
registry, another Berth), and ECR through its own API (chalicelib/remote/ecr_push.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.remote import blobs, ecr_push, manifests, uploads
from chalicelib.remote.session import RemoteRegistry
from chalicelib.replication.destinations import Destination
from chalicelib.replication.secret_refs import credentials

# Up to this, a blob goes up in one PUT; over it, one streamed PATCH then a PUT without a
# body, which registries that store a PUT's body as one more part close faster (measured
# on Berth: 256 MiB in two layers, see docs/replication.md).
STREAMED_OVER = 16 << 20


class Sink(Protocol):
    repository: str

    def prepare(self) -> None: ...
    def missing(self, digests: list[str]) -> set[str]: ...
    def has_manifest(self, digest: str) -> bool: ...
    def mount(self, digest: str, source: str) -> bool: ...
    def send(self, digest: str, size: int, chunks: Iterable[bytes]) -> None: ...
    def put_manifest(self, body: bytes, media_type: str, digest: str, tag: str | None) -> None: ...
    def delete(self, reference: str) -> None: ...
    def close(self) -> None: ...
    def twin(self) -> Sink:
        """The same destination for another thread (its own connections)."""
        ...


@dataclass
class RegistrySink:
    registry: RemoteRegistry
    repository: str
    _upload: str | None = field(default=None)  # an upload a failed mount opened

    def prepare(self) -> None:
        self.registry.want(f"repository:{self.repository}:pull,push")

    def missing(self, digests: list[str]) -> set[str]:
        return {d for d in digests if not blobs.has(self.registry, self.repository, d)}

    def has_manifest(self, digest: str) -> bool:
        return manifests.head(self.registry, self.repository, digest) is not None

    def mount(self, digest: str, source: str) -> bool:
        if source == self.repository:
            return False
        result = blobs.mount(self.registry, self.repository, digest, source)
        self._upload = result.location
        return result.mounted

    def send(self, digest: str, size: int, chunks: Iterable[bytes]) -> None:
        location, self._upload = self._upload, None
        if size > STREAMED_OVER:
            uploads.streamed(self.registry, self.repository, digest, size, chunks, location)
        else:
            uploads.monolithic(self.registry, self.repository, digest, size, chunks, location)

    def put_manifest(self, body: bytes, media_type: str, digest: str, tag: str | None) -> None:
        manifests.put(self.registry, self.repository, tag or digest, body, media_type)

    def delete(self, reference: str) -> None:
        manifests.delete(self.registry, self.repository, reference)

    def close(self) -> None:
        self.registry.close()

    def twin(self) -> Sink:
        return RegistrySink(self.registry.clone(), self.repository)


@dataclass
class EcrSink:
    account: str
    region: str
    repository: str

    def prepare(self) -> None:
        import os

        stage = os.environ.get("BERTH_STAGE", "local")
        ecr_push.ensure_repository(self.region, self.account, self.repository, stage)

    def missing(self, digests: list[str]) -> set[str]:
        return ecr_push.missing_layers(self.region, self.account, self.repository, digests)

    def has_manifest(self, digest: str) -> bool:
        return ecr_push.has_image(self.region, self.account, self.repository, digest)

    def mount(self, digest: str, source: str) -> bool:
        return False  # ECR's API has no cross-repository mount

    def send(self, digest: str, size: int, chunks: Iterable[bytes]) -> None:
        ecr_push.upload_layer(self.region, self.account, self.repository, digest, chunks)

    def put_manifest(self, body: bytes, media_type: str, digest: str, tag: str | None) -> None:
        ecr_push.put_image(
            self.region, self.account, self.repository, body, media_type, digest, tag
        )

    def delete(self, reference: str) -> None:
        ecr_push.delete_image(self.region, self.account, self.repository, reference)

    def close(self) -> None:
        pass

    def twin(self) -> Sink:
        return self  # botocore clients are thread-safe


def open_sink(destination: Destination, source_repository: str) -> Sink:
    target = destination.repository(source_repository)
    if destination.kind == "ecr":
        assert destination.account is not None and destination.region is not None
        return EcrSink(destination.account, destination.region, target)
    assert destination.url is not None
    return RegistrySink(RemoteRegistry(destination.url, credentials(destination)), target)
