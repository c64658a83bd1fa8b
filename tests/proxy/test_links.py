"""Links under way in the background (berth/proxy/links.py) and the requests that wait for
them (link_order.py): a wait returns only once the links it concerns are done, never waits
for another blob's, and reports the failed ones; a manifest naming a failed blob is refused
with the reason, one that does not is forwarded byte for byte; shutdown finishes every link.
Links are held on events the test sets, never on a clock."""

from __future__ import annotations

import io
import json
import threading

from berth.localserver.bodies import Body, FixedBody
from berth.localserver.messages import GatewayRequest
from berth.proxy.link_order import wait_for_links
from berth.proxy.links import Links
from chalicelib.oci.errors import OCIError
from chalicelib.oci.paths import parse_path

A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64


class Held:
    """A link that runs once `release` is set, then succeeds or raises `error`."""

    def __init__(self, error: Exception | None = None) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.runs = 0
        self.error = error

    def __call__(self) -> None:
        self.started.set()
        self.release.wait()
        self.runs += 1
        if self.error is not None:
            raise self.error


def test_a_wait_returns_once_the_link_is_done() -> None:
    links = Links()
    link = Held()
    links.start("team/app", A, link)
    waited: list[dict[str, str]] = []
    waiter = threading.Thread(target=lambda: waited.append(links.wait("team/app", A)))
    waiter.start()
    link.started.wait()
    assert waited == []  # the link is held: the waiter cannot have returned
    link.release.set()
    waiter.join()
    assert waited == [{}] and link.runs == 1
    links.shutdown()


def test_a_wait_never_waits_for_another_blob_or_repository() -> None:
    """If these waits waited for the held link, the test would never reach `release`."""
    links = Links()
    link = Held()
    links.start("team/app", A, link)
    assert links.wait("team/app", B) == {}
    assert links.wait("team/other") == {}
    assert links.wait("team/other", A) == {}
    link.release.set()
    assert links.wait("team/app") == {}
    links.shutdown()


def test_a_failed_link_is_reported_until_the_blob_is_linked_again() -> None:
    links = Links()
    failing = Held(OCIError("UNAVAILABLE", "the registry cannot be reached"))
    failing.release.set()
    links.start("team/app", A, failing)
    assert links.wait("team/app", A) == {A: "the registry cannot be reached"}
    assert links.wait("team/app") == {A: "the registry cannot be reached"}
    assert links.wait("team/app", B) == {}
    assert links.wait("team/other") == {}

    again = Held()
    again.release.set()
    links.start("team/app", A, again)  # the client pushed it again
    assert links.wait("team/app") == {}
    assert (failing.runs, again.runs) == (1, 1)
    links.shutdown()


def test_shutdown_finishes_every_link_under_way() -> None:
    links = Links(jobs=2)
    held = [Held() for _ in range(5)]
    for number, link in enumerate(held):
        links.start("team/app", f"sha256:{number:064x}", link)
        link.release.set()
    links.shutdown()
    assert [link.runs for link in held] == [1] * 5


def _request(method: str, path: str, body: bytes) -> tuple[GatewayRequest, Body]:
    headers = (("Content-Length", str(len(body))),)
    request = GatewayRequest(method, path, "", headers, b"", "127.0.0.1")
    return request, FixedBody(io.BufferedReader(io.BytesIO(body)), len(body))


def test_a_manifest_naming_a_failed_blob_is_refused_with_the_reason() -> None:
    links = Links()
    failing = Held(OCIError("DENIED", "berth proxy: token refused"))
    failing.release.set()
    links.start("team/app", A, failing)
    links.wait("team/app")
    naming = json.dumps({"layers": [{"digest": A, "size": 1}]}).encode()
    other = json.dumps({"layers": [{"digest": B, "size": 1}]}).encode()
    path = "/v2/team/app/manifests/v1"
    endpoint = parse_path(path)
    assert endpoint is not None

    refused, _ = wait_for_links(links, endpoint, *_request("PUT", path, naming))
    assert refused is not None and refused.status == 400
    (error,) = json.loads(refused.body)["errors"]
    assert error["code"] == "MANIFEST_BLOB_UNKNOWN" and error["detail"] == A
    assert "token refused" in error["message"] and "push again" in error["message"]

    passed, body = wait_for_links(links, endpoint, *_request("PUT", path, other))
    assert passed is None
    assert body.read(len(other) + 1) == other  # forwarded whole, though it was read to tell

    # Elsewhere, and for reads, nothing is refused.
    for method, where in (("PUT", "/v2/team/web/manifests/v1"), ("GET", path)):
        found = parse_path(where)
        assert found is not None
        assert wait_for_links(links, found, *_request(method, where, naming))[0] is None
    links.shutdown()


def test_a_blob_request_waits_for_that_blobs_link() -> None:
    links = Links()
    link = Held()
    links.start("team/app", A, link)
    path = f"/v2/team/app/blobs/{A}"
    endpoint = parse_path(path)
    assert endpoint is not None
    answered: list[object] = []
    waiter = threading.Thread(
        target=lambda: answered.append(
            wait_for_links(links, endpoint, *_request("HEAD", path, b""))
        )
    )
    waiter.start()
    link.started.wait()
    assert answered == []
    link.release.set()
    waiter.join()
    assert len(answered) == 1 and link.runs == 1
    links.shutdown()
