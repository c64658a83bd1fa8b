"""Parts of a blob, as the client sends them, go straight to S3 through a streamed session
of the registry's `s3-uploads` extension (docs/push.md): each part's presigned URL is asked
with its SHA-256 (signed in: S3 refuses other bytes), PUT from memory by a shared pool of
threads, and when the client's PUT names the digest and every part is stored, the registry
is asked to verify and link the blob with the part list, the digest and the size (repeating
while it answers 202), in the background (links.py).

The registry calls, the presigned PUT and error mapping are `berth push`'s own
(berth/push/s3.py, berth/push/http.py): one client core. The calls carry the client's own
`Authorization` (the token the registry's token service issued it for push on the
repository, or Basic); when the registry refuses it mid-upload (a token that ran out during
a long PATCH), the client's saved login renews it (berth/proxy/saved_login.py).
Memory: at most `PartPool.in_flight` parts are queued or being sent at once, proxy-wide; a
client sending faster waits (its socket is simply read later)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from berth.client.credentials import Credentials
from berth.localserver.log import fields
from berth.proxy.buffers import PartBuffers
from berth.proxy.links import Links
from berth.proxy.log import logger
from berth.push.errors import ExitCode, PushError
from berth.push.http import Response, Session, error_of
from berth.push.s3 import (
    COMPLETE_ROUNDS,
    EXTENSION,
    part_url,
    put_to_storage,
    storage_refused_bytes,
)
from berth.push.uploader import CHUNK_RETRIES
from chalicelib.oci.errors import OCIError

MiB = 1024 * 1024
PART_SIZE = 16 * MiB  # 10,000 parts: layers up to 156 GiB (--part-size for more)
PART_JOBS = 4


@dataclass(frozen=True, slots=True)
class Destination:
    """Where blobs go: the registry's URL, the size of the parts sent to S3, the saved
    login that renews a client's token refused mid-upload (berth/proxy/saved_login.py), and
    the session of the presigned PUTs, shared by every upload so that its keep-alive
    connections (one per part thread) outlive each blob."""

    base_url: str
    part_size: int = PART_SIZE
    saved_login: Callable[[], Credentials | None] = lambda: None
    storage: Session = field(default_factory=lambda: Session(""))  # never our credentials


class PartPool:
    """The threads that PUT parts, shared by every upload, the bound on parts in memory, and
    the buffers parts are received into (given back once sent)."""

    def __init__(self, jobs: int = PART_JOBS, part_size: int = PART_SIZE) -> None:
        self.jobs = max(1, jobs)
        self.in_flight = self.jobs
        self.buffers = PartBuffers(part_size, keep=self.in_flight + 1)
        self._slots = threading.BoundedSemaphore(self.in_flight)
        self._executor = ThreadPoolExecutor(self.jobs, thread_name_prefix="proxy-part")

    def submit(self, send: Any, *args: Any) -> Future[Any]:
        """Run `send(*args)` on the pool once a slot is free (blocks until then)."""
        self._slots.acquire()
        try:
            future = self._executor.submit(send, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _client_error(error: PushError) -> OCIError:
    """What the client is told when the registry or S3 refused, or could not be reached."""
    message = f"berth proxy: {error}"
    if error.code is ExitCode.AUTH:
        return OCIError("DENIED", message)
    if error.code is ExitCode.SOURCE_INVALID:
        return OCIError("DIGEST_INVALID", message)
    if error.code is ExitCode.NETWORK:
        return OCIError("UNAVAILABLE", message)
    return OCIError("BLOB_UPLOAD_INVALID", message, status=502)


def _json(response: Response) -> dict[str, Any]:
    try:
        document = json.loads(response.body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise OCIError("BLOB_UPLOAD_INVALID", "the registry's answer is not JSON", status=502)
    return document


class StreamedBlob:
    """One blob's streamed session on the registry: the `PartSink` of a proxy upload."""

    def __init__(
        self,
        pool: PartPool,
        links: Links,
        session: Session,
        location: str,
        repository: str,
        storage: Session,
    ) -> None:
        self.pool = pool
        self.links = links
        self.session = session
        self.location = location
        self.repository = repository
        self.storage = storage  # presigned URLs: never the client's credentials
        self._parts: dict[int, tuple[str, str]] = {}  # number: (ETag, checksum)
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()
        self._cancelled = threading.Event()

    @classmethod
    def open(
        cls,
        destination: Destination,
        pool: PartPool,
        links: Links,
        repository: str,
        authorization: str | None,
    ) -> StreamedBlob | Response:
        """A streamed session in `repository`, or the registry's answer when it refused one
        (401 with its challenge, 403: the client sees them as they are)."""
        session = Session(
            destination.base_url,
            authorization=authorization,
            scope=f"repository:{repository}:pull,push",
        )
        body = json.dumps({"streamed": True, "partSize": destination.part_size}).encode()
        try:
            response = session.request(
                "POST",
                f"/v2/{repository}/_berth/{EXTENSION}",
                body=body,
                headers={"Content-Type": "application/json"},
            )
        except PushError as error:
            raise _client_error(error) from None
        if response.status in (401, 403):
            return response
        document = _json(response) if response.status == 202 else {}
        if response.status != 202 or document.get("streamed") is not True:
            raise OCIError(
                "UNSUPPORTED",
                f"berth proxy: {destination.base_url} answered {response.status} to a streamed "
                f"{EXTENSION} session: it is not a Berth registry that takes them (push to it "
                "directly, or with `berth push`)",
                status=502,
            )
        # The client's credentials opened it. From now on a token of the client's that the
        # registry refuses (run out during a long PATCH) is renewed for push on the
        # repository with the saved login, and the request repeated; none saved: the refusal
        # stands. Never before: a client that did not log in is answered the registry's 401.
        if authorization:
            session.credentials = destination.saved_login()
        location = session.url(str(document["location"]))
        return cls(pool, links, session, location, repository, destination.storage)

    def authorize(self, authorization: str | None) -> None:
        if authorization:
            self.session.use_authorization(authorization)

    # PartSink.

    def part(self, number: int, data: memoryview) -> None:
        self._raise_failure()
        future = self.pool.submit(self._send, number, data)
        with self._lock:
            self._futures.append(future)

    def cancel(self) -> None:
        self._cancelled.set()
        self._wait(raise_first=False)
        try:
            self.session.request("DELETE", self.location)
        except PushError:
            pass  # unreachable: the session expires, and the registry's GC removes its parts

    # Completion.

    def complete(self, digest: str, size: int) -> None:
        """Wait until every part is stored (raising the first refusal), then have the
        registry verify and link the blob in the background (links.py)."""
        self._wait(raise_first=True)
        self.links.start(self.repository, digest, lambda: self._link(digest, size))

    def _link(self, digest: str, size: int) -> None:
        """Ask the registry to verify and link the blob; if it does not, the session is
        cancelled (nothing stays half-written) and the error raised."""
        started = time.monotonic()
        try:
            self._complete(digest, size)
        except BaseException:
            self.cancel()
            raise
        logger.info(
            "blob pushed",
            extra=fields(
                repository=self.repository,
                digest=digest,
                size=size,
                parts=len(self._parts),
                link_seconds=round(time.monotonic() - started, 3),
            ),
        )

    def _complete(self, digest: str, size: int) -> None:
        parts = [
            {"partNumber": n, "etag": etag, "checksumSHA256": checksum}
            for n, (etag, checksum) in sorted(self._parts.items())
        ]
        body = json.dumps({"parts": parts, "digest": digest, "size": size}).encode()
        retries = 0
        for _ in range(COMPLETE_ROUNDS):
            try:
                response = self.session.request(
                    "POST", self.location, body=body, headers={"Content-Type": "application/json"}
                )
            except PushError as error:
                raise _client_error(error) from None
            if response.status == 201:
                return
            if response.status in (502, 503, 504) and retries < CHUNK_RETRIES:
                retries += 1  # a gateway gave up waiting: completion can be repeated
                time.sleep(retries)
                continue
            if response.status == 404 and retries and self._linked(digest):
                return  # the request the gateway gave up on went on, linked it, ended the session
            if response.status != 202:
                raise _client_error(error_of(response, f"complete {digest}"))
        raise OCIError("UNAVAILABLE", f"berth proxy: verification of {digest} never finished")

    def _linked(self, digest: str) -> bool:
        try:
            found = self.session.request("HEAD", f"/v2/{self.repository}/blobs/{digest}")
        except PushError:
            return False
        return found.status == 200

    def _wait(self, *, raise_first: bool) -> None:
        with self._lock:
            futures = list(self._futures)
        failure: BaseException | None = None
        for future in futures:
            if not raise_first:
                future.cancel()
        for future in futures:
            if future.cancelled():
                continue
            error = future.exception()
            failure = failure or error
        if raise_first and failure is not None:
            raise failure

    def _raise_failure(self) -> None:
        with self._lock:
            done = [f for f in self._futures if f.done() and not f.cancelled()]
        for future in done:
            error = future.exception()
            if error is not None:
                raise error

    def _send(self, number: int, data: memoryview) -> None:
        """PUT part `number`; its buffer is given back once sent, or refused."""
        try:
            self._put(number, data)
        finally:
            if isinstance(data.obj, bytearray):
                self.pool.buffers.give(data.obj)

    def _put(self, number: int, data: memoryview) -> None:
        """PUT part `number` (a fresh URL each attempt); its ETag and checksum are kept."""
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
        what = f"PUT part {number}"
        for attempt in range(CHUNK_RETRIES + 1):
            if self._cancelled.is_set():
                return
            try:
                upload = part_url(self.session, self.location, number, checksum)
                response = put_to_storage(self.storage, upload, data, len(data))
            except PushError as error:
                if error.code is not ExitCode.NETWORK or attempt == CHUNK_RETRIES:
                    raise _client_error(error) from None
                continue
            etag = response.header("etag")
            if response.status == 200 and etag:
                with self._lock:
                    self._parts[number] = (etag, checksum)
                return
            if storage_refused_bytes(response):
                raise OCIError("DIGEST_INVALID", f"berth proxy: {what}: S3 refused the bytes")
            if response.status != 403 and response.status < 500:
                break
        raise OCIError(
            "BLOB_UPLOAD_INVALID",
            f"berth proxy: {what}: storage answered {response.status}",
            status=502,
        )
