"""Measurement 3b: manifest GETs per second through `berth serve` at 16 concurrent keep-alive
connections, beside the floor: the same manifest bytes GET from the server's moto S3
directly, with the same client (http.client, one thread per connection, bounded duration)."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.content import OCI_INDEX, OCI_MANIFEST
from bench.httpio import S3Floor, connect
from bench.report import Row, Section, verdict
from bench.serverproc import Server
from bench.stats import ratio

NAME = "requests_per_second"
TITLE = "Local server: manifest GET requests/s, keep-alive connections"
# Issue 16: the local server answers a manifest GET at least this fraction of moto's own rate.
RATIO_TARGET = 0.9
ACCEPT = ", ".join([OCI_MANIFEST, OCI_INDEX])


@dataclass
class Load:
    seconds: float = 0.0
    ok: int = 0
    errors: int = 0
    reconnects: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _worker(
    url: str, headers: dict[str, str], until: float, load: Load, lock: threading.Lock
) -> None:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    ok = errors = reconnects = 0
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    connection: http.client.HTTPConnection | None = None
    while time.perf_counter() < until:
        try:
            if connection is None:
                connection = connect(url, timeout=30)
                reconnects += 1
            started = time.perf_counter()
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            statuses[response.status] += 1
            if response.status == 200:
                ok += 1
            else:
                errors += 1
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            errors += 1
            if connection is not None:
                connection.close()
            connection = None
    if connection is not None:
        connection.close()
    with lock:
        load.ok += ok
        load.errors += errors
        load.reconnects += reconnects
        load.statuses.update(statuses)
        load.latencies.extend(latencies)


def hammer(url: str, headers: dict[str, str], connections: int, seconds: float) -> Load:
    """GET `url` over `connections` keep-alive connections for `seconds`."""
    load = Load()
    lock = threading.Lock()
    started = time.perf_counter()
    until = started + seconds
    threads = [
        threading.Thread(target=_worker, args=(url, headers, until, load, lock), daemon=True)
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    load.reconnects -= connections  # the first connection of each thread is not a reconnect
    return load


def _describe(load: Load) -> str:
    return (
        f"{load.per_second:.0f} req/s (p50 {load.percentile(0.5) * 1000:.1f} ms, "
        f"p99 {load.percentile(0.99) * 1000:.1f} ms)"
    )


def run(server: Server, reference: str, connections: int, seconds: float) -> Section:
    repo, tag = reference.rsplit(":", 1)
    url = f"{server.url}/v2/{repo}/manifests/{tag}"
    headers = {"Accept": ACCEPT}
    probe = connect(url)
    try:
        probe.request("GET", urlsplit(url).path, headers=headers)
        answer = probe.getresponse()
        manifest = answer.read()
    finally:
        probe.close()
    if answer.status != 200:
        raise RuntimeError(f"GET {url}: HTTP {answer.status}")
    if server.moto_url is None:
        raise RuntimeError("no moto endpoint in the server's startup line")
    floor = S3Floor(server.moto_url)
    floor.put_bytes("floor/manifest", manifest)
    floor_url = floor.url("GET", "floor/manifest")

    hammer(url, headers, connections, min(1.0, seconds / 4))  # warm-up, not counted
    mine = hammer(url, headers, connections, seconds)
    hammer(floor_url, {}, connections, min(1.0, seconds / 4))
    base = hammer(floor_url, {}, connections, seconds)
    floor.delete("floor/manifest")

    section = Section(NAME, TITLE)
    section.rows.append(
        Row(
            f"manifest GET by tag, {connections} connections, {seconds:.0f} s",
            _describe(mine),
            baseline=f"{_describe(base)} moto S3 GET",
            ratio=f"{ratio(mine.per_second, base.per_second)}x",
            target=f">= {RATIO_TARGET:.2f}x (issue 16)",
            verdict=verdict(mine.per_second >= RATIO_TARGET * base.per_second),
        )
    )
    for name, load in (("berth", mine), ("moto floor", base)):
        if load.errors or load.reconnects:
            section.notes.append(
                f"{name}: {load.errors} failed requests {dict(load.statuses)}, "
                f"{load.reconnects} reconnections (connection not kept alive)"
            )
    section.notes.append(
        f"client: Python http.client, one thread per connection, in the bench process; "
        f"manifest {len(manifest)} bytes"
    )
    section.data = {
        "connections": connections,
        "seconds": seconds,
        "manifest_bytes": len(manifest),
        "berth": _load_data(mine),
        "floor": _load_data(base),
        "ratio": ratio(mine.per_second, base.per_second),
    }
    return section


def _load_data(load: Load) -> dict[str, object]:
    return {
        "requests_per_s": round(load.per_second, 1),
        "ok": load.ok,
        "errors": load.errors,
        "reconnects": load.reconnects,
        "statuses": {str(k): v for k, v in load.statuses.items()},
        "p50_ms": round(load.percentile(0.5) * 1000, 2),
        "p99_ms": round(load.percentile(0.99) * 1000, 2),
        "duration_s": round(load.seconds, 2),
    }
