"""Webhooks through `berth serve` as a user would try them on a laptop: `berth webhook add`
pointing at a receiver on this machine, a skopeo push, and the signed event arriving from the
server's own event pipeline (the table's stream and the delivery queue, in moto)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from tests.e2e.images import write_image
from tests.e2e.support import Registry, run
from tests.events.conftest import Receiver, receiver  # noqa: F401

pytestmark = pytest.mark.e2e


def berth(*args: str) -> str:
    return run([sys.executable, "-m", "berth.cli", *args]).stdout


def test_a_skopeo_push_reaches_a_local_webhook_receiver(
    registry: Registry,
    repository: str,
    scratch: Path,
    receiver: Receiver,  # noqa: F811
) -> None:
    url = f"http://{registry.host}"
    out = berth("webhook", "add", receiver.url, "--repository", repository, "--registry", url)
    found = re.search(r"webhook (\w+) .*\n.*(whsec_\S+)", out)
    assert found is not None, out
    hook, secret = found.groups()
    try:
        image = write_image(scratch / "src", "v1", layer_sizes=(20_000,))
        run(
            [
                "skopeo",
                "copy",
                "--quiet",
                "--dest-tls-verify=false",
                image.reference,
                registry.docker(repository, "v1"),
            ]
        )
        (got,) = receiver.wait_for(1)
        Webhook(secret).verify(got.body, got.headers, json_parse=False)
        data = json.loads(got.body)["data"]
        assert data["repository-name"] == repository
        assert data["image-digest"] == image.manifest.digest
        assert data["image-tag"] == "v1"
        deliveries = json.loads(berth("webhook", "deliveries", hook, "--json", "--registry", url))
        assert [d["status"] for d in deliveries["deliveries"]] == [200]
    finally:
        berth("webhook", "rm", hook, "--registry", url)
