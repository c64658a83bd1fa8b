"""Measurement: what access control costs a pull.

1. Manifest GETs per second at `connections` keep-alive connections against two `berth serve`
   children started together, one with `--auth` (each request carries a Bearer token for
   pull, as docker, containerd and skopeo send them) and one without, the same manifest
   in both. The two are measured in alternating halves so that load on a shared machine
   falls on both alike (`throughput.hammer` drives the requests). Target: at least 0.9.
2. AWS calls per warm request that auth adds (Bearer, and Basic once cached), counted with
   `bench.awscalls` through `chalice.test.Client` on moto in-process, against the same
   requests with auth off. Target: 0. The token request's own calls are reported beside.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.apiclient import ApiClient
from bench.awscalls import Tally, recording
from bench.calls import in_process_registry
from bench.content import OCI_MANIFEST
from bench.httpio import connect
from bench.report import Row, Section, verdict
from bench.serverproc import Server, local_server
from bench.stats import ratio
from bench.throughput import ACCEPT, Load, _describe, hammer

NAME = "auth_overhead"
TITLE = "Access control: manifest GET req/s auth on (Bearer) vs off, AWS calls auth adds"
RATIO_TARGET = 0.9
WARM_REQUESTS = 20
_PASSWORD = re.compile(r"log in as (\S+) with password (\S+) \(shown once\)")


@dataclass(frozen=True, slots=True)
class _Reply:
    status_code: int
    headers: dict[str, str]
    body: bytes


class _Http:
    """What `ApiClient` needs of chalice.test.Client (`.http.request`), over a real socket to
    a running server, with fixed headers (credentials) added to every request."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.extra = headers or {}
        self.http = self

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> _Reply:
        connection = connect(self.url, timeout=60)
        try:
            connection.request(method, path, body=body, headers={**self.extra, **(headers or {})})
            response = connection.getresponse()
            return _Reply(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()


def _basic(username: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _token(http: _Http, credentials: dict[str, str], scope: str) -> str:
    """A Bearer token from the registry's /token, as a client gets one."""
    answer = http.request(
        "GET", "/token?" + urlencode({"service": "berth", "scope": scope}), {**credentials}
    )
    if answer.status_code != 200:
        raise RuntimeError(f"/token: HTTP {answer.status_code}: {answer.body[:200]!r}")
    return str(json.loads(answer.body)["token"])


def _admin(server: Server) -> tuple[str, str]:
    match = _PASSWORD.search(server.line)
    if match is None:
        raise RuntimeError("berth serve --auth printed no admin password")
    return match.group(1), match.group(2)


def _combined(loads: list[Load]) -> Load:
    total = Load()
    for load in loads:
        total.seconds += load.seconds
        total.ok += load.ok
        total.errors += load.errors
        total.reconnects += load.reconnects
        total.statuses.update(load.statuses)
        total.latencies.extend(load.latencies)
    return total


@contextmanager
def _servers() -> Iterator[tuple[Server, Server]]:
    with ExitStack() as stack:
        off = stack.enter_context(local_server("bench-off"))
        on = stack.enter_context(local_server("bench-on", auth=True))
        yield off, on


def measure_rps(off: Server, on: Server, connections: int, seconds: float) -> Section:
    """Part 1 against two running servers (auth off, auth on)."""
    repo = f"bench/auth-{uuid.uuid4().hex[:8]}"
    ApiClient(_Http(off.url)).push_small_image(repo, "v1")
    admin = _basic(*_admin(on))
    pusher = _token(_Http(on.url), admin, f"repository:{repo}:pull,push")
    ApiClient(_Http(on.url, {"Authorization": f"Bearer {pusher}"})).push_small_image(repo, "v1")
    pull = _token(_Http(on.url), admin, f"repository:{repo}:pull")
    path = f"/v2/{repo}/manifests/v1"
    plain = {"Accept": ACCEPT}
    bearer = {**plain, "Authorization": f"Bearer {pull}"}
    for server, headers in ((off, plain), (on, bearer)):
        answer = _Http(server.url).request("GET", path, headers)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {server.url}{path}: HTTP {answer.status_code}")
        hammer(server.url + path, headers, connections, min(1.0, seconds / 4))  # warm-up

    halves: dict[str, list[Load]] = {"off": [], "on": []}
    for _ in range(2):
        halves["off"].append(hammer(off.url + path, plain, connections, seconds / 2))
        halves["on"].append(hammer(on.url + path, bearer, connections, seconds / 2))
    without, with_auth = _combined(halves["off"]), _combined(halves["on"])
    share = ratio(with_auth.per_second, without.per_second)
    section = Section(NAME, TITLE)
    section.rows.append(
        Row(
            f"manifest GET by tag, Bearer token, {connections} connections, {seconds:.0f} s",
            _describe(with_auth),
            baseline=f"{_describe(without)} auth off",
            ratio=f"{share}x",
            target=f">= {RATIO_TARGET}x",
            verdict=verdict(share is not None and share >= RATIO_TARGET),
        )
    )
    for name, load in (("auth on", with_auth), ("auth off", without)):
        if load.errors or load.reconnects:
            section.notes.append(
                f"{name}: {load.errors} failed requests {dict(load.statuses)}, "
                f"{load.reconnects} reconnections"
            )
    section.notes.append(
        "two berth serve children started together; measured in alternating halves "
        "(off, on, off, on); client: Python http.client, one thread per connection"
    )
    section.data["requests_per_second"] = {
        "connections": connections,
        "seconds": seconds,
        "auth_on": round(with_auth.per_second, 1),
        "auth_off": round(without.per_second, 1),
        "ratio": share,
        "errors": {"auth_on": with_auth.errors, "auth_off": without.errors},
        "p50_ms": {
            "auth_on": round(with_auth.percentile(0.5) * 1000, 2),
            "auth_off": round(without.percentile(0.5) * 1000, 2),
        },
    }
    return section


def _set_auth(on: bool) -> None:
    """Turn the in-process app's access control on or off (its caches start afresh)."""
    from chalicelib.auth import aws, gate
    from chalicelib.auth.auth_settings import auth_settings

    os.environ["BERTH_AUTH"] = "on" if on else "off"
    auth_settings.cache_clear()
    gate.reset()
    aws.reset()


def _per_request(api: ApiClient, path: str, headers: dict[str, str], recorder: Any) -> float:
    for _ in range(2):  # warm: the first request may load keys, a login, the revocations
        answer = api.request("GET", path, headers)
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {answer.status}: {answer.body[:200]!r}")
    with recorder.window() as tally:
        for _ in range(WARM_REQUESTS):
            api.request("GET", path, headers)
    return len(tally.calls) / WARM_REQUESTS


def measure_calls(chalice_client: Any) -> dict[str, Any]:
    """Part 2 through `chalice_client`, whose stack has its token key: AWS calls per warm
    manifest GET with auth off, by Bearer and by cached Basic; the calls of one /token."""
    from chalicelib.auth import principals
    from chalicelib.auth.permissions import Level

    saved = os.environ.get("BERTH_AUTH")
    api = ApiClient(chalice_client)
    repo = f"bench/authcalls-{uuid.uuid4().hex[:8]}"
    name, password = f"bench{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    try:
        _set_auth(False)
        api.push_small_image(repo, "v1")
        principals.create_user(name, password)
        principals.grant("user", name, repo, Level.PULL)
        path = f"/v2/{repo}/manifests/v1"
        accept = {"Accept": OCI_MANIFEST}
        with recording() as recorder:
            off = _per_request(api, path, accept, recorder)
            _set_auth(True)
            query = urlencode({"service": "berth", "scope": f"repository:{repo}:pull"})
            with recorder.window() as token_tally:
                answer = api.request("GET", f"/token?{query}", _basic(name, password))
            if answer.status != 200:
                raise RuntimeError(f"/token: HTTP {answer.status}: {answer.body[:200]!r}")
            token = json.loads(answer.body)["token"]
            bearer = _per_request(
                api, path, {**accept, "Authorization": f"Bearer {token}"}, recorder
            )
            basic = _per_request(api, path, {**accept, **_basic(name, password)}, recorder)
        return {
            "calls_per_request_auth_off": off,
            "added_per_request": {"bearer": bearer - off, "basic_cached": basic - off},
            "token_request_calls": _names(token_tally),
        }
    finally:
        if saved is None:
            os.environ.pop("BERTH_AUTH", None)
        else:
            os.environ["BERTH_AUTH"] = saved
        _set_auth(os.environ.get("BERTH_AUTH", "on") != "off")


def _names(tally: Tally) -> list[str]:
    return [f"{call.service}:{call.operation}" for call in tally.calls]


def calls_rows(section: Section, found: dict[str, Any]) -> None:
    added = found["added_per_request"]
    for label, key in (("Bearer token", "bearer"), ("Basic, login cached", "basic_cached")):
        section.rows.append(
            Row(
                f"AWS calls auth adds per warm manifest GET, {label}",
                f"{added[key]:g}",
                baseline=f"{found['calls_per_request_auth_off']:g} per request with auth off",
                target="0",
                verdict=verdict(added[key] == 0),
            )
        )
    token_calls = ", ".join(found["token_request_calls"])
    section.notes.append(
        f"one /token request (login, revocations; a key derived once per process): {token_calls}"
    )
    section.data["aws_calls"] = found


def run(connections: int, seconds: float) -> Section:
    with _servers() as (off, on):
        section = measure_rps(off, on, connections, seconds)
    with in_process_registry(token_key=True) as client:
        calls_rows(section, measure_calls(client))
    return section
