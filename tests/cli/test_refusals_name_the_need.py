"""A refusal names the level and the repository it needed, and whom it refused, instead of
only "requested access to the resource is denied" (issue 18 §4)."""

from __future__ import annotations

import pytest

from berth.commands import common
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import unique, user
from tests.cli.test_access_commands import Run, berth  # noqa: F401


def test_refusals_name_the_level_and_repository(
    berth: Run,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    team = unique("t")
    reader = user("reader", [(f"{team}/*", Level.PULL)])
    monkeypatch.setenv("BERTH_USERNAME", reader.username or "")
    monkeypatch.setenv("BERTH_PASSWORD", reader.secret or "")

    status, _, err = berth(capsys, "rollback", f"{team}/app:v1")
    assert status == common.EXIT_REFUSED
    assert "requested access to the resource is denied" in err
    assert f"it needs push on repository {team}/app, which user:{reader.username}" in err
    status, _, err = berth(capsys, "repo", "set-immutable", f"{team}/app")
    assert status == common.EXIT_REFUSED and f"admin on repository {team}/app" in err
    status, _, err = berth(capsys, "user", "ls")
    assert status == common.EXIT_REFUSED and "it needs registry admin (admin on *)" in err
