"""Every state change is in the audit log with the principal that caused it, driven through
the `berth` commands as a registry admin (auth on): settings and lifecycle policy changes,
manual lifecycle and GC runs, the expiries of an admin's run, the registry-wide feed
(`berth audit --all`), and a revoked robot's login (issue 18 §4)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from berth.commands import common
from tests.api.helpers import push_image
from tests.auth.gate_support import _reset, unique
from tests.cli.test_access_commands import Run, berth  # noqa: F401


@contextmanager
def auth_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Push test images with the plain helpers, then turn auth back on."""
    monkeypatch.setenv("BERTH_AUTH", "off")
    _reset()
    try:
        yield
    finally:
        monkeypatch.setenv("BERTH_AUTH", "on")
        _reset()


def _events(
    berth: Run,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    *which: str,
) -> list[dict[str, Any]]:
    status, out, err = berth(capsys, "audit", *which, "--json")
    assert status == 0, err
    events: list[dict[str, Any]] = json.loads(out)["events"]
    return events


def test_changes_and_runs_are_audited_with_their_principal(
    berth: Run,  # noqa: F811
    client: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = f"user:{os.environ['BERTH_USERNAME']}"
    repo = f"trail/{unique('r')}"
    with auth_off(monkeypatch):
        old = push_image(client, repo, "release-0")
        push_image(client, repo, "release-1")

    assert berth(capsys, "repo", "set-immutable", repo, "--exclude", "release-*")[0] == 0
    assert (
        berth(capsys, "lifecycle", "set", repo, "--keep-last", "1", "--tag-pattern", "release-*")[0]
        == 0
    )
    status, out, err = berth(capsys, "lifecycle", "run", repo)
    assert status == 0 and old.digest in out, err
    assert berth(capsys, "gc")[0] == 0

    by_action = {e["action"]: e for e in _events(berth, capsys, "--repo", repo)}
    settings = by_action["settings.change"]
    assert settings["who"] == admin and settings["detail"]["changed"] == [
        "immutableTags",
        "immutableTagsExclude",
    ]
    assert settings["detail"]["after"]["immutableTagsExclude"] == ["release-*"]
    policy = by_action["lifecycle.policy"]
    assert policy["who"] == admin and policy["detail"]["after"]["rules"][0]["rulePriority"] == 1
    assert by_action["lifecycle.run"]["who"] == admin
    assert by_action["lifecycle.run"]["detail"]["deleted"] == 1, (out, by_action["lifecycle.run"])
    # The expiry an admin started is the admin's, in the audit and in the tag's history alike.
    expired = by_action["expire"]
    assert (expired["who"], expired["digest"]) == (admin, old.digest)
    status, out, _ = berth(capsys, "history", f"{repo}:release-0", "--json")
    assert status == 0
    (move, *_) = json.loads(out)["history"]
    assert (move["action"], move["actor"]) == ("expire", admin)

    mine = [e["action"] for e in _events(berth, capsys, "--principal", admin)]
    assert "gc.run" in mine and "lifecycle.run" in mine
    # The registry-wide feed has every one of them, newest first.
    feed = _events(berth, capsys, "--all", "--since", "1h")
    actions = [e["action"] for e in feed if e.get("repository") in (repo, None)]
    assert actions.index("gc.run") < actions.index("lifecycle.run")
    assert actions.index("lifecycle.run") < actions.index("lifecycle.policy")
    assert actions.index("lifecycle.policy") < actions.index("settings.change")
    status, out, _ = berth(capsys, "audit", "--all", "-n", "3")
    assert status == 0 and out.splitlines()[0].split()[:3] == ["AT", "ACTION", "OUTCOME"]
    assert len(out.splitlines()) == 4


def test_every_spelling_of_a_principal(
    berth: Run,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What one command prints, the next accepts: `robot$ci` (the login `robot add` prints),
    `robot:ci` (the audit's WHO), a bare user name; a revoked robot is told so, and the audit
    says why its login failed."""
    name = unique("r")
    status, out, _ = berth(capsys, "robot", "add", name, "--grant", "ci/*=push", "--json")
    answer = json.loads(out)
    assert status == 0 and answer["login"] == f"robot${name}"
    admin_name = os.environ["BERTH_USERNAME"]
    for spelling in (admin_name, f"user:{admin_name}"):
        events = _events(berth, capsys, "--principal", spelling)
        assert events[0]["action"] == "robot.create", spelling
    assert berth(capsys, "robot", "revoke", answer["login"])[0] == 0
    for spelling in (f"robot${name}", f"robot:{name}"):
        events = _events(berth, capsys, "--principal", spelling)
        assert [e["action"] for e in events][:2] == ["robot.revoke", "robot.create"], spelling

    admin_password = os.environ["BERTH_PASSWORD"]
    monkeypatch.setenv("BERTH_USERNAME", answer["login"])
    monkeypatch.setenv("BERTH_PASSWORD", answer["secret"])
    status, _, err = berth(capsys, "repo", "ls")
    assert status == common.EXIT_REFUSED, err
    assert f"robot${name} was revoked" in err and "incorrect username" not in err
    monkeypatch.setenv("BERTH_USERNAME", admin_name)
    monkeypatch.setenv("BERTH_PASSWORD", admin_password)
    (login, *_) = _events(berth, capsys, "--principal", f"robot:{name}")
    assert (login["action"], login["outcome"], login["detail"]["reason"]) == (
        "login",
        "failed",
        "REVOKED",
    )
    assert berth(capsys, "robot", "rm", f"robot:{name}")[0] == 0
    someone = unique("u")
    assert berth(capsys, "user", "add", someone)[0] == 0
    assert berth(capsys, "user", "disable", f"user:{someone}")[0] == 0  # as the audit prints it
    assert berth(capsys, "user", "rm", f"user:{someone}")[0] == 0
    status, _, err = berth(capsys, "audit", "--principal", "nobody-at-all")
    assert status == 0 and "no events by or about user:nobody-at-all" in err
