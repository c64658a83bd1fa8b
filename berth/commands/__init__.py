"""Admin subcommands that talk to a registry's `_berth` extension API over HTTP."""

from __future__ import annotations

from typing import Any

from berth.commands import (
    audit,
    cache,
    gc,
    grants,
    history,
    iam,
    images,
    lifecycle,
    login,
    public,
    replicate,
    repo,
    robots,
    scan_policy,
    scanning,
    signing,
    triggers,
    ui,
    users,
    webhooks,
)


def register(commands: Any) -> None:
    """Add `history`, `rollback`, `repo`, `tags`, `tag rm`, `image rm`, `gc`, `lifecycle`,
    the access commands (`user`, `robot`, `grant`/`ungrant`, `public`, `iam`, `audit`),
    `webhook`, `trigger`, `replicate`, `cache`, `signing`/`verify`, `scan`/`vulndb`,
    `login`/`logout` and `ui login` to the `berth` subparsers."""
    login.register(commands)
    ui.register(commands)
    history.register(commands)
    repo.register(commands)
    images.register(commands)
    gc.register(commands)
    lifecycle.register(commands)
    users.register(commands)
    robots.register(commands)
    grants.register(commands)
    public.register(commands)
    iam.register(commands)
    audit.register(commands)
    webhooks.register(commands)
    triggers.register(commands)
    signing.register(commands)
    scanning.register(commands)  # scan, vulndb
    replicate.register(commands)
    scan_policy.register(commands)  # scan policy (as `scan-policy`)
    cache.register(commands)
