"""Blobs the registry is verifying and linking while the client goes on with its next layer.

Stock clients push layers one after another (skopeo, podman and buildah copy an image's
layers in order), and the registry's completion of a streamed blob (multipart complete,
re-hash, copy to the content address) takes about as long as receiving it. Waiting for it
before answering the client's closing PUT would add every layer's completion to the push;
instead the proxy answers 201 once every part is stored in S3 and the digest it computed
from the bytes is the one the client named, and the registry's completion runs here.

What the client is told stays true through the proxy: a request that depends on the blob
being linked waits for its link first (a HEAD or GET of the blob, a mount of it, a manifest
PUT in its repository: server.py, uploads.py). A link that fails (the registry unreachable,
the token refused) cancels the registry's session, so nothing is left half-written, and is
remembered: a manifest that names the blob is refused with the reason, and the client's next
push uploads it again (its HEAD says 404)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from berth.localserver.log import fields
from berth.proxy.log import logger
from chalicelib.oci.errors import OCIError

# Completions run at once; each is a few registry requests, the bytes are already in S3.
LINK_JOBS = 8

_Key = tuple[str, str]  # (repository, digest)


class Links:
    """The links under way and the ones that failed, by repository and digest."""

    def __init__(self, jobs: int = LINK_JOBS) -> None:
        self._executor = ThreadPoolExecutor(max(1, jobs), thread_name_prefix="proxy-link")
        self._lock = threading.Lock()
        self._pending: dict[_Key, list[Future[None]]] = {}
        self._failed: dict[_Key, str] = {}

    def start(self, repository: str, digest: str, link: Callable[[], None]) -> None:
        """Run `link()` (which raises if the blob was not linked) in the background."""
        key = (repository, digest)
        with self._lock:
            self._failed.pop(key, None)
            future = self._executor.submit(self._run, key, link)
            self._pending.setdefault(key, []).append(future)
        future.add_done_callback(lambda done: self._forget(key, done))

    def wait(self, repository: str, digest: str | None = None) -> dict[str, str]:
        """Wait for the links under way in `repository` (of `digest` only, if given); the
        failed ones there, digest: reason."""
        with self._lock:
            futures = [
                future
                for (name, blob), pending in self._pending.items()
                if name == repository and digest in (None, blob)
                for future in pending
            ]
        for future in futures:
            future.exception()  # waits; a failure is recorded by _run before it is set
        with self._lock:
            return {
                blob: reason
                for (name, blob), reason in self._failed.items()
                if name == repository and digest in (None, blob)
            }

    def shutdown(self) -> None:
        """Finish every link under way (the clients were told their blobs are created)."""
        self._executor.shutdown(wait=True)

    def _run(self, key: _Key, link: Callable[[], None]) -> None:
        try:
            link()
        except Exception as error:
            reason = error.message if isinstance(error, OCIError) else str(error)
            with self._lock:
                self._failed[key] = reason
            logger.warning(
                "blob not linked",
                extra=fields(repository=key[0], digest=key[1], reason=reason[:500]),
            )
            raise

    def _forget(self, key: _Key, done: Future[None]) -> None:
        with self._lock:
            pending = self._pending.get(key, [])
            if done in pending:
                pending.remove(done)
            if not pending:
                self._pending.pop(key, None)
