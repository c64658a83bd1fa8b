"""What the end-to-end tests share: the registry's handle, running a client command, names.

Client commands go through `run`, which fails the test with the command, its exit status and
its output.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import subprocess
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from berth.localserver import ServerProcess

COMMAND_TIMEOUT_SECONDS = 120.0
_ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def host_architecture() -> str:
    """This machine's architecture in OCI terms (what containerd unpacks by default)."""
    machine = platform.machine().lower()
    return _ARCHITECTURES.get(machine, machine)


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Registry:
    """The running `berth serve`: where it listens and where it logs."""

    server: ServerProcess
    log: Path

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`: the registry part of an image reference."""
        return f"127.0.0.1:{self.server.port}"

    def docker(self, repository: str, reference: str = "latest") -> str:
        """A `docker://` transport reference for skopeo, podman and buildah."""
        separator = "@" if ":" in reference else ":"
        return f"docker://{self.host}/{repository}{separator}{reference}"

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        """One request to the registry itself (no redirect followed)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def blob(self, repository: str, digest: str) -> bytes:
        """A blob's bytes, following the registry's redirect to storage if it sends one."""
        url = f"http://{self.host}/v2/{repository}/blobs/{digest}"
        with urllib.request.urlopen(url, timeout=60) as response:
            data: bytes = response.read()
            return data

    def log_records(self) -> list[dict[str, Any]]:
        """The server's JSON log lines so far (other lines skipped)."""
        records = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records


def run(
    command: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = COMMAND_TIMEOUT_SECONDS,
    check: bool = True,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a client command; fail the test with its output if it fails (unless check=False)."""
    argv = [str(part) for part in command]
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"command failed (exit {result.returncode}): {' '.join(argv)}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-6000:]}",
            pytrace=False,
        )
    return result


def skopeo_push(source: str, destination: str, *options: str) -> None:
    """Push an `oci:` layout image to the registry with skopeo, over plain HTTP."""
    run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", *options, source, destination])


def new_repository(prefix: str = "e2e") -> str:
    """A repository name no other test uses."""
    return f"{prefix}/{uuid.uuid4().hex[:12]}"
