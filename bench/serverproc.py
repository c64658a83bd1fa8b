"""`berth serve` as a child process (through `berth.localserver.spawn`), its moto child, and
their memory read from /proc."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.workdir import log_path

_MOTO_URL = re.compile(r"in moto at (http://\S+?)[;,)]?(?:\s|$)")


class NotReady(Exception):
    """The local server cannot be started here; the message says why."""


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT
    moto_url: str | None  # the moto endpoint the server stores in, from its startup line
    pid: int
    line: str
    handle: Any = field(repr=False)  # berth.localserver.ServerProcess

    @property
    def host_port(self) -> str:
        return self.url.split("://", 1)[1]


@contextmanager
def local_server(stage: str = "bench", *, auth: bool = False) -> Iterator[Server]:
    """Start `berth serve` (`--auth` if `auth`) on a free loopback port; NotReady if it
    cannot be started."""
    try:
        from berth.localserver import spawn
    except ImportError as error:
        raise NotReady(f"berth.localserver has no spawn() yet ({error})") from error
    stderr = log_path(f"berth-serve-{stage}-{int(time.time())}.log").open("wb")
    try:
        try:
            handle = spawn(port=0, stage=stage, stderr=stderr, auth=auth)
        except Exception as error:
            raise NotReady(f"berth serve did not start: {error}") from error
        match = _MOTO_URL.search(handle.line)
        server = Server(
            handle.url, match.group(1) if match else None, handle.pid, handle.line, handle
        )
        try:
            yield server
        finally:
            handle.stop()
    finally:
        stderr.close()


def status_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start) of a process, in KiB; {} once it is gone."""
    values: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def children(pid: int) -> list[int]:
    """Every descendant of `pid`."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


class RssSampler:
    """Samples VmRSS of some processes on a thread; the peak seen per process, in KiB."""

    def __init__(self, pids: list[int], interval: float = 0.05) -> None:
        self.pids = pids
        self.interval = interval
        self.peak_kib: dict[int, int] = dict.fromkeys(pids, 0)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                rss = status_kib(pid).get("VmRSS", 0)
                self.peak_kib[pid] = max(self.peak_kib[pid], rss)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
