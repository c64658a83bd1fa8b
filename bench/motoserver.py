"""A moto server in its own process (`python -m moto.server`), so that neither moto's import
nor its work is counted in what is timed, with Berth's stack created from infra/berth.yaml."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from bench.workdir import log_path

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until `url` answers anything over HTTP; raises if `process` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # an HTTP error is an answer
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def clean_environment() -> dict[str, str]:
    """This process's environment without any AWS setting, plus moto's fake credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BERTH_"))}
    env.update(CREDENTIALS)
    return env


@dataclass
class MotoServer:
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        log = log_path(f"moto-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=clean_environment(),
        )
        wait_for_http(self.endpoint + "/moto-api/", 60, self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def client(self, service: str) -> Any:
        import boto3

        session: Any = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        return session.client(service, endpoint_url=self.endpoint)

    def create_stack(self, stage: str) -> dict[str, str]:
        """Berth's stack from infra/berth.yaml; returns the runtime environment of the app."""
        from berth.infra import apply_ignored_settings, create_stack, runtime_environment

        outputs = create_stack(self.client("cloudformation"), stage)
        apply_ignored_settings(self.client("dynamodb"), outputs)
        return runtime_environment(outputs)

    def app_environment(self, runtime: dict[str, str]) -> dict[str, str]:
        """The environment of a process running the app against this server."""
        env = clean_environment()
        env.update(runtime)
        env["AWS_ENDPOINT_URL"] = self.endpoint
        env.setdefault("BERTH_AUTH", "off")  # a deployed stage's default is on
        return env
