"""Where a rollback goes: replay a tag's history as a stack of earlier targets.

A push or delete puts the target it replaced on the stack. A rollback to a digest on the
stack pops down to it (so rolling back twice goes two steps back, not back and forth); a
rollback to any other digest (`--to`) is an ordinary move and stacks what it replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The history vocabulary (rules/history.py), here too for readers of rollbacks.
from chalicelib.rules.history import DELETE as DELETE
from chalicelib.rules.history import PUSH as PUSH
from chalicelib.rules.history import ROLLBACK as ROLLBACK


@dataclass(frozen=True, slots=True)
class Move:
    from_digest: str | None
    to_digest: str | None
    action: str


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
