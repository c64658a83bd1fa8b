"""Measurement: the handler's own CPU time per operation, what `berth cost` bills as Lambda
compute once the AWS wait is added (berth/cost/compute.py).

In-process, through `chalice.test.Client` on moto in-process: the process's CPU time around
one request, minus the CPU time spent inside moto answering the AWS calls (moto's botocore
hook, timed around every call). What is left is Berth's code, Chalice's routing, and
botocore building the requests and parsing the answers, all of which a Lambda also runs.
Each operation runs `REPEAT` times after a warm-up and the median is kept: a warm instance.
CPU time, not wall time, so other work on a shared machine does not count (it only stretches
the wall clock).
"""

from __future__ import annotations

import functools
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.apiclient import Answer, ApiClient
from bench.content import OCI_MANIFEST, OCTET, digest_of
from bench.report import Row, Section

NAME = "handler_cpu"
TITLE = "Handler CPU time per operation, moto's own time taken out (chalice.test.Client)"
REPEAT = 15


class MotoClock:
    """CPU seconds spent inside moto's botocore hook since installed."""

    def __init__(self) -> None:
        self.seconds = 0.0


@contextmanager
def moto_timed() -> Iterator[MotoClock]:
    from moto.core.botocore_stubber import BotocoreStubber

    clock = MotoClock()
    original = BotocoreStubber.__call__

    @functools.wraps(original)
    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            clock.seconds += time.process_time() - start

    setattr(BotocoreStubber, "__call__", timed)  # noqa: B010 (a dunder on the class)
    try:
        yield clock
    finally:
        setattr(BotocoreStubber, "__call__", original)  # noqa: B010


def own_cpu_ms(clock: MotoClock, send: Callable[[], Answer], expected: int) -> float:
    """Milliseconds of CPU one request takes outside moto."""
    moto_before = clock.seconds
    start = time.process_time()
    answer = send()
    total = time.process_time() - start
    if answer.status != expected:
        raise RuntimeError(f"HTTP {answer.status}, expected {expected}: {answer.body[:200]!r}")
    return max(0.0, (total - (clock.seconds - moto_before)) * 1000)


def _senders(
    api: ApiClient, repo: str
) -> dict[str, tuple[Callable[[], Callable[[], Answer]], int]]:
    """{berth cost's request label: (prepare a request, the status it answers)}."""
    manifest_digest, layer_digest, _ = api.push_small_image(repo, "v1")
    accept = {"Accept": OCI_MANIFEST}

    def call(method: str, path: str, headers: dict[str, str] | None = None) -> Any:
        return lambda: lambda: api.request(method, path, headers)

    def blob_push() -> Callable[[], Answer]:
        data = os.urandom(4096)
        path = f"/v2/{repo}/blobs/uploads/?digest={digest_of(data)}"
        headers = {"Content-Type": OCTET, "Content-Length": str(len(data))}
        return lambda: api.request("POST", path, headers, data)

    def manifest_put() -> Callable[[], Answer]:
        _, _, body = api.push_small_image(repo, "base")
        path = f"/v2/{repo}/manifests/t-{uuid.uuid4().hex[:8]}"
        return lambda: api.request("PUT", path, {"Content-Type": OCI_MANIFEST}, body)

    return {
        "ping GET /v2/": (call("GET", "/v2/"), 200),
        "manifest HEAD by tag": (call("HEAD", f"/v2/{repo}/manifests/v1", accept), 200),
        "manifest GET by digest": (
            call("GET", f"/v2/{repo}/manifests/{manifest_digest}", accept),
            200,
        ),
        "blob GET (307 to S3)": (call("GET", f"/v2/{repo}/blobs/{layer_digest}"), 307),
        "blob HEAD": (call("HEAD", f"/v2/{repo}/blobs/{layer_digest}"), 200),
        "monolithic blob push": (blob_push, 201),
        "manifest PUT": (manifest_put, 201),
    }


TOKEN_LABEL = "token (basic auth)"


def _token_sender(api: ApiClient, repo: str) -> Callable[[], Answer]:
    """A pull token for a user's credentials, as a client asks before each pull; auth turned
    on for the app (bench/authbench.py's switch) and left on until `measure` ends."""
    import base64
    from urllib.parse import urlencode

    from bench.authbench import _set_auth
    from chalicelib.auth import principals
    from chalicelib.auth.permissions import Level

    name, password = f"cpu{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    principals.create_user(name, password)
    principals.grant("user", name, repo, Level.PULL)
    _set_auth(True)
    credentials = base64.b64encode(f"{name}:{password}".encode()).decode()
    query = urlencode({"service": "berth", "scope": f"repository:{repo}:pull"})
    headers = {"Authorization": f"Basic {credentials}"}
    return lambda: api.request("GET", f"/token?{query}", headers)


def measure(chalice_client: Any, repeat: int = REPEAT, token: bool = False) -> Section:
    """`token`: also the token request (the registry's stack must have its token key)."""
    api = ApiClient(chalice_client)
    repo = f"bench/cpu-{uuid.uuid4().hex[:10]}"
    found: dict[str, float] = {}
    saved = os.environ.get("BERTH_AUTH")
    with moto_timed() as clock:
        for label, (prepare, expected) in _senders(api, repo).items():
            own_cpu_ms(clock, prepare(), expected)  # warm-up: first-use imports and clients
            samples = [own_cpu_ms(clock, prepare(), expected) for _ in range(repeat)]
            found[label] = round(statistics.median(samples), 2)
        if token:
            from bench.authbench import _set_auth

            try:
                send = _token_sender(api, repo)
                own_cpu_ms(clock, send, 200)  # the login's argon2id, then cached
                samples = [own_cpu_ms(clock, send, 200) for _ in range(repeat)]
                found[TOKEN_LABEL] = round(statistics.median(samples), 2)
            finally:
                if saved is None:
                    os.environ.pop("BERTH_AUTH", None)
                else:
                    os.environ["BERTH_AUTH"] = saved
                _set_auth(os.environ.get("BERTH_AUTH", "on") != "off")
    section = Section(NAME, TITLE)
    for label, ms in found.items():
        section.rows.append(Row(label, f"{ms:g} ms", target="(input of berth cost)"))
    if TOKEN_LABEL in found:
        section.notes.append(
            "token: a warm instance with the login cached (the first login of an instance "
            "pays argon2id, ~25 ms more)"
        )
    section.notes.append(
        f"median of {repeat} warm requests; process CPU time minus the CPU time inside moto"
    )
    section.data = {"cpu_ms": found, "repeat": repeat}
    return section


def run() -> Section:
    from bench.calls import in_process_registry

    with in_process_registry(token_key=True) as client:
        return measure(client, token=True)
