"""Where a rollback goes: replay a tag's history as a stack of earlier targets.

A push or delete puts the target it replaced on the stack. A rollback to a digest on the
stack pops down to it (so rolling back twice goes two steps back, not back and forth); a
rollback to any other digest (`--to`) is an ordinary move and stacks what it replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PUSH = "push"
DELETE = "delete"
ROLLBACK = "rollback"
EXPIRE = "expire"  # a tag deleted with the manifest a lifecycle rule expired


@dataclass(frozen=True, slots=True)
class Move:
    from_digest: str | None
    to_digest: str | None
    action: str


def action_of(stored: str | None, to_digest: str | None) -> str:
    """The action of a history entry (entries older than the field are pushes or deletes)."""
    if stored:
        return stored
    return DELETE if to_digest is None else PUSH


def earlier_targets(moves: Iterable[Move]) -> list[str]:
    """The digests a plain rollback would try, nearest first, after `moves` (oldest first)."""
    stack: list[str] = []
    for move in moves:
        if move.action == ROLLBACK and move.to_digest in stack:
            while stack and stack.pop() != move.to_digest:
                pass
        elif move.from_digest is not None:
            stack.append(move.from_digest)
    return stack[::-1]
