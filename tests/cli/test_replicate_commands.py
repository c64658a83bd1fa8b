"""`berth replicate backfill RULE REPO` (an action, as every other verb is) and its older
spelling `--backfill`, against the in-process app: both queue what the tags name now, and the
queue copies it (ECR on moto)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.helpers import push_image
from tests.cli.test_admin_commands import berth  # noqa: F401
from tests.events.conftest import Pump, clock, local_webhooks, pump
from tests.events.test_replication_ecr import ACCOUNT, REGION, rules_cleared, status_of

__all__ = ["clock", "local_webhooks", "pump", "rules_cleared"]


def test_backfill_is_an_action_and_the_old_option_still_works(
    berth: Any,  # noqa: F811
    client: Any,
    repo: str,
    pump: Pump,
    rules_cleared: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    push_image(client, repo, "1.0")
    pump.publish()
    pump.deliver()  # pushed before any rule: nothing to copy
    status, out, err = berth(capsys, "replicate", "add", repo, "--to-ecr", f"{ACCOUNT}/{REGION}")
    assert status == 0, err
    found = re.search(r"replication rule (\w+)", out)
    assert found is not None, out
    rule = found.group(1)
    assert status_of(client, repo) == []

    status, out, err = berth(capsys, "replicate", "backfill", rule, repo)
    assert status == 0, err
    assert out.strip() == f"1 copies of {repo} queued for rule {rule}"
    pump.deliver()
    (replica,) = status_of(client, repo)
    assert replica["state"] == "done" and replica["tags"] == ["1.0"]

    status, out, err = berth(capsys, "replicate", "--backfill", rule, repo)
    assert status == 0, err
    assert out.strip() == f"1 copies of {repo} queued for rule {rule}"

    status, out, err = berth(capsys, "replicate", "backfill", "0" * 16, repo)
    assert status != 0 and "replicate backfill" in err
    status, _, err = berth(capsys, "replicate")
    assert status == 2 and "backfill" in err


def test_a_destination_in_a_private_network_is_allowed_on_the_rule(
    berth: Any,  # noqa: F811
    client: Any,
    repo: str,
    rules_cleared: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found trying it as a user: the refusal named only the function's environment, which a
    registry admin cannot set; as for webhooks, the rule itself can name the network."""
    import json

    from chalicelib.replication import destination_guard

    monkeypatch.delenv(destination_guard.ALLOW_NETWORKS_ENV, raising=False)
    status, _, err = berth(
        capsys, "replicate", "add", "--repository", repo, "--to", "https://10.20.3.4"
    )
    assert status != 0 and "10.20.3.4 is not a public address" in err
    assert "--allow-network" in err, err
    status, out, err = berth(
        capsys, "replicate", "add", "--repository", repo, "--to", "https://10.20.3.4",
        "--allow-network", "10.20.0.0/16",
    )  # fmt: skip
    assert status == 0, err
    status, out, err = berth(capsys, "replicate", "ls", "--json")
    assert status == 0, err
    (rule,) = [r for r in json.loads(out)["rules"] if r["repository"] == repo]
    assert rule["destinations"][0]["allowNetworks"] == ["10.20.0.0/16"]
    status, _, err = berth(
        capsys, "replicate", "add", "--repository", repo, "--to", "https://10.99.0.1",
        "--allow-network", "10.20.0.0/16",
    )  # fmt: skip
    assert status != 0 and "10.99.0.1" in err
