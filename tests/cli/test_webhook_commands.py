"""`berth webhook ...` against the in-process app with auth on, and a real receiver."""

from __future__ import annotations

import json
import re

import pytest
from standardwebhooks.webhooks import Webhook

from tests.cli.test_access_commands import Run, berth  # noqa: F401
from tests.events.conftest import Receiver, local_webhooks, receiver  # noqa: F401


def test_webhook_commands(
    berth: Run,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    local_webhooks: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = berth(
        capsys, "webhook", "add", receiver.url, "--repository", "team/*", "--event", "push"
    )
    assert status == 0, err
    found = re.search(r"webhook (\w+) calls .* on PUSH\nsigning secret .*: (whsec_\S+)", out)
    assert found is not None, out
    hook, secret = found.groups()
    status, out, _ = berth(capsys, "webhook", "ls")
    assert status == 0 and hook in out and "team/*" in out and secret not in out
    status, out, _ = berth(capsys, "webhook", "test", hook)
    assert status == 0 and "ping delivered: HTTP 200" in out, out
    (got,) = receiver.received
    Webhook(secret).verify(got.body, got.headers, json_parse=False)
    status, out, _ = berth(capsys, "webhook", "deliveries", hook, "--json")
    (attempt,) = json.loads(out)["deliveries"]
    assert attempt["status"] == 200 and attempt["type"] == "webhook.ping"
    status, out, err = berth(capsys, "webhook", "redeliver", hook, "--event", "evt_nothing")
    assert status != 0 and "NAME_UNKNOWN" in err
    status, out, _ = berth(capsys, "webhook", "rm", hook)
    assert status == 0 and f"webhook {hook} removed" in out
    status, _, err = berth(capsys, "webhook", "show", hook)
    assert status != 0 and "NAME_UNKNOWN" in err


def test_webhook_add_refuses_a_metadata_target(
    berth: Run,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = berth(capsys, "webhook", "add", "https://169.254.169.254/latest")
    assert status != 0
    assert "link-local" in err


def test_trigger_commands(
    berth: Run,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = berth(capsys, "trigger", "add", "team/web:prod", "--ecs-service", "prod/web")
    assert status == 0, err
    found = re.search(
        r"trigger (\w+): when team/web:prod moves, redeploy ECS service prod/web", out
    )
    assert found is not None, out
    status, out, _ = berth(capsys, "trigger", "ls")
    assert found.group(1) in out and "ECS service prod/web" in out
    status, out, _ = berth(capsys, "trigger", "runs", found.group(1))
    assert status == 0 and "OUTCOME" in out
    status, _, err = berth(capsys, "trigger", "add", "team/web:prod", "--lambda-function", "f")
    assert status != 0 and "ECR repository" in err
    status, out, _ = berth(capsys, "trigger", "rm", found.group(1))
    assert status == 0 and "removed" in out


def test_webhook_disable_and_enable(
    berth: Run,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    local_webhooks: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Found trying it as a user: the admin page could pause a webhook, the CLI and the API
    could not, and `webhook ls` did not say which were paused."""
    from chalicelib.events import webhooks

    status, out, err = berth(capsys, "webhook", "add", receiver.url)
    assert status == 0, err
    hook = out.split()[1]
    status, out, err = berth(capsys, "webhook", "disable", hook)
    assert status == 0, err
    assert out.startswith(f"webhook {hook} paused: {receiver.url}")
    webhooks.forget()
    assert webhooks.find(hook).enabled is False
    status, out, _ = berth(capsys, "webhook", "ls")
    row = next(line for line in out.splitlines() if line.startswith(hook))
    assert row.split()[-1] == "paused" and out.splitlines()[0].split()[-1] == "STATE"
    status, out, _ = berth(capsys, "webhook", "enable", hook, "--json")
    assert status == 0 and json.loads(out)["enabled"] is True
    webhooks.forget()
    assert webhooks.find(hook).enabled is True
    status, out, _ = berth(capsys, "audit", "--all", "--json")
    actions = [e.get("action") for e in json.loads(out).get("events", [])]
    assert "webhook.disable" in actions and "webhook.enable" in actions, actions
    status, _, err = berth(capsys, "webhook", "disable", "0123456789abcdef")
    assert status != 0 and "NAME_UNKNOWN" in err
    assert berth(capsys, "webhook", "rm", hook)[0] == 0
