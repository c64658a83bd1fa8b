"""Every rule-making `add` has one shape, `--repository PATTERN` and `--to URL` (`--from` for
the cache), found in a user trial where webhook and replicate disagreed; the older positional
spellings keep working, and a missing or doubled value is a clear exit 2."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from tests.cli.test_access_commands import Run
from tests.cli.test_access_commands import berth as access_berth  # noqa: F401
from tests.cli.test_admin_commands import berth  # noqa: F401
from tests.events.conftest import Receiver, local_webhooks, receiver  # noqa: F401
from tests.events.test_replication_ecr import ACCOUNT, REGION, rules_cleared

__all__ = ["rules_cleared"]


def _rule_id(out: str) -> str:
    found = re.search(r"replication rule (\w+)", out)
    assert found is not None, out
    return found.group(1)


def test_replicate_add_takes_the_repository_as_a_flag_or_as_before(
    berth: Any,  # noqa: F811
    rules_cleared: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ecr = ("--to-ecr", f"{ACCOUNT}/{REGION}")
    status, out, err = berth(capsys, "replicate", "add", "--repository", "team/*", *ecr)
    assert status == 0, err
    assert ": team/* to " in out, out  # the confirmation names the pattern (it said None)
    flagged = _rule_id(out)
    status, out, err = berth(capsys, "replicate", "add", "other/*", *ecr)
    assert status == 0, err
    assert ": other/* to " in out, out
    positional = _rule_id(out)
    status, out, _ = berth(capsys, "replicate", "ls", "--json")
    listed = {json.dumps(rule) for rule in json.loads(out)["rules"]}
    assert any(flagged in rule and '"team/*"' in rule for rule in listed), listed
    assert any(positional in rule and '"other/*"' in rule for rule in listed), listed

    status, _, err = berth(capsys, "replicate", "add", *ecr)
    assert status == 2 and "give --repository PATTERN" in err
    status, _, err = berth(capsys, "replicate", "add", "a/*", "--repository", "b/*", *ecr)
    assert status == 2 and "given twice" in err
    status, _, err = berth(capsys, "replicate", "add", "a/*", "--repository", "a/*", *ecr)
    assert status == 0, err


def test_webhook_add_takes_the_url_as_to_or_as_before(
    access_berth: Run,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    local_webhooks: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = access_berth(
        capsys, "webhook", "add", "--repository", "team/*", "--to", receiver.url
    )
    assert status == 0, err
    found = re.search(r"webhook (\w+) calls", out)
    assert found is not None, out
    status, out, _ = access_berth(capsys, "webhook", "show", found.group(1), "--json")
    shown = json.loads(out)
    assert shown["url"] == receiver.url and shown["repositories"] == ["team/*"]
    status, _, err = access_berth(capsys, "webhook", "add", "--repository", "team/*")
    assert status == 2 and "give --to URL" in err
    status, _, err = access_berth(
        capsys, "webhook", "add", receiver.url, "--to", "https://elsewhere.example/hook"
    )
    assert status == 2 and "given twice" in err


@pytest.mark.parametrize(
    "spelling",
    [
        ("{p}", "docker.io"),
        ("--repository", "{p}*", "--from", "docker.io"),
        ("--repository", "{p}", "docker.io"),
        ("{p}", "--from", "docker.io"),
    ],
)
def test_cache_add_takes_repository_and_from_or_the_old_positionals(
    berth: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    spelling: tuple[str, ...],
) -> None:
    prefix = f"hub{uuid.uuid4().hex[:8]}/"
    argv = [part.format(p=prefix) for part in spelling]
    status, out, err = berth(capsys, "cache", "add", *argv)
    assert status == 0, err
    assert out.strip().startswith(f"cache rule {prefix}: from "), out
    status, out, err = berth(capsys, "cache", "rm", prefix)
    assert status == 0, err


def test_cache_add_says_what_is_missing(
    berth: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = berth(capsys, "cache", "add", "--from", "docker.io")
    assert status == 2 and "give --repository PREFIX" in err
    status, _, err = berth(capsys, "cache", "add", "hub/")
    assert status == 2 and "give --from URL" in err


def test_cache_add_allows_a_private_network_as_replicate_add_does(
    berth: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.cache import upstream_guard

    monkeypatch.delenv(upstream_guard.ALLOW_NETWORKS_ENV, raising=False)
    monkeypatch.setattr(upstream_guard, "resolver", lambda host, port: ["10.20.3.4"])
    prefix = f"mirror{uuid.uuid4().hex[:8]}/"
    url = "https://registry.internal.test"
    status, _, err = berth(capsys, "cache", "add", "--repository", prefix, "--from", url)
    assert status != 0 and "--allow-network" in err, err
    status, out, err = berth(
        capsys, "cache", "add", "--repository", prefix, "--from", url,
        "--allow-network", "10.20.0.0/16", "--json",
    )  # fmt: skip
    assert status == 0, err
    assert json.loads(out)["allowNetworks"] == ["10.20.0.0/16"]
    status, out, err = berth(capsys, "cache", "ls")
    assert status == 0, err
    assert any(prefix in line and "allow 10.20.0.0/16" in line for line in out.splitlines()), out
    status, _, err = berth(capsys, "cache", "rm", prefix)
    assert status == 0, err
