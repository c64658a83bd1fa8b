"""One push: every blob (in parallel) that the registry lacks, then the manifests in order.

Per blob: HEAD (already there: skip), then a cross-repository mount from each repository it may
be in (`--mount-from`, and the repositories of this registry it was pushed to before), then the
Uploader. Children manifests are PUT by digest, the top one by the tag (or digest) asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from berth.push.content import Blob, PushPlan
from berth.push.errors import ExitCode, PushError
from berth.push.progress import Progress
from berth.push.reference import Target
from berth.push.registry import Registry, UploadSession
from berth.push.state import PushState
from berth.push.uploader import Uploader


@dataclass
class Outcome:
    uploaded: int = 0
    existed: int = 0
    mounted: int = 0


class Pusher:
    def __init__(
        self,
        registry: Registry,
        uploader: Uploader,
        state: PushState,
        progress: Progress,
        *,
        mount_from: Sequence[str] = (),
        jobs: int = 4,
        cancelled: threading.Event | None = None,
    ) -> None:
        self.registry = registry
        self.uploader = uploader
        self.state = state
        self.progress = progress
        self.mount_from = list(mount_from)
        self.jobs = max(1, jobs)
        self.cancelled = cancelled or threading.Event()
        self.outcome = Outcome()
        self._lock = threading.Lock()

    def push(self, plan: PushPlan, target: Target) -> str:
        """Push `plan` to `target`; the top manifest's digest."""
        if target.digest is not None and target.digest != plan.top.digest:
            raise PushError(
                ExitCode.USAGE, f"the image's digest is {plan.top.digest}, not {target.digest}"
            )
        self._blobs(plan.blobs)
        self.state.record_blobs([blob.digest for blob in plan.blobs])
        for manifest in plan.manifests[:-1]:
            if not self.registry.has_manifest(manifest.digest):
                self.registry.put_manifest(manifest, manifest.digest)
        self.registry.put_manifest(plan.top, target.tag or plan.top.digest)
        return plan.top.digest

    def _blobs(self, blobs: Sequence[Blob]) -> None:
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="push") as pool:
            futures: list[Future[None]] = [pool.submit(self._blob, blob) for blob in blobs]
            try:
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            except BaseException:  # Ctrl-C in the main thread: stop the workers between chunks
                self.cancelled.set()
                raise
            failed = [f for f in done if f.exception() is not None]
            if failed:
                self.cancelled.set()
                for future in futures:
                    future.cancel()
                error = failed[0].exception()
                assert error is not None
                raise error

    def _blob(self, blob: Blob) -> None:
        if self.cancelled.is_set():
            return
        if self.registry.has_blob(blob.digest):
            self.state.forget_upload(blob.digest)  # an upload left from an earlier run
            self._count("existed")
            self.progress.skipped(blob.digest, blob.size, "already in the repository")
            return
        session: UploadSession | None = None
        for source in self._mount_sources(blob):
            opened = self.registry.mount(blob.digest, source)
            if opened is None:
                self._count("mounted")
                self.progress.skipped(blob.digest, blob.size, f"mounted from {source}")
                if session is not None:
                    self.registry.cancel(session.location)
                return
            if session is None:
                session = opened
            else:
                self.registry.cancel(opened.location)
        self.uploader.upload(blob, session)
        self._count("uploaded")

    def _mount_sources(self, blob: Blob) -> list[str]:
        sources = [*self.mount_from, *self.state.known_repositories(blob.digest)]
        unique = dict.fromkeys(s for s in sources if s != self.registry.repository)
        return list(unique)

    def _count(self, field: str) -> None:
        with self._lock:
            setattr(self.outcome, field, getattr(self.outcome, field) + 1)
