"""Admin subcommands that talk to a registry's `_berth` extension API over HTTP."""

from __future__ import annotations

from typing import Any

from berth.commands import gc, history, repo


def register(commands: Any) -> None:
    """Add `history`, `rollback`, `repo` and `gc` to the `berth` subparsers `commands`."""
    history.register(commands)
    repo.register(commands)
    gc.register(commands)
