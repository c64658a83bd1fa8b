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
