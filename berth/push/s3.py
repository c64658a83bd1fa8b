"""Direct-to-S3 uploads through Berth's `s3-uploads` extension (docs/push.md).

`S3Uploader` asks the registry for a session (`POST /v2/<repo>/_berth/s3-uploads` with the
digest and size), PUTs the bytes straight to the presigned URL(s) it answers — one PUT with
the SHA-256 checksum signed in, or the parts of an S3 multipart upload, several at a time,
each with its own checksum — then asks the registry to verify and link the blob (repeating
while it answers 202, "still verifying", and after a gateway's 504; a repetition answered 404
because the first completion went on and linked the blob counts as done). The layer never
passes through the registry's function, so there is no request-size limit and the registry's
CPU is not in the data path.

Small blobs (under `DIRECT_MIN`, one Lambda request) and non-sha256 blobs use the standard
upload API, as does everything when the registry answers the extension's POST with 404/405
(it does not have it after all). Resuming: the session's location and each finished part's
ETag and checksum are recorded in the push state; a rerun asks the registry for the session
and sends only the parts not recorded. A single PUT that finished is recorded too (as part 1),
so a push stopped while the registry verifies (progress says "verifying") resumes at the
verification; one stopped mid-PUT sends it again whole (S3 has no partial PUT).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from berth.push.content import Blob, FileRange
from berth.push.errors import ExitCode, PushError
from berth.push.http import Response, Session, error_of
from berth.push.progress import Progress
from berth.push.registry import Registry, UploadSession
from berth.push.state import PushState
from berth.push.uploader import CHUNK_RETRIES, Cancelled, Uploader, _Counting

MiB = 1024 * 1024
EXTENSION = "s3-uploads"
# Below this a blob fits one Lambda request: the standard monolithic upload is one request
# fewer than a session, a PUT to S3 and a completion.
DIRECT_MIN = 4 * MiB
PART_JOBS = 4
COMPLETE_ROUNDS = 10_000  # each a request of up to the registry's verify budget
SINGLE = 1  # the part number a finished single PUT is recorded under


def advertised(response_headers: dict[str, str]) -> bool:
    """Whether a `GET /v2/` answer advertises the extension (`Berth-Extensions`)."""
    value = response_headers.get("berth-extensions", "")
    return EXTENSION in {item.strip().split("/")[0] for item in value.split(",")}


def sha256_b64(content: FileRange) -> str:
    digest = hashlib.sha256()
    for piece in content.chunks():
        digest.update(piece)
    return base64.b64encode(digest.digest()).decode()


@dataclass
class _Job:
    blob: Blob
    location: str
    document: dict[str, Any]
    parts: dict[int, tuple[str, str]] = field(default_factory=dict)  # number: (etag, checksum)


class Unavailable(Exception):
    """The registry does not serve the extension (404/405 on its POST)."""


class S3Uploader:
    def __init__(
        self,
        registry: Registry,
        state: PushState,
        progress: Progress,
        fallback: Uploader,
        *,
        part_jobs: int = PART_JOBS,
        required: bool = False,
        cancelled: threading.Event | None = None,
    ) -> None:
        self.registry = registry
        self.state = state
        self.progress = progress
        self.fallback = fallback
        self.part_jobs = max(1, part_jobs)
        self.required = required  # --upload s3: no fallback when the registry lacks it
        self.cancelled = cancelled or threading.Event()
        self.available = True
        # Presigned URLs carry their own authorisation: never send the registry's token there.
        self.storage = Session("")
        self._prefix = f"/v2/{registry.repository}/_berth/{EXTENSION}"

    def upload(self, blob: Blob, session: UploadSession | None) -> None:
        big = blob.size >= DIRECT_MIN or self.required
        if not (self.available and big and blob.digest.startswith("sha256:")):
            self.fallback.upload(blob, session)
            return
        if session is not None:
            self.registry.cancel(session.location)  # a declined mount's: not needed
        try:
            job = self._resume(blob) or self._start(blob)
        except Unavailable:
            if self.required:
                raise PushError(
                    ExitCode.REFUSED, f"the registry has no {EXTENSION} extension"
                ) from None
            self.available = False
            self.fallback.upload(blob, None)
            return
        multipart = bool(job.document["multipart"])
        if multipart:
            done = sum(self._part_length(job, n) for n in job.parts)
        else:
            done = blob.size if SINGLE in job.parts else 0
        self.progress.started(blob.digest, blob.size, done)
        if multipart:
            self._parts(job)
        elif SINGLE not in job.parts:
            self._single(job)
        self.progress.verifying(blob.digest)
        try:
            self._complete(job)
        except PushError as error:
            if multipart or done == 0 or "nothing has been uploaded" not in error.message:
                raise
            # The recorded PUT is not there (the staging object expired): send it again.
            job.parts.clear()
            self.progress.moved_to(blob.digest, 0)
            self._single(job)
            self.progress.verifying(blob.digest)
            self._complete(job)
        self.state.forget_upload(blob.digest)
        self.progress.finished(blob.digest)

    # Sessions.

    def _start(self, blob: Blob) -> _Job:
        body = json.dumps({"digest": blob.digest, "size": blob.size}).encode()
        response = self.registry.session.request(
            "POST", self._prefix, body=body, headers={"Content-Type": "application/json"}
        )
        if response.status in (404, 405):
            raise Unavailable()
        if response.status != 202:
            raise error_of(response, f"start direct upload of {blob.digest}")
        document = _json(response)
        location = self.registry.session.url(str(document["location"]))
        self.state.record_direct(blob.digest, location, {})
        return _Job(blob, location, document)

    def _resume(self, blob: Blob) -> _Job | None:
        recorded = self.state.direct(blob.digest)
        if recorded is None:
            return None
        location, parts = recorded
        response = self.registry.session.request("GET", location)
        if response.status != 200:
            if response.status in (401, 403):
                raise error_of(response, "direct upload status")
            self.state.forget_upload(blob.digest)  # expired or gone: start again
            return None
        document = _json(response)
        if document.get("digest") != blob.digest or document.get("size") != blob.size:
            self.state.forget_upload(blob.digest)
            return None
        return _Job(blob, location, document, dict(parts))

    def _fresh(self, job: _Job) -> None:
        """Ask the registry again for the session (fresh URLs, after a 403 from S3)."""
        response = self.registry.session.request("GET", job.location)
        if response.status != 200:
            raise error_of(response, "direct upload status")
        job.document = _json(response)

    # Bytes to S3.

    def _single(self, job: _Job) -> None:
        blob = job.blob
        for attempt in range(CHUNK_RETRIES + 1):
            if self.cancelled.is_set():
                raise Cancelled()
            upload = job.document["upload"]
            reader = _Counting(blob, 0, self.progress)
            try:
                response = self._put(upload, reader, blob.size)  # type: ignore[arg-type]
            except PushError as error:
                self.progress.moved_to(blob.digest, 0)
                if error.code is not ExitCode.NETWORK or attempt == CHUNK_RETRIES:
                    raise
                continue
            finally:
                reader.close()
            if response.status == 200:
                job.parts[SINGLE] = (str(response.header("etag") or ""), "")
                self.state.record_direct(blob.digest, job.location, dict(job.parts))
                return
            self.progress.moved_to(blob.digest, 0)
            self._storage_refusal(job, response, attempt, f"PUT {blob.digest}")

    def _parts(self, job: _Job) -> None:
        count = int(job.document["partCount"])
        missing = [n for n in range(1, count + 1) if n not in job.parts]
        lock = threading.Lock()

        def send(number: int) -> None:
            done = self._part(job, number)
            with lock:
                job.parts[number] = done
                self.state.record_direct(job.blob.digest, job.location, dict(job.parts))

        with ThreadPoolExecutor(min(self.part_jobs, max(1, len(missing)))) as pool:
            futures = [pool.submit(send, n) for n in missing]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                self.cancelled.set()
                for future in futures:
                    future.cancel()
                raise

    def _part_length(self, job: _Job, number: int) -> int:
        part = int(job.document["partSize"])
        return max(0, min(part, job.blob.size - (number - 1) * part))

    def _part(self, job: _Job, number: int) -> tuple[str, str]:
        """Send part `number`; its ETag and checksum (both go into the completion)."""
        blob = job.blob
        part = int(job.document["partSize"])
        start, length = (number - 1) * part, self._part_length(job, number)
        content = FileRange(blob.content.path, blob.content.offset + start, length)
        checksum = sha256_b64(content)
        for attempt in range(CHUNK_RETRIES + 1):
            if self.cancelled.is_set():
                raise Cancelled()
            upload = self._part_url(job, number, checksum)
            reader = _PartReader(content, blob.digest, self.progress)
            try:
                response = self._put(upload, reader, length)  # type: ignore[arg-type]
            except PushError as error:
                self.progress.advance(blob.digest, -reader.sent)
                if error.code is not ExitCode.NETWORK or attempt == CHUNK_RETRIES:
                    raise
                continue
            finally:
                reader.close()
            if response.status == 200 and response.header("etag"):
                return str(response.header("etag")), checksum
            self.progress.advance(blob.digest, -reader.sent)
            self._storage_refusal(job, response, attempt, f"PUT part {number} of {blob.digest}")
        raise AssertionError("unreachable")

    def _part_url(self, job: _Job, number: int, checksum: str) -> dict[str, Any]:
        return part_url(
            self.registry.session, job.location, number, checksum, f"of {job.blob.digest}"
        )

    def _put(self, upload: dict[str, Any], body: IO[bytes], length: int) -> Response:
        return put_to_storage(self.storage, upload, body, length)

    def _storage_refusal(self, job: _Job, response: Response, attempt: int, what: str) -> None:
        """S3 refused a PUT: a bad checksum is the source's fault (exit 3); an expired or
        refused URL is retried once with fresh ones; anything else is a refusal (exit 5)."""
        text = response.body[:500].decode(errors="replace")
        if storage_refused_bytes(response):
            raise PushError(
                ExitCode.SOURCE_INVALID, f"{what}: S3 refused the bytes (the source is corrupt)"
            )
        if response.status == 403 and attempt == 0:
            self._fresh(job)
            return
        if response.status >= 500 and attempt < CHUNK_RETRIES:
            return
        raise PushError(ExitCode.REFUSED, f"{what}: storage answered {response.status} {text}")

    # Verify and link.

    def _complete(self, job: _Job) -> None:
        body = b""
        if job.document["multipart"]:
            parts = [
                {"partNumber": n, "etag": etag, "checksumSHA256": checksum}
                for n, (etag, checksum) in sorted(job.parts.items())
            ]
            body = json.dumps({"parts": parts}).encode()
        retries = 0
        for _ in range(COMPLETE_ROUNDS):
            if self.cancelled.is_set():
                raise Cancelled()
            response = self.registry.session.request(
                "POST", job.location, body=body, headers={"Content-Type": "application/json"}
            )
            if response.status == 201:
                return
            if response.status in (502, 503, 504) and retries < CHUNK_RETRIES:
                # A gateway gave up waiting (or storage was busy): completion can be repeated.
                retries += 1
                time.sleep(retries)
                continue
            if response.status == 404 and retries and self._linked(job.blob.digest):
                return  # the completion the gateway gave up on went on and linked the blob
            if response.status != 202:
                if response.status == 404:
                    self.state.forget_upload(job.blob.digest)
                raise error_of(response, f"complete direct upload of {job.blob.digest}")
        raise PushError(ExitCode.REFUSED, f"{job.blob.digest}: verification never finished")

    def _linked(self, digest: str) -> bool:
        """Whether the registry has the blob: after a 504, the function that API Gateway
        stopped waiting for (29 s) goes on, links the blob and ends the session, so the
        repeated completion is 404 although the push succeeded (berth/proxy/send.py)."""
        try:
            return self.registry.has_blob(digest)
        except PushError:
            return False


class _PartReader(_Counting):
    """A part's bytes as a request body, counting what was sent (to undo after a failure)."""

    def __init__(self, content: FileRange, digest: str, progress: Progress) -> None:
        blob = Blob(digest, content.size, "", content)
        super().__init__(blob, 0, progress)
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.sent += len(data)
        return data


def part_url(
    session: Session, location: str, number: int, checksum: str, what: str = ""
) -> dict[str, Any]:
    """The presigned PUT of part `number` of the extension session at `location`, signed
    with the part's SHA-256 (base64): `{method, url, headers}`."""
    body = json.dumps({"parts": [{"partNumber": number, "checksumSHA256": checksum}]})
    response = session.request(
        "POST",
        f"{location}/parts",
        body=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    if response.status != 200:
        raise error_of(response, f"part URL {number} {what}".rstrip())
    answer: dict[str, Any] = _json(response)["parts"][0]
    return answer


def put_to_storage(
    storage: Session, upload: dict[str, Any], body: bytes | memoryview | IO[bytes], length: int
) -> Response:
    """PUT to a presigned URL with exactly the headers the registry gave (no credentials of
    ours: the URL carries its own)."""
    headers = {str(k): str(v) for k, v in upload.get("headers", {}).items()}
    return storage.request("PUT", str(upload["url"]), body=body, headers=headers, length=length)


def storage_refused_bytes(response: Response) -> bool:
    """S3 refused a PUT because the bytes are not the checksum signed in."""
    text = response.body[:500].decode(errors="replace")
    return "BadDigest" in text or "XAmzContentChecksumMismatch" in text


def _json(response: Response) -> Any:
    try:
        return json.loads(response.body)
    except ValueError:
        raise PushError(ExitCode.REFUSED, "the registry's answer is not JSON") from None
