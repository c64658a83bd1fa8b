"""Run `berth serve` as a child process: how tests and benchmarks get a server of their own.

A child keeps the server's environment (AWS_ENDPOINT_URL, the table names) and its memory
apart from the caller's, so it can be measured and cannot disturb in-process moto mocks.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from berth.localserver.backend import _readline

START_TIMEOUT_SECONDS = 120.0
_LISTENING = re.compile(r"listening on (\S+)")


@dataclass
class ServerProcess:
    """A `berth serve` child. `line` is its startup line."""

    url: str
    line: str
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def memory_kib(self) -> dict[str, int]:
        """The server process's current (VmRSS) and peak (VmHWM) resident memory, in KiB."""
        values: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
        return values

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL if it lingers; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()
        return self.process.returncode

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def spawn(
    host: str = "127.0.0.1",
    port: int = 0,
    lambda_limits: bool = False,
    stage: str = "local",
    *,
    stderr: IO[Any] | int | None = None,
    env: dict[str, str] | None = None,
    auth: bool = False,
    public_url: str | None = None,
) -> ServerProcess:
    """Start `berth serve` in a child (port 0: a free one) and wait for its startup line.

    The child stops when asked (`stop()`), and also when this process dies: it watches its
    stdin, which closes with us.
    """
    command = [sys.executable, "-m", "berth.cli", "serve", "--host", host, "--port", str(port)]
    command += ["--stage", stage, "--stop-on-eof"]
    if lambda_limits:
        command.append("--lambda-limits")
    if auth:
        command.append("--auth")
    if public_url:
        command += ["--public-url", public_url]
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env={**os.environ, **(env or {})},
    )
    try:
        line = _readline(process, START_TIMEOUT_SECONDS)
        match = _LISTENING.search(line)
        if not match:
            raise RuntimeError(f"berth serve did not start (exit {process.poll()}): {line!r}")
    except BaseException:
        ServerProcess("", "", process).stop()
        if process.stdout is not None:
            process.stdout.close()
        raise
    # The app may log to stdout too (Chalice adds a stdout handler); keep the pipe from filling.
    threading.Thread(target=_relay, args=(process,), name="berth-serve-stdout", daemon=True).start()
    return ServerProcess(match.group(1), line, process)


def _relay(process: subprocess.Popen[bytes]) -> None:
    """Copy the child's stdout, after its startup line, to our stderr, until it exits."""
    assert process.stdout is not None
    with process.stdout:
        for line in process.stdout:
            sys.stderr.write(line.decode(errors="replace"))
