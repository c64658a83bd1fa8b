"""`berth scan policy ...` against the in-process app: each change keeps what it does not name,
the refusal a pull meets names the command that makes an exception, and that command works."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.storage import scan_policy
from tests.api.helpers import get_manifest
from tests.scanning.test_scan_cli import berth  # noqa: F401  (the fixture)
from tests.scanning.test_scan_pull_policy import WORST, refusal, scanned_debian


def test_set_allow_disallow_off(berth: Any, client: Any, repo: str) -> None:  # noqa: F811
    scan_policy.forget_cached()
    scanned_debian(client, repo)
    status, out, _ = berth("scan", "policy", "show", repo)
    assert (status, out) == (0, f"{repo}: off: refuses nothing\n")

    status, out, err = berth("scan", "policy", "set", repo, "--severity", "critical")
    assert status == 0, err
    assert out == f"{repo}: refuses findings at or above CRITICAL\n"
    assert "was: off" in err
    message = refusal(get_manifest(client, repo, "1.0"))["message"]
    command = message.split("runs: ")[1].split()
    assert command[:5] == ["berth", "scan", "policy", "allow", repo]

    status, out, err = berth(
        "scan", "policy", "allow", repo, WORST, "--until", "2999-12-31", "--reason", "not reachable"
    )
    assert status == 0, err
    assert f"allows {WORST} until 2999-12-31: not reachable" in out
    assert get_manifest(client, repo, "1.0").status_code == 200

    status, out, _ = berth("scan", "policy", "set", repo, "--refuse-unscanned")
    assert "refuses findings at or above CRITICAL; refuses images without" in out
    assert WORST in out, "set keeps the allow-list"
    status, out, _ = berth("scan", "policy", "set", repo, "--severity", "none", "--json")
    stored = json.loads(out)
    assert stored["severity"] is None and stored["refuseUnscanned"] is True
    assert [e["id"] for e in stored["allow"]] == [WORST]

    status, out, _ = berth("scan", "policy", "disallow", repo, WORST)
    assert WORST not in out
    status, out, _ = berth("scan", "policy", "off", repo)
    assert out == f"{repo}: off: refuses nothing\n"


def test_bad_arguments_are_refused_before_any_request(berth: Any, repo: str) -> None:  # noqa: F811
    import pytest

    for argv in (
        ("scan", "policy", "set", repo, "--severity", "awful"),
        ("scan", "policy", "allow", repo, "CVE-1", "--until", "soon"),
        ("scan", "policy", "allow", repo, "CVE-1"),
    ):
        with pytest.raises(SystemExit) as exited:
            berth(*argv)
        assert exited.value.code == 2


def test_the_refusals_command_lets_every_named_advisory_through_at_once(
    berth: Any,  # noqa: F811
    client: Any,
    repo: str,
) -> None:
    """Found trying it as a user: a refusal for two advisories named only the first in its
    exception command, so the pull was refused again after the exception. The command now
    names each refused advisory once (however many packages it was found in), and running
    it as printed lets the pull through in one step."""
    scan_policy.forget_cached()
    scanned_debian(client, repo)
    berth("scan", "policy", "set", repo, "--severity", "high")
    message = refusal(get_manifest(client, repo, "1.0"))["message"]
    command = message.split("runs: ")[1].split(" --until")[0].split()
    advisories = command[5:]
    assert WORST in advisories and "DEBIAN-CVE-2023-6246" in advisories
    assert len(advisories) == len(set(advisories)), "each advisory once"
    for advisory in advisories:
        assert message.count(f"{advisory} (") == 1, message
    status, out, err = berth(*command[1:], "--until", "2999-12-31", "--reason", "accepted")
    assert status == 0, err
    assert all(f"allows {a} until 2999-12-31" in out for a in advisories)
    assert get_manifest(client, repo, "1.0").status_code == 200

    status, out, err = berth("scan", "policy", "disallow", repo, *advisories)
    assert status == 0, err
    assert not any(a in out for a in advisories)
    assert refusal(get_manifest(client, repo, "1.0"))
