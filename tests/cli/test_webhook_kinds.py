"""`berth webhook add --event` offers every kind of change the registry delivers: found trying
it as a user, `replication` (the `image.replicated` result) was delivered but could not be
chosen."""

from __future__ import annotations

from berth.commands import webhooks
from chalicelib.events.change import KINDS


def test_the_cli_offers_every_kind_the_registry_delivers() -> None:
    assert webhooks.KINDS == KINDS
