"""The moto server, in a child process on a free loopback port, stopped with its parent."""

from __future__ import annotations

import os
import subprocess
import sys

from berth.localserver.log import fields, logger

START_TIMEOUT_SECONDS = 60.0


class MotoBackend:
    """A running `berth.localserver.moto_child`; `url` is its endpoint."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    @classmethod
    def start(cls) -> MotoBackend:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "berth.localserver.moto_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # a Ctrl-C in the terminal goes to the parent only
        )
        assert process.stdout is not None
        try:
            line = _readline(process, START_TIMEOUT_SECONDS)
            port = int(line)
        except (ValueError, TimeoutError) as error:
            _kill(process)
            raise RuntimeError(f"moto did not start: {error}") from error
        logger.debug("moto started", extra=fields(pid=process.pid, port=port))
        return cls(process, port)

    def stop(self) -> None:
        """Close the child's stdin (it exits at EOF), then make sure it is gone."""
        if self.process.poll() is None:
            _kill(self.process)
        logger.debug("moto stopped", extra=fields(pid=self.process.pid))

    def __enter__(self) -> MotoBackend:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _readline(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The child's first stdout line, or TimeoutError if it does not come in time."""
    import selectors

    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError(f"no port from moto within {timeout} s")
    return process.stdout.readline().decode().strip()


def _kill(process: subprocess.Popen[bytes]) -> None:
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
