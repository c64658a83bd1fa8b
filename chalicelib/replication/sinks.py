"""A destination as the copy sees it: has a blob?, mount one, send one from chunks, put a
manifest, delete. Two kinds: a registry spoken to over the distribution API (any OCI
registry, another Berth), and ECR through its own API (chalicelib/remote/ecr_push.py)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.remote import blobs, ecr_push, manifests, uploads
from chalicelib.remote.address_guard import Resolver, resolve
from chalicelib.remote.session import RemoteRegistry
from chalicelib.remote.transport import Transport
from chalicelib.replication import destination_guard, ecr_resumable, resumable_upload
from chalicelib.replication.deadline import NEVER, Deadline
from chalicelib.replication.destinations import Destination
from chalicelib.replication.resumable_upload import Reader
from chalicelib.replication.secret_refs import credentials
from chalicelib.replication.upload_checkpoints import Checkpoints

# Up to this, a blob goes up in one PUT; over it, one streamed PATCH then a PUT without a
# body, which registries that store a PUT's body as one more part close faster (measured
# on Berth: 256 MiB in two layers, see docs/replication.md).
STREAMED_OVER = 16 << 20
# Over this, a chunked upload whose progress is kept, so a layer longer than one Lambda run
# goes on in the next (resumable_upload.py): what one run moves surely in its 15 minutes.
RESUMABLE_OVER = 512 << 20
# A resumable upload's PATCH (and S3 read window): each is a round trip, a checkpoint write
# and, at the destination, a request of its own. 8 MiB measured 1.37x skopeo's time for a
# 640 MiB layer between two `berth serve` (an 8 MiB body there stays under the local
# server's split threshold and goes through as one base64-encoded event), 16 MiB 0.97x;
# memory is two of these per such blob in flight (prefetch.py).
RESUMABLE_PATCH = 16 << 20


class Sink(Protocol):
    repository: str

    def prepare(self) -> None: ...
    def missing(self, digests: list[str]) -> set[str]: ...
    def has_manifest(self, digest: str) -> bool: ...
    def mount(self, digest: str, source: str) -> bool: ...
    def window(self, size: int) -> int | None:
        """The S3 read window a blob of `size` bytes should be sent in (None: the copy's)."""
        ...

    def send(self, digest: str, size: int, read: Reader) -> None:
        """Upload `digest` of `size` bytes; `read(offset)` yields its bytes from offset."""
        ...

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
    checkpoints: Checkpoints | None = None  # where resumable uploads keep their progress
    deadline: Deadline = NEVER
    resumable_over: int = RESUMABLE_OVER
    resumable_patch: int = RESUMABLE_PATCH
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

    def _resumable(self, size: int) -> bool:
        return size > self.resumable_over and self.checkpoints is not None

    def window(self, size: int) -> int | None:
        return self.resumable_patch if self._resumable(size) else None

    def send(self, digest: str, size: int, read: Reader) -> None:
        location, self._upload = self._upload, None
        if self._resumable(size) and self.checkpoints is not None:
            try:
                resumable_upload.send(
                    self.registry, self.repository, digest, size, read, self.checkpoints,
                    self.deadline,
                )  # fmt: skip
            except uploads.BodyTooLarge:  # the same session goes on, a small PATCH at a time

                def small(offset: int) -> Generator[bytes, None, None]:
                    return uploads.pieces(read(offset))

                resumable_upload.send(
                    self.registry, self.repository, digest, size, small, self.checkpoints,
                    self.deadline,
                )  # fmt: skip
        else:
            try:
                if size > STREAMED_OVER:
                    uploads.streamed(
                        self.registry, self.repository, digest, size, read(0), location
                    )
                else:
                    uploads.monolithic(
                        self.registry, self.repository, digest, size, read(0), location
                    )
            except uploads.BodyTooLarge:
                # A destination with a request size limit (a Berth stage on Lambda takes
                # 6 MB): the same bytes again, in a new session, a small PATCH at a time.
                pieces = uploads.pieces(read(0))
                uploads.chunked(self.registry, self.repository, digest, pieces)

    def put_manifest(self, body: bytes, media_type: str, digest: str, tag: str | None) -> None:
        manifests.put(self.registry, self.repository, tag or digest, body, media_type)

    def delete(self, reference: str) -> None:
        manifests.delete(self.registry, self.repository, reference)

    def close(self) -> None:
        self.registry.close()

    def twin(self) -> Sink:
        return RegistrySink(
            self.registry.clone(), self.repository, self.checkpoints, self.deadline,
            self.resumable_over, self.resumable_patch,
        )  # fmt: skip


@dataclass
class EcrSink:
    account: str
    region: str
    repository: str
    checkpoints: Checkpoints | None = None  # where layers over resumable_over keep progress
    deadline: Deadline = NEVER
    resumable_over: int = RESUMABLE_OVER

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

    def window(self, size: int) -> int | None:
        return None  # a part per window of the copy's

    def send(self, digest: str, size: int, read: Reader) -> None:
        if size > self.resumable_over and self.checkpoints is not None:
            ecr_resumable.send(
                self.region, self.account, self.repository, digest, size, read,
                self.checkpoints, self.deadline,
            )  # fmt: skip
            return
        ecr_push.upload_layer(self.region, self.account, self.repository, digest, read(0))

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


def open_sink(
    destination: Destination,
    source_repository: str,
    checkpoints: Checkpoints | None = None,
    deadline: Deadline = NEVER,
    resolver: Resolver = resolve,
) -> Sink:
    """The destination's sink; `checkpoints` (the rule's destination) make large blobs to a
    registry resumable across runs, stopping at `deadline`. Every connection to a registry
    is checked against private and metadata addresses (destination_guard.py)."""
    target = destination.repository(source_repository)
    if destination.kind == "ecr":
        assert destination.account is not None and destination.region is not None
        return EcrSink(destination.account, destination.region, target, checkpoints, deadline)
    assert destination.url is not None
    transport = Transport(
        guard=destination_guard.guard(resolver, destination.allow_networks).address
    )
    registry = RemoteRegistry(destination.url, credentials(destination), transport)
    return RegistrySink(registry, target, checkpoints, deadline, RESUMABLE_OVER, RESUMABLE_PATCH)
