"""With auth on, `berth push` of an image whose layers this machine pushed to another
repository before mounts them from there: the token asks pull on those candidate sources, not
only on --mount-from's (it asked for none, so every layer was uploaded again; issue 18 §4)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from berth import cli
from tests.cli.test_access_commands import secured  # noqa: F401
from tests.push.dockersave import write_docker_save


def test_automatic_mounts_with_auth_on(
    secured: tuple[str, str],  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, password = secured
    host = url.split("://", 1)[1]
    monkeypatch.setenv("BERTH_USERNAME", "admin")
    monkeypatch.setenv("BERTH_PASSWORD", password)
    saved = write_docker_save(tmp_path / "img.tar", layer_sizes=(64 * 1024, 32 * 1024))
    state = tmp_path / "state"
    first, second = (f"mounts/{uuid.uuid4().hex[:8]}" for _ in range(2))

    def push(repository: str) -> dict[str, int]:
        argv = ["push", "-q", "--json", "--state", str(state), str(saved.path)]
        status = cli.main([*argv, f"{host}/{repository}:v1"])
        captured = capsys.readouterr()
        assert status == 0, captured.err
        outcome: dict[str, int] = json.loads(captured.out)
        return outcome

    assert push(first)["uploaded"] == 3  # two layers and the config
    again = push(second)
    assert (again["mounted"], again["uploaded"]) == (3, 0), again
