"""`berth repo show` and `berth repo set-immutable` changing one thing at a time: an exclusion
added or removed leaves the others, and every change says what was there before (issue 18 §4)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli.test_admin_commands import berth  # noqa: F401


def test_show_then_change_one_thing_at_a_time(
    berth: Any,  # noqa: F811
    repo: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = berth(capsys, "repo", "show", repo)
    assert status == 0
    assert out.splitlines()[0] == f"{repo}: tags are mutable; rollback window 10 moves"
    assert "no rules: nothing expires" in out

    status, out, err = berth(capsys, "repo", "set-immutable", repo, "--exclude", "latest")
    assert status == 0 and out.strip() == f"{repo}: tags are immutable (excluded: latest)"
    assert "was: tags are mutable" in err
    status, out, err = berth(capsys, "repo", "set-immutable", repo, "--exclude", "dev-*")
    assert out.strip() == f"{repo}: tags are immutable (excluded: latest, dev-*)"
    assert "was: tags are immutable (excluded: latest)" in err
    status, out, err = berth(capsys, "repo", "set-immutable", repo, "--no-exclude", "latest")
    assert status == 0 and out.strip() == f"{repo}: tags are immutable (excluded: dev-*)"
    status, _, err = berth(capsys, "repo", "set-immutable", repo, "--no-exclude", "nope")
    assert status == 0 and "nope was not excluded" in err

    assert berth(capsys, "repo", "set-rollback-window", repo, "3")[0] == 0
    assert berth(capsys, "repo", "set-immutable", repo, "--off")[0] == 0
    status, out, _ = berth(capsys, "repo", "show", repo, "--json")
    shown = json.loads(out)
    assert shown["settings"]["immutableTags"] is False
    assert shown["settings"]["immutableTagsExclude"] == ["dev-*"]  # kept for next time
    assert shown["settings"]["rollbackWindow"] == 3  # not touched by set-immutable
    status, out, _ = berth(capsys, "repo", "set-immutable", repo)
    assert out.strip() == f"{repo}: tags are immutable (excluded: dev-*)"
    status, _, err = berth(
        capsys, "repo", "set-immutable", repo, "--exclude", "a", "--no-exclude", "a"
    )
    assert status == 2 and "both --exclude and --no-exclude" in err
