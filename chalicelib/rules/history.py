"""What a tag history entry says happened to the tag: the vocabulary every writer of
history shares (tag moves in storage/, rollbacks, lifecycle expiry) and every reader
interprets (rules/rollback.py, the history API). Pure, so storage can depend on it
without depending on any one feature's rules."""

from __future__ import annotations

PUSH = "push"
DELETE = "delete"
ROLLBACK = "rollback"
EXPIRE = "expire"  # a tag deleted with the manifest a lifecycle rule expired


def action_of(stored: str | None, to_digest: str | None) -> str:
    """The action of a history entry (entries older than the field are pushes or deletes)."""
    if stored:
        return stored
    return DELETE if to_digest is None else PUSH
